"""nnfs.autodiff (lesson 23): the engine's gradients against central differences, PyTorch autograd and the
course's hand-written backward passes (lessons 08-13 and 22), gradient accumulation and broadcasting,
the topological order, dtypes, the fused softmax/cross-entropy, and training bit for bit like the layers."""

import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnfs.activations import Linear, ReLU, Sigmoid, Softmax
from nnfs.autodiff import Tensor, as_tensor, softmax_cross_entropy, take
from nnfs.conv import Conv2D
from nnfs.core import NNFSError
from nnfs.datasets import spiral_data
from nnfs.gradcheck import numerical_gradient
from nnfs.layers import Dense, Dropout
from nnfs.losses import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    MeanAbsoluteError,
    MeanSquaredError,
    SoftmaxCategoricalCrossentropy,
)
from nnfs.optimizers import Adam
from nnfs.regularization import L1L2


def grad_of(f, *arrays, seed=0):
    "The engine's gradients of sum(f(*tensors) * P) for a fixed random P, and that scalar as a function."
    tensors = [Tensor(a) for a in arrays]
    out = f(*tensors)
    P = np.random.default_rng(seed).standard_normal(out.shape)
    (out * P).sum().backward()
    return [t.grad for t in tensors], P


def numeric_of(f, arrays, i, P):
    "Central differences of sum(f(...) * P) with respect to argument i."
    def scalar(a):
        args = [Tensor(a if j == i else b) for j, b in enumerate(arrays)]
        return float((f(*args).data * P).sum())
    return numerical_gradient(scalar, arrays[i])


def away_from_zero(rng, shape, low=0.2):
    "Random normals pushed away from 0 (the kinks of relu and abs)."
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < low, np.sign(x + 1e-12) * low, x)


UNARY = {
    "relu": lambda a: a.relu(),
    "exp": lambda a: a.exp(),
    "log": lambda a: (a * a + 0.5).log(),
    "abs": lambda a: abs(a),
    "pow3": lambda a: a**3,
    "pow-1": lambda a: (a * a + 1.0) ** -1,
    "pow0.5": lambda a: (a * a + 1.0) ** 0.5,
    "neg": lambda a: -a,
    "rsub": lambda a: 2.0 - a,
    "sub": lambda a: a - 2.0,
    "rtruediv": lambda a: 1.0 / (a * a + 1.0),
    "truediv": lambda a: a / 3.0,
    "radd": lambda a: 1.0 + a,
    "rmul": lambda a: 3.0 * a,
    "square": lambda a: a * a,
    "sum": lambda a: a.sum(),
    "sum0": lambda a: a.sum(axis=0),
    "sum1": lambda a: a.sum(axis=1),
    "sum1k": lambda a: a.sum(axis=1, keepdims=True),
    "sum0k": lambda a: a.sum(axis=0, keepdims=True),
    "sum-1": lambda a: a.sum(axis=-1),
    "mean": lambda a: a.mean(),
    "mean0": lambda a: a.mean(axis=0),
    "mean1k": lambda a: a.mean(axis=1, keepdims=True),
    "reshape": lambda a: a.reshape(a.shape[1], a.shape[0]) * np.arange(a.data.size).reshape(
        a.shape[1], a.shape[0]),
    "used three times": lambda a: a * a.exp() + a,
}


@pytest.mark.parametrize("name", list(UNARY))
@pytest.mark.parametrize("shape", [(1, 1), (3, 4), (5, 2)])
def test_unary_operations_against_central_differences(name, shape):
    rng = np.random.default_rng(zlib.crc32(f"{name}{shape}".encode()))
    x = away_from_zero(rng, shape)
    (g,), P = grad_of(UNARY[name], x)
    np.testing.assert_allclose(g, numeric_of(UNARY[name], [x], 0, P), rtol=1e-6, atol=1e-8)


