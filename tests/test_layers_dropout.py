"""Inverted dropout (`nnfs.layers.Dropout`, lesson 11).

Oracles: PyTorch autograd with the layer's own mask, statistics with a fixed seed for the mask, and the
state of the random generator (what is drawn, and when)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import nnfs
from nnfs.core import NNFSError
from nnfs.gradcheck import gradcheck
from nnfs.layers import Dropout, Layer


# ---------------------------------------------------------------- Dropout
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    batch=st.integers(1, 7),
    width=st.integers(1, 9),
    rate=st.sampled_from([0.0, 0.1, 0.5, 0.9]),
    seed=st.integers(0, 2**16),
)
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
    sqrt(rate/(1-rate)) ~ 0.65 at rate 0.3, so the mean of 10^6 has std ~ 0.00065: tolerance 0.005 (7 std)."""
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
    drop.forward(x)  # a training pass first: the mask must not leak into inference
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
    for _ in range(3):  # same stream, same masks, pass after pass
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


def test_dropout_rate_zero_draws_no_random_numbers():
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    drop = Dropout(0.0, rng=rng)
    x = np.ones((5, 5))
    assert drop.forward(x, training=True) is x and drop.mask is None
    assert rng.bit_generator.state == state
    Dropout(0.5, rng=rng).forward(x, training=False)  # inference draws nothing either
    assert rng.bit_generator.state == state
    package_state = nnfs.get_rng().bit_generator.state
    Dropout(0.0).forward(x)
    assert nnfs.get_rng().bit_generator.state == package_state
    Dropout(0.5, rng=rng).forward(x)  # a training pass with rate > 0 does draw
    assert rng.bit_generator.state != state


def test_dropout_is_a_layer_without_parameters():
    drop = Dropout(0.25, rng=np.random.default_rng(0))
    assert isinstance(drop, Layer) and drop.parameters() == {} and drop.gradients() == {}
    assert drop.config() == {"rate": 0.25} and repr(drop) == "Dropout(rate=0.25)"
    assert Dropout(**drop.config()).rate == 0.25
    assert isinstance(Dropout(0).rate, float)


def test_dropout_mask_values_and_keep_fraction():
    drop = Dropout(0.75, rng=np.random.default_rng(1))
    out = drop.forward(np.ones((200, 500)))
    assert set(np.unique(drop.mask)) == {0.0, 4.0}
    assert abs(np.mean(out == 0) - 0.75) < 0.01  # 10^5 draws: standard deviation 0.0014


def test_dropout_backward_errors():
    with pytest.raises(NNFSError, match="backward called before forward"):
        Dropout(0.5).backward(np.ones((2, 2)))
    drop = Dropout(0.5)
    drop.forward(np.ones((3, 4)))
    with pytest.raises(NNFSError, match=r"expected dvalues of shape \(3, 4\)"):
        drop.backward(np.ones((4, 3)))


@pytest.mark.parametrize("shape", [(0, 4), (1, 1), (1, 5)])
def test_dropout_sizes_zero_and_one(shape):
    drop = Dropout(0.5, rng=np.random.default_rng(0))
    x = np.full(shape, 3.0)
    out = drop.forward(x)
    assert out.shape == shape and set(np.unique(out)) <= {0.0, 6.0}
    assert drop.backward(np.ones(shape)).shape == shape


def test_dropout_integer_inputs_get_the_package_dtype():
    out = Dropout(0.5, rng=np.random.default_rng(0)).forward(np.ones((4, 4), dtype=np.int64))
    assert out.dtype == np.float32
    nnfs.init(0, np.float64)
    assert Dropout(0.5).forward(np.ones((2, 2), dtype=np.int32)).dtype == np.float64


@pytest.mark.parametrize(
    "rate,msg",
    [
        (1.0, "must be < 1"),
        (-0.1, "must be >= 0"),
        (float("nan"), "must be finite"),
        (True, "must be a real number"),
    ],
)
def test_dropout_rate_messages(rate, msg):
    with pytest.raises(NNFSError, match=rf"Dropout: rate \(the fraction of inputs to drop\) {msg}"):
        Dropout(rate)


def test_dropout_drops_a_draw_equal_to_the_keep_fraction():
    """An input is kept when its uniform draw `u` in [0, 1) is below `1 - rate`, so the keep probability is
    exactly `1 - rate`: a draw exactly at that threshold is dropped, draws below it are kept."""
    draws = np.random.default_rng(7).random((1, 8))
    v = float(draws.max())
    rate = 1.0 - v
    assert v >= 0.5 and 1.0 - rate == v          # the threshold is exactly the largest draw
    out = Dropout(rate, rng=np.random.default_rng(7)).forward(np.ones((1, 8)))
    expected = np.where(draws < v, 1.0 / v, 0.0)
    np.testing.assert_array_equal(out, expected)
    assert np.count_nonzero(out) == 7 and out[draws == v].item() == 0.0
