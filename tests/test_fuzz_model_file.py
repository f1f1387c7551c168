"""Fuzzing the model-file loader in CI: damaged and hostile files must give `ModelFileError`, nothing else.

The mutations are those of `bench/fuzz_model_file.py` (which runs 100,000 cases outside CI): byte flips,
flips inside `.npy` headers, truncations, JSON and array edits, members recompressed with bzip2/LZMA, bombs,
lies about declared sizes and hostile header shapes, applied to a real-sized 784-128-10 model (stored and
deflated, with optimizer state) and to small models. Each variant must load as a working model or raise
`ModelFileError`; any other exception, or a case over 2 s, fails and names the seed and mutation."""

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

from nnfs.activations import ReLU, Softmax
from nnfs.layers import Dense
from nnfs.model import Model
from nnfs.serialization import ModelFileError, load_parameters, save_parameters

_spec = importlib.util.spec_from_file_location(
    "fuzz_model_file", Path(__file__).parent.parent / "bench" / "fuzz_model_file.py"
)
fuzz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz)

CASE_SECONDS = 2.0
CASES = {"flip": 150, "header": 150, "truncate": 60, "structural": 200, "methods": 12, "sizes": 80}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return fuzz.valid_files(str(tmp_path_factory.mktemp("valid")))


@pytest.mark.parametrize("family", list(CASES))
@pytest.mark.parametrize("start", ["real", "real-deflate", "classifier", "binary", "regression"])
def test_fuzz_load_model(files, tmp_path, family, start):
    rng = np.random.default_rng([sum(family.encode()), sum(start.encode())])
    n = CASES[family] if start.startswith("real") else CASES[family] // 3 + 1
    for case in range(n):
        data, what = fuzz.MUTATIONS[family](files[start], rng)
        result, seconds = fuzz.run_case(str(tmp_path / "case.npz"), data)
        assert result in ("ok", "refused"), f"{start} case {case} ({what}): {result}"
        assert seconds < CASE_SECONDS, f"{start} case {case} ({what}) took {seconds:.2f} s"


def test_valid_files_load(files, tmp_path):
    for name, data in files.items():
        assert fuzz.run_case(str(tmp_path / "ok.npz"), data)[0] == "ok", name


def test_fuzz_load_parameters(tmp_path):
    rng = np.random.default_rng(7)
    model = Model([Dense(784, 64, rng=rng), ReLU(), Dense(64, 10, rng=rng), Softmax()]).finalize()
    save_parameters(model, tmp_path / "p.npz")
    data = (tmp_path / "p.npz").read_bytes()
    for case in range(300):
        family = ["flip", "header", "truncate", "sizes", "methods"][case % 5]
        mutated, what = fuzz.MUTATIONS[family](data, rng)
        (tmp_path / "case.npz").write_bytes(mutated)
        target = Model([Dense(784, 64), ReLU(), Dense(64, 10), Softmax()]).finalize()
        try:
            load_parameters(target, tmp_path / "case.npz")
        except ModelFileError:
            continue
        assert np.all(np.isfinite(target.layers[0].weights)), what
    os.remove(tmp_path / "case.npz")