BINARY = {
    "add": (lambda a, b: a + b, (3, 4), (3, 4)),
    "add bias row": (lambda a, b: a + b, (3, 4), (1, 4)),
    "add vector": (lambda a, b: a + b, (3, 4), (4,)),
    "add column": (lambda a, b: a + b, (3, 4), (3, 1)),
    "add outer": (lambda a, b: a + b, (3, 1), (1, 4)),
    "add scalar tensor": (lambda a, b: a + b, (3, 4), ()),
    "mul": (lambda a, b: a * b, (3, 4), (3, 4)),
    "mul broadcast": (lambda a, b: a * b, (2, 3, 4), (3, 1)),
    "sub broadcast": (lambda a, b: a - b, (3, 4), (4,)),
    "div broadcast": (lambda a, b: a / (b * b + 1.0), (3, 4), (1, 4)),
    "matmul": (lambda a, b: a @ b, (3, 4), (4, 2)),
    "matmul vector": (lambda a, b: a @ b, (1, 4), (4, 5)),
    "both used twice": (lambda a, b: (a @ b) * (a @ b) + a.sum() * b.sum(), (2, 3), (3, 2)),
}


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_operations_against_central_differences(name):
    f, sa, sb = BINARY[name]
    rng = np.random.default_rng(len(name))
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    grads, P = grad_of(f, a, b)
    for i, g in enumerate(grads):
        assert g.shape == (a, b)[i].shape
        np.testing.assert_allclose(g, numeric_of(f, [a, b], i, P), rtol=1e-6, atol=1e-8)


def test_a_tensor_used_twice_gets_the_sum():
    a, b = Tensor(2.0), Tensor(3.0)
    (a * b + a).backward()
    assert a.grad == 4.0 and b.grad == 2.0
    h = Tensor([1.0, 2.0]) * 3.0
    w = h.parents[0]
    ((h * h).sum() + h.sum()).backward()
    np.testing.assert_allclose(w.grad, 3.0 * (2 * h.data + 1.0))


def test_broadcast_gradients_are_summed_back():
    x = Tensor(np.ones((4, 3)))
    row, vec = Tensor(np.zeros((1, 3))), Tensor(np.zeros(3))
    col, scalar = Tensor(np.zeros((4, 1))), Tensor(0.0)
    (((x + row) + vec + col + scalar) * 2.0).sum().backward()
    assert [t.grad.shape for t in (row, vec, col, scalar)] == [(1, 3), (3,), (4, 1), ()]
    np.testing.assert_array_equal(row.grad, [[8.0] * 3])
    np.testing.assert_array_equal(vec.grad, [8.0] * 3)
    np.testing.assert_array_equal(col.grad, [[6.0]] * 4)
    assert scalar.grad == 24.0


def test_backward_seed_and_its_shape():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    out = x * 2.0
    out.backward(np.full((2, 3), 0.5))
    np.testing.assert_array_equal(x.grad, np.ones((2, 3)))
    with pytest.raises(NNFSError, match=r"expected a gradient of shape \(2, 3\), got \(3,\)"):
        out.backward(np.ones(3))


def test_backward_twice_does_not_accumulate():
    "Each backward call computes the gradients of that call: leaves are reset, not added to."
    w = Tensor(np.array([1.0, -2.0]))
    loss = (w * w).sum()
    loss.backward()
    first = w.grad.copy()
    loss.backward()
    np.testing.assert_array_equal(w.grad, first)
    np.testing.assert_array_equal(first, [2.0, -4.0])


def test_topological_order_lists_each_tensor_once_after_its_parents():
    rng = np.random.default_rng(3)
    leaves = [Tensor(rng.standard_normal(2)) for _ in range(4)]
    nodes = list(leaves)
    for i in range(40):  # a random graph with many shared nodes
        a, b = nodes[rng.integers(len(nodes))], nodes[rng.integers(len(nodes))]
        nodes.append(a * b if i % 3 else a + b)
    root = nodes[-1].sum() + nodes[-2].sum()
    order = root.topological_order()
    position = {id(t): i for i, t in enumerate(order)}
    assert len(position) == len(order) and order[-1] is root
    for t in order:
        assert all(position[id(p)] < position[id(t)] for p in t.parents)
    # everything the root depends on, and nothing else
    reach, todo = set(), [root]
    while todo:
        t = todo.pop()
        if id(t) not in reach:
            reach.add(id(t))
            todo.extend(t.parents)
    assert set(position) == reach


def test_a_graph_deeper_than_the_recursion_limit():
    x = Tensor(np.ones(3))
    y = x
    for _ in range(5000):
        y = y * 1.0 + 0.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones(3))


