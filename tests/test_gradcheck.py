"""The gradient checker of lesson 07, and through it every backward pass exported by lesson 08.

`numerical_gradient` is first tested on functions with known gradients; `gradcheck` then proves Dense, ReLU,
Softmax, CategoricalCrossentropy and SoftmaxCrossEntropy on random shapes (batch size 1 included), with labels
as class indices and as one-hot rows. Deliberately broken subclasses prove that the checker fails, and says where."""
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from nnfs.activations import ReLU, Softmax, softmax
from nnfs.core import NNFSError
from nnfs.gradcheck import GradcheckResult, gradcheck, numerical_gradient
from nnfs.layers import Dense
from nnfs.losses import CategoricalCrossentropy, SoftmaxCrossEntropy

SETTINGS = settings(max_examples=25, deadline=None)
sizes = st.integers(1, 6)
seeds = st.integers(0, 2**32 - 1)


def away_from_zero(x: np.ndarray, gap: float = 1e-3) -> np.ndarray:
    "Move every entry at least `gap` away from 0 (ReLU's kink), keeping its sign."
    return np.where(x >= 0, x + gap, x - gap)


def labels_for(rng, n: int, k: int, one_hot: bool) -> np.ndarray:
    idx = rng.integers(0, k, size=n)
    return np.eye(k, dtype=np.float32)[idx] if one_hot else idx


# ---------------------------------------------------------------- numerical_gradient on known functions

def test_numerical_gradient_known_functions():
    x = np.array([[1.0, -2.0, 3.0], [0.5, 0.0, -1.5]])
    np.testing.assert_allclose(numerical_gradient(lambda a: np.sum(a**2), x), 2 * x, atol=1e-8)
    np.testing.assert_allclose(numerical_gradient(lambda v: v[0] * v[1], np.array([3.0, -4.0])), [-4.0, 3.0], atol=1e-8)
    t = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(numerical_gradient(lambda v: np.sin(v).sum(), t), np.cos(t), atol=1e-9)
    np.testing.assert_allclose(numerical_gradient(lambda v: np.exp(v).sum(), t), np.exp(t), rtol=1e-6)   # |f| ~ 50: rounding noise ~ 50 * 1e-16 / 1e-6
    # a 0-d input and a scalar-valued function of a matrix
    np.testing.assert_allclose(numerical_gradient(lambda v: v**3, np.array(2.0)), 12.0, rtol=1e-9)
    A = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(numerical_gradient(lambda m: np.sum(m * A), np.ones((2, 3))), A, atol=1e-8)


def test_numerical_gradient_float64_and_input_untouched():
    x32 = np.array([[0.1, 0.2], [0.3, 0.4]], dtype=np.float32)
    before = x32.copy()
    seen = []
    g = numerical_gradient(lambda a: (seen.append(a.dtype), np.sum(a**2))[1], x32)
    assert g.dtype == np.float64 and set(seen) == {np.dtype(np.float64)}
    np.testing.assert_array_equal(x32, before)
    assert len(seen) == 2 * x32.size          # two evaluations per element


def test_numerical_gradient_errors():
    with pytest.raises(NNFSError, match="single number"):
        numerical_gradient(lambda a: a * 2, np.ones(3))
    with pytest.raises(NNFSError, match="eps must be a positive number"):
        numerical_gradient(np.sum, np.ones(3), eps=0)
    with pytest.raises(NNFSError, match="eps must be a positive number"):
        numerical_gradient(np.sum, np.ones(3), eps=-1e-6)


# ---------------------------------------------------------------- gradcheck on every exported backward

