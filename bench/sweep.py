#!/usr/bin/env python
"""nnfs against PyTorch across model sizes: a width sweep of the Fashion-MNIST MLP, in one run.

For each network (784-w-w-10 for w in 32, 128, 512, 1024, and the course's best model 784-512-256-10) it
trains
the same model three ways from the same initial weights on the same batches (128 images each): with `nnfs`
(`Model.train`, Adam with decay 1e-3), with a plain PyTorch loop and `torch.optim.Adam(fused=True)`, and with
PyTorch's default Adam. Rounds of one pass over the images each rotate the order of the three, so a machine
that
slows down hits all alike; the figures are the medians of the per-round ratios nnfs / PyTorch.

The same run measures the peak rate of one large float32 matrix product (GEMM), and profiles nnfs's training
step per network: the matrix products' share and their rate as a fraction of that peak, and Adam's share.

    python bench/sweep.py            # full sweep (a few minutes on a quiet machine); writes bench/results/
    python bench/sweep.py --quick    # two small widths, a few seconds: proves it works

Results: a JSON file in bench/results/ (git-ignored) with every timing, and with `--summary PATH` a small JSON
of the figures (lesson 21 plots bench/sweep_results.json). Benchmarks are not tests: run on a quiet machine.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

try:
    import torch
except ImportError:
    sys.exit(
        "bench/sweep.py compares nnfs with PyTorch, but torch is not installed.\n"
        "Install the CPU build with:  pip install torch==2.13.0"
    )

import nnfs
import nnfs.core
from nnfs.activations import ReLU, Softmax
from nnfs.datasets import fashion_mnist_split
from nnfs.layers import Dense
from nnfs.losses import CategoricalCrossentropy
from nnfs.model import Model
from nnfs.optimizers import Adam

BATCH, LR, DECAY, EPS = 128, 1e-3, 1e-3, 1e-7
NETWORKS = {"32": (32, 32), "128": (128, 128), "512": (512, 512), "1024": (1024, 1024), "512-256": (512, 256)}
HERE = Path(__file__).resolve().parent


def load_images(n: int) -> tuple[np.ndarray, np.ndarray]:
    "The first `n` images of the course's training split (`fashion_mnist_split`), prepared; labels as int64."
    X, y, _, _ = fashion_mnist_split()
    return X[:n], y[:n].astype(np.int64)


def nnfs_model(hidden: tuple[int, ...], seed: int) -> Model:
    "784-hidden-10 with ReLU, softmax, cross-entropy and Adam, built as a learner builds it."
    nnfs.init(seed)
    model, sizes = Model(), (784, *hidden)
    for a, b in zip(sizes[:-1], sizes[1:]):
        model.add(Dense(a, b)).add(ReLU())
    model.add(Dense(sizes[-1], 10)).add(Softmax())
    model.set(loss=CategoricalCrossentropy(), optimizer=Adam(learning_rate=LR, decay=DECAY, epsilon=EPS))
    return model.finalize()


class TorchRun:
    "The same network in PyTorch with nnfs's initial weights, trained by a plain loop with Adam."


    def __init__(self, model: Model, fused: bool):
        dense = [layer for layer in model.layers if isinstance(layer, Dense)]
        mods: list = []
        for layer in dense:
            mods += [torch.nn.Linear(layer.n_inputs, layer.n_neurons), torch.nn.ReLU()]
        self.net = torch.nn.Sequential(*mods[:-1])
        with torch.no_grad():
            for lin, layer in zip(self.net[::2], dense):
                lin.weight.copy_(torch.from_numpy(layer.weights.T))  # PyTorch stores (out, in)
                lin.bias.copy_(torch.from_numpy(layer.biases[0]))
        self.opt = torch.optim.Adam(self.net.parameters(), lr=LR, eps=EPS, fused=fused)
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, lambda t: 1 / (1 + DECAY * t))

    def train_epoch(self, X: np.ndarray, y: np.ndarray) -> float:
        "One pass over (X, y) in order, in batches of BATCH; returns the mean training loss."
        Xt, yt, total = torch.from_numpy(X), torch.from_numpy(y), 0.0
        for i in range(0, len(X), BATCH):
            xb, yb = Xt[i : i + BATCH], yt[i : i + BATCH]
            self.opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(self.net(xb), yb)
            loss.backward()
            self.opt.step()
            self.sched.step()
            total += loss.item() * len(xb)
        return total / len(X)


def peak_gemm(size: int, repeats: int) -> float:
    "GFLOP/s of the best of `repeats` float32 products of two size x size matrices (NumPy's BLAS)."
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((size, size)).astype(np.float32) for _ in range(2))
    out, best = np.empty_like(a), float("inf")
    np.matmul(a, b, out=out)
    for _ in range(repeats):
        t = time.perf_counter()
        np.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - t)
    return 2 * size**3 / best / 1e9


def gemm_flops(model: Model) -> float:
    "Floating-point operations of one training step's matrix products: forward, weight and input gradients."
    flops = 0.0
    for layer in model.layers:
        if isinstance(layer, Dense):
            products = 3 if getattr(layer, "need_dinputs", True) else 2
            flops += products * 2 * BATCH * layer.n_inputs * layer.n_neurons
    return flops


def profile(model: Model, X: np.ndarray, y: np.ndarray, steps: int) -> dict[str, float]:
    """Seconds per training step of `model.train`: in total, in the Dense layers' forward and backward passes
    (their matrix products, plus the bias add and sum), and in the optimizer's step. Timers are put on the
    instances (`layer.forward = timed(...)`) and removed afterwards."""
    clocks = {"dense": 0.0, "optimizer": 0.0}
    wrapped = []

    def timed(obj, name: str, key: str) -> None:
        f = getattr(obj, name)

        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            out = f(*args, **kwargs)
            clocks[key] += time.perf_counter() - t
            return out

        setattr(obj, name, wrapper)
        wrapped.append((obj, name))

    for layer in model.layers:
        if isinstance(layer, Dense):
            timed(layer, "forward", "dense")
            timed(layer, "backward", "dense")
    timed(model.optimizer, "step", "optimizer")
    Xs, ys = X[: steps * BATCH], y[: steps * BATCH]
    try:
        model.train(
            Xs[: 5 * BATCH], ys[: 5 * BATCH], epochs=1, batch_size=BATCH, shuffle=False, progress=False
        )
        clocks.update(dense=0.0, optimizer=0.0)
        t = time.perf_counter()
        model.train(Xs, ys, epochs=1, batch_size=BATCH, shuffle=False, progress=False)
        total = time.perf_counter() - t
    finally:
        for obj, name in wrapped:
            delattr(obj, name)
    if clocks["dense"] == 0 or clocks["optimizer"] == 0:
        raise RuntimeError(
            "profile: the timers saw no calls; Model no longer calls layer.forward/optimizer.step"
        )
    return {"step": total / steps, "dense": clocks["dense"] / steps, "optimizer": clocks["optimizer"] / steps}


def paired_rounds(
    model: Model,
    runs: dict[str, TorchRun],
    X: np.ndarray,
    y: np.ndarray,
    rounds: int,
    rng: np.random.Generator,
) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Seconds of each round (one pass over X, reshuffled per round, the same order for all) for nnfs and each
    PyTorch run; the order of the three rotates from round to round. Also the last round's mean losses."""
    jobs = {
        "nnfs": lambda Xe, ye: model.train(Xe, ye, epochs=1, batch_size=BATCH, shuffle=False, progress=False)[
            "loss"
        ][-1]
    }
    jobs.update({name: run.train_epoch for name, run in runs.items()})
    names = list(jobs)
    times: dict[str, list[float]] = {n: [] for n in names}
    losses: dict[str, float] = {}
    for r in range(rounds):
        order = rng.permutation(len(X))
        Xe, ye = X[order], y[order]
        k = r % len(names)
        for name in names[k:] + names[:k]:
            t = time.perf_counter()
            losses[name] = float(jobs[name](Xe, ye))
            times[name].append(time.perf_counter() - t)
    return times, losses


