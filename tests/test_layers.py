"""`nnfs.layers`: the `Layer` protocol and the `Dense` layer of lesson 08.

The base class's defaults (no parameters, `repr` from `config`, predictions = outputs, gradients found as
`d<name>`), Dense's exact values, its parameters and gradients by name, rebuilding from `config`,
`init="zeros"` (no random numbers drawn), gradients written in place into existing buffers, `need_dinputs`,
edge sizes 0 and 1, and every error path raising `NNFSError` with the problem named."""
import numpy as np
import pytest
from helpers import Scale

import nnfs
from nnfs.core import NNFSError
from nnfs.layers import Dense, Layer


def test_dense_errors_name_the_problem():
    layer = Dense(3, 2)
    with pytest.raises(NNFSError, match=r"Dense\(n_inputs=3, n_neurons=2\): backward called before forward"):
        layer.backward(np.ones((4, 2)))
    with pytest.raises(NNFSError, match=r"Dense\(n_inputs=3, n_neurons=2\): expected inputs of shape "
                                        r"\(batch, 3\), got \(4, 5\)"):
        layer.forward(np.ones((4, 5)))
    layer.forward(np.ones((4, 3)))
    with pytest.raises(NNFSError, match=r"Dense\(n_inputs=3, n_neurons=2\): expected dvalues of shape "
                                        r"\(4, 2\) \(the output's\), got \(4, 3\)"):
        layer.backward(np.ones((4, 3)))
    with pytest.raises(NNFSError, match="n_neurons must be >= 1"):
        Dense(3, 0)


def test_dense_keeps_its_dtype():
    """float64 inputs and gradients are cast to a float32 layer's dtype: no silent float64 parameters'
    gradients."""
    layer = Dense(3, 2)
    out = layer.forward(np.ones((4, 3), dtype=np.float64))
    dinputs = layer.backward(np.ones((4, 2), dtype=np.float64))
    assert out.dtype == layer.dweights.dtype == layer.dbiases.dtype == dinputs.dtype == np.float32


# ---------------------------------------------------------------- the Layer base class

def test_layer_defaults():
    layer = Layer()
    assert layer.parameters() == {} and layer.gradients() == {} and layer.config() == {}
    x = np.ones((2, 2))
    assert layer.predictions(x) is x
    assert repr(layer) == "Layer()"
    with pytest.raises(NotImplementedError, match="Layer must define forward"):
        layer.forward(x)
    with pytest.raises(NotImplementedError, match="Layer must define backward"):
        layer.backward(x)


def test_a_subclass_gets_repr_gradients_and_checks():
    from nnfs.gradcheck import gradcheck
    layer = Scale(3, 0.5)
    assert repr(layer) == "Scale(n_features=3, init=0.5)"
    with pytest.raises(NNFSError, match=r"Scale\(n_features=3, init=0.5\): no gradient dweights yet; "
                                        r"call backward"):
        layer.gradients()
    x = np.arange(6.0).reshape(2, 3)
    layer.forward(x)
    layer.backward(np.ones((2, 3)))
    assert layer.gradients()["weights"] is layer.dweights
    np.testing.assert_array_equal(layer.dweights, [[3.0, 5.0, 7.0]])
    assert gradcheck(Scale(3, 0.5), x + 1)
    with pytest.raises(NNFSError, match=r"expected dvalues of shape \(2, 3\) \(the output's\), got \(2, 1\)"):
        layer.backward(np.ones((2, 1)))
    rebuilt = Scale(**layer.config())
    assert rebuilt.config() == layer.config()


# ---------------------------------------------------------------- Dense: values, protocol, rebuilding

def test_dense_exact_values():
    layer = Dense(3, 2, dtype=np.float64)
    layer.weights = np.array([[1.0, -1.0], [0.5, 2.0], [0.0, 3.0]])
    layer.biases = np.array([[0.25, -0.5]])
    X = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 4.0]])
    np.testing.assert_array_equal(layer.forward(X), X @ layer.weights + layer.biases)
    D = np.array([[1.0, 2.0], [-3.0, 0.5]])
    dinputs = layer.backward(D)
    np.testing.assert_array_equal(dinputs, D @ layer.weights.T)
    np.testing.assert_array_equal(layer.dweights, X.T @ D)
    np.testing.assert_array_equal(layer.dbiases, [[-2.0, 2.5]])
    assert dinputs is layer.dinputs


def test_dense_protocol():
    layer = Dense(3, 2)
    params = layer.parameters()
    assert list(params) == ["weights", "biases"] and params["weights"] is layer.weights
    assert params["biases"] is layer.biases and layer.biases.shape == (1, 2)
    layer.forward(np.ones((4, 3)))
    layer.backward(np.ones((4, 2)))
    grads = layer.gradients()
    assert list(grads) == ["weights", "biases"]
    assert grads["weights"] is layer.dweights and grads["biases"] is layer.dbiases
    assert layer.config() == {"n_inputs": 3, "n_neurons": 2}
    assert repr(layer) == "Dense(n_inputs=3, n_neurons=2)"
    assert isinstance(layer, Layer) and layer.predictions(layer.output) is layer.output


