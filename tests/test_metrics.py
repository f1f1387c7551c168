"""The accuracies of lessons 12 and 13 (`nnfs.metrics`): categorical, binary (per output) and regression
(within a tolerance derived from the targets), their protocol (`init`, `check`, `compare`, `calculate`: the
checks of a direct call are in `check`, so `compare` is the bare comparison), the output layer each declares,
their error messages, and edge sizes."""

import numpy as np
import pytest

from nnfs.activations import Sigmoid, Softmax
from nnfs.core import NNFSError
from nnfs.losses import REGRESSION
from nnfs.metrics import Accuracy, BinaryAccuracy, CategoricalAccuracy, RegressionAccuracy


def test_declared_output_layers():
    assert CategoricalAccuracy.output_activation is Softmax
    assert BinaryAccuracy.output_activation is Sigmoid
    assert RegressionAccuracy.output_activation == REGRESSION
    assert Accuracy.output_activation is None  # a custom accuracy fits any output unless it says so


def test_calculate_checks_then_compares():
    "`calculate` runs `check` first and compares what it returns; `compare` itself checks nothing."
    seen = []

    class Spy(Accuracy):
        def check(self, predictions, y):
            seen.append("check")
            return np.asarray(predictions) * 2, np.asarray(y)

        def compare(self, predictions, y):
            seen.append("compare")
            return predictions == y

    assert Spy().calculate([1, 2], [2, 3]) == 0.5
    assert seen == ["check", "compare"]
    p, y = Accuracy().check([1, 2], (3, 4))
    assert isinstance(p, np.ndarray) and isinstance(y, np.ndarray)


def test_base_accuracy_calculate_is_mean_of_compare():
    class Half(Accuracy):
        def compare(self, predictions, y):
            return np.array([True, False, True, True])

    assert Half().calculate(None, None) == 0.75
    assert isinstance(Half().calculate(None, None), float)
    assert Half().init(np.zeros(3)) is None and repr(Half()) == "Half()"
    with pytest.raises(NotImplementedError, match="Accuracy must define compare"):
        Accuracy().calculate(np.zeros(2), np.zeros(2))


def test_categorical_accuracy():
    acc = CategoricalAccuracy()
    pred = np.array([0, 2, 1, 1, 0])
    assert acc.calculate(pred, np.array([0, 1, 1, 1, 2])) == 0.6
    assert acc.calculate(pred, np.eye(3)[[0, 1, 1, 1, 2]]) == 0.6
    assert acc.calculate(pred, np.array([0.0, 2.0, 1.0, 1.0, 0.0])) == 1.0  # whole floats are fine
    hits = [True, False, True, True, False]
    np.testing.assert_array_equal(acc.compare(pred, np.array([0, 1, 1, 1, 2])), hits)
    np.testing.assert_array_equal(acc.compare(pred, np.eye(3)[[0, 1, 1, 1, 2]]), hits)
    pred_checked, y_checked = acc.check(pred, np.eye(3)[[0, 1, 1, 1, 2]])  # one-hot rows become indices
    np.testing.assert_array_equal(y_checked, [0, 1, 1, 1, 2])
    assert acc.calculate(np.array([3]), np.array([3])) == 1.0  # one sample
    assert acc.init(np.array([0, 1])) is None and repr(acc) == "CategoricalAccuracy()"
    for bad, msg in [
        (np.array([0, 1, 1]), "5 labels"),
        (np.array([0, 1, 1, 1, -1]), ">= 0, got a minimum of -1"),
        (np.array([0, 1, 1.5, 1, 0]), "whole"),
        (np.array(list("abcde")), "integers"),
        (np.ones((5, 3)), "one-hot"),
        (np.eye(2)[[0, 1, 1, 1, 0]][:, :, None], "shape"),
    ]:
        with pytest.raises(NNFSError, match=msg):
            acc.calculate(pred, bad)
    with pytest.raises(
        NNFSError, match=r"class indices of shape \(samples,\), got shape \(2, 3\).*predictions"
    ):
        acc.calculate(np.eye(3)[[0, 1]], np.array([0, 1]))  # probabilities, not predictions


def test_binary_accuracy():
    acc = BinaryAccuracy()
    pred = np.array([[1, 0], [0, 0], [1, 1]])
    assert acc.calculate(pred, np.array([[1, 1], [0, 0], [1, 0]])) == pytest.approx(4 / 6)
    np.testing.assert_array_equal(
        acc.compare(pred, np.array([[1, 1], [0, 0], [1, 0]])), [[True, False], [True, True], [True, False]]
    )
    assert acc.calculate(np.array([[1], [0], [0]]), np.array([1, 0, 1])) == pytest.approx(
        2 / 3
    )  # flat labels
    assert acc.calculate(np.array([[True], [False]]), np.array([[1.0], [0.0]])) == 1.0
    assert acc.calculate(np.array([[0]]), np.array([1])) == 0.0  # one sample
    for bad_pred, bad_y, msg in [
        (np.array([[0.9], [0.1]]), np.array([1, 0]), "0/1 decisions"),
        (np.array([1, 0]), np.array([1, 0]), "0/1 decisions"),
        (pred, np.array([1, 0, 1]), r"shape \(3, 2\)"),
        (np.array([[1], [0]]), np.array([1, 0, 1]), r"shape \(2, 1\)"),
        (pred, np.array([[1, 2], [0, 0], [1, 0]]), "0 or 1"),
        (pred, np.full((3, 2), np.nan), "0 or 1"),
        (pred, np.array([["a", "b"]] * 3), "0 or 1"),
    ]:
        with pytest.raises(NNFSError, match=f"BinaryAccuracy: .*{msg}"):
            acc.calculate(bad_pred, bad_y)


