"""The output activations of lessons 12 and 13 (`nnfs.activations`): `Sigmoid` (independent probabilities) and
`Linear` (regression outputs), both `Layer`s without parameters.

Oracles: hand-computed values, PyTorch's sigmoid, and `nnfs.gradcheck` (central differences in float64)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nnfs.activations import Linear, Sigmoid, sigmoid
from nnfs.core import NNFSError
from nnfs.gradcheck import gradcheck
from nnfs.layers import Layer

torch_settings = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
shape = dict(batch=st.integers(1, 6), outputs=st.integers(1, 4), seed=st.integers(0, 2**16))


@pytest.mark.parametrize("cls", [Sigmoid, Linear])
def test_output_activations_are_layers_without_parameters(cls):
    act = cls()
    assert isinstance(act, Layer)
    assert act.parameters() == {} and act.config() == {} and act.gradients() == {}
    assert repr(act) == f"{cls.__name__}()"
    assert type(act)(**act.config()).config() == {}


# ---------------------------------------------------------------- Sigmoid
def test_sigmoid_values_by_hand():
    z = np.array([[0.0, 1.0, -2.0]])
    expected = [[0.5, 1 / (1 + np.exp(-1.0)), 1 / (1 + np.exp(2.0))]]
    act = Sigmoid()
    s = act.forward(z)
    np.testing.assert_allclose(s, expected, rtol=1e-15)
    assert act.output is s and act.inputs is z
    np.testing.assert_allclose(
        act.backward(np.array([[1.0, 2.0, -3.0]])), [[1.0, 2.0, -3.0]] * s * (1 - s), rtol=1e-15
    )
    np.testing.assert_allclose(
        act.dinputs, [[0.25, 2 * s[0, 1] * (1 - s[0, 1]), -3 * s[0, 2] * (1 - s[0, 2])]], rtol=1e-15
    )


@torch_settings
@given(**shape)
@example(batch=1, outputs=1, seed=0)
def test_sigmoid_matches_torch(torch, batch, outputs, seed):
    rng = np.random.default_rng(seed)
    z, d = rng.uniform(-8, 8, (batch, outputs)), rng.standard_normal((batch, outputs))
    act = Sigmoid()
    zt = torch.tensor(z, requires_grad=True)
    torch.sigmoid(zt).backward(torch.tensor(d))
    np.testing.assert_allclose(act.forward(z), torch.sigmoid(zt).detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(act.backward(d), zt.grad.numpy(), rtol=1e-10, atol=1e-15)


@settings(max_examples=15, deadline=None)
@given(**shape)
def test_sigmoid_and_linear_gradcheck(batch, outputs, seed):
    x = np.random.default_rng(seed).standard_normal((batch, outputs))
    assert gradcheck(Sigmoid(), x)
    assert gradcheck(Linear(), x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_finite_and_keeps_dtype_at_extreme_logits(dtype):
    z = np.array([[1e3, -1e3, 50.0], [-1e30, 1e30, 0.0]], dtype=dtype)
    act = Sigmoid()
    with np.errstate(all="raise"):
        p = act.forward(z)
        d = act.backward(np.ones_like(z))
    assert p.dtype == dtype and d.dtype == dtype
    assert np.all(np.isfinite(p)) and np.all(np.isfinite(d))
    assert p[0, 0] == 1 and p[0, 1] < 1e-30 and p[1, 2] == 0.5


def test_sigmoid_predictions_threshold_is_strictly_above_one_half():
    out = np.array([[0.2, 0.5, 0.51], [0.99, 0.0, 1.0]])
    pred = Sigmoid().predictions(out)
    np.testing.assert_array_equal(pred, [[0, 0, 1], [1, 0, 1]])
    assert pred.dtype.kind == "i" and pred.shape == out.shape
    np.testing.assert_array_equal(Sigmoid().predictions([[0.7]]), [[1]])  # lists work too


@pytest.mark.parametrize("cls", [Sigmoid, Linear])
def test_backward_before_forward_and_wrong_shape_raise(cls):
    with pytest.raises(NNFSError, match="backward called before forward"):
        cls().backward(np.ones((2, 2)))
    act = cls()
    act.forward(np.zeros((3, 2)))
    with pytest.raises(NNFSError, match=r"expected dvalues of shape \(3, 2\)"):
        act.backward(np.ones((2, 3)))


@pytest.mark.parametrize("cls", [Sigmoid, Linear])
def test_sizes_zero_and_one(cls):
    act = cls()
    assert act.forward(np.zeros((0, 3))).shape == (0, 3)
    assert act.backward(np.zeros((0, 3))).shape == (0, 3)
    out = act.forward(np.array([[0.0]]))
    assert out.shape == (1, 1) and out[0, 0] == (0.5 if cls is Sigmoid else 0.0)
    assert act.backward(np.array([[2.0]]))[0, 0] == (0.5 if cls is Sigmoid else 2.0)


# ---------------------------------------------------------------- Linear
def test_linear_is_identity_and_copies():
    x = np.arange(6.0).reshape(2, 3)
    act = Linear()
    assert act.forward(x) is x and act.predictions(x) is x
    g = act.backward(x)
    np.testing.assert_array_equal(g, x)
    assert g is not x and act.dinputs is g
    g[0, 0] = 99.0
    assert x[0, 0] == 0.0  # changing the gradient cannot change the caller's array


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_floor_is_sigmoid_of_minus_80(dtype):
    "Inputs below -80 are clipped to -80: the probability stays at sigmoid(-80), about 1.8e-35, never 0."
    at_floor = sigmoid(np.array([-80.0], dtype=dtype))
    np.testing.assert_allclose(at_floor, 1 / (1 + np.exp(80.0)), rtol=1e-6)
    for below in (-80.5, -81.0, -1e30):
        np.testing.assert_array_equal(sigmoid(np.array([below], dtype=dtype)), at_floor)
        np.testing.assert_array_equal(Sigmoid().forward(np.array([[below]], dtype=dtype)), [at_floor])
