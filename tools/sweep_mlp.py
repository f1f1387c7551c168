"""Model selection for lesson 20 (not a benchmark): train MLP variants on Fashion-MNIST, record the
validation accuracy after every epoch, over several seeds for the best candidates, and write the small JSON
file the lesson reads (`nbs/data/mlp_sweep.json`; each run's `seconds` are in it).

Each run trains on the first 20,000 of the 50,000 training images for 8 epochs (the full model in lesson 20
trains longer on all of them); stage 1 runs every candidate with seed 0, stage 2 reruns the best three with
seeds 1 and 2: 12 runs, of the order of half an hour on two shared CPU cores (each run records its time).
One BLAS thread: results are then bit-identical on the same machine.

    python tools/sweep_mlp.py [--out nbs/data/mlp_sweep.json] [--epochs 8] [--train 20000]"""

import argparse
import json
import platform
import time

import numpy as np

import nnfs
from nnfs.core import set_threads
from nnfs.datasets import fashion_mnist_split
from nnfs.recipes import build_model

CANDIDATES = [
    {"hidden": [256, 128], "dropout": 0.0, "decay": 5e-4},
    {"hidden": [256, 128], "dropout": 0.1, "decay": 5e-4},
    {"hidden": [512, 256], "dropout": 0.0, "decay": 5e-4},
    {"hidden": [512, 256], "dropout": 0.1, "decay": 5e-4},
    {"hidden": [512, 256], "dropout": 0.2, "decay": 5e-4},
    {"hidden": [512, 256], "dropout": 0.1, "decay": 1e-4},
]


def run(candidate: dict, seed: int, data: tuple, epochs: int, n_train: int) -> dict:
    "Train one candidate with one seed; the validation accuracy after each epoch."
    X_train, y_train, X_val, y_val = data
    rng = nnfs.init(seed)
    model = build_model(tuple(candidate["hidden"]), candidate["dropout"], decay=candidate["decay"], rng=rng)
    start = time.perf_counter()
    history = model.train(
        X_train[:n_train],
        y_train[:n_train],
        epochs=epochs,
        batch_size=128,
        validation_data=(X_val, y_val),
        progress=False,
        rng=rng,
    )
    return {
        **candidate,
        "seed": seed,
        "val_accuracy": [round(float(a), 4) for a in history["val_accuracy"]],
        "seconds": round(time.perf_counter() - start, 1),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="nbs/data/mlp_sweep.json")
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--train", type=int, default=20_000)
    args = p.parse_args()
    set_threads(1)
    data = fashion_mnist_split()
    runs = []
    for c in CANDIDATES:
        runs.append(run(c, 0, data, args.epochs, args.train))
        print(runs[-1], flush=True)
    best = sorted(runs, key=lambda r: -max(r["val_accuracy"]))[:3]
    for r in best:
        for seed in (1, 2):
            runs.append(
                run({k: r[k] for k in ("hidden", "dropout", "decay")}, seed, data, args.epochs, args.train)
            )
            print(runs[-1], flush=True)
    out = {
        "epochs": args.epochs,
        "train_images": args.train,
        "validation_images": len(data[3]),
        "batch_size": 128,
        "learning_rate": 1e-3,
        "threads": 1,
        "machine": platform.machine(),
        "numpy": np.__version__,
        "runs": runs,
    }
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {args.out}: {len(runs)} runs, {sum(r['seconds'] for r in runs):.0f} s of training")


if __name__ == "__main__":
    main()
