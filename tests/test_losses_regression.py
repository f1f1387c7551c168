"""The losses of lessons 12 and 13 (`nnfs.losses`): `BinaryCrossentropy` (with `Sigmoid`), `MeanSquaredError`
and `MeanAbsoluteError` (regression), their target checks, and the output layer each declares.

Oracles: hand-computed values, PyTorch's BCELoss, MSELoss and L1Loss (which average over all elements, the
same as our mean over outputs then over samples), PyTorch autograd, and `nnfs.gradcheck`."""

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nnfs.activations import Linear, Sigmoid
from nnfs.core import NNFSError
from nnfs.gradcheck import gradcheck
from nnfs.layers import Dense
from nnfs.losses import REGRESSION, BinaryCrossentropy, Loss, MeanAbsoluteError, MeanSquaredError

torch_settings = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
shape = dict(batch=st.integers(1, 6), outputs=st.integers(1, 4), seed=st.integers(0, 2**16))
LOSSES = [BinaryCrossentropy, MeanSquaredError, MeanAbsoluteError]


def test_declared_output_layers_and_target_ranges():
    assert BinaryCrossentropy.output_activation is Sigmoid
    # a regression loss declares it; None (the base class's default) would mean any output layer
    assert MeanSquaredError.output_activation == REGRESSION == MeanAbsoluteError.output_activation
    assert Loss.output_activation is None
    assert BinaryCrossentropy.target_range == (0.0, 1.0)
    assert MeanSquaredError.target_range == (None, None) == MeanAbsoluteError.target_range
    assert all(issubclass(cls, Loss) for cls in LOSSES)


# ---------------------------------------------------------------- BinaryCrossentropy
def test_bce_values_and_gradient_by_hand():
    p, y = np.array([[0.9, 0.2, 0.6], [0.3, 0.99, 0.5]]), np.array([[1, 0, 0], [0, 1, 1]])
    per_output = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    bce = BinaryCrossentropy()
    np.testing.assert_allclose(bce.forward(p, y), per_output.mean(axis=1), rtol=1e-15)
    assert bce.calculate(p, y) == pytest.approx(per_output.mean(), rel=1e-15)
    np.testing.assert_allclose(bce.backward(p, y), -(y / p - (1 - y) / (1 - p)) / 6, rtol=1e-15)
    assert bce.dinputs.shape == (2, 3)
    np.testing.assert_allclose(
        bce.forward(np.array([[0.8], [0.1]]), np.array([1, 0])), [-np.log(0.8), -np.log(0.9)], rtol=1e-15
    )  # a flat label vector, one output


def test_bce_clips_at_eps():
    bce = BinaryCrossentropy()
    assert bce.eps == 1e-7
    loss = bce.forward(np.array([[0.0, 1.0]]), np.array([[1, 0]]))
    assert loss[0] == pytest.approx(-np.log(1e-7), rel=1e-6)
    np.testing.assert_allclose(
        bce.backward(np.array([[0.0, 1.0]]), np.array([[1, 0]])), [[-1e7 / 2, 1e7 / 2]], rtol=1e-6
    )
    assert bce.forward(np.array([[1.0]]), np.array([[1]]))[0] == pytest.approx(-np.log(1 - 1e-7), rel=1e-6)


