"""Sigmoid + binary cross-entropy (lesson 12), Linear, MSE, MAE and the accuracy classes (lesson 13).

Oracles: PyTorch autograd and its losses (BCELoss, MSELoss, L1Loss, which average over all elements, the same as
our mean over outputs then over samples), and `nnfs.gradcheck` (central differences in float64)."""
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from nnfs.activations import Linear, Sigmoid
from nnfs.core import NNFSError
from nnfs.gradcheck import gradcheck
from nnfs.layers import Dense
from nnfs.losses import BinaryCrossentropy, MeanAbsoluteError, MeanSquaredError
from nnfs.metrics import Accuracy, BinaryAccuracy, CategoricalAccuracy, RegressionAccuracy

torch_settings = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
shape = dict(batch=st.integers(1, 6), outputs=st.integers(1, 4), seed=st.integers(0, 2**16))


# ---------------------------------------------------------------- Sigmoid + BinaryCrossentropy
@torch_settings
@given(**shape)
@example(batch=1, outputs=1, seed=0)
def test_sigmoid_bce_match_torch(torch, batch, outputs, seed):
    rng = np.random.default_rng(seed)
    z = rng.uniform(-5, 5, (batch, outputs))          # probabilities well inside the [1e-7, 1-1e-7] clip
    y = rng.integers(0, 2, (batch, outputs))
    act, loss = Sigmoid(), BinaryCrossentropy()
    p = act.forward(z)
    value = loss.calculate(p, y)
    dz = act.backward(loss.backward(p, y))

    zt = torch.tensor(z, requires_grad=True)
    pt = torch.sigmoid(zt)
    t_loss = torch.nn.BCELoss()(pt, torch.tensor(y, dtype=torch.float64))
    t_loss.backward()
    np.testing.assert_allclose(p, pt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(value, t_loss.item(), rtol=1e-10)
    np.testing.assert_allclose(dz, zt.grad.numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(dz, (p - y) / (batch * outputs), rtol=1e-8, atol=1e-12)


@torch_settings
@given(**shape)
def test_bce_gradient_wrt_probabilities_matches_torch(torch, batch, outputs, seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.01, 0.99, (batch, outputs))
    y = rng.uniform(0, 1, (batch, outputs))            # soft labels are allowed too
    pt = torch.tensor(p, requires_grad=True)
    torch.nn.BCELoss()(pt, torch.tensor(y)).backward()
    np.testing.assert_allclose(BinaryCrossentropy().backward(p, y), pt.grad.numpy(), rtol=1e-9)


@settings(max_examples=15, deadline=None)
@given(**shape)
def test_sigmoid_and_bce_gradcheck(batch, outputs, seed):
    rng = np.random.default_rng(seed)
    assert gradcheck(Sigmoid(), rng.standard_normal((batch, outputs)))
    assert gradcheck(BinaryCrossentropy(), rng.uniform(0.05, 0.95, (batch, outputs)), rng.integers(0, 2, (batch, outputs)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_bce_finite_at_extreme_logits(dtype):
    z = np.array([[1e3, -1e3, 50.0], [-1e3, 1e3, 0.0]], dtype=dtype)
    y = np.array([[1, 0, 1], [1, 0, 0]])                # second row: confidently wrong
    act, loss = Sigmoid(), BinaryCrossentropy()
    with np.errstate(all="raise"):
        p = act.forward(z)
        losses = loss.forward(p, y)
        dz = act.backward(loss.backward(p, y))
    assert p.dtype == dtype
    assert np.all(np.isfinite(p)) and np.all(np.isfinite(losses)) and np.all(np.isfinite(dz))
    assert losses[0] < 1e-5 and losses[1] > 10                    # right and sure: ~0; wrong and sure: large, capped


def test_sigmoid_predictions():
    out = np.array([[0.2, 0.5, 0.51], [0.99, 0.0, 1.0]])
    pred = Sigmoid().predictions(out)
    np.testing.assert_array_equal(pred, [[0, 0, 1], [1, 0, 1]])
    assert pred.dtype.kind == "i"


def test_bce_label_shapes_and_values():
    p = np.full((4, 1), 0.25)
    np.testing.assert_allclose(BinaryCrossentropy().forward(p, np.array([1, 0, 1, 0])),
                               [-np.log(0.25), -np.log(0.75)] * 2, rtol=1e-12)
    for bad, msg in [(np.ones((4, 2)), "shape"), (np.ones(3), "shape"), (np.array([0, 1, 2, 0]), r"\[0, 1\]"),
                     (np.array([0, 1, -1, 0]), r"\[0, 1\]"), (np.array(["a", "b", "c", "d"]), r"\[0, 1\]")]:
        with pytest.raises(NNFSError, match=msg):
            BinaryCrossentropy().forward(p, bad)
    with pytest.raises(NNFSError, match="shape"):
        BinaryCrossentropy().backward(np.full((4, 2), 0.5), np.array([0, 1, 1, 0]))


# ---------------------------------------------------------------- MSE, MAE, Linear
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
    np.testing.assert_allclose(ours.forward(pred, labels).mean(), t_loss.item(), rtol=1e-10)
    np.testing.assert_allclose(ours.backward(pred, labels), pt.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_mae_gradient_is_zero_where_exact():
    g = MeanAbsoluteError().backward(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 0.0], [5.0, 4.0]]))
    np.testing.assert_array_equal(g, [[0.0, 0.25], [-0.25, 0.0]])


@settings(max_examples=15, deadline=None)
@given(**shape)
def test_regression_losses_and_linear_gradcheck(batch, outputs, seed):
    rng = np.random.default_rng(seed)
    pred, y = rng.standard_normal((batch, outputs)), rng.standard_normal((batch, outputs))
    assert gradcheck(MeanSquaredError(), pred, y)
    assert gradcheck(MeanAbsoluteError(), pred, y)
    assert gradcheck(Linear(), pred)


@torch_settings
@given(batch=st.integers(1, 6), n_in=st.integers(1, 4), outputs=st.integers(1, 3), seed=st.integers(0, 2**16))
@example(batch=1, n_in=1, outputs=1, seed=0)
def test_dense_linear_mse_chain_matches_torch(torch, batch, n_in, outputs, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((batch, n_in)), rng.standard_normal((batch, outputs))
    dense, act, loss = Dense(n_in, outputs, weight_scale=1.0, rng=rng, dtype=np.float64), Linear(), MeanSquaredError()
    out = act.forward(dense.forward(x))
    dx = dense.backward(act.backward(loss.backward(out, y)))
    lin = torch.nn.Linear(n_in, outputs, dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(dense.weights.T)); lin.bias.zero_()
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.MSELoss()(lin(xt), torch.tensor(y)).backward()
    np.testing.assert_allclose(dense.dweights, lin.weight.grad.numpy().T, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(dense.dbiases.ravel(), lin.bias.grad.numpy(), rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-9, atol=1e-14)


def test_linear_is_identity_and_copies():
    x = np.arange(6.0).reshape(2, 3)
    act = Linear()
    assert act.forward(x) is x and act.predictions(x) is x
    g = act.backward(x)
    np.testing.assert_array_equal(g, x)
    assert g is not x


def test_regression_losses_keep_float32():
    pred = np.ones((3, 2), dtype=np.float32)
    y = np.zeros((3, 2))                               # float64 targets must not upcast the gradient
    for loss in (MeanSquaredError(), MeanAbsoluteError()):
        assert loss.backward(pred, y).dtype == np.float32


@pytest.mark.parametrize("loss", [MeanSquaredError(), MeanAbsoluteError()])
def test_regression_losses_reject_bad_targets(loss):
    pred = np.zeros((4, 1))
    for bad, msg in [(np.zeros((4, 2)), "shape"), (np.zeros(5), "shape"), (np.zeros((4, 1, 1)), "shape"),
                     (np.array([0.0, np.nan, 0.0, 0.0]), "finite"), (np.array(["a"] * 4), "finite")]:
        with pytest.raises(NNFSError, match=msg):
            loss.forward(pred, bad)
    with pytest.raises(NNFSError):
        loss.forward(np.zeros(4), np.zeros(4))        # predictions must be (samples, outputs)


# ---------------------------------------------------------------- accuracies
def test_base_accuracy_calculate_is_mean_of_compare():
    class Half(Accuracy):
        def compare(self, predictions, y): return np.array([True, False, True, True])
    assert Half().calculate(None, None) == 0.75
    with pytest.raises(NotImplementedError):
        Accuracy().calculate(np.zeros(2), np.zeros(2))


def test_categorical_accuracy():
    acc = CategoricalAccuracy()
    pred = np.array([0, 2, 1, 1, 0])
    assert acc.calculate(pred, np.array([0, 1, 1, 1, 2])) == 0.6
    assert acc.calculate(pred, np.eye(3)[[0, 1, 1, 1, 2]]) == 0.6
    assert acc.calculate(pred, np.array([0.0, 2.0, 1.0, 1.0, 0.0])) == 1.0       # whole floats are fine
    np.testing.assert_array_equal(acc.compare(pred, [0, 1, 1, 1, 2]), [True, False, True, True, False])
    acc.init(np.array([0, 1]))                                                    # a no-op, but part of the protocol
    for bad, msg in [(np.array([0, 1, 1]), "5 labels"), (np.array([0, 1, 1, 1, -1]), ">= 0"),
                     (np.array([0, 1, 1.5, 1, 0]), "whole"), (np.array(list("abcde")), "integers"),
                     (np.ones((5, 3)), "one-hot"), (np.eye(2)[[0, 1, 1, 1, 0]][:, :, None], "shape")]:
        with pytest.raises(NNFSError, match=msg):
            acc.calculate(pred, bad)
    with pytest.raises(NNFSError, match="class indices"):
        acc.calculate(np.eye(3)[[0, 1]], np.array([0, 1]))                        # probabilities, not predictions


def test_binary_accuracy():
    acc = BinaryAccuracy()
    pred = np.array([[1, 0], [0, 0], [1, 1]])
    assert acc.calculate(pred, np.array([[1, 1], [0, 0], [1, 0]])) == pytest.approx(4 / 6)
    assert acc.calculate(np.array([[1], [0], [0]]), np.array([1, 0, 1])) == pytest.approx(2 / 3)   # flat labels
    assert acc.calculate(np.array([[True], [False]]), np.array([[1.0], [0.0]])) == 1.0
    for bad_pred, bad_y, msg in [(np.array([[0.9], [0.1]]), np.array([1, 0]), "0/1 decisions"),
                                 (np.array([1, 0]), np.array([1, 0]), "0/1 decisions"),
                                 (pred, np.array([1, 0, 1]), "shape"),
                                 (pred, np.array([[1, 2], [0, 0], [1, 0]]), "0 or 1"),
                                 (pred, np.full((3, 2), np.nan), "0 or 1")]:
        with pytest.raises(NNFSError, match=msg):
            acc.calculate(bad_pred, bad_y)


def test_regression_accuracy_tolerance():
    y = np.sin(np.linspace(0, 6, 500)).reshape(-1, 1)
    acc = RegressionAccuracy()
    with pytest.raises(NNFSError, match="init"):
        acc.compare(y, y)
    acc.init(y)
    assert acc.precision == pytest.approx(np.std(y) / 250, rel=1e-12)
    tol = acc.precision
    assert acc.calculate(y + 0.9 * tol, y) == 1.0
    assert acc.calculate(y + 1.1 * tol, y) == 0.0
    assert acc.calculate(y + np.where(np.arange(500) % 2, 0, 2 * tol).reshape(-1, 1), y) == 0.5
    assert acc.calculate(y + 0.5 * tol, y.ravel()) == 1.0                         # flat targets, one output
    acc.init(100 * y)                                                             # kept unless reinit
    assert acc.precision == tol
    acc.init(100 * y, reinit=True)
    assert acc.precision == pytest.approx(100 * tol, rel=1e-9)
    assert RegressionAccuracy(precision_divisor=25).precision is None
    a25 = RegressionAccuracy(25)
    a25.init(y)
    assert a25.precision == pytest.approx(10 * tol, rel=1e-12)


def test_regression_accuracy_errors():
    for bad in (0, -1, float("nan"), True, "250"):
        with pytest.raises(NNFSError, match="precision_divisor"):
            RegressionAccuracy(bad)
    acc = RegressionAccuracy()
    for bad in (np.array([]), np.array([1.0, np.inf]), np.array(["a", "b"])):
        with pytest.raises(NNFSError, match="finite"):
            acc.init(bad)
    with pytest.raises(NNFSError, match="std 0"):
        acc.init(np.ones(10))
    acc.init(np.arange(10.0).reshape(-1, 1))
    with pytest.raises(NNFSError, match="shape"):
        acc.compare(np.zeros((10, 1)), np.zeros((10, 2)))
