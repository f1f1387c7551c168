"""L1/L2 penalties (`nnfs.regularization`): `L1L2` and `regularization_loss`.

Oracles: PyTorch autograd (penalty gradients), central differences (`nnfs.gradcheck.numerical_gradient`), and
values computed by hand."""

import numpy as np
import pytest
from helpers import Scale
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nnfs.core import NNFSError
from nnfs.gradcheck import numerical_gradient
from nnfs.layers import Dense, Layer
from nnfs.losses import SoftmaxCategoricalCrossentropy
from nnfs.regularization import L1L2, regularization_loss

strengths = st.sampled_from([0.0, 1e-4, 5e-4, 0.01, 0.3])
shapes = dict(batch=st.integers(1, 6), n_in=st.integers(1, 5), n_out=st.integers(2, 5))


def _layer(n_in, n_out, reg, seed, zero_some=True):
    "A float64 Dense layer with random weights and biases, some of them exactly 0 (where |.| has a kink)."
    rng = np.random.default_rng(seed)
    layer = Dense(n_in, n_out, weight_scale=1.0, regularizer=reg, rng=rng, dtype=np.float64)
    layer.biases = rng.standard_normal((1, n_out))
    if zero_some:
        layer.weights[0, 0] = 0.0
        layer.biases[0, -1] = 0.0
    return layer


