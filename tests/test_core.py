"""Tests of `nnfs.core`: the package's seeded generators and float dtype, argument checks, `as_column`,
`atomic_write`, `progress_bar` and the BLAS thread limit."""
import io
import os
import random
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnfs
from nnfs.core import (
    FLOAT_DTYPES,
    NNFSError,
    as_column,
    atomic_write,
    check_float,
    check_int,
    get_dtype,
    get_rng,
    get_threads,
    init,
    progress_bar,
    set_threads,
)
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
    outs = [subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, check=True)
            .stdout.strip() for _ in range(2)]
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


def test_package_functions_leave_global_generators_alone():
    "Only `init` touches NumPy's and Python's global generators: drawing data from the package does not."
    import random
    init(99)
    before, py_before = np.random.get_state(), random.getstate()
    get_rng().standard_normal(100)
    spiral_data(30, 3)
    vertical_data(30, 3)
    sine_data(30)
    get_rng(np.random.default_rng(1)).random(3)
    assert _global_state_equal(before, np.random.get_state())
    assert random.getstate() == py_before


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


@pytest.mark.parametrize("dt", [int, np.int64, np.int32, np.uint8, bool, np.float16, np.complex128,
                                "nonsense", "int", None, object, "U3"])
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
    for args in [(-1,), (1.5,), (0, "nonsense"), (0, np.int64), (0, np.float32, 0), (0, np.float32, 2.0)]:
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


@pytest.mark.parametrize("value", [1.0, 2.5, True, False, np.bool_(True), "3", None, [3], np.array(3.0),
                                   np.float32(2)])
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


# ---------------------------------------------------------------- the global generators (the book's code)

_BOOK_SCRIPT = "import nnfs, numpy as np; nnfs.init(); print(repr(np.random.randn(2, 3).tolist()))"


def test_book_code_reproducible_across_processes():
    "`import nnfs; nnfs.init(); np.random.randn(2, 3)` prints the same numbers in two fresh interpreters,"
    " the numbers `np.random.seed(0); np.random.randn(2, 3)` gives."
    outs = [subprocess.run([sys.executable, "-c", _BOOK_SCRIPT], capture_output=True, text=True, check=True)
            .stdout for _ in range(2)]
    assert outs[0] == outs[1]
    np.random.seed(0)
    expected = np.random.randn(2, 3)
    np.testing.assert_array_equal(np.array(eval(outs[0])), expected)
    assert expected[0, 0] == pytest.approx(1.764052345967664, abs=1e-15)


_NO_INIT_SCRIPT = "import nnfs; print(repr(nnfs.get_rng().random(3).tolist()), nnfs.get_dtype())"


def test_package_generator_before_init_is_seed_zero():
    "Without any `init` call, a fresh interpreter draws what `init()` (seed 0) gives: float32, seed 0."
    out = subprocess.run([sys.executable, "-c", _NO_INIT_SCRIPT], capture_output=True, text=True,
                         check=True).stdout.split()
    np.testing.assert_array_equal(np.array(eval(" ".join(out[:-1]))), init().random(3))
    assert out[-1] == "float32"


@pytest.mark.parametrize("seed", [0, 5, 2**32 - 1])
def test_init_seeds_numpy_and_python_globals(seed):
    np.random.seed(12345)
    random.seed(12345)
    init(seed)
    got_np, got_py = np.random.randn(4), [random.random() for _ in range(3)]
    np.random.seed(seed)
    random.seed(seed)
    np.testing.assert_array_equal(got_np, np.random.randn(4))
    assert got_py == [random.random() for _ in range(3)]


@pytest.mark.parametrize("seed", [2**32, 2**64, 2**64 + 1])
def test_init_big_seeds_seed_numpy_globals_reproducibly(seed):
    init(seed)
    a, pa = np.random.randn(3), random.random()
    init(seed)
    np.testing.assert_array_equal(np.random.randn(3), a)
    assert random.random() == pa
    init(seed + 1)
    assert not np.array_equal(np.random.randn(3), a)
    init(seed % 2**32)
    assert not np.array_equal(np.random.randn(3), a)


def test_init_big_seeds_differing_only_in_bit_32_differ():
    "Seeds above 2**32 go into NumPy's global generator whole: seeds that differ in any bit, bit 32"
    " included, give different `np.random` streams."
    init(2**33)
    a = np.random.randn(3)
    init(2**33 + 2**32)
    assert not np.array_equal(np.random.randn(3), a)
    init(2**33 + 2**32)
    np.random.seed([0, 3])  # the seed's 32-bit words, low first
    b = np.random.randn(3)
    init(2**33 + 2**32)
    np.testing.assert_array_equal(np.random.randn(3), b)


