#!/usr/bin/env python
"""nnfs against PyTorch on the CPU: the same Fashion-MNIST model, trained side by side in one process.

The model is the book's: 784-128-128-10, ReLU, softmax + categorical cross-entropy, Adam (decay 1e-3),
mini-batches of 128. Both frameworks start from the same weights (drawn by nnfs, copied into PyTorch), see the
same batches in the same order and use the same number of threads. Epochs alternate between the two (and which
one goes first alternates too), so a machine that slows down or speeds up hits both alike; the figure to
quote is the median of the per-epoch ratios nnfs / PyTorch.

Then: validation accuracy and loss of both (the course's validation split; the test set is not used),
inference time on the validation set, single-image prediction latency, and the
peak memory each framework needs to train (measured in a fresh child process per framework).

    python bench/train_fashion_mnist.py            # full run: 10 paired epochs on the 50,000 training images
    python bench/train_fashion_mnist.py --quick    # seconds: 5,000 images, 2 paired epochs (proves it works)

This is a benchmark, not a test: CI runs `--quick` only to prove that it works, never to judge speed.
PyTorch is not a dependency of nnfs; install it (CPU build) with `pip install torch==2.13.0`.
"""

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

try:
    import torch
except ImportError:
    sys.exit(
        "bench/train_fashion_mnist.py compares nnfs with PyTorch, but torch is not installed.\n"
        "Install the CPU build with:  pip install torch==2.13.0"
    )
try:
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:
    sys.exit(
        "bench/train_fashion_mnist.py needs threadpoolctl to set and report NumPy's BLAS threads.\n"
        'Install the development dependencies with:  pip install -e ".[dev]"'
    )

import nnfs
from nnfs.activations import ReLU, Softmax
from nnfs.datasets import fashion_mnist_split
from nnfs.layers import Dense
from nnfs.losses import CategoricalCrossentropy
from nnfs.model import Model

try:
    from nnfs.optimizers import Adam
except ImportError:
    sys.exit("bench/train_fashion_mnist.py needs nnfs.optimizers.Adam (lesson 10); run nbdev-export first.")

BATCH, HIDDEN, LR, DECAY, EPS = 128, 128, 1e-3, 1e-3, 1e-7