def test_dense_config_shows_non_defaults_and_rebuilds():
    class Penalty:
        def __repr__(self): return "Penalty()"
        def loss(self, layer): return 2.5
        def backward(self, layer): layer.dweights += 1
    reg = Penalty()
    layer = Dense(4, 5, weight_scale=0.5, regularizer=reg)
    assert layer.config() == {"n_inputs": 4, "n_neurons": 5, "weight_scale": 0.5, "regularizer": reg}
    assert repr(layer) == "Dense(n_inputs=4, n_neurons=5, weight_scale=0.5, regularizer=Penalty())"
    rebuilt = Dense(**layer.config(), init="zeros")
    for name, value in layer.parameters().items(): setattr(rebuilt, name, value.copy())
    x = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_array_equal(rebuilt.forward(x), layer.forward(x))
    assert rebuilt.regularization_loss() == 2.5 and Dense(2, 2).regularization_loss() == 0.0
    rebuilt.backward(np.zeros((3, 5)))
    np.testing.assert_array_equal(rebuilt.dweights, np.ones((4, 5)))      # the regularizer's backward ran


def test_dense_init_zeros_draws_no_random_numbers():
    state = nnfs.get_rng().bit_generator.state
    layer = Dense(3, 4, init="zeros", dtype=np.float64)
    assert nnfs.get_rng().bit_generator.state == state
    assert layer.weights.dtype == np.float64 and not layer.weights.any() and layer.weights.shape == (3, 4)
    Dense(3, 4)
    assert nnfs.get_rng().bit_generator.state != state             # the default does draw
    a, b = Dense(3, 4, rng=np.random.default_rng(1)), np.random.default_rng(1).standard_normal((3, 4))
    np.testing.assert_allclose(a.weights, 0.01 * b, rtol=1e-6)


@pytest.mark.parametrize("kw, message", [
    (dict(init="ones"), "Dense: init must be 'random'.*or 'zeros', got 'ones'"),
    (dict(weight_scale=-1.0), "weight_scale must be >= 0, got -1.0"),
    (dict(weight_scale=float("nan")), "weight_scale must be finite"),
    (dict(weight_scale=True), "weight_scale must be a real number"),
    (dict(rng=0), "rng must be a numpy.random.Generator"),
    (dict(dtype=np.int32), "dtype must be float32 or float64"),
])
def test_dense_constructor_errors(kw, message):
    with pytest.raises(NNFSError, match=message):
        Dense(3, 2, **kw)
    with pytest.raises(NNFSError, match="n_inputs must be >= 1"):
        Dense(0, 2)
    with pytest.raises(NNFSError, match="n_inputs must be an integer"):
        Dense(2.0, 2)


# ---------------------------------------------------------------- Dense: gradients in place, need_dinputs,
# sizes

def test_dense_writes_gradients_into_existing_buffers():
    rng = np.random.default_rng(0)
    layer = Dense(3, 2, rng=rng)
    buffer = np.zeros(3 * 2 + 2, dtype=np.float32)            # an optimizer's flat gradient buffer
    layer.dweights, layer.dbiases = buffer[:6].reshape(3, 2), buffer[6:].reshape(1, 2)
    dw, db = layer.dweights, layer.dbiases
    for _ in range(2):
        X, D = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
        layer.forward(X)
        layer.backward(D)
        assert layer.dweights is dw and layer.dbiases is db
        expected = X.T.astype(np.float32) @ D.astype(np.float32)
        np.testing.assert_allclose(buffer[:6].reshape(3, 2), expected, rtol=1e-5)
        np.testing.assert_allclose(buffer[6:], D.sum(axis=0), rtol=1e-5)


@pytest.mark.parametrize("bad", ["dtype", "shape", "readonly"])
def test_dense_allocates_when_the_buffer_does_not_fit(bad):
    layer = Dense(3, 2)
    old = {"dtype": np.zeros((3, 2), np.float64), "shape": np.zeros((2, 3), np.float32),
           "readonly": np.zeros((3, 2), np.float32)}[bad]
    old.flags.writeable = bad != "readonly"
    layer.dweights = old
    layer.forward(np.ones((4, 3)))
    layer.backward(np.ones((4, 2)))
    assert layer.dweights is not old and not old.any()
    assert layer.dweights.dtype == np.float32 and layer.dweights.shape == (3, 2)
    np.testing.assert_array_equal(layer.dweights, np.full((3, 2), 4.0))


def test_dense_need_dinputs_false():
    layer = Dense(3, 2)
    layer.need_dinputs = False
    layer.forward(np.ones((4, 3)))
    assert layer.backward(np.ones((4, 2))) is None and layer.dinputs is None
    np.testing.assert_array_equal(layer.dweights, np.full((3, 2), 4.0))


@pytest.mark.parametrize("n, n_in, n_out", [(1, 1, 1), (0, 3, 2), (1, 3, 1), (5, 1, 4)])
def test_dense_edge_sizes(n, n_in, n_out):
    rng = np.random.default_rng(n + n_in)
    layer = Dense(n_in, n_out, weight_scale=1.0, rng=rng, dtype=np.float64)
    X, D = rng.standard_normal((n, n_in)), rng.standard_normal((n, n_out))
    assert layer.forward(X).shape == (n, n_out)
    assert layer.backward(D).shape == (n, n_in)
    np.testing.assert_allclose(layer.dweights, X.T @ D, atol=1e-12)
    np.testing.assert_allclose(layer.dbiases, D.sum(axis=0, keepdims=True), atol=1e-12)