# ---------------------------------------------------------------- L1L2: PyTorch parity
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(**shapes, wl1=strengths, wl2=strengths, bl1=strengths, bl2=strengths, seed=st.integers(0, 2**16))
@example(batch=1, n_in=1, n_out=2, wl1=0.01, wl2=0.01, bl1=0.01, bl2=0.01, seed=0)
def test_penalty_gradients_match_torch(torch, batch, n_in, n_out, wl1, wl2, bl1, bl2, seed):
    reg = L1L2(weight_l1=wl1, weight_l2=wl2, bias_l1=bl1, bias_l2=bl2)
    layer = _layer(n_in, n_out, reg, seed)
    rng = np.random.default_rng(seed + 1)
    x, y = rng.standard_normal((batch, n_in)), rng.integers(0, n_out, batch)

    loss_fn = SoftmaxCategoricalCrossentropy()
    data_loss = loss_fn.calculate(layer.forward(x), y)
    layer.backward(loss_fn.backward(loss_fn.output, y))
    total = data_loss + layer.regularization_loss()

    W = torch.tensor(layer.weights, requires_grad=True)
    b = torch.tensor(layer.biases, requires_grad=True)
    logits = torch.tensor(x) @ W + b
    t_loss = (
        torch.nn.functional.cross_entropy(logits, torch.tensor(y))
        + wl1 * W.abs().sum()
        + wl2 * (W**2).sum()
        + bl1 * b.abs().sum()
        + bl2 * (b**2).sum()
    )
    t_loss.backward()
    np.testing.assert_allclose(total, t_loss.item(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.dweights, W.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(layer.dbiases, b.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_penalty_only_gradient_is_exact():
    "With zero upstream gradient, dweights/dbiases are the penalty gradient, l1*sign(p) + 2*l2*p (sign(0)=0)."
    reg = L1L2(weight_l1=0.01, weight_l2=0.02, bias_l1=0.03, bias_l2=0.04)
    layer = _layer(3, 4, reg, seed=0)
    layer.forward(np.ones((2, 3)))
    layer.backward(np.zeros((2, 4)))
    W, b = layer.weights, layer.biases
    np.testing.assert_array_equal(layer.dweights, 0.01 * np.sign(W) + 2 * 0.02 * W)
    np.testing.assert_array_equal(layer.dbiases, 0.03 * np.sign(b) + 2 * 0.04 * b)
    assert layer.dweights[0, 0] == 0 and layer.dbiases[0, -1] == 0


def test_penalty_gradient_numerically():
    "Data loss sum(output * P) plus the penalty, differentiated numerically in the weights and the biases."
    reg = L1L2(weight_l1=0.05, weight_l2=0.1, bias_l1=0.07, bias_l2=0.2)
    layer = _layer(4, 3, reg, seed=1, zero_some=False)
    rng = np.random.default_rng(2)
    x, P = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    layer.forward(x)
    layer.backward(P)

    def total(weights, biases):
        probe = Dense(4, 3, regularizer=reg, dtype=np.float64)
        probe.weights, probe.biases = weights, biases
        return float(np.sum(probe.forward(x) * P)) + probe.regularization_loss()

    np.testing.assert_allclose(
        layer.dweights,
        numerical_gradient(lambda w: total(w, layer.biases), layer.weights),
        rtol=1e-6,
        atol=1e-9,
    )
    np.testing.assert_allclose(
        layer.dbiases,
        numerical_gradient(lambda b: total(layer.weights, b), layer.biases),
        rtol=1e-6,
        atol=1e-9,
    )


def test_penalty_keeps_float32():
    layer = Dense(3, 2, regularizer=L1L2(weight_l1=1e-3, weight_l2=1e-3, bias_l1=1e-3, bias_l2=1e-3))
    layer.forward(np.ones((4, 3), dtype=np.float32))
    layer.backward(np.ones((4, 2), dtype=np.float32))
    assert layer.dweights.dtype == np.float32 and layer.dbiases.dtype == np.float32


def test_regularization_loss_sums_layers():
    r1, r2 = L1L2(weight_l2=0.1), L1L2(weight_l1=0.2, bias_l1=0.3)
    a, b, c = _layer(2, 3, r1, 0), _layer(3, 3, r2, 1), _layer(3, 2, None, 2)
    expected = 0.1 * (a.weights**2).sum() + 0.2 * np.abs(b.weights).sum() + 0.3 * np.abs(b.biases).sum()
    np.testing.assert_allclose(regularization_loss([a, b, c, object()]), expected, rtol=1e-12)
    assert regularization_loss([c]) == 0.0 and regularization_loss([]) == 0.0


@pytest.mark.parametrize(
    "kwargs,msg",
    [
        (dict(weight_l1=-1e-3), "must be >= 0"),
        (dict(weight_l2=float("nan")), "must be finite"),
        (dict(bias_l1=float("inf")), "must be finite"),
        (dict(bias_l2=True), "must be a real number"),
        (dict(weight_l2="0.1"), "must be a real number"),
        (dict(bias_l2=-1), "must be >= 0"),
    ],
)
def test_l1l2_rejects_bad_strengths(kwargs, msg):
    with pytest.raises(NNFSError, match=f"L1L2: {next(iter(kwargs))} {msg}"):
        L1L2(**kwargs)


def test_penalty_by_hand():
    layer = Dense(2, 2, regularizer=L1L2(weight_l1=0.003, weight_l2=0.002), dtype=np.float64)
    layer.weights = np.array([[1.0, -2.0], [0.5, 0.0]])
    layer.biases = np.array([[3.0, -4.0]])  # no bias strengths: the biases cost nothing
    assert layer.regularizer.loss(layer) == pytest.approx(0.003 * 3.5 + 0.002 * 5.25, rel=1e-14)
    assert regularization_loss([layer]) == pytest.approx(0.021, rel=1e-14)
    only_bias = L1L2(bias_l1=0.5, bias_l2=0.25)
    assert only_bias.loss(layer) == pytest.approx(0.5 * 7 + 0.25 * 25, rel=1e-14)


def test_l1l2_config_and_repr():
    reg = L1L2(weight_l2=5e-4, bias_l1=0.25)
    assert reg.config() == {"weight_l2": 5e-4, "bias_l1": 0.25}
    assert repr(reg) == "L1L2(weight_l2=0.0005, bias_l1=0.25)"
    assert L1L2(**reg.config()).config() == reg.config()
    assert L1L2().config() == {} and repr(L1L2()) == "L1L2()"
    assert isinstance(reg.weight_l2, float) and reg.weight_l1 == 0.0


def test_penalty_gradient_is_added_in_place():
    layer = _layer(3, 2, L1L2(weight_l2=0.1, bias_l1=0.2), seed=4)
    layer.forward(np.ones((2, 3)))
    layer.dweights, layer.dbiases = np.zeros((3, 2)), np.zeros((1, 2))  # buffers an optimizer may own
    buffers = (layer.dweights, layer.dbiases)
    layer.backward(np.zeros((2, 2)))
    assert layer.dweights is buffers[0] and layer.dbiases is buffers[1]
    np.testing.assert_array_equal(layer.dweights, 2 * 0.1 * layer.weights)
    np.testing.assert_array_equal(layer.dbiases, 0.2 * np.sign(layer.biases))


def test_regularizer_works_on_any_layer_with_parameters():
    reg = L1L2(weight_l1=0.1, weight_l2=0.01, bias_l1=1.0, bias_l2=1.0)  # bias terms: no biases, no penalty
    layer = Scale(3, 2.0, regularizer=reg)
    assert reg.loss(layer) == pytest.approx(0.1 * 6 + 0.01 * 12, rel=1e-14)
    assert regularization_loss([layer, Scale(2, 2.0)]) == pytest.approx(0.72, rel=1e-14)
    layer.forward(np.ones((4, 3)))
    layer.backward(np.zeros((4, 3)))
    np.testing.assert_allclose(layer.dweights, np.full((1, 3), 0.1 + 2 * 0.01 * 2.0), rtol=1e-14)


def test_regularization_loss_ignores_layers_without_parameters_or_regularizer():
    class NoParams(Layer):
        regularizer = L1L2(weight_l2=1.0)

        def forward(self, inputs, training=True):
            return inputs

    assert regularization_loss([NoParams(), Dense(2, 2), None, "not a layer"]) == 0.0
    assert isinstance(regularization_loss([]), float)