def test_init_none_does_not_reseed_globals():
    np.random.seed(3)
    random.seed(3)
    np_state, py_state = np.random.get_state(), random.getstate()
    init(None)
    assert _global_state_equal(np_state, np.random.get_state())
    assert random.getstate() == py_state


def test_failed_init_leaves_globals_alone():
    np.random.seed(4)
    state = np.random.get_state()
    with pytest.raises(NNFSError):
        init(1, np.int32)
    with pytest.raises(NNFSError):
        init(1, threads=0)
    assert _global_state_equal(state, np.random.get_state())


def test_init_never_patches_numpy():
    funcs = (np.dot, np.zeros, np.eye, np.random.randn, np.matmul)
    init(0)
    init(1, np.float64)
    assert (np.dot, np.zeros, np.eye, np.random.randn, np.matmul) == funcs
    assert np.random.randn(2).dtype == np.float64 and np.zeros(2).dtype == np.float64


# ---------------------------------------------------------------- threads

def _blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_threads_init_and_restore():
    original = _blas_threads()
    if not original: pytest.skip("no BLAS library visible to threadpoolctl")
    try:
        init(0, threads=1)
        assert _blas_threads() == [1] * len(original)
        assert get_threads() == 1
        assert set_threads(np.int64(1)) == 1 and type(get_threads()) is int
        assert set_threads(None) is None
        assert get_threads() is None
        assert _blas_threads() == original
    finally:
        set_threads(None)


def test_set_threads_twice_restores_the_first_default():
    original = _blas_threads()
    if not original: pytest.skip("no BLAS library visible to threadpoolctl")
    try:
        set_threads(1)
        set_threads(1)
        set_threads(None)
        assert _blas_threads() == original
    finally:
        set_threads(None)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_bad_threads(bad):
    with pytest.raises(NNFSError, match="threads must be"):
        set_threads(bad)
    with pytest.raises(NNFSError, match="threads must be"):
        init(0, threads=bad)
    assert get_threads() is None


@pytest.mark.parametrize("huge", [10_000, 2**63, 2**64, 10**30])
def test_set_threads_caps_at_the_processors_with_a_warning(huge):
    "More threads than processors only compete: the count is capped, with a warning naming both numbers."
    import nnfs.core as core
    cpus = core._cpu_count()
    try:
        with pytest.warns(UserWarning, match=rf"set_threads: {huge} threads asked for, "
                                             rf"but {cpus} processors are available; using {cpus}"):
            assert set_threads(huge) == cpus
        assert get_threads() == cpus
        if _blas_threads(): assert set(_blas_threads()) == {cpus}
        with pytest.warns(UserWarning, match="using"):
            init(0, threads=huge)
        assert get_threads() == cpus
    finally:
        set_threads(None)


def test_set_threads_up_to_the_processors_gives_no_warning(monkeypatch):
    import warnings

    import nnfs.core as core
    monkeypatch.setattr(core, "_cpu_count", lambda: 4)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert set_threads(4) == 4 and get_threads() == 4
        with pytest.warns(UserWarning, match="using 4"):
            assert set_threads(5) == 4
    finally:
        set_threads(None)


def test_cpu_count_is_what_this_process_may_use():
    import nnfs.core as core
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert core._cpu_count() == expected >= 1


# ---------------------------------------------------------------- patch_to

def test_patch_to_attaches_a_method_and_returns_the_function():
    from nnfs.core import patch_to

    class Box:
        def __init__(self, v): self.v = v

    @patch_to(Box)
    def doubled(self): return 2 * self.v

    assert Box(3).doubled() == 6 and Box.doubled is doubled     # the function itself, returned unchanged

    @patch_to(Box, as_prop=True)
    def half(self): return self.v / 2

    assert Box(3).half == 1.5 and isinstance(Box.__dict__["half"], property)

    @patch_to(Box)
    def doubled(self): return -self.v                           # a later cell replaces the method

    assert Box(3).doubled() == -3


# ---------------------------------------------------------------- check_float

def test_float_dtypes():
    assert FLOAT_DTYPES == (np.dtype(np.float32), np.dtype(np.float64))


@pytest.mark.parametrize("value", [0.5, 1, np.float32(0.25), np.float64(0.75), np.int64(1), np.uint8(0), 0])
def test_check_float_accepts_real_numbers(value):
    out = check_float("rate", value, 0, 1)
    assert out == float(value) and type(out) is float


