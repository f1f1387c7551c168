"""Tests of `nnfs.core`: the package's own seeded generator and float dtype, and argument checking."""
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnfs
from nnfs.core import NNFSError, check_int, get_dtype, get_rng, init
from nnfs.datasets import sine_data, spiral_data, vertical_data


def _global_state_equal(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b))


# ---------------------------------------------------------------- reproducibility

def test_init_returns_the_package_generator():
    rng = init(3)
    assert isinstance(rng, np.random.Generator)
    assert get_rng() is rng
    assert nnfs.init is init and nnfs.get_rng is get_rng and nnfs.get_dtype is get_dtype


def test_same_seed_same_draws():
    init(42)
    a = get_rng().standard_normal(20)
    b = get_rng().integers(0, 1000, 5)
    init(42)
    np.testing.assert_array_equal(get_rng().standard_normal(20), a)
    np.testing.assert_array_equal(get_rng().integers(0, 1000, 5), b)


def test_seed_means_default_rng_of_that_seed():
    init(7)
    np.testing.assert_array_equal(get_rng().standard_normal(10), np.random.default_rng(7).standard_normal(10))


def test_different_seeds_differ():
    init(0)
    a = get_rng().standard_normal(10)
    init(1)
    b = get_rng().standard_normal(10)
    assert not np.array_equal(a, b)


def test_generator_advances():
    init(0)
    a = get_rng().standard_normal(10)
    b = get_rng().standard_normal(10)
    assert not np.array_equal(a, b)


def test_seed_none_is_fresh_entropy():
    init(None)
    a = get_rng().standard_normal(10)
    init(None)
    b = get_rng().standard_normal(10)
    assert not np.array_equal(a, b)


def test_same_seed_same_datasets():
    init(5)
    X1, y1 = spiral_data(50, 3)
    V1, w1 = vertical_data(20, 2)
    init(5)
    X2, y2 = spiral_data(50, 3)
    V2, w2 = vertical_data(20, 2)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(V1, V2)
    np.testing.assert_array_equal(w1, w2)
    init(6)
    assert not np.array_equal(spiral_data(50, 3)[0], X1)


_SCRIPT = """
import hashlib, numpy as np, nnfs
from nnfs.datasets import spiral_data, vertical_data
nnfs.init(11)
X, y = spiral_data(40, 3)
V, _ = vertical_data(10, 2)
w = nnfs.get_rng().standard_normal(5)
print(hashlib.sha256(X.tobytes() + y.tobytes() + V.tobytes() + w.tobytes()).hexdigest())
"""


def test_same_data_run_after_run():
    "Two fresh interpreters seeded alike produce byte-identical data, equal to this process's."
    outs = [subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, check=True).stdout.strip()
            for _ in range(2)]
    import hashlib
    init(11)
    X, y = spiral_data(40, 3)
    V, _ = vertical_data(10, 2)
    w = get_rng().standard_normal(5)
    here = hashlib.sha256(X.tobytes() + y.tobytes() + V.tobytes() + w.tobytes()).hexdigest()
    assert outs[0] == outs[1] == here


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**64))
def test_any_seed_reproducible(seed):
    init(seed)
    a = get_rng().random(4)
    init(seed)
    np.testing.assert_array_equal(get_rng().random(4), a)


def test_numpy_global_state_untouched():
    before = np.random.get_state()
    init(99)
    get_rng().standard_normal(100)
    init(3, np.float64)
    spiral_data(30, 3)
    vertical_data(30, 3)
    sine_data(30)
    assert _global_state_equal(before, np.random.get_state())


def test_explicit_rng_is_returned_and_package_rng_unchanged():
    init(0)
    state = get_rng().bit_generator.state
    mine = np.random.default_rng(3)
    assert get_rng(mine) is mine
    assert get_rng().bit_generator.state == state


# ---------------------------------------------------------------- dtype

def test_default_dtype_is_float32():
    assert get_dtype() == np.float32
    assert spiral_data(5, 2)[0].dtype == np.float32


