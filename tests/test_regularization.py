"""L1/L2 penalties (`nnfs.regularization`) and inverted dropout (`nnfs.layers.Dropout`).

Oracles: PyTorch autograd (penalty gradients, dropout with the layer's own mask), central differences
(`nnfs.gradcheck.numerical_gradient`), and statistics with a fixed seed for the dropout mask."""
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

import nnfs
from nnfs.core import NNFSError
from nnfs.gradcheck import gradcheck, numerical_gradient
from nnfs.layers import Dense, Dropout
from nnfs.losses import SoftmaxCrossEntropy
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

    loss_fn = SoftmaxCrossEntropy()
    data_loss = loss_fn.calculate(layer.forward(x), y)
    layer.backward(loss_fn.backward(loss_fn.output, y))
    total = data_loss + layer.regularization_loss()

    W = torch.tensor(layer.weights, requires_grad=True)
    b = torch.tensor(layer.biases, requires_grad=True)
    logits = torch.tensor(x) @ W + b
    t_loss = (torch.nn.functional.cross_entropy(logits, torch.tensor(y))
              + wl1 * W.abs().sum() + wl2 * (W ** 2).sum() + bl1 * b.abs().sum() + bl2 * (b ** 2).sum())
    t_loss.backward()
    np.testing.assert_allclose(total, t_loss.item(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.dweights, W.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(layer.dbiases, b.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_penalty_only_gradient_is_exact():
    "With a zero upstream gradient, dweights/dbiases are the penalty gradient alone: l1*sign(p) + 2*l2*p, sign(0)=0."
    reg = L1L2(weight_l1=0.01, weight_l2=0.02, bias_l1=0.03, bias_l2=0.04)
    layer = _layer(3, 4, reg, seed=0)
    layer.forward(np.ones((2, 3)))
    layer.backward(np.zeros((2, 4)))
    W, b = layer.weights, layer.biases
    np.testing.assert_array_equal(layer.dweights, 0.01 * np.sign(W) + 2 * 0.02 * W)
    np.testing.assert_array_equal(layer.dbiases, 0.03 * np.sign(b) + 2 * 0.04 * b)
    assert layer.dweights[0, 0] == 0 and layer.dbiases[0, -1] == 0


def test_penalty_gradient_numerically():
    "Data loss sum(output * P) plus the penalty, differentiated numerically with respect to weights and biases."
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

    np.testing.assert_allclose(layer.dweights, numerical_gradient(lambda w: total(w, layer.biases), layer.weights),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(layer.dbiases, numerical_gradient(lambda b: total(layer.weights, b), layer.biases),
                               rtol=1e-6, atol=1e-9)


def test_penalty_keeps_float32():
    layer = Dense(3, 2, regularizer=L1L2(weight_l1=1e-3, weight_l2=1e-3, bias_l1=1e-3, bias_l2=1e-3))
    layer.forward(np.ones((4, 3), dtype=np.float32))
    layer.backward(np.ones((4, 2), dtype=np.float32))
    assert layer.dweights.dtype == np.float32 and layer.dbiases.dtype == np.float32


def test_regularization_loss_sums_layers():
    r1, r2 = L1L2(weight_l2=0.1), L1L2(weight_l1=0.2, bias_l1=0.3)
    a, b, c = _layer(2, 3, r1, 0), _layer(3, 3, r2, 1), _layer(3, 2, None, 2)
    expected = 0.1 * (a.weights ** 2).sum() + 0.2 * np.abs(b.weights).sum() + 0.3 * np.abs(b.biases).sum()
    np.testing.assert_allclose(regularization_loss([a, b, c, object()]), expected, rtol=1e-12)
    assert regularization_loss([c]) == 0.0 and regularization_loss([]) == 0.0


@pytest.mark.parametrize("kwargs", [dict(weight_l1=-1e-3), dict(weight_l2=float("nan")), dict(bias_l1=float("inf")),
                                    dict(bias_l2=True), dict(weight_l2="0.1")])
def test_l1l2_rejects_bad_strengths(kwargs):
    with pytest.raises(NNFSError, match=next(iter(kwargs))):
        L1L2(**kwargs)


# ---------------------------------------------------------------- Dropout
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.integers(1, 7), width=st.integers(1, 9), rate=st.sampled_from([0.0, 0.1, 0.5, 0.9]),
       seed=st.integers(0, 2**16))
@example(batch=1, width=1, rate=0.5, seed=0)
def test_dropout_matches_torch_with_the_same_mask(torch, batch, width, rate, seed):
    rng = np.random.default_rng(seed)
    x, P = rng.standard_normal((batch, width)), rng.standard_normal((batch, width))
    drop = Dropout(rate, rng=np.random.default_rng(seed + 1))
    out = drop.forward(x)
    mask = np.ones_like(x) if drop.mask is None else drop.mask
    if drop.mask is not None:
        assert set(np.unique(mask)) <= {0.0, 1 / (1 - rate)}
    xt = torch.tensor(x, requires_grad=True)
    (xt * torch.tensor(mask) * torch.tensor(P)).sum().backward()
    np.testing.assert_allclose(out, (xt * torch.tensor(mask)).detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(drop.backward(P), xt.grad.numpy(), rtol=1e-12)


def test_dropout_preserves_expected_activation():
    """Mean of 10^6 inverted-dropout outputs of ones, seed fixed. Each output has mean 1 and std
    sqrt(rate/(1-rate)) ~ 0.65 at rate 0.3, so the mean of 10^6 has std ~ 0.00065: tolerance 0.005 (> 7 std)."""
    drop = Dropout(0.3, rng=np.random.default_rng(0))
    out = drop.forward(np.ones((1000, 1000), dtype=np.float32))
    assert abs(out.mean() - 1.0) < 0.005
    assert abs(np.mean(out == 0) - 0.3) < 0.005
    # per element, averaged over 400 passes: E[output] = x (std of each mean ~ 0.65*|x|/20, tolerance 5 std)
    x = np.random.default_rng(1).standard_normal((4, 6))
    avg = np.mean([drop.forward(x) for _ in range(400)], axis=0)
    assert np.all(np.abs(avg - x) < 5 * 0.66 * np.abs(x) / 20 + 1e-12)


def test_dropout_is_identity_at_inference():
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    d = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    drop = Dropout(0.5)
    drop.forward(x)                                   # a training pass first: the mask must not leak into inference
    np.testing.assert_array_equal(drop.forward(x, training=False), x)
    np.testing.assert_array_equal(drop.backward(d), d)
    assert drop.mask is None
    assert gradcheck(Dropout(0.5), x.astype(np.float64), training=False)


def test_dropout_backward_uses_the_forward_mask():
    drop = Dropout(0.4)
    x = np.random.default_rng(0).standard_normal((50, 20)).astype(np.float32)
    out = drop.forward(x)
    d = np.random.default_rng(1).standard_normal((50, 20)).astype(np.float32)
    g = drop.backward(d)
    np.testing.assert_array_equal(g, d * drop.mask)
    assert np.all(g[out == 0] == 0) and np.any(out == 0)
    assert out.dtype == np.float32 and g.dtype == np.float32


def test_dropout_mask_comes_from_the_package_rng():
    x = np.ones((8, 8))
    masks = []
    for _ in range(2):
        nnfs.init(11)
        masks.append(Dropout(0.5).forward(x).copy())
    np.testing.assert_array_equal(masks[0], masks[1])
    nnfs.init(12)
    assert not np.array_equal(Dropout(0.5).forward(x), masks[0])
    a, b = Dropout(0.5, rng=np.random.default_rng(3)), Dropout(0.5, rng=np.random.default_rng(3))
    for _ in range(3):                                  # same stream, same masks, pass after pass
        np.testing.assert_array_equal(a.forward(x), b.forward(x))


def test_dropout_draws_a_fresh_mask_each_pass():
    drop = Dropout(0.5, rng=np.random.default_rng(0))
    x = np.ones((20, 20))
    assert not np.array_equal(drop.forward(x), drop.forward(x))


@pytest.mark.parametrize("rate", [1.0, 1, -0.1, 1.5, float("nan"), True, "0.5", None])
def test_dropout_rejects_bad_rates(rate):
    with pytest.raises(NNFSError, match="rate"):
        Dropout(rate)


def test_dropout_rejects_bad_rng():
    with pytest.raises(NNFSError, match="rng"):
        Dropout(0.5, rng=42)


def test_dropout_rate_zero_is_identity_in_training():
    x = np.random.default_rng(0).standard_normal((3, 4))
    drop = Dropout(0.0)
    np.testing.assert_array_equal(drop.forward(x), x)
    np.testing.assert_array_equal(drop.backward(x), x)
