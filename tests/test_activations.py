"""`nnfs.activations`: the softmax function and the ReLU and Softmax layers of lesson 08.

Softmax and its backward pass run under `np.errstate(all="raise")` on extreme logits, so an overflow, a
division by zero or an invalid operation anywhere is an error, not a silent inf/NaN. The layers follow the
`Layer` protocol: no parameters, `repr` from their (empty) config, `predictions` (outputs for ReLU, the argmax
for Softmax), and errors naming the problem when backward comes before forward or gets the wrong shape."""
import inspect

import numpy as np
import pytest
from helpers import DTYPES, EXTREME, reference_softmax

from nnfs.activations import Linear, ReLU, Sigmoid, Softmax, softmax
from nnfs.core import NNFSError
from nnfs.layers import Layer


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
    # softmax's gradient never changes the sum
    np.testing.assert_allclose(dinputs.sum(axis=1), 0.0, atol=1e-6)


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




# ---------------------------------------------------------------- ReLU and Softmax as layers

def test_relu_values_and_mask():
    x = np.array([[1.5, -2.0, 0.0], [-0.5, 3.0, 1e-8]], dtype=np.float32)
    layer = ReLU()
    out = layer.forward(x)
    np.testing.assert_array_equal(out, np.array([[1.5, 0.0, 0.0], [0.0, 3.0, 1e-8]], np.float32))
    assert out.dtype == np.float32 and layer.output is out
    d = np.array([[7.0, 7.0, 7.0], [7.0, -2.0, 5.0]], dtype=np.float32)
    dinputs = layer.backward(d)
    np.testing.assert_array_equal(dinputs, [[7.0, 0.0, 0.0], [0.0, -2.0, 5.0]])   # 0 at the kink x = 0
    assert layer.dinputs is dinputs


@pytest.mark.parametrize("shape", [(1, 1), (0, 3), (1, 4), (4, 1)])
def test_relu_edge_sizes(shape):
    x = np.random.default_rng(0).standard_normal(shape)
    layer = ReLU()
    np.testing.assert_array_equal(layer.forward(x), np.maximum(x, 0))
    np.testing.assert_array_equal(layer.backward(np.ones(shape)), (x > 0).astype(float))


def test_relu_predictions_are_the_outputs():
    layer = ReLU()
    out = layer.forward(np.array([[1.0, -1.0]]))
    assert layer.predictions(out) is out


def test_softmax_predictions_are_the_most_probable_class():
    # not square: axis matters
    probs = np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3]])
    np.testing.assert_array_equal(Softmax().predictions(probs), [1, 0, 2, 1])


@pytest.mark.parametrize("cls", [ReLU, Softmax])
def test_layer_protocol(cls):
    layer = cls()
    assert isinstance(layer, Layer)
    assert layer.parameters() == {} and layer.gradients() == {} and layer.config() == {}
    assert not layer.parameters()                     # not trainable
    assert repr(layer) == f"{cls.__name__}()"
    out = layer.forward(np.array([[0.5, -1.0, 2.0]]))
    assert layer.output is out and layer.backward(np.ones((1, 3))) is layer.dinputs


@pytest.mark.parametrize("cls", [ReLU, Softmax])
def test_backward_errors_name_the_problem(cls):
    with pytest.raises(NNFSError, match=rf"{cls.__name__}\(\): backward called before forward"):
        cls().backward(np.ones((2, 3)))
    layer = cls()
    layer.forward(np.ones((2, 3)))
    with pytest.raises(NNFSError, match=rf"{cls.__name__}\(\): expected dvalues of shape \(2, 3\) "
                                        r"\(the output's\), got \(1, 3\)"):
        layer.backward(np.ones((1, 3)))          # would broadcast silently without the check


def test_softmax_works_over_the_last_axis_of_any_rank():
    "A (batch, positions, classes) input: softmax and its backward act on each last-axis row."
    rng = np.random.default_rng(4)
    z, d = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4))
    layer = Softmax()
    s = layer.forward(z)
    np.testing.assert_allclose(s.sum(axis=-1), 1.0)
    expected = np.einsum("abjk,abk->abj", s[..., :, None] * np.eye(4) - s[..., :, None] * s[..., None, :], d)
    np.testing.assert_allclose(layer.backward(d), expected, atol=1e-12)


def test_softmax_of_a_vector_and_of_a_3d_batch_by_value():
    "Softmax normalizes over the last axis whatever the rank: a 1-D vector, and each row of a 3-D batch."
    v = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(softmax(v), np.exp(v) / np.exp(v).sum(), rtol=1e-15)
    z = np.random.default_rng(4).standard_normal((2, 3, 4))
    np.testing.assert_allclose(softmax(z), np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(Softmax().forward(z), softmax(z), rtol=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_floors_shifted_logits_at_minus_80(dtype):
    "A class more than 80 below the row's maximum gets exactly what a class at -80 gets: e^-80 / row sum."
    at_floor = softmax(np.array([[0.0, -80.0]], dtype=dtype))
    for below in (-80.5, -81.0, -1e4):
        np.testing.assert_array_equal(softmax(np.array([[0.0, below]], dtype=dtype)), at_floor)
    np.testing.assert_allclose(at_floor[0, 1], np.exp(-80.0), rtol=1e-6)   # about 1.8e-35, not 0


@pytest.mark.parametrize("cls", [ReLU, Softmax, Sigmoid, Linear])
def test_forward_training_defaults_to_true_like_the_layer_protocol(cls):
    "`forward(inputs, training=True)`: the same signature and default as `Layer.forward`."
    param = inspect.signature(cls.forward).parameters["training"]
    assert param.default is True
    assert param.default == inspect.signature(Layer.forward).parameters["training"].default
    x = np.array([[0.5, -1.0]])
    np.testing.assert_array_equal(cls().forward(x), cls().forward(x, training=False))