def test_dtypes_are_kept():
    x = Tensor(np.ones((2, 3), dtype=np.float32))
    out = ((x * 2 + 1) / 3 - 1).mean() + (x**2).sum() + (1 - x).exp().sum() + abs(x).log().sum()
    out.backward()
    assert out.data.dtype == np.float32 and x.grad.dtype == np.float32
    assert Tensor([1, 2]).data.dtype == np.float32  # integers become the package dtype
    assert as_tensor(np.float64(2.0), x).data.dtype == np.float32  # a constant takes the other's dtype
    y = Tensor(np.ones(3))
    assert (y * 2).data.dtype == np.float64


def test_arrays_on_the_left():
    X = np.arange(6.0).reshape(2, 3)
    W = Tensor(np.ones((3, 2)))
    out = X @ W + np.ones((1, 2))
    assert isinstance(out, Tensor)
    out.sum().backward()
    np.testing.assert_array_equal(W.grad, X.T @ np.ones((2, 2)))
    b = Tensor(np.zeros(3))
    r = np.ones((2, 3)) - b
    assert isinstance(r, Tensor) and np.array_equal(r.data, np.ones((2, 3)))


def test_repr_names_the_operation():
    a = Tensor(np.ones((2, 2)))
    assert repr(a) == "Tensor((2, 2), op='leaf')"
    assert repr(a @ a) == "Tensor((2, 2), op='@')" and repr(a.relu()) == "Tensor((2, 2), op='relu')"


def test_relu_passes_nothing_at_zero():
    x = Tensor(np.array([-1.0, 0.0, 2.0]))
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])
    y = Tensor(np.array([-1.0, 0.0, 2.0]))
    abs(y).sum().backward()
    np.testing.assert_array_equal(y.grad, [-1.0, 0.0, 1.0])


# The course's hand-written backward passes (lessons 08-13): equal to float64 precision.
RNG = np.random.default_rng(11)


def softmax_composed(z):
    e = (z - z.data.max(axis=1, keepdims=True)).exp()
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("n, n_in, n_out", [(1, 1, 1), (4, 3, 2), (16, 7, 10)])
def test_dense_equals_the_layer(n, n_in, n_out):
    layer = Dense(n_in, n_out, weight_scale=1.0, rng=RNG, dtype=np.float64)
    layer.biases[:] = RNG.standard_normal((1, n_out))
    X, G = RNG.standard_normal((n, n_in)), RNG.standard_normal((n, n_out))
    layer.forward(X)
    dX = layer.backward(G)
    x, W, b = Tensor(X), Tensor(layer.weights), Tensor(layer.biases)
    out = x @ W + b
    out.backward(G)
    np.testing.assert_allclose(out.data, layer.output, rtol=1e-14)
    for ours, theirs in ((x.grad, dX), (W.grad, layer.dweights), (b.grad, layer.dbiases)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-14)