@pytest.mark.parametrize("dt", [np.float32, np.float64, "float32", "float64", np.dtype("float64"), float])
def test_init_dtype_respected(dt):
    init(0, dt)
    expected = np.dtype(dt)
    assert get_dtype() == expected
    assert spiral_data(5, 2)[0].dtype == expected
    assert vertical_data(5, 2)[0].dtype == expected
    X, y = sine_data(5)
    assert X.dtype == y.dtype == expected


def test_explicit_dtype_wins():
    init(0, np.float64)
    assert get_dtype(np.float32) == np.float32
    assert spiral_data(5, 2, dtype=np.float32)[0].dtype == np.float32
    init(0, np.float32)
    assert get_dtype("float64") == np.float64
    assert vertical_data(5, 2, dtype="float64")[0].dtype == np.float64


def test_dtype_does_not_change_the_draws():
    init(4, np.float32)
    a = spiral_data(20, 2)[0]
    init(4, np.float64)
    b = spiral_data(20, 2)[0]
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert b.dtype == np.float64


# ---------------------------------------------------------------- bad arguments

@pytest.mark.parametrize("seed", [-1, -(2**40), 1.5, 0.0, True, False, "0", [0], np.float64(1.0)])
def test_bad_seed(seed):
    with pytest.raises(NNFSError, match="seed must be a non-negative integer"):
        init(seed)


def test_numpy_integer_seed_ok():
    init(np.int64(5))
    np.testing.assert_array_equal(get_rng().random(3), np.random.default_rng(5).random(3))


@pytest.mark.parametrize("dt", [int, np.int64, np.int32, np.uint8, bool, np.float16, np.complex128, "nonsense", "int",
                                None, object, "U3"])
def test_bad_dtype(dt):
    with pytest.raises(NNFSError, match="float32 or float64"):
        init(0, dt)


@pytest.mark.parametrize("dt", [int, np.float16, "nonsense", object])
def test_bad_explicit_dtype(dt):
    with pytest.raises(NNFSError, match="float32 or float64"):
        get_dtype(dt)
    with pytest.raises(NNFSError, match="float32 or float64"):
        spiral_data(5, 2, dtype=dt)


def test_failed_init_changes_nothing():
    rng = init(8, np.float64)
    for args in [(-1,), (1.5,), (0, "nonsense"), (0, np.int64)]:
        with pytest.raises(NNFSError):
            init(*args)
    assert get_rng() is rng
    assert get_dtype() == np.float64


@pytest.mark.parametrize("bad", [42, np.random.RandomState(0), "rng", np.random.PCG64(0)])
def test_bad_rng(bad):
    with pytest.raises(NNFSError, match="numpy.random.Generator"):
        get_rng(bad)


def test_nnfserror_is_valueerror():
    assert issubclass(NNFSError, ValueError)
    with pytest.raises(ValueError):
        init(-1)


# ---------------------------------------------------------------- check_int

@pytest.mark.parametrize("value", [1, 7, np.int64(7), np.uint8(7), np.int32(1), 10**20])
def test_check_int_accepts(value):
    out = check_int("n", value)
    assert out == value and type(out) is int


@pytest.mark.parametrize("value", [1.0, 2.5, True, False, np.bool_(True), "3", None, [3], np.array(3.0), np.float32(2)])
def test_check_int_rejects_non_integers(value):
    with pytest.raises(NNFSError, match="n_things must be an integer"):
        check_int("n_things", value)


@pytest.mark.parametrize("value,minimum", [(0, 1), (-3, 1), (4, 5), (-1, 0)])
def test_check_int_minimum(value, minimum):
    with pytest.raises(NNFSError, match=f"count must be >= {minimum}, got {value}"):
        check_int("count", value, minimum)


def test_check_int_minimum_zero():
    assert check_int("n", 0, minimum=0) == 0


@settings(max_examples=50, deadline=None)
@given(value=st.integers(-1000, 1000), minimum=st.integers(-10, 10))
def test_check_int_property(value, minimum):
    if value >= minimum:
        assert check_int("v", value, minimum) == value
    else:
        with pytest.raises(NNFSError, match="v must be >="):
            check_int("v", value, minimum)