@pytest.mark.parametrize("value", [True, False, np.bool_(True), "0.5", None, [0.5], 1j, np.array([0.5])])
def test_check_float_rejects_non_reals(value):
    with pytest.raises(NNFSError, match="rate must be a real number, got"):
        check_float("rate", value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), np.float32("nan"),
                                   np.float64("inf")])
def test_check_float_rejects_non_finite(value):
    with pytest.raises(NNFSError, match="rate must be finite"):
        check_float("rate", value)


def test_check_float_closed_bounds():
    assert check_float("x", 0.0, 0.0, 1.0) == 0.0
    assert check_float("x", 1.0, 0.0, 1.0) == 1.0
    with pytest.raises(NNFSError, match=r"^x must be >= 0.0, got -1e-12$"):
        check_float("x", -1e-12, 0.0, 1.0)
    with pytest.raises(NNFSError, match=r"^x must be <= 1.0, got 1.000001$"):
        check_float("x", 1.000001, 0.0, 1.0)


def test_check_float_open_bounds():
    assert check_float("x", 1e-12, 0, 1, low_open=True, high_open=True) == 1e-12
    assert check_float("x", 0.999999, 0, 1, low_open=True, high_open=True) == 0.999999
    with pytest.raises(NNFSError, match=r"^x must be > 0, got 0.0$"):
        check_float("x", 0.0, 0, 1, low_open=True)
    with pytest.raises(NNFSError, match=r"^x must be < 1, got 1.0$"):
        check_float("x", 1.0, 0, 1, high_open=True)
    assert check_float("x", 1.0, 0, 1, low_open=True) == 1.0    # only the named end is open
    assert check_float("x", 0.0, 0, 1, high_open=True) == 0.0


def test_check_float_one_sided_and_unbounded():
    assert check_float("x", -1e300) == -1e300
    assert check_float("x", 1e300, low=0) == 1e300
    assert check_float("x", -1e300, high=0) == -1e300
    with pytest.raises(NNFSError, match="x must be >= 0"):
        check_float("x", -0.5, low=0)
    with pytest.raises(NNFSError, match="x must be <= 0"):
        check_float("x", 0.5, high=0)


# ---------------------------------------------------------------- as_column

def test_as_column():
    col = as_column(np.array([1.0, 2.0, 3.0]))
    assert col.shape == (3, 1)
    np.testing.assert_array_equal(col[:, 0], [1.0, 2.0, 3.0])
    assert as_column([4, 5]).shape == (2, 1)
    assert as_column(np.array([], dtype=np.float32)).shape == (0, 1)
    assert as_column(np.array([7])).shape == (1, 1)
    two_d = np.zeros((4, 2))
    assert as_column(two_d) is two_d
    assert as_column(np.zeros((0, 3))).shape == (0, 3)
    assert as_column(np.float32(2.0)).shape == ()


# ---------------------------------------------------------------- atomic_write