ACTIVATIONS = {
    "ReLU": (ReLU, lambda z: z.relu()),
    "Softmax": (Softmax, softmax_composed),
    "Sigmoid": (Sigmoid, lambda z: 1 / (1 + (-z).exp())),
    "Linear": (Linear, lambda z: z * 1.0),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activations_equal_the_layers(name):
    cls, f = ACTIVATIONS[name]
    Z, G = RNG.standard_normal((6, 5)), RNG.standard_normal((6, 5))
    layer = cls()
    layer.forward(Z)
    z = Tensor(Z)
    out = f(z)
    out.backward(G)
    np.testing.assert_allclose(out.data, layer.output, rtol=1e-13)
    np.testing.assert_allclose(z.grad, layer.backward(G), rtol=1e-12, atol=1e-15)


def _cce(z, Y):
    return -(Y * softmax_composed(z).log()).sum(axis=1).mean()


def _bce(z, Y):
    p = 1 / (1 + (-z).exp())
    return -(Y * p.log() + (1 - Y) * (1 - p).log()).mean()


LOSSES = {
    "Softmax + CategoricalCrossentropy": (Softmax, CategoricalCrossentropy, _cce, "one-hot"),
    "Sigmoid + BinaryCrossentropy": (Sigmoid, BinaryCrossentropy, _bce, "binary"),
    "Linear + MeanSquaredError": (Linear, MeanSquaredError, lambda z, Y: ((z - Y) ** 2).mean(), "real"),
    "Linear + MeanAbsoluteError": (Linear, MeanAbsoluteError, lambda z, Y: abs(z - Y).mean(), "real"),
}


@pytest.mark.parametrize("name", list(LOSSES))
def test_losses_equal_the_hand_written_gradients(name):
    out_cls, loss_cls, f, kind = LOSSES[name]
    Z = RNG.standard_normal((7, 3))
    Y = {"one-hot": np.eye(3)[RNG.integers(0, 3, 7)], "binary": RNG.integers(0, 2, (7, 3)).astype(float),
         "real": RNG.standard_normal((7, 3))}[kind]
    layer, loss = out_cls(), loss_cls()
    p = layer.forward(Z)
    course_loss = loss.calculate(p, Y)
    course = layer.backward(loss.backward(p, Y))
    z = Tensor(Z)
    value = f(z, Y)
    value.backward()
    np.testing.assert_allclose(float(value.data), course_loss, rtol=1e-12)
    np.testing.assert_allclose(z.grad, course, rtol=1e-11, atol=1e-15)


def test_dropout_with_its_mask_equals_the_layer():
    layer = Dropout(0.3, rng=np.random.default_rng(5))
    Z, G = RNG.standard_normal((6, 8)), RNG.standard_normal((6, 8))
    layer.forward(Z)
    z = Tensor(Z)
    (z * layer.mask).backward(G)
    np.testing.assert_array_equal(z.grad, layer.backward(G))


def test_l1_l2_penalties_equal_the_regularizer():
    reg = L1L2(weight_l1=0.01, weight_l2=0.02, bias_l1=0.03, bias_l2=0.04)
    layer = Dense(5, 4, weight_scale=1.0, regularizer=reg, rng=RNG, dtype=np.float64)
    layer.biases[:] = RNG.standard_normal((1, 4))
    layer.biases[0, 1] = 0.0  # sign(0) = 0 on both sides
    X, G = RNG.standard_normal((3, 5)), RNG.standard_normal((3, 4))
    layer.forward(X)
    layer.backward(G)
    W, b = Tensor(layer.weights), Tensor(layer.biases)
    penalty = 0.01 * abs(W).sum() + 0.02 * (W**2).sum() + 0.03 * abs(b).sum() + 0.04 * (b**2).sum()
    (((Tensor(X) @ W + b) * G).sum() + penalty).backward()
    np.testing.assert_allclose(W.grad, layer.dweights, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(b.grad, layer.dbiases, rtol=1e-13, atol=1e-15)
    assert float(penalty.data) == pytest.approx(reg.loss(layer), rel=1e-12)


# The fused softmax/cross-entropy
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1.0, 30.0, 500.0])
def test_softmax_cross_entropy_is_the_hand_written_fused_loss(dtype, scale):
    Z = (scale * RNG.standard_normal((9, 4))).astype(dtype)
    y = RNG.integers(0, 4, 9)
    course = SoftmaxCategoricalCrossentropy()
    losses = course.forward(Z, y)
    z = Tensor(Z)
    loss = softmax_cross_entropy(z, y)
    loss.backward()
    assert loss.data.dtype == dtype and z.grad.dtype == dtype and np.isfinite(loss.data)
    np.testing.assert_array_equal(z.grad, course.backward(course.output, y))
    if scale == 1.0:  # where the course's clip to [1e-7, 1 - 1e-7] does not bite
        np.testing.assert_allclose(float(loss.data), float(np.mean(losses)), rtol=1e-6)


def test_softmax_cross_entropy_against_the_composition_and_its_labels():
    Z = RNG.standard_normal((5, 3))
    y = np.array([0, 2, 1, 1, 0])
    z1, z2, z3 = Tensor(Z), Tensor(Z), Tensor(Z)
    a, b = softmax_cross_entropy(z1, y), _cce(z2, np.eye(3)[y])
    c = softmax_cross_entropy(z3, np.eye(3)[y])  # one-hot labels too
    for t in (a, b, c):
        t.backward()
    np.testing.assert_allclose(a.data, b.data, rtol=1e-13)
    np.testing.assert_allclose(z1.grad, z2.grad, rtol=1e-12, atol=1e-16)
    np.testing.assert_array_equal(z1.grad, z3.grad)
    (softmax_cross_entropy(z1, y) * 3.0).backward()  # the incoming gradient scales the rule
    np.testing.assert_allclose(z1.grad, 3 * z2.grad, rtol=1e-12, atol=1e-16)
    with pytest.raises(NNFSError, match="class indices must be in 0..2"):
        softmax_cross_entropy(Tensor(Z), np.array([0, 1, 2, 3, 0]))
    with pytest.raises(NNFSError, match="expected 5 labels"):
        softmax_cross_entropy(Tensor(Z), np.array([0, 1]))