@torch_settings
@given(**shape)
@example(batch=1, outputs=1, seed=0)
def test_sigmoid_bce_match_torch(torch, batch, outputs, seed):
    rng = np.random.default_rng(seed)
    z = rng.uniform(-5, 5, (batch, outputs))  # probabilities well inside the [1e-7, 1-1e-7] clip
    y = rng.integers(0, 2, (batch, outputs))
    act, loss = Sigmoid(), BinaryCrossentropy()
    p = act.forward(z)
    value = loss.calculate(p, y)
    dz = act.backward(loss.backward(p, y))
    zt = torch.tensor(z, requires_grad=True)
    t_loss = torch.nn.BCELoss()(torch.sigmoid(zt), torch.tensor(y, dtype=torch.float64))
    t_loss.backward()
    np.testing.assert_allclose(value, t_loss.item(), rtol=1e-10)
    np.testing.assert_allclose(dz, zt.grad.numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(dz, (p - y) / (batch * outputs), rtol=1e-8, atol=1e-12)


@torch_settings
@given(**shape)
def test_bce_gradient_wrt_probabilities_matches_torch(torch, batch, outputs, seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.01, 0.99, (batch, outputs))
    y = rng.uniform(0, 1, (batch, outputs))  # soft labels are allowed too
    pt = torch.tensor(p, requires_grad=True)
    torch.nn.BCELoss()(pt, torch.tensor(y)).backward()
    np.testing.assert_allclose(BinaryCrossentropy().backward(p, y), pt.grad.numpy(), rtol=1e-9)


@settings(max_examples=15, deadline=None)
@given(**shape)
def test_losses_gradcheck(batch, outputs, seed):
    rng = np.random.default_rng(seed)
    pred, y = rng.standard_normal((batch, outputs)), rng.standard_normal((batch, outputs))
    assert gradcheck(
        BinaryCrossentropy(), rng.uniform(0.05, 0.95, (batch, outputs)), rng.integers(0, 2, (batch, outputs))
    )
    assert gradcheck(MeanSquaredError(), pred, y)
    assert gradcheck(MeanAbsoluteError(), pred, y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_bce_finite_at_extreme_logits(dtype):
    z = np.array([[1e3, -1e3, 50.0], [-1e3, 1e3, 0.0]], dtype=dtype)
    y = np.array([[1, 0, 1], [1, 0, 0]])  # second row: confidently wrong
    act, loss = Sigmoid(), BinaryCrossentropy()
    with np.errstate(all="raise"):
        p = act.forward(z)
        losses = loss.forward(p, y)
        dz = act.backward(loss.backward(p, y))
    assert np.all(np.isfinite(losses)) and np.all(np.isfinite(dz))
    assert losses[0] < 1e-5 and losses[1] > 10  # right and sure: ~0; wrong and sure: large, capped


def test_bce_label_shapes_and_values():
    p = np.full((4, 1), 0.25)
    for bad, msg in [
        (np.ones((4, 2)), "shape"),
        (np.ones(3), "shape"),
        (np.ones((4, 1, 1)), "shape"),
        (np.array([0, 1, 2, 0]), r"lie in \[0.0, 1.0\]"),
        (np.array([0, 1, -1, 0]), r"lie in \[0.0, 1.0\]"),
        (np.array([0, 1, np.nan, 0]), "finite"),
        (np.array(["a", "b", "c", "d"]), "finite"),
    ]:
        with pytest.raises(NNFSError, match="BinaryCrossentropy: targets must"):
            BinaryCrossentropy().forward(p, bad)
        with pytest.raises(NNFSError, match=msg):
            BinaryCrossentropy().backward(p, bad)
    # the edges of the range are allowed
    assert np.all(np.isfinite(BinaryCrossentropy().forward(p, np.array([0.0, 1.0, 0.0, 1.0]))))


# ---------------------------------------------------------------- MSE, MAE
def test_mse_mae_values_and_gradients_by_hand():
    pred, target = np.array([[0.5, -1.0], [2.0, 0.0]]), np.array([[0.8, -2.0], [2.0, 1.0]])
    mse, mae = MeanSquaredError(), MeanAbsoluteError()
    np.testing.assert_allclose(mse.forward(pred, target), [(0.09 + 1.0) / 2, (0.0 + 1.0) / 2], rtol=1e-12)
    np.testing.assert_allclose(mae.forward(pred, target), [(0.3 + 1.0) / 2, (0.0 + 1.0) / 2], rtol=1e-12)
    np.testing.assert_allclose(mse.backward(pred, target), -2 * (target - pred) / 4, rtol=1e-15)
    np.testing.assert_array_equal(mae.backward(pred, target), [[-0.25, 0.25], [0.0, -0.25]])
    assert mse.calculate(pred, target) == pytest.approx(0.5225, rel=1e-12)
    assert mae.calculate(pred, target) == pytest.approx(0.575, rel=1e-12)


@torch_settings
@given(**shape, kind=st.sampled_from(["mse", "mae"]), flat=st.booleans())
@example(batch=1, outputs=1, seed=0, kind="mse", flat=True)
@example(batch=1, outputs=3, seed=0, kind="mae", flat=False)
def test_mse_mae_match_torch(torch, batch, outputs, seed, kind, flat):
    rng = np.random.default_rng(seed)
    pred, y = rng.standard_normal((batch, outputs)), rng.standard_normal((batch, outputs))
    ours = MeanSquaredError() if kind == "mse" else MeanAbsoluteError()
    theirs = torch.nn.MSELoss() if kind == "mse" else torch.nn.L1Loss()
    labels = y.ravel() if (flat and outputs == 1) else y
    pt = torch.tensor(pred, requires_grad=True)
    t_loss = theirs(pt, torch.tensor(y))
    t_loss.backward()
    np.testing.assert_allclose(ours.calculate(pred, labels), t_loss.item(), rtol=1e-10)
    np.testing.assert_allclose(ours.backward(pred, labels), pt.grad.numpy(), rtol=1e-10, atol=1e-15)


@torch_settings
@given(batch=st.integers(1, 6), n_in=st.integers(1, 4), outputs=st.integers(1, 3), seed=st.integers(0, 2**16))
@example(batch=1, n_in=1, outputs=1, seed=0)
def test_dense_linear_mse_chain_matches_torch(torch, batch, n_in, outputs, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((batch, n_in)), rng.standard_normal((batch, outputs))
    dense, act, loss = (
        Dense(n_in, outputs, weight_scale=1.0, rng=rng, dtype=np.float64),
        Linear(),
        MeanSquaredError(),
    )
    out = act.forward(dense.forward(x))
    dx = dense.backward(act.backward(loss.backward(out, y)))
    lin = torch.nn.Linear(n_in, outputs, dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(dense.weights.T))
        lin.bias.zero_()
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.MSELoss()(lin(xt), torch.tensor(y)).backward()
    np.testing.assert_allclose(dense.dweights, lin.weight.grad.numpy().T, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("cls", LOSSES)
def test_losses_keep_float32(cls):
    pred = np.full((3, 2), 0.5, dtype=np.float32)
    y = np.zeros((3, 2))  # float64 targets must not upcast the work
    loss = cls()
    assert loss.forward(pred, y).dtype == np.float32 and loss.backward(pred, y).dtype == np.float32


@pytest.mark.parametrize("cls", [MeanSquaredError, MeanAbsoluteError])
def test_regression_losses_reject_bad_targets(cls):
    pred, name = np.zeros((4, 1)), cls.__name__
    for bad, msg in [
        (np.zeros((4, 2)), "shape"),
        (np.zeros(5), "shape"),
        (np.zeros((4, 1, 1)), "shape"),
        (np.array([0.0, np.nan, 0.0, 0.0]), "finite"),
        (np.array([0.0, np.inf, 0.0, 0.0]), "finite"),
        (np.array(["a"] * 4), "finite"),
    ]:
        with pytest.raises(NNFSError, match=f"{name}: targets must .*{msg}"):
            cls().forward(pred, bad)
        with pytest.raises(NNFSError, match=msg):
            cls().backward(pred, bad)
    assert cls().forward(pred, np.array([-1e6, 0, 1e6, 5])).shape == (4,)  # no range for regression targets


@pytest.mark.parametrize("cls", LOSSES)
def test_predictions_must_be_2d_with_samples(cls):
    for bad in (np.zeros(4), np.zeros((0, 1)), np.zeros((2, 2, 1))):
        with pytest.raises(
            NNFSError, match=rf"{cls.__name__}: expected predictions of shape \(samples, outputs\)"
        ):
            cls().forward(bad, np.zeros(len(bad)))
        with pytest.raises(NNFSError, match="expected predictions"):
            cls().backward(bad, np.zeros(len(bad)))


@pytest.mark.parametrize("cls", LOSSES)
def test_one_sample_one_output(cls):
    loss = cls()
    value = loss.forward(np.array([[0.25]]), np.array([1.0]))
    expected = {BinaryCrossentropy: -np.log(0.25), MeanSquaredError: 0.75**2, MeanAbsoluteError: 0.75}[cls]
    np.testing.assert_allclose(value, [expected], rtol=1e-12)
    grad = loss.backward(np.array([[0.25]]), np.array([1.0]))
    expected_grad = {BinaryCrossentropy: -1 / 0.25, MeanSquaredError: -1.5, MeanAbsoluteError: -1.0}[cls]
    np.testing.assert_allclose(grad, [[expected_grad]], rtol=1e-12)


@pytest.mark.parametrize("cls", LOSSES)
def test_validated_targets_skip_the_checks_and_give_the_same_result(cls):
    rng = np.random.default_rng(0)
    pred, y = rng.uniform(0.1, 0.9, (5, 2)), rng.integers(0, 2, (5, 2)).astype(float)
    loss = cls()
    checked = loss.check_targets(y, 5, 2)
    np.testing.assert_array_equal(loss.forward(pred, checked, validated=True), loss.forward(pred, y))
    np.testing.assert_array_equal(loss.backward(pred, checked, validated=True), loss.backward(pred, y))
    assert loss.calculate(pred, checked, validated=True) == loss.calculate(pred, y)
    # one output: a flat validated vector is made a column, not broadcast to (N, N)
    flat = rng.integers(0, 2, 5).astype(float)
    assert loss.forward(pred[:, :1], flat, validated=True).shape == (5,)
    np.testing.assert_array_equal(
        loss.forward(pred[:, :1], flat, validated=True), loss.forward(pred[:, :1], flat)
    )
    # validated means "trust me": a bad value is not caught (that is what the flag is for)
    bad = np.full((5, 2), 2.0)
    loss.forward(pred, bad, validated=True)
    with pytest.raises(NNFSError):
        loss.forward(pred, bad) if cls is BinaryCrossentropy else loss.forward(pred, bad[:, :1])