def _mode(p) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".nnfs-tmp-"))


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize("umask,expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_write_new_file_mode_follows_umask(tmp_path, umask, expected):
    old = os.umask(umask)
    try:
        with atomic_write(tmp_path / "new.bin") as f:
            f.write(b"abc")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "new.bin") == expected
    assert (tmp_path / "new.bin").read_bytes() == b"abc"
    assert _temps(tmp_path) == []


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o755])
def test_atomic_write_replacing_keeps_mode(tmp_path, mode):
    p = tmp_path / "model.bin"
    p.write_bytes(b"old")
    os.chmod(p, mode)
    old = os.umask(0o022)
    try:
        with atomic_write(p) as f:
            f.write(b"new")
    finally:
        os.umask(old)
    assert p.read_bytes() == b"new"
    assert _mode(p) == mode


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_atomic_write_through_symlink(tmp_path):
    target = tmp_path / "real" / "data.txt"
    target.parent.mkdir()
    target.write_text("old")
    os.chmod(target, 0o600)
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    with atomic_write(link, "w") as f:
        f.write("new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new" and link.read_text() == "new"
    assert _mode(target) == 0o600
    assert _temps(tmp_path) == [] and _temps(target.parent) == []


def test_atomic_write_long_file_name(tmp_path):
    p = tmp_path / ("n" * 250)
    with atomic_write(p) as f:
        f.write(b"x")
    assert p.read_bytes() == b"x"
    assert _temps(tmp_path) == []


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_atomic_write_failure_keeps_old_file(tmp_path, error):
    p = tmp_path / "keep.bin"
    p.write_bytes(b"old content")
    with pytest.raises(error):
        with atomic_write(p) as f:
            f.write(b"half of the new")
            raise error("stop")
    assert p.read_bytes() == b"old content"
    assert _temps(tmp_path) == []
    assert sorted(x.name for x in tmp_path.iterdir()) == ["keep.bin"]


def test_atomic_write_failure_on_new_file_leaves_nothing(tmp_path):
    with pytest.raises(ValueError):
        with atomic_write(tmp_path / "never.bin") as f:
            f.write(b"x")
            raise ValueError("stop")
    assert list(tmp_path.iterdir()) == []


def _dead_pid() -> int:
    "The number of a process that has ended."
    import subprocess

    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_atomic_write_removes_stale_temps_only(tmp_path):
    "Only its own temporary files (named as it names them) of a process that has ended, older than an hour."
    now, dead = time.time(), _dead_pid()
    ages = {"stale": 3700, "oldfresh": 3500, "newfresh": 0}
    for name, age in ages.items():
        p = tmp_path / f".nnfs-tmp-{dead}-{name:_<8}.part"
        p.write_bytes(b"")
        os.utime(p, (now - age, now - age))
    alive = tmp_path / f".nnfs-tmp-{os.getpid()}-running_.part"   # its process runs
    other = tmp_path / ".nnfs-tmp-stale"                          # not a name it makes
    for p in (alive, tmp_path / ".other-old", other):
        p.write_bytes(b"")
        os.utime(p, (now - 10**6, now - 10**6))
    with atomic_write(tmp_path / "out.bin") as f:
        f.write(b"1")
    assert _temps(tmp_path) == sorted([other.name, f".nnfs-tmp-{dead}-newfresh.part",
                                       f".nnfs-tmp-{dead}-oldfresh.part", alive.name])
    assert (tmp_path / ".other-old").exists()


def test_atomic_write_stale_temps_exactly_one_hour_old_are_kept(tmp_path, monkeypatch):
    "Temporary files are removed when *older* than an hour: 3600 s old stays, 3601 s old goes."
    import nnfs.core as core

    now, dead = 1_700_000_000, _dead_pid()
    monkeypatch.setattr(core, "time", type("Clock", (), {"time": staticmethod(lambda: float(now))}))
    for name, age in {"hour____": 3600, "hoursec_": 3601}.items():
        p = tmp_path / f".nnfs-tmp-{dead}-{name}.part"
        p.write_bytes(b"")
        os.utime(p, ns=((now - age) * 10**9, (now - age) * 10**9))
    with atomic_write(tmp_path / "out.bin") as f:
        f.write(b"1")
    assert _temps(tmp_path) == [f".nnfs-tmp-{dead}-hour____.part"]


def test_atomic_write_text_and_binary(tmp_path):
    with atomic_write(tmp_path / "t.txt", "w") as f:
        f.write("héllo\n")
    assert (tmp_path / "t.txt").read_bytes() == "héllo\n".encode("utf-8")
    with atomic_write(tmp_path / "b.bin") as f:
        f.write(b"\x00\xff")
        with pytest.raises(TypeError):
            f.write("text")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\xff"
    with atomic_write(str(tmp_path / "s.bin")) as f:   # a str path works too
        f.write(b"s")
    assert (tmp_path / "s.bin").read_bytes() == b"s"


@pytest.mark.parametrize("mode", ["a", "r", "wb+", "w+", "x", "ab"])
def test_atomic_write_bad_mode(tmp_path, mode):
    with pytest.raises(NNFSError, match=re.escape(f"atomic_write: mode must be 'wb' or 'w', got '{mode}'")):
        with atomic_write(tmp_path / "m.bin", mode):
            pass
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_refuses_folder(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    with pytest.raises(NNFSError, match="folder: it is a folder, not a file"):
        with atomic_write(folder):
            pass
    assert folder.is_dir() and list(folder.iterdir()) == []


def test_atomic_write_missing_folder(tmp_path):
    with pytest.raises(NNFSError, match="the folder .*nope does not exist"):
        with atomic_write(tmp_path / "nope" / "x.bin") as f:
            f.write(b"x")


# ---------------------------------------------------------------- progress_bar

def test_progress_bar_disabled_is_none():
    assert progress_bar(10, enabled=False) is None
    assert progress_bar(10, False, desc="x") is None


def test_progress_bar_enabled():
    out = io.StringIO()
    bar = progress_bar(7, desc="epochs", file=out, leave=False)
    try:
        assert bar.total == 7 and bar.desc.startswith("epochs")
        assert bar.mininterval == 0.5 and not bar.dynamic_ncols and bar.ncols <= 80
        bar.update(7)
    finally:
        bar.close()