def test_regression_accuracy_tolerance():
    y = np.sin(np.linspace(0, 6, 500)).reshape(-1, 1)
    acc = RegressionAccuracy()
    assert acc.precision is None and acc.precision_divisor == 250.0
    acc.init(y)
    assert acc.precision == pytest.approx(np.std(y) / 250, rel=1e-12)
    tol = acc.precision
    assert acc.calculate(y + 0.9 * tol, y) == 1.0
    assert acc.calculate(y + 1.1 * tol, y) == 0.0
    assert acc.calculate(y - 0.9 * tol, y) == 1.0
    assert acc.calculate(y + np.where(np.arange(500) % 2, 0, 2 * tol).reshape(-1, 1), y) == 0.5
    assert acc.calculate(y + 0.5 * tol, y.ravel()) == 1.0  # flat targets, one output
    acc.init(100 * y)  # kept unless reinit
    assert acc.precision == tol
    acc.init(100 * y, reinit=True)
    assert acc.precision == pytest.approx(100 * tol, rel=1e-9)
    assert repr(RegressionAccuracy(25)) == "RegressionAccuracy(precision_divisor=25)"


def test_regression_accuracy_strict_at_the_tolerance():
    acc = RegressionAccuracy(precision_divisor=2)
    y = np.array([[-1.0], [1.0], [-1.0], [1.0]])  # std exactly 1, tolerance exactly 0.5
    acc.init(y)
    assert acc.precision == 0.5
    np.testing.assert_array_equal(
        acc.compare(y + np.array([[0.0], [0.5], [-0.25], [-0.5]]), y), [[True], [False], [True], [False]]
    )


def test_regression_accuracy_divisor_one_and_fractions():
    y = np.array([0.0, 2.0])  # std 1
    one = RegressionAccuracy(precision_divisor=1)
    one.init(y)
    assert one.precision == 1.0
    assert one.calculate(np.array([0.5, 2.9]), y) == 1.0  # 1-D predictions and targets
    half = RegressionAccuracy(precision_divisor=0.5)  # a divisor below 1 widens the tolerance
    half.init(y)
    assert half.precision == 2.0


def test_regression_accuracy_one_sample():
    acc = RegressionAccuracy()
    acc.init(np.array([0.0, 1.0]))
    assert acc.calculate(np.array([[0.5]]), np.array([0.5])) == 1.0


def test_regression_accuracy_errors():
    for bad, msg in [
        (0, "must be > 0"),
        (-1, "must be > 0"),
        (float("nan"), "must be finite"),
        (True, "must be a real number"),
        ("250", "must be a real number"),
        (None, "must be a real number"),
    ]:
        with pytest.raises(NNFSError, match=f"RegressionAccuracy: precision_divisor {msg}"):
            RegressionAccuracy(bad)
    acc = RegressionAccuracy()
    for bad in (np.array([]), np.array([1.0, np.inf]), np.array([1.0, np.nan]), np.array(["a", "b"])):
        with pytest.raises(NNFSError, match="non-empty array of finite numbers"):
            acc.init(bad)
    with pytest.raises(NNFSError, match="std 0"):
        acc.init(np.ones(10))
    with pytest.raises(NNFSError, match="call init"):
        acc.calculate(np.zeros((2, 1)), np.zeros((2, 1)))
    acc.init(np.arange(10.0).reshape(-1, 1))
    with pytest.raises(NNFSError, match=r"targets must have the predictions' shape \(10, 1\), got \(10, 2\)"):
        acc.calculate(np.zeros((10, 1)), np.zeros((10, 2)))
    with pytest.raises(NNFSError, match="shape"):
        acc.calculate(np.zeros((10, 1)), np.zeros(9))


@pytest.mark.parametrize(
    "acc,pred,y",
    [
        (CategoricalAccuracy(), np.zeros(0, dtype=int), np.zeros(0, dtype=int)),
        (BinaryAccuracy(), np.zeros((0, 1), dtype=int), np.zeros((0, 1))),
        (RegressionAccuracy(), np.zeros((0, 1)), np.zeros((0, 1))),
    ],
)
def test_zero_samples_raise(acc, pred, y):
    acc.init(np.array([0.0, 1.0]))
    assert acc.compare(pred, y).size == 0
    with pytest.raises(NNFSError, match=f"{type(acc).__name__}: no predictions to count"):
        acc.calculate(pred, y)
