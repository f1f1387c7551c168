"""Numerical robustness and input validation of softmax and the cross-entropy losses.

Every computation runs under `np.errstate(all="raise")`, so an overflow, a division by zero, an invalid operation or
an underflow anywhere is an error, not a silent inf/NaN. Bad labels must raise `NNFSError` naming the problem."""
import numpy as np
import pytest

from nnfs.activations import Softmax, softmax
from nnfs.core import NNFSError
from nnfs.layers import Dense
from nnfs.losses import CategoricalCrossentropy, SoftmaxCrossEntropy

DTYPES = [np.float32, np.float64]
CLIP = 1e-7
EXTREME = {   # name -> logits
    "huge positive and negative": [[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0], [0.0, 0.0, 1e4]],
    "all equal": [[3.0, 3.0, 3.0], [-7.0, -7.0, -7.0], [1e4, 1e4, 1e4]],
    "all huge negative": [[-1e4, -1e4, -1e4], [-1e4, -1e4 + 1, -1e4 + 2], [-5e3, -1e4, -1e4]],
}


def reference_softmax(z: np.ndarray) -> np.ndarray:
    "Softmax in float64 via log-sum-exp, for comparison (no clipping)."
    z = np.asarray(z, dtype=np.float64)
    shifted = z - z.max(axis=1, keepdims=True)
    with np.errstate(under="ignore"):
        e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def reference_loss(z: np.ndarray, idx: np.ndarray) -> np.ndarray:
    "Cross-entropy of the correct class's probability, clipped like the library's, in float64."
    p = reference_softmax(z)[np.arange(len(idx)), idx]
    return -np.log(np.clip(p, CLIP, 1 - CLIP))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(EXTREME))
def test_softmax_function_and_class(case, dtype):
    z = np.array(EXTREME[case], dtype=dtype)
    layer = Softmax()
    with np.errstate(all="raise"):
        s_fn = softmax(z)
        s_cls = layer.forward(z)
        dinputs = layer.backward(np.tile(np.array([1.0, -2.0, 0.5], dtype=dtype), (3, 1)))
    for s in (s_fn, s_cls):
        assert s.dtype == dtype and np.all(np.isfinite(s))
        np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=1e-6)
        np.testing.assert_allclose(s, reference_softmax(z), atol=1e-6)
    assert np.all(np.isfinite(dinputs))
    np.testing.assert_allclose(dinputs.sum(axis=1), 0.0, atol=1e-6)   # softmax's gradient never changes the sum


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_single_class(dtype):
    z = np.array([[1e4], [-1e4], [0.0]], dtype=dtype)
    layer = Softmax()
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(softmax(z), 1.0)
        np.testing.assert_array_equal(layer.forward(z), 1.0)
        np.testing.assert_array_equal(layer.backward(np.ones_like(z)), 0.0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_backward_tiny_upstream_gradients(dtype):
    "Products of tiny probabilities and small gradients may underflow: that must not raise."
    layer = Softmax()
    with np.errstate(all="raise"):
        layer.forward(np.array([[80.0, 0.0, -80.0]], dtype=dtype))
        d = layer.backward(np.array([[1e-6, -1e-5, 1e-7]], dtype=dtype))
    assert np.all(np.isfinite(d))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(EXTREME))
@pytest.mark.parametrize("one_hot", [False, True])
def test_softmax_crossentropy_extreme_logits(case, dtype, one_hot):
    z = np.array(EXTREME[case], dtype=dtype)
    idx = np.array([0, 2, 1])
    labels = np.eye(3, dtype=dtype)[idx] if one_hot else idx
    loss = SoftmaxCrossEntropy()
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
    loss = SoftmaxCrossEntropy()
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
    cce, sce = CategoricalCrossentropy(), SoftmaxCrossEntropy()
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
    (np.zeros((4, 3, 1), dtype=int), r"expected class indices \(1-D\) or one-hot rows \(2-D\), got shape \(4, 3, 1\)"),
]


@pytest.mark.parametrize("labels, message", BAD_LABELS)
@pytest.mark.parametrize("call", ["cce.forward", "cce.backward", "sce.forward", "sce.backward", "cce.calculate"])
def test_bad_labels_raise_nnfs_error(labels, message, call):
    probs = softmax(np.random.default_rng(0).standard_normal((4, 3)))
    cce, sce = CategoricalCrossentropy(), SoftmaxCrossEntropy()
    fn = {"cce.forward": cce.forward, "cce.backward": cce.backward, "sce.forward": sce.forward,
          "sce.backward": sce.backward, "cce.calculate": cce.calculate}[call]
    with pytest.raises(NNFSError, match=message):
        fn(probs, labels)


@pytest.mark.parametrize("bad", [np.ones(3), np.ones((2, 3, 4)), np.ones((0, 3))])
@pytest.mark.parametrize("cls", [CategoricalCrossentropy, SoftmaxCrossEntropy])
def test_bad_prediction_shapes(bad, cls):
    with pytest.raises(NNFSError, match=rf"{cls.__name__}: expected predictions of shape \(samples, outputs\)"):
        cls().forward(bad, np.zeros(len(bad), dtype=int))
    with pytest.raises(NNFSError, match=rf"{cls.__name__}: expected predictions of shape \(samples, outputs\)"):
        cls().backward(bad, np.zeros(len(bad), dtype=int))


def test_dense_errors_name_the_problem():
    layer = Dense(3, 2)
    with pytest.raises(NNFSError, match=r"Dense\(3, 2\): backward called before forward"):
        layer.backward(np.ones((4, 2)))
    with pytest.raises(NNFSError, match=r"Dense\(3, 2\): expected inputs of shape \(batch, 3\), got \(4, 5\)"):
        layer.forward(np.ones((4, 5)))
    layer.forward(np.ones((4, 3)))
    with pytest.raises(NNFSError, match=r"Dense\(3, 2\): expected dvalues of shape \(4, 2\) \(the output's\), got \(4, 3\)"):
        layer.backward(np.ones((4, 3)))
    with pytest.raises(NNFSError, match="n_neurons must be >= 1"):
        Dense(3, 0)


def test_dense_keeps_its_dtype():
    "float64 inputs and gradients are cast to a float32 layer's dtype: no silent float64 parameters' gradients."
    layer = Dense(3, 2)
    out = layer.forward(np.ones((4, 3), dtype=np.float64))
    dinputs = layer.backward(np.ones((4, 2), dtype=np.float64))
    assert out.dtype == layer.dweights.dtype == layer.dbiases.dtype == dinputs.dtype == np.float32