def median_ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(x / y for x, y in zip(a, b))


def measure_network(name: str, X: np.ndarray, y: np.ndarray, args) -> dict:
    "Paired rounds and the profile of one network; returns its figures."
    hidden = NETWORKS[name]
    warm = nnfs_model(hidden, args.seed)  # warm-up on throw-away copies: not timed
    warm_runs = [TorchRun(warm, fused) for fused in (True, False)]
    for _ in range(2):
        warm.train(
            X[: 10 * BATCH], y[: 10 * BATCH], epochs=1, batch_size=BATCH, shuffle=False, progress=False
        )
        for run in warm_runs:
            run.train_epoch(X[: 10 * BATCH], y[: 10 * BATCH])
    model = nnfs_model(hidden, args.seed)
    runs = {"torch_fused": TorchRun(model, fused=True), "torch_default": TorchRun(model, fused=False)}
    times, losses = paired_rounds(model, runs, X, y, args.rounds, np.random.default_rng(args.seed))
    prof = [profile(model, X, y, args.profile_steps) for _ in range(3)]
    prof_med = {k: statistics.median(p[k] for p in prof) for k in prof[0]}
    flops = gemm_flops(model)
    params = sum(layer.weights.size + layer.biases.size for layer in model.layers if isinstance(layer, Dense))
    return {
        "network": "784-" + "-".join(map(str, hidden)) + "-10",
        "width": name,
        "parameters": int(params),
        "seconds": times,
        "last_round_loss": losses,
        "ratio_fused": median_ratio(times["nnfs"], times["torch_fused"]),
        "ratio_default": median_ratio(times["nnfs"], times["torch_default"]),
        "ratio_fused_spread": [
            min(a / b for a, b in zip(times["nnfs"], times["torch_fused"])),
            max(a / b for a, b in zip(times["nnfs"], times["torch_fused"])),
        ],
        "profile_ms": {k: v * 1e3 for k, v in prof_med.items()},
        "adam_share": prof_med["optimizer"] / prof_med["step"],
        "matmul_share": prof_med["dense"] / prof_med["step"],
        "gemm_gflops": flops / prof_med["dense"] / 1e9,
    }


