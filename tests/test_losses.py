"""`nnfs.losses`: `class_indices`, `categorical_crossentropy` (lesson 06), and the `Loss` base class,
`CategoricalCrossentropy` and `SoftmaxCategoricalCrossentropy` (lesson 08).

Numerical robustness: every computation runs under `np.errstate(all="raise")`, so an overflow, a division by
zero, an invalid operation or an underflow anywhere is an error, not a silent inf/NaN. Bad labels and
predictions raise `NNFSError` naming the problem; an empty batch is refused. The protocol:
`output_activation`, `check_targets`, and `validated=True` (labels checked once by the caller) giving exactly
the results of the checked path."""
import numpy as np
import pytest
from helpers import CLIP, DTYPES, EXTREME, reference_softmax

from nnfs.activations import Softmax, softmax
from nnfs.core import NNFSError
from nnfs.losses import (
    CategoricalCrossentropy,
    Loss,
    SoftmaxCategoricalCrossentropy,
    categorical_crossentropy,
)


def reference_loss(z: np.ndarray, idx: np.ndarray) -> np.ndarray:
    "Cross-entropy of the correct class's probability, clipped like the library's, in float64."
    p = reference_softmax(z)[np.arange(len(idx)), idx]
    return -np.log(np.clip(p, CLIP, 1 - CLIP))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(EXTREME))
@pytest.mark.parametrize("one_hot", [False, True])
def test_softmax_crossentropy_extreme_logits(case, dtype, one_hot):
    z = np.array(EXTREME[case], dtype=dtype)
    idx = np.array([0, 2, 1])
    labels = np.eye(3, dtype=dtype)[idx] if one_hot else idx
    loss = SoftmaxCategoricalCrossentropy()
    with np.errstate(all="raise"):
        per_sample = loss.forward(z, labels)
        mean = loss.calculate(z, labels)
        dinputs = loss.backward(loss.output, labels)
    assert per_sample.dtype == dtype and np.all(np.isfinite(per_sample)) and np.isfinite(mean)
    np.testing.assert_allclose(per_sample, reference_loss(z, idx), rtol=1e-5, atol=2e-7)
    assert per_sample.max() <= -np.log(CLIP) + 1e-5                    # the clip bounds the loss
    assert dinputs.dtype == dtype and np.all(np.isfinite(dinputs))
    expected = (reference_softmax(z) - np.eye(3)[idx]) / 3
    np.testing.assert_allclose(dinputs, expected, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_crossentropy_single_class(dtype):
    z = np.array([[1e4], [-1e4], [2.0]], dtype=dtype)
    loss = SoftmaxCategoricalCrossentropy()
    with np.errstate(all="raise"):
        per_sample = loss.forward(z, np.zeros(3, dtype=int))
        dinputs = loss.backward(loss.output, np.ones((3, 1)))
    np.testing.assert_allclose(per_sample, 0.0, atol=2e-7)     # -log(1 - 1e-7): the clip
    np.testing.assert_array_equal(dinputs, 0.0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("one_hot", [False, True])
def test_categorical_crossentropy_probabilities_zero_and_one(dtype, one_hot):
    probs = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], dtype=dtype)
    idx = np.array([0, 1, 2])          # certain and right, certain and wrong (p = 0), certain and right
    labels = np.eye(3, dtype=int)[idx] if one_hot else idx
    loss = CategoricalCrossentropy()
    with np.errstate(all="raise"):
        per_sample = loss.forward(probs, labels)
        dinputs = loss.backward(probs, labels)
    assert per_sample.dtype == dtype and dinputs.dtype == dtype
    np.testing.assert_allclose(per_sample, [0.0, -np.log(CLIP), 0.0], atol=2e-7, rtol=1e-6)
    expected = np.zeros((3, 3))
    expected[0, 0], expected[1, 1], expected[2, 2] = -1 / (1 - CLIP) / 3, -1 / CLIP / 3, -1 / (1 - CLIP) / 3
    np.testing.assert_allclose(dinputs, expected, rtol=1e-6)


def test_categorical_crossentropy_integer_predictions():
    "Integer 'probabilities' (a one-hot prediction) are converted to floats, not truncated."
    probs = np.array([[0, 1], [1, 0]])
    loss = CategoricalCrossentropy()
    d = loss.backward(probs, [1, 1])
    assert d.dtype.kind == "f"
    np.testing.assert_allclose(d, [[0, -1 / (1 - CLIP) / 2], [0, -1 / CLIP / 2]], rtol=1e-6)