@SETTINGS
@given(n=sizes, n_in=sizes, n_out=sizes, seed=seeds)
@example(n=1, n_in=1, n_out=1, seed=0)
@example(n=1, n_in=5, n_out=3, seed=1)
def test_dense(n, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    layer = Dense(n_in, n_out, weight_scale=1.0, rng=rng)
    layer.biases[:] = rng.standard_normal((1, n_out))
    weights_before = layer.weights.copy()
    result = gradcheck(layer, rng.standard_normal((n, n_in)))
    assert result.ok, result
    assert set(result.errors) == {"inputs", "weights", "biases"}
    assert layer.weights.dtype == np.float32 and np.array_equal(layer.weights, weights_before)   # untouched


@SETTINGS
@given(n=sizes, n_in=sizes, n_out=sizes, seed=seeds)
@example(n=1, n_in=2, n_out=2, seed=0)
def test_dense_without_dinputs(n, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    layer = Dense(n_in, n_out, weight_scale=1.0, rng=rng)
    layer.need_dinputs = False
    result = gradcheck(layer, rng.standard_normal((n, n_in)))
    assert result.ok, result
    assert set(result.errors) == {"weights", "biases"}


@SETTINGS
@given(n=sizes, k=sizes, seed=seeds, scale=st.sampled_from([1e-2, 1.0, 10.0]))
@example(n=1, k=1, seed=0, scale=1.0)
def test_relu(n, k, seed, scale):
    rng = np.random.default_rng(seed)
    x = away_from_zero(scale * rng.standard_normal((n, k)))
    result = gradcheck(ReLU(), x)
    assert result.ok, result


@SETTINGS
@given(n=sizes, k=sizes, seed=seeds, scale=st.sampled_from([0.1, 1.0, 5.0]))
@example(n=1, k=1, seed=0, scale=1.0)
@example(n=1, k=6, seed=0, scale=5.0)
def test_softmax(n, k, seed, scale):
    rng = np.random.default_rng(seed)
    result = gradcheck(Softmax(), scale * rng.standard_normal((n, k)))
    assert result.ok, result


@SETTINGS
@given(n=sizes, k=st.integers(2, 6), seed=seeds, one_hot=st.booleans())
@example(n=1, k=2, seed=0, one_hot=False)
@example(n=1, k=2, seed=0, one_hot=True)
def test_categorical_crossentropy(n, k, seed, one_hot):
    rng = np.random.default_rng(seed)
    probs = softmax(rng.standard_normal((n, k)))       # well inside the clip range [1e-7, 1 - 1e-7]
    assert probs.min() > 1e-4 and probs.max() < 1 - 1e-4
    result = gradcheck(CategoricalCrossentropy(), probs, labels_for(rng, n, k, one_hot))
    assert result.ok, result


@SETTINGS
@given(n=sizes, k=sizes, seed=seeds, one_hot=st.booleans(), scale=st.sampled_from([0.1, 1.0, 4.0]))
@example(n=1, k=1, seed=0, one_hot=False, scale=1.0)
@example(n=1, k=3, seed=0, one_hot=True, scale=1.0)
def test_softmax_crossentropy(n, k, seed, one_hot, scale):
    rng = np.random.default_rng(seed)
    # logits spread at most 8 apart: no probability reaches the forward pass's clip at 1e-7 (or 1 - 1e-7), where
    # the clipped loss is flat but the combined backward (by design) gives the unclipped loss's gradient
    logits = scale * rng.uniform(-1, 1, size=(n, k))
    result = gradcheck(SoftmaxCrossEntropy(), logits, labels_for(rng, n, k, one_hot))
    assert result.ok, result


def test_float32_objects_are_checked_in_float64():
    rng = np.random.default_rng(3)
    layer = Dense(4, 3, weight_scale=1.0, rng=rng)            # float32 weights
    x32 = rng.standard_normal((5, 4)).astype(np.float32)
    result = gradcheck(layer, x32)
    assert result.ok and result.max_rel_error < 1e-6, result  # float32 arithmetic could not get below ~1e-4


# ---------------------------------------------------------------- gradcheck must fail on wrong backward passes

class DenseOneWrongWeight(Dense):
    "dweights wrong in exactly one entry."
    def backward(self, dvalues):
        out = super().backward(dvalues)
        self.dweights[1, 2] += 0.5
        return out


class DenseDoubledWeights(Dense):
    "dweights twice too large."
    def backward(self, dvalues):
        out = super().backward(dvalues)
        self.dweights = 2 * self.dweights
        return out


class DenseBiasMean(Dense):
    "dbiases averaged instead of summed over the batch."
    def backward(self, dvalues):
        out = super().backward(dvalues)
        self.dbiases = dvalues.mean(axis=0, keepdims=True)
        return out


class ReLUFlipped(ReLU):
    "The mask flipped: gradient passes where the input was negative."
    def backward(self, dvalues):
        self.dinputs = np.where(self.inputs <= 0, dvalues, 0)
        return self.dinputs


class SoftmaxNoSubtraction(Softmax):
    "Forgets the second term of the Jacobian."
    def backward(self, dvalues):
        self.dinputs = self.output * dvalues
        return self.dinputs


class SCENoMean(SoftmaxCrossEntropy):
    "Combined backward missing the division by N."
    def backward(self, dvalues, y_true):
        return super().backward(dvalues, y_true) * len(dvalues)


def test_gradcheck_reports_the_wrong_entry():
    rng = np.random.default_rng(0)
    layer = DenseOneWrongWeight(4, 3, weight_scale=1.0, rng=rng)
    result = gradcheck(layer, rng.standard_normal((5, 4)))
    assert isinstance(result, GradcheckResult)
    assert not result.ok and not result
    assert result.where == "weights" and result.index == (1, 2)
    assert result.analytic - result.numeric == pytest.approx(0.5, abs=1e-6)
    assert result.errors["inputs"] < 1e-7 and result.errors["biases"] < 1e-7
    assert "FAILED" in repr(result) and "weights[1, 2]" in repr(result)


@pytest.mark.parametrize("obj, where", [
    (DenseDoubledWeights(3, 2, weight_scale=1.0), "weights"),
    (DenseBiasMean(3, 2, weight_scale=1.0), "biases"),
    (ReLUFlipped(), "inputs"),
    (SoftmaxNoSubtraction(), "inputs"),
])
def test_gradcheck_fails_on_broken_layers(obj, where):
    rng = np.random.default_rng(1)
    x = away_from_zero(rng.standard_normal((4, 3)), 0.1)
    result = gradcheck(obj, x)
    assert not result.ok and result.where == where, result
    assert result.max_rel_error > 1e-2


@pytest.mark.parametrize("one_hot", [False, True])
def test_gradcheck_fails_on_broken_loss(one_hot):
    rng = np.random.default_rng(2)
    result = gradcheck(SCENoMean(), rng.standard_normal((4, 3)), labels_for(rng, 4, 3, one_hot))
    assert not result.ok and result.where == "inputs"
    assert result.analytic == pytest.approx(4 * result.numeric, rel=1e-6)      # off by exactly N


def test_gradcheck_rejects_wrong_gradient_shapes():
    class WrongShape(ReLU):
        def backward(self, dvalues):
            self.dinputs = dvalues[:, :1]
            return self.dinputs
    with pytest.raises(NNFSError, match=r"gradient of inputs has shape \(3, 1\), but inputs has shape \(3, 2\)"):
        gradcheck(WrongShape(), np.ones((3, 2)))
