#!/usr/bin/env python
"""The convolutional network of lesson 22: its full training run, and its speed against PyTorch on the CPU.

    python bench/train_cnn.py train [--max-epochs 15]    # the full run: writes nbs/data/cnn_result.json
    python bench/train_cnn.py speed [--quick]            # nnfs vs PyTorch, paired epochs, and the GEMM floor

`train` trains `nnfs.recipes.build_cnn()` on the 50,000 training images of the course's validation split,
measures validation accuracy after every epoch, keeps the weights of the best epoch (the number of epochs is
chosen on validation, with early stopping), then touches the test set once with those weights. For the
lesson's comparison it also trains the course's best MLP (lesson 20's recipe) on the same split and records
its test predictions. Everything the lesson shows is written to one small JSON file.

`speed` trains the same network, from the same weights, on the same batches, in nnfs and in PyTorch (2 threads
each), one epoch of each in turn (which goes first alternates), and reports the median of the per-epoch ratios
nnfs / PyTorch. In the same run it times the matrix products alone (the im2col GEMMs and the dense layers'
products, forward and backward, on arrays of the training shapes): the floor that no im2col implementation can
beat. Peak memory of each framework is measured in a fresh child process.

This is a benchmark, not a test: CI runs `speed --quick` only to prove that it works, never to judge speed.
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
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:
    sys.exit(
        "bench/train_cnn.py needs threadpoolctl; install the development dependencies: "
        'pip install -e ".[dev]"'
    )

import nnfs
from nnfs import cli, datasets
from nnfs.recipes import CNN_BEST, build_cnn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULT = os.path.join(ROOT, "nbs", "data", "cnn_result.json")
SPEED = os.path.join(ROOT, "nbs", "data", "cnn_speed.json")
THREADS = 2


# ---- data ----------------------------------------------------------------------------------------
def split() -> tuple[np.ndarray, ...]:
    "The course's one validation split (float32 rows of 784 pixels), and the prepared test set."
    X, y, Xv, yv = datasets.fashion_mnist_split()
    return X, y, Xv, yv, *datasets.fashion_mnist_test()


# ---- the full training run -----------------------------------------------------------------------
def snapshot(model) -> list[dict[str, np.ndarray]]:
    return [{k: v.copy() for k, v in layer.parameters().items()} for layer in model.trainable_layers]


def restore(model, params: list[dict[str, np.ndarray]]) -> None:
    for layer, p in zip(model.trainable_layers, params):
        for k, v in p.items():
            layer.parameters()[k][...] = v


def confusion(y: np.ndarray, pred: np.ndarray, k: int = 10) -> list[list[int]]:
    m = np.zeros((k, k), dtype=int)
    np.add.at(m, (y, pred), 1)
    return m.tolist()


def train_mlp(X, y, Xv, yv, Xt, seed: int) -> dict:
    "Lesson 20's best MLP, trained with its recipe on the same split: validation accuracy, test predictions."
    nnfs.init(seed)
    model = cli.build_model()
    model.train(
        X,
        y,
        epochs=cli.BEST["epochs"],
        batch_size=cli.BEST["batch_size"],
        progress=False,
        rng=np.random.default_rng(seed),
    )
    return dict(
        val_accuracy=float(model.evaluate(Xv, yv, batch_size=1000)["accuracy"]),
        test_pred=[int(p) for p in model.predict(Xt, batch_size=1000).argmax(axis=1)],
    )


def full_run(
    max_epochs: int,
    patience: int,
    seed: int,
    limit: int | None,
    out: str,
    max_minutes: float,
    mlp_from: str | None = None,
) -> dict:
    X, y, Xv, yv, Xt, yt = split()
    if limit:
        X, y, Xv, yv = X[:limit], y[:limit], Xv[:limit], yv[:limit]
    nnfs.init(seed)
    model = build_cnn()
    rng = np.random.default_rng(seed)
    hist = {k: [] for k in ("loss", "accuracy", "val_loss", "val_accuracy", "seconds")}
    best, best_epoch, stopped = None, 0, "max_epochs"
    print(f"{model}\ntraining on {len(X):,} images, validating on {len(Xv):,}", flush=True)
    for epoch in range(1, max_epochs + 1):
        t0 = time.perf_counter()
        h = model.train(
            X,
            y,
            epochs=1,
            batch_size=CNN_BEST["batch_size"],
            validation_data=(Xv, yv),
            progress=False,
            rng=rng,
        )
        hist["seconds"].append(time.perf_counter() - t0)
        for k in ("loss", "accuracy", "val_loss", "val_accuracy"):
            hist[k].append(float(h[k][-1]))
        print(
            f"epoch {epoch:2d}: loss {hist['loss'][-1]:.4f} acc {hist['accuracy'][-1]:.4f} val_loss "
            f"{hist['val_loss'][-1]:.4f} val_acc {hist['val_accuracy'][-1]:.4f} "
            f"({hist['seconds'][-1]:.0f} s)",
            flush=True,
        )
        if best is None or hist["val_accuracy"][-1] > hist["val_accuracy"][best_epoch - 1]:
            best, best_epoch = snapshot(model), epoch
        elif epoch - best_epoch >= patience:
            stopped = "patience"
            break
        if sum(hist["seconds"]) > 60 * max_minutes:
            print(
                f"stopping after {epoch} epochs: the time budget of {max_minutes:g} minutes is spent",
                flush=True,
            )
            stopped = "time"
            break
    restore(model, best)
    np.savez(out + ".weights.npz", **{f"{i}.{k}": v for i, p in enumerate(best) for k, v in p.items()})
    val = model.evaluate(Xv, yv, batch_size=500)
    test_probs = model.predict(Xt, batch_size=500)  # the test set, touched once
    cnn_pred = test_probs.argmax(axis=1)
    if mlp_from:  # the MLP's result, computed by `train_cnn.py mlp` (e.g. in parallel)
        with open(mlp_from) as f:
            mlp = json.load(f)
    else:
        mlp = train_mlp(X, y, Xv, yv, Xt, seed)
    mlp_pred = np.array(mlp["test_pred"])
    conv1 = model.trainable_layers[0]
    result = dict(
        model=repr(model),
        config={k: list(v) if isinstance(v, tuple) else v for k, v in CNN_BEST.items()},
        seed=seed,
        n_train=len(X),
        n_val=len(Xv),
        max_epochs=max_epochs,
        patience=patience,
        history=hist,
        best_epoch=best_epoch,
        val_accuracy=float(val["accuracy"]),
        val_loss=float(val["loss"]),
        test_accuracy=float(np.mean(cnn_pred == yt)),
        test_loss=float(-np.log(np.clip(test_probs[np.arange(len(yt)), yt], 1e-7, 1)).mean()),
        mlp=dict(val_accuracy=mlp["val_accuracy"], test_accuracy=float(np.mean(mlp_pred == yt))),
        stopped=stopped,
        max_minutes=max_minutes,
        confusion_cnn=confusion(yt, cnn_pred),
        confusion_mlp=confusion(yt, mlp_pred),
        cnn_right_mlp_wrong=[int(i) for i in np.flatnonzero((cnn_pred == yt) & (mlp_pred != yt))],
        mlp_right_cnn_wrong=[int(i) for i in np.flatnonzero((cnn_pred != yt) & (mlp_pred == yt))],
        cnn_pred=[int(p) for p in cnn_pred],
        mlp_pred=[int(p) for p in mlp_pred],
        conv1_weights=np.round(conv1.weights.astype(float), 6).tolist(),
        conv1_biases=np.round(conv1.biases.astype(float), 6).tolist(),
        threads=next((i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"), None),
        numpy=np.__version__,
        machine=platform.machine(),
        date=time.strftime("%Y-%m-%d"),
    )
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(result, f, separators=(",", ":"))
    print(
        f"best epoch {best_epoch}: validation {result['val_accuracy']:.4f}; "
        f"test {result['test_accuracy']:.4f} "
        f"(MLP: {result['mlp']['test_accuracy']:.4f}); wrote {out}",
        flush=True,
    )
    return result


# ---- speed: nnfs vs PyTorch, and the matrix products alone ---------------------------------------
def torch_net(model):
    "The same network in PyTorch (NCHW), with nnfs's weights copied in; the flatten order is matched."
    import torch

    nn = torch.nn
    conv1, conv2, dense1, dense2 = model.trainable_layers
    c, h, w = conv2.out_channels, 7, 7
    net = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(CNN_BEST["dropout"]),
        nn.Linear(c * h * w, 128),
        nn.ReLU(),
        nn.Dropout(CNN_BEST["dropout"]),
        nn.Linear(128, 10),
    )
    with torch.no_grad():
        for mod, layer in ((net[0], conv1), (net[3], conv2)):
            mod.weight.copy_(torch.from_numpy(layer.weights.transpose(3, 2, 0, 1).copy()))  # (F, C, kh, kw)
            mod.bias.copy_(torch.from_numpy(layer.biases))
        # our Flatten reads (h, w, c); PyTorch's reads (c, h, w)
        w1 = dense1.weights.reshape(h, w, c, -1).transpose(2, 0, 1, 3).reshape(c * h * w, -1)
        net[8].weight.copy_(torch.from_numpy(w1.T.copy()))
        net[8].bias.copy_(torch.from_numpy(dense1.biases[0]))
        net[11].weight.copy_(torch.from_numpy(dense2.weights.T.copy()))
        net[11].bias.copy_(torch.from_numpy(dense2.biases[0]))
    return net


def torch_epoch(net, opt, sched, X, y) -> None:
    import torch

    net.train()
    Xt, yt = torch.from_numpy(X.reshape(-1, 1, 28, 28)), torch.from_numpy(y.astype(np.int64))
    B = CNN_BEST["batch_size"]
    for i in range(0, len(X), B):
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(net(Xt[i : i + B]), yt[i : i + B]).backward()
        opt.step()
        sched.step()


def gemm_floor(model, n_images: int):
    "A function running, for `n_images`, only the matrix products of the training steps (forward, backward)."
    rng = np.random.default_rng(0)
    B = CNN_BEST["batch_size"]
    conv1, conv2, dense1, dense2 = model.trainable_layers
    f32 = lambda *shape: rng.standard_normal(shape).astype(np.float32)
    cols1, g1, W1 = f32(B * 28 * 28, 9), f32(B * 28 * 28, 32), conv1.weights.reshape(9, 32)
    cols2, g2, W2 = f32(B * 14 * 14, 288), f32(B * 14 * 14, 64), conv2.weights.reshape(288, 64)
    x3, g3, x4, g4 = f32(B, 3136), f32(B, 128), f32(B, 128), f32(B, 10)

    def step():
        cols1 @ W1
        cols1.T @ g1  # first layer: no input gradient
        cols2 @ W2
        cols2.T @ g2
        g2 @ W2.T
        x3 @ dense1.weights
        x3.T @ g3
        g3 @ dense1.weights.T
        x4 @ dense2.weights
        x4.T @ g4
        g4 @ dense2.weights.T

    steps = -(-n_images // B)
    return lambda: [step() for _ in range(steps)]


def peak_memory(framework: str, n_images: int) -> float:
    "Peak resident memory added by training `n_images` in a fresh process, in MiB."
    out = subprocess.run(
        [sys.executable, __file__, "_memory", framework, str(n_images)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def _memory_child(framework: str, n_images: int) -> None:
    def hwm() -> int:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))

    threadpool_limits(THREADS)
    X, y = split()[:2]
    X, y = X[:n_images].copy(), y[:n_images].copy()
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak to the current size
    nnfs.init(0)
    model = build_cnn()
    if framework == "torch":
        import torch

        torch.set_num_threads(THREADS)
        net = torch_net(model)
        opt = torch.optim.Adam(net.parameters(), lr=CNN_BEST["learning_rate"], eps=1e-7)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1 / (1 + CNN_BEST["decay"] * t))
        before = hwm()
        torch_epoch(net, opt, sched, X, y)
    else:
        before = hwm()
        model.train(X, y, epochs=1, batch_size=CNN_BEST["batch_size"], shuffle=False, progress=False)
    print((hwm() - before) / 1024)


def speed(args) -> dict:
    try:
        import torch
    except ImportError:
        sys.exit(
            "bench/train_cnn.py speed compares nnfs with PyTorch, but torch is not installed.\n"
            "Install the CPU build with:  pip install torch==2.13.0"
        )
    torch.set_num_threads(THREADS)
    n_images, pairs = (2_560, 2) if args.quick else (args.images, args.epochs)
    X, y = split()[:2]
    order = np.random.default_rng(0).permutation(len(X))[:n_images]
    X, y = np.ascontiguousarray(X[order]), y[order]  # the same batches, in the same order
    nnfs.init(0)
    model = build_cnn()
    net = torch_net(model)
    opt = torch.optim.Adam(net.parameters(), lr=CNN_BEST["learning_rate"], eps=1e-7)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1 / (1 + CNN_BEST["decay"] * t))
    runs = {
        "nnfs": lambda: model.train(
            X, y, epochs=1, batch_size=CNN_BEST["batch_size"], shuffle=False, progress=False
        ),
        "torch": lambda: torch_epoch(net, opt, sched, X, y),
        "gemm": gemm_floor(model, n_images),
    }
    times = {k: [] for k in runs}
    for k, f in runs.items():
        f()  # warm-up
    for r in range(pairs):
        names = list(runs) if r % 2 == 0 else list(runs)[::-1]
        for k in names:
            t = time.perf_counter()
            runs[k]()
            times[k].append(time.perf_counter() - t)
        print(f"pair {r + 1}: " + ", ".join(f"{k} {times[k][-1]:.2f} s" for k in runs), flush=True)
    ratio = lambda a, b: statistics.median(x / y for x, y in zip(times[a], times[b]))
    result = dict(
        images=n_images,
        pairs=pairs,
        threads=THREADS,
        nnfs_epochs=times["nnfs"],
        torch_epochs=times["torch"],
        gemm_epochs=times["gemm"],
        ratio_vs_torch=ratio("nnfs", "torch"),
        ratio_vs_gemm=ratio("nnfs", "gemm"),
        peak_mib={k: peak_memory(k, n_images) for k in ("nnfs", "torch")},
        torch=torch.__version__,
        numpy=np.__version__,
        machine=platform.machine(),
        blas=[
            (i["internal_api"], i.get("architecture")) for i in threadpool_info() if i["user_api"] == "blas"
        ],
        date=time.strftime("%Y-%m-%d"),
    )
    print(
        f"median paired ratio nnfs / PyTorch: {result['ratio_vs_torch']:.2f}; nnfs / matrix products alone: "
        f"{result['ratio_vs_gemm']:.2f}; peak memory added by training: "
        f"nnfs {result['peak_mib']['nnfs']:.0f} MiB, "
        f"PyTorch {result['peak_mib']['torch']:.0f} MiB"
    )
    if not args.quick:
        with open(SPEED, "w") as f:
            json.dump(result, f, indent=1)
        print(f"wrote {SPEED}")
    return result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="the full training run; writes the lesson's JSON")
    t.add_argument("--max-epochs", type=int, default=15)
    t.add_argument(
        "--patience", type=int, default=3, help="stop after this many epochs without a better validation"
    )
    t.add_argument("--seed", type=int, default=0)
    t.add_argument(
        "--limit", type=int, default=None, help="first N training and validation images (a quick try)"
    )
    t.add_argument("--output", default=RESULT)
    t.add_argument("--max-minutes", type=float, default=80, help="stop training after this many minutes")
    t.add_argument("--threads", type=int, default=1, help="BLAS threads (1 is faster on a busy machine)")
    t.add_argument(
        "--mlp-from", default=None, help="the MLP's result from `train_cnn.py mlp` (else trained here)"
    )
    m = sub.add_parser("mlp", help="train lesson 20's MLP on the same split; write its result for --mlp-from")
    m.add_argument("--output", required=True)
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--threads", type=int, default=1)
    s = sub.add_parser("speed", help="nnfs vs PyTorch, paired epochs, and the GEMM floor")
    s.add_argument(
        "--quick", action="store_true", help="2,560 images, 2 paired epochs (proves that it works)"
    )
    s.add_argument("--epochs", type=int, default=5, help="paired epochs (default 5)")
    s.add_argument("--images", type=int, default=12_800, help="training images per epoch (default 12,800)")
    if argv is None and len(sys.argv) == 4 and sys.argv[1] == "_memory":  # the child process of peak_memory
        _memory_child(sys.argv[2], int(sys.argv[3]))
        return 0
    args = p.parse_args(argv)
    threadpool_limits(THREADS)
    if args.command == "train":
        threadpool_limits(args.threads)
        full_run(
            args.max_epochs,
            args.patience,
            args.seed,
            args.limit,
            args.output,
            args.max_minutes,
            args.mlp_from,
        )
    elif args.command == "mlp":
        threadpool_limits(args.threads)
        X, y, Xv, yv, Xt, yt = split()
        result = train_mlp(X, y, Xv, yv, Xt, args.seed)
        with open(args.output, "w") as f:
            json.dump(result, f)
        print(f"MLP: validation {result['val_accuracy']:.4f}; wrote {args.output}")
    else:
        speed(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
