"""Shared test helpers.

PyTorch is the independent oracle of the gradient and optimizer tests. It is not a dependency of
`nnfs`: `.ci/run` installs it. Locally, tests that need it are skipped when it is missing; in CI
(`CI=true`) a missing torch fails those tests, so the oracle can never silently vanish."""

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

# the project root, so that tests import the project's tools (`from tools import fuzz_model_file`) however
# pytest is started (`pytest` or `python -m pytest`, from any folder)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import nnfs  # noqa: E402


def _truthy(v: str | None) -> bool:
    return (v or "").strip().lower() not in ("", "0", "false", "no")


IN_CI = _truthy(os.environ.get("CI"))


def pytest_configure(config):
    "The `slow` marker: long property and fuzz tests (`pytest -m 'not slow'` skips them while you work)."
    config.addinivalue_line("markers", "slow: a long test (fuzzing, many examples); CI runs it")

# Property tests: no per-example deadline (machines here are shared, and timing is not what they test); in CI
# the examples are derived from each test's name, so a CI run is repeatable (a failure prints its reproducing
# blob).
settings.register_profile("nnfs", deadline=None, print_blob=True)
settings.register_profile("nnfs-ci", deadline=None, print_blob=True, derandomize=True)
settings.load_profile("nnfs-ci" if IN_CI else "nnfs")


@pytest.fixture
def torch():
    "The `torch` module; skip (or, in CI, fail) when it is not installed."
    try:
        import torch as _torch
    except ImportError:
        if IN_CI:
            pytest.fail("torch is not installed but CI=true: the PyTorch oracle tests must run in CI")
        pytest.skip("torch not installed (pip install torch==2.13.0)")
    _torch.set_num_threads(1)
    return _torch


@pytest.fixture(autouse=True)
def _seed_nnfs():
    "Every test starts from the package's default state: seed 0, float32, BLAS threads as the library chose."
    nnfs.init(0, np.float32)
    yield
    nnfs.init(0, np.float32)
    if nnfs.core.get_threads() is not None:
        nnfs.core.set_threads(None)