LABEL_FORMS = {
    "int64 indices": np.array([2, 0, 1, 1]),
    "uint8 indices": np.array([2, 0, 1, 1], dtype=np.uint8),
    "whole-number float indices": np.array([2.0, 0.0, 1.0, 1.0]),
    "int one-hot": np.eye(3, dtype=int)[[2, 0, 1, 1]],
    "float one-hot": np.eye(3, dtype=np.float32)[[2, 0, 1, 1]],
    "bool one-hot": np.eye(3, dtype=bool)[[2, 0, 1, 1]],
    "list of ints": [2, 0, 1, 1],
}


@pytest.mark.parametrize("form", list(LABEL_FORMS))
def test_label_forms_agree(form):
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((4, 3)).astype(np.float32)
    probs = softmax(logits)
    ref_idx = np.array([2, 0, 1, 1])
    labels = LABEL_FORMS[form]
    cce, sce = CategoricalCrossentropy(), SoftmaxCategoricalCrossentropy()
    with np.errstate(all="raise"):
        np.testing.assert_allclose(cce.forward(probs, labels), cce.forward(probs, ref_idx))
        np.testing.assert_allclose(cce.backward(probs, labels), cce.backward(probs, ref_idx))
        np.testing.assert_allclose(sce.forward(logits, labels), sce.forward(logits, ref_idx))
        np.testing.assert_allclose(sce.backward(sce.output, labels), sce.backward(sce.output, ref_idx))


BAD_LABELS = [   # (labels for 4 samples and 3 classes, what the message must say)
    (np.array([0, 1, 2]), r"expected 4 labels \(one per sample\), got an array of shape \(3,\)"),
    (np.array([0, 1, 2, 0, 1]), r"expected 4 labels"),
    (np.array([0, 1, 3, 0]), r"class indices must be in 0\.\.2, got values from 0 to 3"),
    (np.array([0, -1, 2, 0]), r"class indices must be in 0\.\.2, got values from -1 to 2"),
    (np.array([0.0, 1.5, 2.0, 0.0]), r"class indices must be whole numbers"),
    (np.array([0.0, np.nan, 2.0, 0.0]), r"class indices must be whole numbers"),
    (np.array(["a", "b", "c", "d"]), r"class indices must be integers, got dtype <U1"),
    (np.full((4, 3), 1 / 3), r"2-D labels must be one-hot"),
    (np.array([[1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]]), r"2-D labels must be one-hot"),
    (np.zeros((4, 3)), r"2-D labels must be one-hot"),
    (np.eye(4)[[0, 1, 2, 3]], r"one-hot labels need 3 columns \(one per class\), got 4"),
    (np.zeros((4, 3, 1), dtype=int),
     r"expected class indices \(1-D\) or one-hot rows \(2-D\), got shape \(4, 3, 1\)"),
]


CALLS = ["cce.forward", "cce.backward", "sce.forward", "sce.backward", "cce.calculate"]


@pytest.mark.parametrize("labels, message", BAD_LABELS)
@pytest.mark.parametrize("call", CALLS)
def test_bad_labels_raise_nnfs_error(labels, message, call):
    probs = softmax(np.random.default_rng(0).standard_normal((4, 3)))
    cce, sce = CategoricalCrossentropy(), SoftmaxCategoricalCrossentropy()
    fn = {"cce.forward": cce.forward, "cce.backward": cce.backward, "sce.forward": sce.forward,
          "sce.backward": sce.backward, "cce.calculate": cce.calculate}[call]
    with pytest.raises(NNFSError, match=message):
        fn(probs, labels)


@pytest.mark.parametrize("bad", [np.ones(3), np.ones((2, 3, 4)), np.ones((0, 3))])
@pytest.mark.parametrize("cls", [CategoricalCrossentropy, SoftmaxCategoricalCrossentropy])
def test_bad_prediction_shapes(bad, cls):
    with pytest.raises(NNFSError,
                       match=rf"{cls.__name__}: expected predictions of shape \(samples, outputs\)"):
        cls().forward(bad, np.zeros(len(bad), dtype=int))
    with pytest.raises(NNFSError,
                       match=rf"{cls.__name__}: expected predictions of shape \(samples, outputs\)"):
        cls().backward(bad, np.zeros(len(bad), dtype=int))