# ---- data ----------------------------------------------------------------------------------------
def load_data(n_train: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The course's split of Fashion-MNIST's training images (`fashion_mnist_split`: 50,000 to train on,
    10,000 to validate on), 784 pixels scaled to [-1, 1], float32; labels as int64. The test set is unused."""
    X, y, X_val, y_val = fashion_mnist_split()
    if n_train is not None:
        X, y = X[:n_train], y[:n_train]
    return X, y.astype(np.int64), X_val, y_val.astype(np.int64)


# ---- the two models ------------------------------------------------------------------------------
def nnfs_model(seed: int) -> Model:
    "The book's model, built with nnfs as a learner builds it."
    nnfs.init(seed)
    model = Model()
    model.add(Dense(784, HIDDEN)).add(ReLU()).add(Dense(HIDDEN, HIDDEN)).add(ReLU()).add(
        Dense(HIDDEN, 10)
    ).add(Softmax())
    model.set(loss=CategoricalCrossentropy(), optimizer=Adam(learning_rate=LR, decay=DECAY, epsilon=EPS))
    return model.finalize()


class TorchRun:
    "The same network in PyTorch, with nnfs's initial weights copied in, trained by a plain PyTorch loop."

    def __init__(self, model: Model):
        nn = torch.nn
        self.net = nn.Sequential(
            nn.Linear(784, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 10)
        )
        with torch.no_grad():
            for lin, dense in zip(self.net[::2], model.trainable_layers):
                lin.weight.copy_(torch.from_numpy(dense.weights.T))  # PyTorch stores (out, in)
                lin.bias.copy_(torch.from_numpy(dense.biases[0]))
        self.opt = torch.optim.Adam(self.net.parameters(), lr=LR, eps=EPS)
        # nnfs's decay: lr_t = lr / (1 + decay * t), t = number of steps taken so far
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, lambda t: 1 / (1 + DECAY * t))

    def train_epoch(self, X: np.ndarray, y: np.ndarray) -> float:
        "One pass over (X, y) in order, in batches of BATCH; returns the mean training loss."
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        self.net.train()
        total = 0.0
        for i in range(0, len(X), BATCH):
            xb, yb = Xt[i : i + BATCH], yt[i : i + BATCH]
            self.opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(self.net(xb), yb)
            loss.backward()
            self.opt.step()
            self.sched.step()
            total += loss.item() * len(xb)
        return total / len(X)

    def predict(self, X: np.ndarray) -> np.ndarray:
        "Class probabilities, like nnfs's Model.predict."
        self.net.eval()
        with torch.inference_mode():
            return torch.softmax(self.net(torch.from_numpy(X)), dim=1).numpy()


def val_metrics(probs: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    "Accuracy and mean cross-entropy (float64, probabilities clipped at 1e-7), computed alike for both."
    acc = float(np.mean(probs.argmax(axis=1) == y))
    p = np.clip(probs[np.arange(len(y)), y].astype(np.float64), 1e-7, 1.0)
    return acc, float(-np.log(p).mean())


# ---- timing helpers ------------------------------------------------------------------------------
def timed(f, *args) -> tuple[float, object]:
    gc.collect()
    t = time.perf_counter()
    out = f(*args)
    return time.perf_counter() - t, out


def paired(f_a, f_b, repeats: int, inner: int = 1) -> tuple[list[float], list[float]]:
    "Time `inner` calls of f_a then of f_b (order alternating), `repeats` times; seconds per call."
    ta, tb = [], []
    for r in range(repeats):
        pair = [(f_a, ta), (f_b, tb)]
        for f, out in pair if r % 2 == 0 else pair[::-1]:
            t = time.perf_counter()
            for _ in range(inner):
                f()
            out.append((time.perf_counter() - t) / inner)
    return ta, tb


def median_ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(x / y for x, y in zip(a, b))


# ---- memory: one child process per framework -----------------------------------------------------
def rss_kib(field: str) -> int | None:
    "VmRSS or VmHWM (peak) of this process from /proc, in KiB; None where /proc is not available."
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def memory_child(framework: str, n_train: int | None, steps: int, seed: int) -> None:
    "Runs in a child process: load the data, then train `steps` batches; prints the peak memory as JSON."
    X, y, _, _ = load_data(n_train)
    model = nnfs_model(seed)
    run = TorchRun(model) if framework == "torch" else None
    Xs, ys = X[: steps * BATCH], y[: steps * BATCH]
    try:  # reset the peak RSS (VmHWM) to the current RSS (Linux >= 4.0)
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        reset = True
    except OSError:
        reset = False
    before = rss_kib("VmRSS")
    if framework == "torch":
        run.train_epoch(Xs, ys)
    else:
        model.train(Xs, ys, epochs=1, batch_size=BATCH, shuffle=False, progress=False)
    peak = rss_kib("VmHWM")
    print(json.dumps(dict(rss_before=before, peak=peak, reset=reset)))


def measure_memory(framework: str, n_train: int | None, steps: int, seed: int) -> dict | None:
    cmd = [sys.executable, __file__, "--memory-child", framework, "--steps", str(steps), "--seed", str(seed)]
    if n_train is not None:
        cmd += ["--train-samples", str(n_train)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        print(f"  memory measurement for {framework} failed:\n{res.stderr}", file=sys.stderr)
        return None
    return json.loads(res.stdout.strip().splitlines()[-1])


# ---- environment ---------------------------------------------------------------------------------
def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_environment(threads: int) -> None:
    print(f"machine : {cpu_name()}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}")
    print(
        f"python  : {platform.python_version()}; numpy {np.__version__}; torch {torch.__version__}; "
        f"nnfs {nnfs.__version__}"
    )
    for lib in threadpool_info():
        if lib.get("user_api") == "blas":
            print(
                f"numpy BLAS: {lib.get('internal_api')} {lib.get('version')}, "
                f"kernel {lib.get('architecture')}, "
                f"{lib.get('num_threads')} threads ({os.path.basename(lib.get('filepath', ''))})"
            )
    print(
        f"torch   : {torch.get_num_threads()} threads, MKL {torch.backends.mkl.is_available()}, "
        f"oneDNN {torch.backends.mkldnn.is_available()}"
    )
    env = {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS", "OMP_", "MKL_"))}
    print(f"env     : {env if env else 'no OPENBLAS_*/OMP_*/MKL_* variables set'}")
    print(f"threads : {threads} for each framework (threadpoolctl for NumPy's BLAS, torch.set_num_threads)")


# ---- main ----------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="5,000 images, 2 paired epochs (seconds)")
    ap.add_argument("--epochs", type=int, default=None, help="paired epochs (default 10; 2 with --quick)")
    ap.add_argument("--train-samples", type=int, default=None, help="train on the first N images only")
    ap.add_argument("--threads", type=int, default=2, help="threads for each framework (default 2)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--memory-child", choices=("nnfs", "torch"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    n_train = args.train_samples if args.train_samples is not None else (5_000 if args.quick else None)
    epochs = args.epochs if args.epochs is not None else (2 if args.quick else 10)

    torch.set_num_threads(args.threads)
    with threadpool_limits(args.threads):
        if args.memory_child:
            memory_child(args.memory_child, n_train, args.steps, args.seed)
            return 0
        return run(args, n_train, epochs)


def run(args, n_train: int | None, epochs: int) -> int:
    print(
        f"nnfs vs PyTorch, Fashion-MNIST 784-128-128-10, Adam, batch {BATCH}  "
        f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})"
    )
    describe_environment(args.threads)
    X, y, X_val, y_val = load_data(n_train)
    print(f"data    : {len(X)} training images, {len(X_val)} validation images, float32")

    # Warm-up, on throw-away copies: thread pools start, kernels are chosen, memory is mapped; not timed.
    warm = nnfs_model(args.seed)
    warm_torch = TorchRun(warm)
    for _ in range(2):
        warm.train(
            X[: 20 * BATCH], y[: 20 * BATCH], epochs=1, batch_size=BATCH, shuffle=False, progress=False
        )
        warm_torch.train_epoch(X[: 20 * BATCH], y[: 20 * BATCH])
    model = nnfs_model(args.seed)
    trun = TorchRun(model)
    rng = np.random.default_rng(args.seed)

    # Training: epochs alternate between the frameworks. The shuffle happens here, once per epoch and outside
    # the timed region, so both see exactly the same batches.
    print(f"\ntraining: {epochs} paired epochs ({-(-len(X) // BATCH)} steps each)")
    print("  epoch   nnfs s  torch s  ratio   nnfs loss  torch loss")
    t_nnfs, t_torch = [], []
    for epoch in range(epochs):
        order = rng.permutation(len(X))
        Xe, ye = X[order], y[order]
        jobs = [
            ("nnfs", lambda: model.train(Xe, ye, epochs=1, batch_size=BATCH, shuffle=False, progress=False)),
            ("torch", lambda: trun.train_epoch(Xe, ye)),
        ]
        res = {}
        for name, job in jobs if epoch % 2 == 0 else jobs[::-1]:
            res[name] = timed(job)
        t_nnfs.append(res["nnfs"][0])
        t_torch.append(res["torch"][0])
        print(
            f"  {epoch + 1:5d}  {t_nnfs[-1]:7.3f}  {t_torch[-1]:7.3f}  {t_nnfs[-1] / t_torch[-1]:5.2f}"
            f"   {res['nnfs'][1]['loss'][-1]:9.4f}  {res['torch'][1]:10.4f}"
        )
    ratio = median_ratio(t_nnfs, t_torch)
    print(
        f"  median epoch: nnfs {statistics.median(t_nnfs):.3f} s, torch {statistics.median(t_torch):.3f} s; "
        f"median paired ratio nnfs/torch = {ratio:.3f}"
    )

    p_nnfs, p_torch = model.predict(X_val), trun.predict(X_val)
    (acc_n, loss_n), (acc_t, loss_t) = val_metrics(p_nnfs, y_val), val_metrics(p_torch, y_val)
    print(
        f"\nvalidation set: nnfs accuracy {acc_n:.4f} loss {loss_n:.4f}; "
        f"torch accuracy {acc_t:.4f} loss {loss_t:.4f}; "
        f"difference {acc_n - acc_t:+.4f}"
    )

    # Inference on the whole validation set (one batch) and single-image latency, paired and alternating.
    ta, tb = paired(
        lambda: model.predict(X_val), lambda: trun.predict(X_val), repeats=4 if args.quick else 30
    )
    print(
        f"\ninference, {len(X_val)} validation images in one batch: "
        f"nnfs {statistics.median(ta) * 1e3:.2f} ms, "
        f"torch {statistics.median(tb) * 1e3:.2f} ms, median paired ratio {median_ratio(ta, tb):.2f}"
    )
    one = X_val[:1].copy()
    trun.net.eval()

    def torch_one():
        with torch.inference_mode():
            return torch.softmax(trun.net(torch.from_numpy(one)), dim=1).numpy()

    ta, tb = paired(lambda: model.predict(one), torch_one, repeats=6 if args.quick else 60, inner=200)
    print(
        f"single image (model.predict(x[None])), median (best) of blocks of 200 calls: "
        f"nnfs {statistics.median(ta) * 1e6:.1f} ({min(ta) * 1e6:.1f}) us, "
        f"torch {statistics.median(tb) * 1e6:.1f} ({min(tb) * 1e6:.1f}) us, "
        f"median paired ratio {median_ratio(ta, tb):.2f}"
    )

    steps = 20 if args.quick else 200
    print(
        f"\npeak memory to train {steps} steps, each framework in a fresh process "
        "(growth of the resident set "
        "over what data, libraries and model already hold):"
    )
    for name in ("nnfs", "torch"):
        m = measure_memory(name, n_train, steps, args.seed)
        if m is None or m["peak"] is None:
            print(f"  {name:5s}: not available on this system")
            continue
        note = "" if m["reset"] else " (peak could not be reset: includes data loading)"
        print(
            f"  {name:5s}: +{(m['peak'] - m['rss_before']) / 1024:.1f} MiB while training, "
            f"{m['rss_before'] / 1024:.0f} MiB resident before{note}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