def test_a_sure_wrong_guess_stays_finite_only_when_fused():
    Z = np.array([[0.5, -120.0, 0.0]], dtype=np.float32)
    fused, composed = Tensor(Z), Tensor(Z)
    softmax_cross_entropy(fused, [1]).backward()
    assert np.all(np.isfinite(fused.grad))
    with np.errstate(all="ignore"):
        loss = _cce(composed, np.eye(3, dtype=np.float32)[[1]])
        loss.backward()
    assert not np.isfinite(loss.data) and not np.all(np.isfinite(composed.grad))


# Convolution, from `take` and a matrix product (as lesson 23 builds it)
def conv2d(x, w, b):
    (n, h, wd, c), (kh, kw, _, f) = x.shape, w.shape
    positions = np.arange(x.data.size).reshape(x.shape)
    windows = np.lib.stride_tricks.sliding_window_view(positions, (kh, kw), axis=(1, 2))
    index = windows.transpose(0, 1, 2, 4, 5, 3).reshape(-1, kh * kw * c)
    out = take(x, index) @ w.reshape(kh * kw * c, f) + b
    return out.reshape(n, h - kh + 1, wd - kw + 1, f)


@pytest.mark.parametrize("n, h, w, c, f, k", [(1, 3, 3, 1, 1, (3, 3)), (2, 7, 6, 3, 4, (3, 2)),
                                              (3, 5, 8, 2, 5, (1, 1)), (1, 6, 4, 2, 3, (2, 4))])
def test_conv2d_equals_the_layer(n, h, w, c, f, k):
    layer = Conv2D(c, f, k, rng=RNG, dtype=np.float64)
    layer.biases[:] = RNG.standard_normal(f)
    images = RNG.standard_normal((n, h, w, c))
    layer.forward(images)
    G = RNG.standard_normal(layer.output.shape)
    layer.backward(G)
    x, W, b = Tensor(images), Tensor(layer.weights), Tensor(layer.biases)
    out = conv2d(x, W, b)
    out.backward(G)
    np.testing.assert_allclose(out.data, layer.output, rtol=1e-12, atol=1e-13)
    for ours, theirs in ((x.grad, layer.dinputs), (W.grad, layer.dweights), (b.grad, layer.dbiases)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-13)


def test_take_adds_the_gradients_of_repeated_positions():
    x = Tensor(np.zeros((1, 3, 3, 1)))
    positions = np.arange(9).reshape(1, 3, 3, 1)
    index = np.lib.stride_tricks.sliding_window_view(positions, (2, 2), axis=(1, 2)).reshape(-1, 4)
    take(x, index).sum().backward()  # each pixel counted once per window that covers it
    np.testing.assert_array_equal(x.grad[0, :, :, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    v = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32))
    out = take(v, np.array([3, 0, 3, 3]))
    np.testing.assert_array_equal(out.data, [4.0, 1.0, 4.0, 4.0])
    (out * np.array([1.0, 10.0, 100.0, 1000.0], dtype=np.float32)).sum().backward()
    np.testing.assert_array_equal(v.grad, [[10.0, 0.0], [0.0, 1101.0]])
    assert v.grad.dtype == np.float32 and out.data.dtype == np.float32