# ---------------------------------------------------------------- categorical_crossentropy (the function)

def test_function_values_and_sizes():
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.5, 0.4]])
    np.testing.assert_allclose(categorical_crossentropy(p, [0, 2]), -np.log([0.7, 0.4]), rtol=1e-12)
    # one sample
    np.testing.assert_allclose(categorical_crossentropy(p[:1], [1]), -np.log([0.2]), rtol=1e-12)
    one_class = categorical_crossentropy(np.array([[1.0]]), [0])
    np.testing.assert_allclose(one_class, [-np.log(1 - 1e-7)], rtol=1e-9)
    np.testing.assert_allclose(categorical_crossentropy(np.array([[0.0, 1.0]]), [0], eps=0.1), [-np.log(0.1)])
    np.testing.assert_allclose(categorical_crossentropy(np.array([[0.0, 1.0]]), [1], eps=0.1), [-np.log(0.9)])


def test_function_refuses_an_empty_batch():
    "The loss of no samples is not defined: an error, not an empty array (whose mean would be NaN)."
    with pytest.raises(NNFSError, match=r"categorical_crossentropy: .* at least one sample, got \(0, 3\)"):
        categorical_crossentropy(np.zeros((0, 3)), np.zeros(0, dtype=int))
    for cls in (CategoricalCrossentropy, SoftmaxCategoricalCrossentropy):
        with pytest.raises(NNFSError, match=rf"{cls.__name__}: .* at least one sample, got \(0, 3\)"):
            cls().calculate(np.zeros((0, 3)), np.zeros(0, dtype=int))


@pytest.mark.parametrize("eps, message", [(0, "must be > 0"), (0.5, "must be < 0.5"), (-1e-7, "must be > 0"),
                                          (float("nan"), "must be finite"),
                                          ("1e-7", "must be a real number")])
def test_function_checks_eps(eps, message):
    with pytest.raises(NNFSError, match=f"categorical_crossentropy: eps {message}"):
        categorical_crossentropy(np.array([[0.5, 0.5]]), [0], eps=eps)


# ---------------------------------------------------------------- the Loss protocol