def environment(threads: int) -> dict:
    "Machine, library versions, BLAS and threads, and the load average at the start."
    from threadpoolctl import threadpool_info

    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in open("/proc/cpuinfo")
                if line.startswith("model name")
            ),
            platform.machine(),
        )
        if os.path.exists("/proc/cpuinfo")
        else platform.machine()
    )
    blas = [
        f"{lib.get('internal_api')} {lib.get('version')} ({lib.get('architecture')})"
        for lib in threadpool_info()
        if lib.get("user_api") == "blas"
    ]
    return {
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "nnfs": nnfs.__version__,
        "blas": blas,
        "threads": threads,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="widths 32 and 128, few images and rounds: seconds")
    ap.add_argument("--widths", nargs="+", choices=list(NETWORKS), default=None)
    ap.add_argument("--images", type=int, default=None, help="images per round (default 12,800; 1,280 quick)")
    ap.add_argument("--rounds", type=int, default=None, help="paired rounds per network (default 9; 3 quick)")
    ap.add_argument(
        "--profile-steps", type=int, default=None, help="steps per profile (default 60; 10 quick)"
    )
    ap.add_argument("--threads", type=int, default=2, help="threads for each framework (default 2)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None, help="JSON with every timing (default bench/results/)")
    ap.add_argument("--summary", type=Path, default=None, help="also write the small summary JSON here")
    args = ap.parse_args(argv)
    q = args.quick
    args.widths = args.widths or (["32", "128"] if q else list(NETWORKS))
    args.images = args.images or (1280 if q else 12_800)
    args.rounds = args.rounds or (3 if q else 9)
    args.profile_steps = args.profile_steps or (10 if q else 60)
    nnfs.core.set_threads(args.threads)
    torch.set_num_threads(args.threads)
    return run(args)


def print_table(results: list[dict]) -> None:
    "The figures of every network, one line each."
    print(f"\n{'network':>17s} {'params':>9s} {'nnfs s':>7s} {'fused s':>7s} {'dflt s':>7s} {'/fused':>6s} "
          f"{'/dflt':>6s} {'Adam %':>6s} {'GEMM %':>6s} {'GEMM GFLOP/s':>12s} {'% of peak':>9s}")
    for r in results:
        med = {k: statistics.median(v) for k, v in r["seconds"].items()}
        print(f"{r['network']:>17s} {r['parameters']:9d} {med['nnfs']:7.3f} {med['torch_fused']:7.3f} "
              f"{med['torch_default']:7.3f} {r['ratio_fused']:6.2f} {r['ratio_default']:6.2f} "
              f"{100 * r['adam_share']:6.1f} {100 * r['matmul_share']:6.1f} {r['gemm_gflops']:12.1f} "
              f"{100 * r['gemm_fraction_of_peak']:9.0f}")


def write_results(args, env: dict, peak: float, peaks: list[float], results: list[dict]) -> None:
    "Every timing to bench/results/ (or --out), and the small summary to --summary when asked."
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    report = {"environment": env, "settings": settings, "peak_gemm_gflops": peak,
              "peak_gemm_measurements": peaks, "networks": results}
    out = args.out or HERE / "results" / f"sweep-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"\nall timings: {out}")
    if args.summary is not None:
        keys = ("network", "width", "parameters", "ratio_fused", "ratio_default", "ratio_fused_spread",
                "adam_share", "matmul_share", "gemm_gflops", "gemm_fraction_of_peak", "profile_ms")
        summary = {"environment": env, "peak_gemm_gflops": peak, "images_per_round": args.images,
                   "rounds": args.rounds, "networks": [{k: r[k] for k in keys} for r in results]}
        args.summary.write_text(json.dumps(summary, indent=1) + "\n")
        print(f"summary: {args.summary}")


def run(args) -> int:
    env = environment(args.threads)
    print(f"nnfs vs PyTorch, width sweep, Adam, batch {BATCH}, {args.threads} threads each  ({env['date']})")
    print(f"machine: {env['cpu']}, {env['logical_cpus']} CPUs, load average {env['load_average']}; "
          f"numpy {env['numpy']} ({', '.join(env['blas'])}), torch {env['torch']}")
    X, y = load_images(max(args.images, args.profile_steps * BATCH))
    X, y = X[: args.images], y[: args.images]
    size, repeats = (512, 3) if args.quick else (2048, 5)
    peaks = [peak_gemm(size, repeats)]        # measured again before each network: the best is the peak
    print(f"{len(X)} images per round, {args.rounds} rounds per network")
    results = []
    for name in args.widths:
        peaks.append(peak_gemm(size, repeats))
        r = measure_network(name, X, y, args)
        results.append(r)
        print(f"  {r['network']}: nnfs / fused {r['ratio_fused']:.2f}, / default {r['ratio_default']:.2f}, "
              f"Adam {100 * r['adam_share']:.1f}% of the step", flush=True)
    peaks.append(peak_gemm(size, repeats))
    peak = max(peaks)
    for r in results: r["gemm_fraction_of_peak"] = r["gemm_gflops"] / peak
    env["load_average_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    print(f"peak float32 GEMM ({size}^3, best of {len(peaks)} measurements): {peak:.1f} GFLOP/s")
    print_table(results)
    write_results(args, env, peak, peaks, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