@given(st.integers(0, 2**31 - 1))
def test_take_against_central_differences(seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(tuple(int(k) for k in rng.integers(1, 4, size=int(rng.integers(1, 4)))))
    index = rng.integers(0, a.size, size=tuple(int(k) for k in rng.integers(1, 5, size=2)))
    (g,), P = grad_of(lambda t: take(t, index), a, seed=seed)
    np.testing.assert_allclose(g, numeric_of(lambda t: take(t, index), [a], 0, P), rtol=1e-6, atol=1e-8)


# PyTorch autograd as an independent oracle
def test_a_network_against_torch_autograd(torch):
    rng = np.random.default_rng(21)
    X, W1, b1, W2, b2 = (rng.standard_normal(s) for s in ((6, 4), (4, 5), (1, 5), (5, 3), (3,)))
    y = rng.integers(0, 3, 6)
    ts = [Tensor(a) for a in (X, W1, b1, W2, b2)]
    hidden = (ts[0] @ ts[1] + ts[2]).relu()
    reg = 0.1 * abs(ts[1]).sum() + 0.2 * (ts[3] ** 2).sum() + (ts[1].exp() / (1 + ts[1] ** 2)).mean()
    loss = softmax_cross_entropy(hidden @ ts[3] + ts[4], y) + reg
    loss.backward()
    tt = [torch.tensor(a, requires_grad=True) for a in (X, W1, b1, W2, b2)]
    h_t = torch.relu(tt[0] @ tt[1] + tt[2])
    reg_t = 0.1 * tt[1].abs().sum() + 0.2 * (tt[3] ** 2).sum() + (tt[1].exp() / (1 + tt[1] ** 2)).mean()
    loss_t = torch.nn.functional.cross_entropy(h_t @ tt[3] + tt[4], torch.tensor(y)) + reg_t
    loss_t.backward()
    np.testing.assert_allclose(float(loss.data), loss_t.item(), rtol=1e-12)
    for ours, theirs in zip(ts, tt):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-11, atol=1e-13)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=30)
@given(st.integers(1, 4), st.integers(1, 5), st.integers(1, 4), st.integers(0, 2**31 - 1))
def test_conv2d_against_torch(torch, n, size, c, seed):
    rng = np.random.default_rng(seed)
    k = 1 + seed % 3
    h, w = size + k, size + k + seed % 2
    x, wt, b = rng.standard_normal((n, h, w, c)), rng.standard_normal((k, k, c, 2)), rng.standard_normal(2)
    tx, tw, tb = Tensor(x), Tensor(wt), Tensor(b)
    out = conv2d(tx, tw, tb)
    G = rng.standard_normal(out.shape)
    out.backward(G)
    xt = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
    wtt = torch.tensor(wt.transpose(3, 2, 0, 1).copy(), requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    ref = torch.nn.functional.conv2d(xt, wtt, bt)
    (ref * torch.tensor(G.transpose(0, 3, 1, 2))).sum().backward()
    np.testing.assert_allclose(out.data, ref.detach().numpy().transpose(0, 2, 3, 1), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tx.grad, xt.grad.numpy().transpose(0, 2, 3, 1), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tw.grad, wtt.grad.numpy().transpose(2, 3, 1, 0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tb.grad, bt.grad.numpy(), rtol=1e-12, atol=1e-12)


# Training: the engine's gradients, step for step, are the layers' own
def test_training_with_the_engine_is_bit_identical_to_the_layers():
    X, y = spiral_data(30, 3, rng=np.random.default_rng(0))

    def network():
        rng = np.random.default_rng(0)
        return Dense(2, 16, rng=rng), ReLU(), Dense(16, 3, rng=rng)

    d1, relu, d2 = network()
    loss_fn, opt = SoftmaxCategoricalCrossentropy(), Adam(0.02)
    for _ in range(30):
        loss_fn.forward(d2.forward(relu.forward(d1.forward(X))), y)
        d1.backward(relu.backward(d2.backward(loss_fn.backward(loss_fn.output, y))))
        opt.step((d1, d2))
    e1, _, e2 = network()
    opt = Adam(0.02)
    for _ in range(30):
        W1, b1, W2, b2 = (Tensor(p) for p in (e1.weights, e1.biases, e2.weights, e2.biases))
        softmax_cross_entropy((X @ W1 + b1).relu() @ W2 + b2, y).backward()
        e1.dweights, e1.dbiases, e2.dweights, e2.dbiases = W1.grad, b1.grad, W2.grad, b2.grad
        opt.step((e1, e2))
    for a, b in ((d1, e1), (d2, e2)):
        np.testing.assert_array_equal(a.weights, b.weights)
        np.testing.assert_array_equal(a.biases, b.biases)