def test_output_activation_and_defaults():
    assert CategoricalCrossentropy.output_activation is Softmax
    assert SoftmaxCategoricalCrossentropy.output_activation is Softmax
    assert Loss.output_activation is None and Loss.target_range == (None, None)
    with pytest.raises(NotImplementedError, match="Loss must define forward"):
        Loss().forward(np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(NotImplementedError, match="Loss must define backward"):
        Loss().backward(np.ones((2, 2)), np.ones((2, 2)))


@pytest.mark.parametrize("cls", [CategoricalCrossentropy, SoftmaxCategoricalCrossentropy])
def test_check_targets_gives_class_indices(cls):
    idx = cls().check_targets(np.eye(3)[[2, 0, 1]], 3, 3)
    assert idx.dtype == np.intp
    np.testing.assert_array_equal(idx, [2, 0, 1])
    with pytest.raises(NNFSError, match=r"class indices must be in 0\.\.2"):
        cls().check_targets(np.array([0, 3]), 2, 3)


class Squared(Loss):
    "A regression loss written on the base class: targets of the predictions' shape."
    target_range = (0.0, 1.0)
    def forward(self, y_pred, y_true, *, validated=False):
        y_pred = self._check_2d(y_pred)
        y = y_true if validated else self.check_targets(y_true, *y_pred.shape)
        return np.mean((y_pred - y) ** 2, axis=1)


def test_base_check_targets_same_shape():
    loss = Squared()
    # 1-D, one output
    np.testing.assert_array_equal(loss.check_targets(np.array([0.5, 1.0]), 2, 1), [[0.5], [1.0]])
    np.testing.assert_array_equal(loss.check_targets(np.array([[0, 1]]), 1, 2), [[0, 1]])
    with pytest.raises(NNFSError, match=r"Squared: targets must have the predictions' shape \(2, 3\) "
                                        r"\(or be 1-D with one output\), got \(2,\)"):
        loss.check_targets(np.array([0.5, 1.0]), 2, 3)
    with pytest.raises(NNFSError, match="Squared: targets must be finite numbers"):
        loss.check_targets(np.array([[np.nan]]), 1, 1)
    with pytest.raises(NNFSError, match="Squared: targets must be finite numbers, got dtype <U1"):
        loss.check_targets(np.array([["a"]]), 1, 1)
    with pytest.raises(NNFSError, match=r"Squared: targets must lie in \[0.0, 1.0\], got values from -0.5 "
                                        r"to 0.5"):
        loss.check_targets(np.array([[-0.5], [0.5]]), 2, 1)
    with pytest.raises(NNFSError, match=r"Squared: targets must lie in \[0.0, 1.0\], got values from 0.5 "
                                        r"to 2.0"):
        loss.check_targets(np.array([[2.0], [0.5]]), 2, 1)
    assert Loss().check_targets(np.array([[-5.0, 1e9]]), 1, 2).shape == (1, 2)   # no range by default
    assert loss.calculate(np.array([[0.5], [1.0]]), np.array([1.0, 1.0])) == pytest.approx(0.125)


@pytest.mark.parametrize("one_hot", [False, True])
def test_validated_path_gives_the_same_results(one_hot):
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((6, 4))
    probs = softmax(logits)
    labels = rng.integers(0, 4, size=6)
    given = np.eye(4)[labels] if one_hot else labels
    for loss, x in ((CategoricalCrossentropy(), probs), (SoftmaxCategoricalCrossentropy(), logits)):
        checked = loss.check_targets(given, 6, 4)
        np.testing.assert_array_equal(loss.forward(x, checked, validated=True), loss.forward(x, given))
        assert loss.calculate(x, checked, validated=True) == loss.calculate(x, given)
        upstream = loss.output if hasattr(loss, "output") else x
        np.testing.assert_array_equal(loss.backward(upstream, checked, validated=True),
                                      loss.backward(upstream, given))


@pytest.mark.parametrize("cls", [CategoricalCrossentropy, SoftmaxCategoricalCrossentropy])
def test_validated_skips_the_label_checks(cls, monkeypatch):
    loss = cls()
    calls = []
    monkeypatch.setattr(loss, "check_targets", lambda *a: calls.append(a) or np.array([0, 1]))
    x = np.array([[0.6, 0.4], [0.3, 0.7]])
    loss.forward(x, np.array([0, 1]), validated=True)
    loss.backward(x, np.array([0, 1]), validated=True)
    loss.calculate(x, np.array([0, 1]), validated=True)
    assert calls == []
    loss.backward(x, np.array([0, 1]))
    assert len(calls) == 1


def test_calculate_works_with_losses_that_know_nothing_of_validated():
    class Plain(Loss):
        def forward(self, y_pred, y_true): return np.abs(y_pred - y_true).sum(axis=1)
    assert Plain().calculate(np.array([[1.0, 2.0], [0.0, 0.0]]), np.zeros((2, 2))) == 1.5


def test_integer_predictions_become_the_package_dtype():
    loss = CategoricalCrossentropy()
    assert loss._check_2d(np.array([[0, 1]])).dtype == np.float32


@pytest.mark.parametrize("one_hot", [False, True])
def test_single_sample(one_hot):
    z = np.array([[0.5, -1.0, 2.0]])
    labels = np.eye(3)[[1]] if one_hot else np.array([1])
    sce = SoftmaxCategoricalCrossentropy()
    s = softmax(z)
    np.testing.assert_allclose(sce.forward(z, labels), -np.log(s[:, 1]), rtol=1e-12)
    np.testing.assert_allclose(sce.backward(sce.output, labels), s - np.eye(3)[[1]], rtol=1e-12)
    cce = CategoricalCrossentropy()
    np.testing.assert_allclose(cce.backward(s, labels), [[0, -1 / s[0, 1], 0]], rtol=1e-12)


def test_upper_clip_is_one_minus_eps():
    "A certain, correct prediction: the loss is -log(1 - 1e-7), not 0, and the gradient -1 / (1 - 1e-7) / N."
    probs = np.array([[1.0, 0.0], [0.0, 1.0]])
    cce = CategoricalCrossentropy()
    np.testing.assert_array_equal(cce.forward(probs, [0, 1]), np.full(2, -np.log(1 - 1e-7)))
    g = -1 / (1 - 1e-7) / 2
    np.testing.assert_array_equal(cce.backward(probs, [0, 1]), [[g, 0.0], [0.0, g]])
    np.testing.assert_array_equal(categorical_crossentropy(probs, [0, 1]), np.full(2, -np.log(1 - 1e-7)))
