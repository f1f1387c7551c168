"""Tests of `nnfs.datasets`: spiral, vertical and sine data (shapes, dtypes, labels, formulas, rng, errors)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnfs
from nnfs.core import NNFSError, get_rng
from nnfs.datasets import sine_data, spiral_data, vertical_data

CLASSIFICATION = [spiral_data, vertical_data]


# ---------------------------------------------------------------- shapes, dtypes, labels

@settings(max_examples=30, deadline=None)
@given(samples=st.integers(1, 60), classes=st.integers(1, 7), which=st.sampled_from(CLASSIFICATION))
def test_shapes_and_labels(samples, classes, which):
    X, y = which(samples, classes)
    assert X.shape == (samples * classes, 2)
    assert y.shape == (samples * classes,)
    assert X.dtype == np.float32 and y.dtype == np.uint8
    assert np.all(np.isfinite(X))
    # labels in blocks: `samples` zeros, then `samples` ones, ...
    np.testing.assert_array_equal(y, np.repeat(np.arange(classes), samples))


@pytest.mark.parametrize("which", CLASSIFICATION)
def test_max_classes(which):
    X, y = which(1, 256)
    assert y.max() == 255 and X.shape == (256, 2)
    with pytest.raises(NNFSError, match="classes must be <= 256"):
        which(1, 257)


# ---------------------------------------------------------------- spiral formulas

@settings(max_examples=20, deadline=None)
@given(samples=st.integers(2, 80), classes=st.integers(1, 5))
def test_spiral_radius_is_linspace_per_class(samples, classes):
    X, y = spiral_data(samples, classes, dtype=np.float64)
    r = np.hypot(X[:, 0], X[:, 1])
    for k in range(classes):
        np.testing.assert_allclose(r[y == k], np.linspace(0, 1, samples), atol=1e-12)


def test_spiral_angle_formula():
    "Recompute every point from the documented formula with the same noise stream."
    samples, classes = 50, 4
    X, _ = spiral_data(samples, classes, rng=np.random.default_rng(21), dtype=np.float64)
    noise = np.random.default_rng(21).standard_normal(samples * classes).reshape(classes, samples)
    r = np.linspace(0, 1, samples)
    for k in range(classes):
        t = np.linspace(4 * k, 4 * (k + 1), samples) + 0.2 * noise[k]
        expected = np.c_[r * np.sin(2.5 * t), r * np.cos(2.5 * t)]
        np.testing.assert_allclose(X[k * samples:(k + 1) * samples], expected, atol=1e-12)


def test_spiral_float32_is_rounded_float64():
    X32, _ = spiral_data(30, 3, rng=np.random.default_rng(2), dtype=np.float32)
    X64, _ = spiral_data(30, 3, rng=np.random.default_rng(2), dtype=np.float64)
    np.testing.assert_array_equal(X32, X64.astype(np.float32))


def test_spiral_single_sample_is_origin():
    X, y = spiral_data(1, 3)
    np.testing.assert_array_equal(X, np.zeros((3, 2)))
    np.testing.assert_array_equal(y, [0, 1, 2])


# ---------------------------------------------------------------- vertical formulas

def test_vertical_means_and_spread():
    X, y = vertical_data(2000, 4, rng=np.random.default_rng(0), dtype=np.float64)
    for k in range(4):
        pts = X[y == k]
        # standard error of the mean is 0.1 / sqrt(2000) ~ 0.0022
        np.testing.assert_allclose(pts.mean(axis=0), [k / 3, 0.5], atol=0.012)
        np.testing.assert_allclose(pts.std(axis=0), [0.1, 0.1], atol=0.01)


def test_vertical_formula_with_same_noise():
    X, _ = vertical_data(10, 2, rng=np.random.default_rng(8), dtype=np.float64)
    g = np.random.default_rng(8)
    for k in range(2):
        a, b = g.standard_normal(10), g.standard_normal(10)
        np.testing.assert_allclose(X[10 * k:10 * (k + 1)], np.c_[a * 0.1 + k / 3, b * 0.1 + 0.5], atol=1e-15)


# ---------------------------------------------------------------- sine

@settings(max_examples=20, deadline=None)
@given(samples=st.integers(1, 3000), dt=st.sampled_from([np.float32, np.float64]))
def test_sine_exact(samples, dt):
    X, y = sine_data(samples, dtype=dt)
    grid = np.arange(samples) / samples
    assert X.shape == y.shape == (samples, 1)
    assert X.dtype == y.dtype == np.dtype(dt)
    np.testing.assert_array_equal(X[:, 0], grid.astype(dt))
    np.testing.assert_array_equal(y[:, 0], np.sin(2 * np.pi * grid).astype(dt))


def test_sine_default_and_known_values():
    X, y = sine_data()
    assert X.shape == (1000, 1) and X.dtype == np.float32
    assert X[0, 0] == 0 and y[0, 0] == 0
    np.testing.assert_allclose(y[[250, 500, 750], 0], [1, 0, -1], atol=1e-6)
    assert X.max() < 1


def test_sine_uses_no_randomness():
    init_state = get_rng().bit_generator.state
    global_state = np.random.get_state()
    a = sine_data(100)
    b = sine_data(100)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert get_rng().bit_generator.state == init_state
    assert all(np.array_equal(p, q) for p, q in zip(global_state, np.random.get_state()))


# ---------------------------------------------------------------- rng argument

@pytest.mark.parametrize("which", CLASSIFICATION)
def test_rng_argument_respected(which):
    package_state = get_rng().bit_generator.state
    X1, _ = which(40, 3, rng=np.random.default_rng(17))
    X2, _ = which(40, 3, rng=np.random.default_rng(17))
    X3, _ = which(40, 3, rng=np.random.default_rng(18))
    np.testing.assert_array_equal(X1, X2)
    assert not np.array_equal(X1, X3)
    assert get_rng().bit_generator.state == package_state  # the package generator was not used


@pytest.mark.parametrize("which", CLASSIFICATION)
def test_default_rng_is_package_generator(which):
    nnfs.init(12)
    X1, _ = which(25, 2)
    X2, _ = which(25, 2, rng=np.random.default_rng(12))
    np.testing.assert_array_equal(X1, X2)
    X3, _ = which(25, 2)  # the package generator moved on
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("which", CLASSIFICATION)
def test_explicit_rng_is_advanced(which):
    g = np.random.default_rng(1)
    a, _ = which(10, 2, rng=g)
    b, _ = which(10, 2, rng=g)
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("which", CLASSIFICATION)
@pytest.mark.parametrize("bad", [0, "seed", np.random.RandomState(0)])
def test_bad_rng(which, bad):
    with pytest.raises(NNFSError, match="numpy.random.Generator"):
        which(10, 2, rng=bad)


def test_global_numpy_state_untouched():
    before = np.random.get_state()
    spiral_data(100, 3)
    vertical_data(100, 3)
    assert all(np.array_equal(p, q) for p, q in zip(before, np.random.get_state()))


# ---------------------------------------------------------------- bad sizes

NOT_INTEGERS = [1.0, 2.5, True, False, "3", None, [3], np.float64(3.0)]


@pytest.mark.parametrize("which", CLASSIFICATION)
@pytest.mark.parametrize("value", [0, -1, -100])
def test_too_few(which, value):
    with pytest.raises(NNFSError, match=f"samples must be >= 1, got {value}"):
        which(value, 3)
    with pytest.raises(NNFSError, match=f"classes must be >= 1, got {value}"):
        which(10, value)


@pytest.mark.parametrize("which", CLASSIFICATION)
@pytest.mark.parametrize("value", NOT_INTEGERS)
def test_not_integers(which, value):
    with pytest.raises(NNFSError, match="samples must be an integer"):
        which(value, 3)
    with pytest.raises(NNFSError, match="classes must be an integer"):
        which(10, value)


@pytest.mark.parametrize("value", NOT_INTEGERS + [0, -5])
def test_sine_bad_samples(value):
    with pytest.raises(NNFSError, match="samples must be"):
        sine_data(value)


def test_numpy_integers_accepted():
    X, y = spiral_data(np.int64(5), np.uint8(2))
    assert X.shape == (10, 2)
    assert sine_data(np.int32(7))[0].shape == (7, 1)


def test_keyword_only_options():
    with pytest.raises(TypeError):
        spiral_data(10, 2, np.random.default_rng(0))
    with pytest.raises(TypeError):
        sine_data(10, np.float64)
