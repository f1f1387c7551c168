"""Lesson 22's layers (nnfs.conv, hardened by appendix 22a): Conv2D, MaxPool2D, Flatten, im2col/col2im, and
appendix 22a's recipe build_cnn (nnfs.recipes).

Proof of the backward passes twice over: the gradient checker (central differences, float64) on random shapes
(batch 1, odd and non-square sizes, several channels, both paddings, even and non-square kernels), and PyTorch
(`torch.nn.functional.conv2d`, `max_pool2d`, autograd) as an independent oracle for outputs and all gradients.
Layouts: nnfs is NHWC with weights (kh, kw, C, F); PyTorch is NCHW with weights (F, C, kh, kw)."""

import numpy as np
import pytest

import nnfs
from nnfs.conv import (
    Conv2D,
    Flatten,
    MaxPool2D,
    _same_padding,
    col2im,
    conv_output_size,
    im2col,
)
from nnfs.core import NNFSError
from nnfs.gradcheck import gradcheck
from nnfs.layers import Layer
from nnfs.recipes import CNN_BEST, build_cnn

# (batch, height, width, in_channels, out_channels, kernel, padding)
CONV_SHAPES = [
    (1, 1, 1, 1, 1, 1, "valid"),
    (1, 5, 5, 1, 1, 3, "valid"),
    (1, 3, 3, 2, 3, 3, "same"),
    (2, 7, 5, 3, 4, 3, "same"),
    (3, 6, 9, 2, 3, (2, 3), "valid"),
    (1, 6, 7, 2, 2, 4, "same"),
    (2, 4, 4, 5, 2, 1, "same"),
    (2, 5, 8, 3, 2, (3, 1), "same"),
    (1, 9, 4, 1, 3, 4, "valid"),
    (2, 4, 5, 2, 3, (1, 3), "same"),
]
TIGHT = dict(rtol=1e-10, atol=1e-12)


def make_conv(c_in, c_out, k, padding, seed, **kw):
    rng = np.random.default_rng(seed)
    layer = Conv2D(c_in, c_out, k, padding=padding, rng=rng, dtype=np.float64, **kw)
    layer.biases[:] = rng.standard_normal(c_out)  # nonzero biases, so they are really tested
    return layer, rng


def to_nchw(a):
    return a.transpose(0, 3, 1, 2)


def to_nhwc(a):
    return a.transpose(0, 2, 3, 1)


# ---- helpers -------------------------------------------------------------------------------------
def test_output_size_and_padding():
    assert [conv_output_size(28, 3), conv_output_size(28, 3, 1), conv_output_size(28, 3, 1, 2)] == [
        26,
        28,
        14,
    ]
    assert (
        conv_output_size(7, 3, 0, 2) == 3
        and conv_output_size(8, 3, 0, 2) == 3
        and conv_output_size(3, 3) == 1
    )
    assert conv_output_size(5, 2, 2, 3) == 3
    assert [_same_padding(k) for k in (1, 2, 3, 4, 5)] == [(0, 0), (0, 1), (1, 1), (1, 2), (2, 2)]


def test_im2col_rows_are_windows():
    x = np.arange(2 * 4 * 5 * 3, dtype=float).reshape(2, 4, 5, 3)
    cols = im2col(x, 2, 3)
    assert cols.shape == (2 * 3 * 3, 2 * 3 * 3) and cols.flags.c_contiguous
    assert not np.shares_memory(cols, x)
    # row of window (n=1, i=2, j=1): rows 2..3, columns 1..3, all channels, in (row, column, channel) order
    np.testing.assert_array_equal(cols[1 * 9 + 2 * 3 + 1], x[1, 2:4, 1:4, :].reshape(-1))


def test_col2im_is_the_adjoint_of_im2col():
    rng = np.random.default_rng(0)
    for shape, kh, kw in [
        ((2, 5, 6, 3), 3, 3),
        ((1, 4, 4, 1), 2, 1),
        ((3, 3, 3, 2), 3, 3),
        ((1, 1, 1, 1), 1, 1),
    ]:
        x = rng.standard_normal(shape)
        y = rng.standard_normal(im2col(x, kh, kw).shape)
        assert np.isclose(np.sum(im2col(x, kh, kw) * y), np.sum(x * col2im(y, shape, kh, kw)), rtol=1e-12)
    # every pixel of a 3x3 image is covered by this many 2x2 windows
    counts = col2im(np.ones((4, 4)), (1, 3, 3, 1), 2, 2)[0, :, :, 0]
    np.testing.assert_array_equal(counts, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


# ---- Conv2D: values ------------------------------------------------------------------------------
def test_conv_by_hand():
    tiny = np.zeros((1, 5, 5, 1))
    tiny[0, 1:4, 2:4, 0] = 1.0
    layer = Conv2D(1, 1, 3, dtype=np.float64)
    layer.weights[:, :, 0, 0] = [[1, 0, -1], [1, 0, -1], [1, 0, -1]]
    layer.biases[:] = 0.5
    out = layer.forward(tiny)[0, :, :, 0]
    np.testing.assert_array_equal(out, np.array([[-2, -2, 2], [-3, -3, 3], [-2, -2, 2]]) + 0.5)
    same = Conv2D(1, 1, 3, padding="same", dtype=np.float64)
    same.weights[...] = layer.weights
    out_same = same.forward(tiny)[0, :, :, 0]
    assert out_same.shape == (5, 5)
    np.testing.assert_array_equal(out_same[1:4, 1:4], out - 0.5)
    np.testing.assert_array_equal(out_same[:, 0], [0, 0, 0, 0, 0])
    np.testing.assert_array_equal(out_same[2, :], [0, -3, -3, 3, 3])


def test_conv_shapes_and_dtypes():
    nnfs.init(0)
    layer = Conv2D(3, 8, 3)
    assert layer.weights.shape == (3, 3, 3, 8) and layer.biases.shape == (8,)
    assert layer.weights.dtype == layer.biases.dtype == np.float32
    assert np.all(layer.biases == 0)
    assert abs(layer.weights.std() - np.sqrt(2 / 27)) < 0.1 * np.sqrt(2 / 27)  # He initialization
    out = layer.forward(np.zeros((2, 9, 7, 3)))
    assert out.shape == (2, 7, 5, 8) and out.dtype == np.float32
    assert Conv2D(3, 8, 3, padding="same").forward(np.zeros((2, 9, 7, 3))).shape == (2, 9, 7, 8)
    assert Conv2D(3, 8, 2, padding="same").forward(np.zeros((2, 9, 7, 3))).shape == (2, 9, 7, 8)
    assert Conv2D(3, 8, (1, 3)).forward(np.zeros((1, 9, 7, 3))).shape == (1, 9, 5, 8)
    ws = Conv2D(1, 4, 3, weight_scale=0.5, rng=np.random.default_rng(1))
    np.testing.assert_allclose(
        ws.weights, 0.5 * np.random.default_rng(1).standard_normal((3, 3, 1, 4)), rtol=1e-6
    )


def test_conv_flat_input():
    rng = np.random.default_rng(3)
    layer = Conv2D(2, 3, 3, padding="same", input_shape=(4, 5), rng=rng, dtype=np.float64)
    assert layer.n_inputs == 40 and Conv2D(2, 3).n_inputs is None
    x = rng.standard_normal((3, 4, 5, 2))
    out_flat = layer.forward(x.reshape(3, -1))
    dflat = layer.backward(np.ones_like(out_flat))
    assert dflat.shape == (3, 40)
    out_img = layer.forward(x)
    np.testing.assert_array_equal(out_flat, out_img)
    np.testing.assert_array_equal(dflat, layer.backward(np.ones_like(out_img)).reshape(3, 40))


def test_conv_chunks_give_the_same_results(monkeypatch):
    layer, rng = make_conv(3, 4, 3, "same", 5)
    x = rng.standard_normal((7, 6, 5, 3))
    g = rng.standard_normal((7, 6, 5, 4))
    out = layer.forward(x).copy()
    assert layer.cols is not None and layer.cols.shape == (7 * 30, 27)
    dx, dw, db = layer.backward(g).copy(), layer.dweights.copy(), layer.dbiases.copy()
    per_image = 30 * 27 * 8
    for limit in (1, per_image, 2 * per_image + 1, 3 * per_image):
        monkeypatch.setattr(layer, "max_cols_bytes", limit)
        np.testing.assert_allclose(layer.forward(x), out, **TIGHT)
        assert layer.cols is None  # too large to keep: rebuilt in backward
        np.testing.assert_allclose(layer.backward(g), dx, **TIGHT)
        np.testing.assert_allclose(layer.dweights, dw, **TIGHT)
        np.testing.assert_allclose(layer.dbiases, db, **TIGHT)
    assert layer._chunk(np.zeros((7, 8, 7, 3))) == 3


def test_conv_documented_defaults():
    "kernel_size defaults to 3 (3x3), and the im2col copy limit `Conv2D.max_cols_bytes` to 64 MiB."
    assert Conv2D(1, 2).kernel_size == (3, 3) and Conv2D(1, 2).weights.shape == (3, 3, 1, 2)
    assert Conv2D.max_cols_bytes == 64 * 2**20


def test_conv_chunk_limit_boundaries():
    """A batch whose copy is exactly max_cols_bytes is kept whole; one byte less, or one image's copy over the
    limit, is chunked (one image at a time at least) and the backward pass still gives the same results."""
    layer, rng = make_conv(3, 4, 3, "valid", 6)
    x, g = rng.standard_normal((7, 6, 5, 3)), rng.standard_normal((7, 4, 3, 4))
    per_image = 4 * 3 * 27 * 8
    layer.max_cols_bytes = 7 * per_image
    layer.forward(x)
    assert layer.cols is not None and layer.cols.shape == (7 * 12, 27)
    dx, dw = layer.backward(g).copy(), layer.dweights.copy()
    layer.max_cols_bytes = 7 * per_image - 1
    layer.forward(x)
    assert layer.cols is None
    np.testing.assert_allclose(layer.backward(g), dx, **TIGHT)
    layer.max_cols_bytes = 1  # smaller than one image: images one by one, two images are not kept
    layer.forward(x[:2])
    assert layer.cols is None
    np.testing.assert_allclose(layer.backward(g[:2]), dx[:2], **TIGHT)
    layer.need_dinputs = False  # chunked backward without the input gradient: None, weights still right
    layer.forward(x)
    assert layer.backward(g) is None and layer.dinputs is None
    np.testing.assert_allclose(layer.dweights, dw, **TIGHT)


def test_conv_chunked_memory_stays_bounded():
    "With a small max_cols_bytes, forward and backward never allocate a whole batch's im2col copy."
    import tracemalloc

    layer, rng = make_conv(1, 2, 8, "valid", 9)
    x, g = rng.standard_normal((64, 15, 15, 1)), rng.standard_normal((64, 8, 8, 2))
    per_image = 8 * 8 * 64 * 8  # 64 windows of 64 float64 values
    full_copy = 64 * per_image  # 2 MiB
    layer.max_cols_bytes = 4 * per_image
    tracemalloc.start()
    try:
        layer.forward(x)
        forward_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        layer.backward(g)
        backward_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert layer.cols is None
    assert forward_peak < full_copy // 2 and backward_peak < full_copy // 2


def test_conv_inference_keeps_no_im2col_copy():
    layer = Conv2D(2, 3, 3)
    layer.forward(np.zeros((4, 6, 6, 2)), training=False)
    assert layer.cols is None
    layer.backward(np.ones((4, 4, 4, 3)))  # still possible: the copy is rebuilt
    np.testing.assert_array_equal(layer.dweights, 0)


def test_conv_gradients_written_in_place():
    layer, rng = make_conv(2, 3, 3, "valid", 7)
    x, g = rng.standard_normal((2, 5, 5, 2)), rng.standard_normal((2, 3, 3, 3))
    layer.forward(x)
    layer.backward(g)
    dw_buf, db_buf = np.zeros_like(layer.weights), np.zeros_like(layer.biases)
    expected_w, expected_b = layer.dweights.copy(), layer.dbiases.copy()
    layer.dweights, layer.dbiases = dw_buf, db_buf
    layer.forward(x)
    layer.backward(g)
    assert layer.dweights is dw_buf and layer.dbiases is db_buf
    np.testing.assert_allclose(dw_buf, expected_w, **TIGHT)
    np.testing.assert_allclose(db_buf, expected_b, **TIGHT)
    assert layer.gradients()["weights"] is dw_buf and layer.gradients()["biases"] is db_buf


def test_conv_need_dinputs_false():
    layer, rng = make_conv(2, 3, 3, "same", 8)
    x, g = rng.standard_normal((2, 4, 4, 2)), rng.standard_normal((2, 4, 4, 3))
    layer.forward(x)
    layer.backward(g)
    dw = layer.dweights.copy()
    layer.need_dinputs = False
    layer.forward(x)
    assert layer.backward(g) is None and layer.dinputs is None
    np.testing.assert_allclose(layer.dweights, dw, **TIGHT)


# ---- gradient checks -----------------------------------------------------------------------------
@pytest.mark.parametrize("n, h, w, c_in, c_out, k, padding", CONV_SHAPES)
def test_conv_gradcheck(n, h, w, c_in, c_out, k, padding):
    layer, rng = make_conv(c_in, c_out, k, padding, n * 1000 + h * 100 + w * 10 + c_in)
    result = gradcheck(layer, rng.standard_normal((n, h, w, c_in)))
    assert result.ok, result
    assert set(result.errors) == {"inputs", "weights", "biases"}


def test_conv_gradcheck_flat_input():
    layer, rng = make_conv(1, 2, 3, "same", 11, input_shape=(5, 4))
    assert gradcheck(layer, rng.standard_normal((2, 20))).ok


@pytest.mark.parametrize(
    "shape, p",
    [((1, 2, 2, 1), 2), ((2, 5, 7, 3), 2), ((3, 6, 4, 2), 2), ((2, 7, 6, 2), 3), ((1, 3, 3, 4), 1)],
)
def test_maxpool_gradcheck(shape, p):
    rng = np.random.default_rng(sum(shape) + p)
    result = gradcheck(MaxPool2D(p), rng.standard_normal(shape))
    assert result.ok, result


def test_flatten_gradcheck():
    result = gradcheck(Flatten(), np.random.default_rng(0).standard_normal((2, 3, 4, 5)))
    assert result.ok, result


def test_gradcheck_catches_a_broken_conv_backward(monkeypatch):
    "A backward pass that assigns instead of adding in col2im must fail the gradient check."
    import nnfs.conv as conv_module

    def assigning(dcols, shape, kh, kw):
        n, h, w, c = shape
        ho, wo = h - kh + 1, w - kw + 1
        d, dx = dcols.reshape(n, ho, wo, kh, kw, c), np.zeros(shape, dtype=dcols.dtype)
        for i in range(kh):
            for j in range(kw):
                dx[:, i : i + ho, j : j + wo, :] = d[:, :, :, i, j, :]
        return dx

    monkeypatch.setattr(conv_module, "col2im", assigning)
    layer, rng = make_conv(2, 3, 3, "same", 1)
    result = gradcheck(layer, rng.standard_normal((2, 5, 6, 2)))
    assert not result.ok and result.where == "inputs"


# ---- PyTorch as the oracle -----------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("n, h, w, c_in, c_out, k, padding", CONV_SHAPES)
def test_conv_matches_torch(torch, n, h, w, c_in, c_out, k, padding):
    layer, rng = make_conv(c_in, c_out, k, padding, n + h + w + c_in + c_out)
    x = rng.standard_normal((n, h, w, c_in))
    out = layer.forward(x)
    g = rng.standard_normal(out.shape)
    dx = layer.backward(g)
    xt = torch.tensor(to_nchw(x), requires_grad=True)
    wt = torch.tensor(layer.weights.transpose(3, 2, 0, 1).copy(), requires_grad=True)
    bt = torch.tensor(layer.biases, requires_grad=True)
    ot = torch.nn.functional.conv2d(xt, wt, bt, padding=padding)
    (ot * torch.tensor(to_nchw(g))).sum().backward()
    np.testing.assert_allclose(out, to_nhwc(ot.detach().numpy()), **TIGHT)
    np.testing.assert_allclose(dx, to_nhwc(xt.grad.numpy()), **TIGHT)
    np.testing.assert_allclose(layer.dweights, wt.grad.numpy().transpose(2, 3, 1, 0), **TIGHT)
    np.testing.assert_allclose(layer.dbiases, bt.grad.numpy(), **TIGHT)


@pytest.mark.parametrize(
    "shape, p", [((1, 2, 2, 1), 2), ((2, 5, 7, 3), 2), ((3, 8, 6, 4), 2), ((2, 7, 9, 2), 3)]
)
def test_maxpool_matches_torch(torch, shape, p):
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape)
    x[0, :2, :2, 0] = 0.0  # a tie (as after a ReLU): the first element wins
    x[-1, -p:, -p:, -1] = 1.5
    if shape[1] >= 2 * p and shape[2] >= 2 * p:
        x[0, p : 2 * p, p : 2 * p, -1] = -1.0
        x[0, p, 2 * p - 1, -1] = x[0, 2 * p - 1, p, -1] = 2.5  # a tie off the diagonal: row order decides
    pool = MaxPool2D(p)
    out = pool.forward(x)
    g = rng.standard_normal(out.shape)
    dx = pool.backward(g)
    xt = torch.tensor(to_nchw(x), requires_grad=True)
    ot = torch.nn.functional.max_pool2d(xt, p)
    (ot * torch.tensor(to_nchw(g))).sum().backward()
    np.testing.assert_array_equal(out, to_nhwc(ot.detach().numpy()))
    np.testing.assert_array_equal(dx, to_nhwc(xt.grad.numpy()))


def test_conv_pool_chain_float32_matches_torch(torch):
    "The float32 defaults agree with a float64 PyTorch oracle to float32 precision."
    rng = np.random.default_rng(4)
    nnfs.init(4)
    conv, pool, flat = Conv2D(3, 5, 3, padding="same"), MaxPool2D(2), Flatten()
    conv.biases[:] = rng.standard_normal(5)
    x = rng.standard_normal((4, 8, 7, 3)).astype(np.float32)
    out = flat.forward(pool.forward(conv.forward(x)))
    g = rng.standard_normal(out.shape).astype(np.float32)
    dx = conv.backward(pool.backward(flat.backward(g)))
    assert out.dtype == dx.dtype == conv.dweights.dtype == np.float32
    xt = torch.tensor(to_nchw(x).astype(np.float64), requires_grad=True)
    wt = torch.tensor(conv.weights.transpose(3, 2, 0, 1).astype(np.float64), requires_grad=True)
    bt = torch.tensor(conv.biases.astype(np.float64), requires_grad=True)
    ot = torch.nn.functional.max_pool2d(torch.nn.functional.conv2d(xt, wt, bt, padding="same"), 2)
    ot_flat = ot.permute(0, 2, 3, 1).reshape(4, -1)  # NHWC order, as our Flatten
    (ot_flat * torch.tensor(g.astype(np.float64))).sum().backward()
    f32 = dict(rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out, ot_flat.detach().numpy(), **f32)
    np.testing.assert_allclose(dx, to_nhwc(xt.grad.numpy()), **f32)
    np.testing.assert_allclose(conv.dweights, wt.grad.numpy().transpose(2, 3, 1, 0), **f32)
    np.testing.assert_allclose(conv.dbiases, bt.grad.numpy(), **f32)


# ---- MaxPool2D and Flatten: values ---------------------------------------------------------------
def test_maxpool_values_ties_and_odd_sizes():
    pool = MaxPool2D(2)
    m = np.array(
        [[1, 5, 2, 0, 9], [3, 2, 8, 1, 9], [0, 4, 0, 0, 9], [6, 1, 0, 0, 9], [9, 9, 9, 9, 9]], dtype=float
    ).reshape(1, 5, 5, 1)
    np.testing.assert_array_equal(pool.forward(m)[0, :, :, 0], [[5, 8], [6, 0]])
    d = pool.backward(np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 2, 2, 1))[0, :, :, 0]
    np.testing.assert_array_equal(
        d, [[0, 1, 0, 0, 0], [0, 0, 2, 0, 0], [0, 0, 4, 0, 0], [3, 0, 0, 0, 0], [0, 0, 0, 0, 0]]
    )
    assert MaxPool2D(3).forward(np.zeros((2, 7, 8, 3))).shape == (2, 2, 2, 3)
    # a tie between (0, 1) and (1, 0): the first in reading order (row by row) gets the gradient
    tie = np.array([[1.0, 5.0], [5.0, 2.0]]).reshape(1, 2, 2, 1)
    pool.forward(tie)
    np.testing.assert_array_equal(pool.backward(np.ones((1, 1, 1, 1)))[0, :, :, 0], [[0, 1], [0, 0]])
    pool3 = MaxPool2D(3)
    pool3.forward(np.array([[0, 0, 1], [0, 0, 0], [1, 0, 1.0]]).reshape(1, 3, 3, 1))
    np.testing.assert_array_equal(
        pool3.backward(np.ones((1, 1, 1, 1))).reshape(9), [0, 0, 1, 0, 0, 0, 0, 0, 0]
    )
    assert MaxPool2D().config() == {"pool_size": 2} and repr(MaxPool2D(3)) == "MaxPool2D(pool_size=3)"


def test_flatten_values():
    x = np.arange(24.0).reshape(2, 2, 3, 2)
    f = Flatten()
    np.testing.assert_array_equal(f.forward(x), x.reshape(2, 12))
    np.testing.assert_array_equal(f.backward(np.arange(24.0).reshape(2, 12)), x)
    assert f.forward(np.zeros((1, 5))).shape == (1, 5)
    assert repr(f) == "Flatten()" and f.config() == {} and f.parameters() == {}


# ---- the Layer protocol --------------------------------------------------------------------------
def test_layer_protocol():
    conv = Conv2D(2, 4, (3, 2), padding="same", input_shape=(6, 5))
    assert isinstance(conv, Layer) and isinstance(MaxPool2D(), Layer) and isinstance(Flatten(), Layer)
    cfg = conv.config()
    assert cfg == {
        "in_channels": 2,
        "out_channels": 4,
        "kernel_size": [3, 2],
        "padding": "same",
        "input_shape": [6, 5],
    }
    assert Conv2D(**cfg).config() == cfg
    assert Conv2D(1, 2, weight_scale=0.1).config()["weight_scale"] == 0.1
    assert set(conv.parameters()) == {"weights", "biases"} and conv.parameters()["weights"] is conv.weights
    assert MaxPool2D().parameters() == {} and Flatten().parameters() == {}
    assert repr(conv) == (
        "Conv2D(in_channels=2, out_channels=4, kernel_size=[3, 2], padding='same', input_shape=[6, 5])"
    )
    with pytest.raises(NNFSError, match="backward"):
        conv.gradients()


def test_init_zeros_draws_nothing():
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    layer = Conv2D(3, 4, 3, init="zeros", rng=rng)
    assert rng.bit_generator.state == state
    assert np.all(layer.weights == 0) and layer.weights.shape == (3, 3, 3, 4)


# ---- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(in_channels=0, out_channels=1), "in_channels"),
        (dict(in_channels=1, out_channels=True), "out_channels"),
        (dict(in_channels=1.5, out_channels=1), "in_channels"),
        (dict(in_channels=1, out_channels=1, kernel_size=0), "kernel_size"),
        (dict(in_channels=1, out_channels=1, kernel_size=(1, 2, 3)), "kernel_size"),
        (dict(in_channels=1, out_channels=1, padding="full"), "padding"),
        (dict(in_channels=1, out_channels=1, input_shape=(28,)), "input_shape"),
        (dict(in_channels=1, out_channels=1, input_shape=(28, 0)), "input_shape"),
        (dict(in_channels=1, out_channels=1, init="ones"), "init"),
        (dict(in_channels=1, out_channels=1, weight_scale=-1.0), "weight_scale"),
    ],
)
def test_conv_bad_arguments(kwargs, match):
    with pytest.raises(NNFSError, match=match):
        Conv2D(**kwargs)


def test_conv_bad_inputs():
    layer = Conv2D(2, 3, 3, input_shape=(4, 4))
    with pytest.raises(NNFSError, match="backward called before forward"):
        layer.backward(np.zeros((1, 2, 2, 3)))
    with pytest.raises(NNFSError, match=r"\(batch, height, width, 2\) or flat rows \(batch, 32\)"):
        layer.forward(np.zeros((1, 4, 4, 3)))
    with pytest.raises(NNFSError, match="got \\(1, 31\\)"):
        layer.forward(np.zeros((1, 31)))
    with pytest.raises(NNFSError, match="expected inputs"):
        layer.forward(np.zeros((0, 4, 4, 2)))
    with pytest.raises(NNFSError, match=r"flat rows \(1, 32\).*input_shape=\(height, width\)"):
        Conv2D(2, 3).forward(np.zeros((1, 32)))
    with pytest.raises(NNFSError, match=r"\(batch, height, width, 2\), got \(1, 4, 4\)"):
        Conv2D(2, 3).forward(np.zeros((1, 4, 4)))
    with pytest.raises(NNFSError, match="images of 2x5 are smaller than the 3x3 kernel"):
        layer.forward(np.zeros((1, 2, 5, 2)))
    assert Conv2D(2, 3, 3, padding="same").forward(np.zeros((1, 1, 1, 2))).shape == (1, 1, 1, 3)
    layer.forward(np.zeros((2, 4, 4, 2)))
    with pytest.raises(NNFSError, match=r"expected dvalues of shape \(2, 2, 2, 3\)"):
        layer.backward(np.zeros((2, 2, 2)))


def test_pool_and_flatten_errors():
    with pytest.raises(NNFSError, match="pool_size"):
        MaxPool2D(0)
    pool = MaxPool2D(2)
    with pytest.raises(NNFSError, match="backward called before forward"):
        pool.backward(np.zeros((1, 1, 1, 1)))
    with pytest.raises(NNFSError, match="height >= 2"):
        pool.forward(np.zeros((1, 1, 4, 1)))
    with pytest.raises(NNFSError, match="expected inputs"):
        pool.forward(np.zeros((4, 4, 1)))
    with pytest.raises(NNFSError, match="expected inputs"):
        pool.forward(np.zeros((0, 4, 4, 1)))
    pool.forward(np.zeros((1, 4, 4, 1)))
    with pytest.raises(NNFSError, match="expected dvalues"):
        pool.backward(np.zeros((1, 4, 4, 1)))
    flat = Flatten()
    with pytest.raises(NNFSError, match="backward called before forward"):
        flat.backward(np.zeros((1, 4)))
    with pytest.raises(NNFSError, match="batch"):
        flat.forward(np.zeros(4))
    flat.forward(np.zeros((2, 2, 2)))
    with pytest.raises(NNFSError, match="expected dvalues"):
        flat.backward(np.zeros((2, 5)))


# ---- build_cnn and Model -------------------------------------------------------------------------
def test_build_cnn_structure():
    model = build_cnn(rng=np.random.default_rng(0))
    names = [type(l).__name__ for l in model.layers]
    assert names == [
        "Conv2D",
        "ReLU",
        "MaxPool2D",
        "Conv2D",
        "ReLU",
        "MaxPool2D",
        "Flatten",
        "Dropout",
        "Dense",
        "ReLU",
        "Dropout",
        "Dense",
        "Softmax",
    ]
    conv1, conv2, d1, d2 = model.trainable_layers
    assert conv1.config() == {
        "in_channels": 1,
        "out_channels": 32,
        "kernel_size": [3, 3],
        "padding": "same",
        "input_shape": [28, 28],
    }
    assert conv2.weights.shape == (3, 3, 32, 64) and d1.weights.shape == (7 * 7 * 64, 128)
    assert d2.weights.shape == (128, 10)
    assert sum(p.size for l in model.trainable_layers for p in l.parameters().values()) == 421_642
    assert conv1.need_dinputs is False and conv2.need_dinputs is True
    assert model.layers[7].rate == CNN_BEST["dropout"] == 0.3
    small = build_cnn(filters=(4,), dense=8, dropout=0, image_shape=(6, 10), n_classes=3)
    assert [type(l).__name__ for l in small.layers] == [
        "Conv2D",
        "ReLU",
        "MaxPool2D",
        "Flatten",
        "Dense",
        "ReLU",
        "Dense",
        "Softmax",
    ]
    assert small.trainable_layers[1].weights.shape == (3 * 5 * 4, 8)
    with pytest.raises(NNFSError, match="filters"):
        build_cnn(filters=())
    with pytest.raises(NNFSError, match="shrink"):
        build_cnn(filters=(2, 2, 2), image_shape=(4, 4))


def test_cnn_best_and_build_cnn_defaults():
    "The chosen settings, and build_cnn's optimizer built from them."
    assert CNN_BEST == dict(
        filters=(32, 64), dense=128, dropout=0.3, learning_rate=1e-3, decay=1e-4, batch_size=128, epochs=15
    )
    opt = build_cnn(filters=(2,), dense=4).optimizer
    assert type(opt).__name__ == "Adam" and opt.learning_rate == 1e-3 and opt.decay == 1e-4


def test_build_cnn_dense_weight_scales():
    """He scale sqrt(2 / fan_in) for the hidden dense layer (fan_in = h*w*channels after the poolings),
    sqrt(1 / dense) for the output layer."""
    import math

    model = build_cnn(filters=(4,), dense=8, image_shape=(6, 10), n_classes=3)
    d1, d2 = model.trainable_layers[1:]
    assert d1.weights.shape == (3 * 5 * 4, 8) and d1.weight_scale == math.sqrt(2 / 60)
    assert d2.weights.shape == (8, 3) and d2.weight_scale == math.sqrt(1 / 8)


def test_build_cnn_shrink_boundaries():
    "Images pooled down to 1x1 are accepted; a 0 along either axis is refused."
    small = build_cnn(filters=(2,), dense=4, image_shape=(2, 2), n_classes=2)
    assert small.trainable_layers[1].weights.shape == (1 * 1 * 2, 4)
    assert build_cnn(filters=(2, 3), dense=4, image_shape=(4, 5)).trainable_layers[2].weights.shape == (3, 4)
    for filters, shape in (((2, 2, 2), (4, 64)), ((2, 2, 2), (64, 4)), ((2,), (1, 9)), ((2,), (9, 1))):
        with pytest.raises(NNFSError, match="shrink"):
            build_cnn(filters=filters, image_shape=shape)


def test_build_cnn_trains():
    nnfs.init(0)
    rng = np.random.default_rng(0)
    model = build_cnn(filters=(4, 8), dense=16, image_shape=(8, 8), n_classes=2, learning_rate=1e-2)
    X = rng.standard_normal((64, 64)).astype(np.float32)
    y = (
        X.reshape(64, 8, 8)[:, :, :4].sum(axis=(1, 2)) > X.reshape(64, 8, 8)[:, :, 4:].sum(axis=(1, 2))
    ).astype(int)
    hist = model.train(X, y, epochs=15, batch_size=16, progress=False)
    assert hist["loss"][-1] < 0.5 * hist["loss"][0]
    probs = model.predict(X[:5])
    assert probs.shape == (5, 2) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(model.predict(X, batch_size=7), model.predict(X), rtol=1e-5, atol=1e-6)


# ---- the model file ----------------------------------------------------------------------
def test_save_and_load_a_cnn(tmp_path):
    from nnfs.serialization import load_model, save_model

    nnfs.init(1)
    model = build_cnn(filters=(3, 5), dense=8)
    for layer in model.trainable_layers:
        layer.biases[...] = np.random.default_rng(2).standard_normal(layer.biases.shape)
    save_model(model, tmp_path / "cnn.npz")
    loaded = load_model(tmp_path / "cnn.npz")
    assert repr(loaded.layers) == repr(model.layers)
    for a, b in zip(loaded.trainable_layers, model.trainable_layers):
        for name, value in b.parameters().items():
            np.testing.assert_array_equal(a.parameters()[name], value)
    X = np.random.default_rng(3).standard_normal((4, 784)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


@pytest.mark.parametrize(
    "change",
    [
        {"kernel_size": [0, 3]},
        {"kernel_size": "3"},
        {"padding": "full"},
        {"in_channels": -1},
        {"input_shape": [28]},
        {"out_channels": 7},
        {"weight_scale": "big"},
        {"stride": 2},
    ],
)
def test_load_refuses_a_bad_conv_config(tmp_path, change):
    "A model file whose Conv2D config was tampered with is refused with ModelFileError, not a traceback."
    import io
    import json
    import zipfile

    from nnfs.serialization import ModelFileError, load_model, save_model

    model = build_cnn(filters=(2,), dense=4, rng=np.random.default_rng(0))
    save_model(model, tmp_path / "cnn.npz")
    with zipfile.ZipFile(tmp_path / "cnn.npz") as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    arch = "__architecture__.npy"
    desc = json.loads(np.load(io.BytesIO(members[arch])).tobytes().decode("utf-8"))
    assert desc["layers"][0]["type"] == "Conv2D"
    desc["layers"][0]["config"].update(change)
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.frombuffer(json.dumps(desc).encode("utf-8"), dtype=np.uint8))
    members[arch] = buf.getvalue()
    with zipfile.ZipFile(tmp_path / "bad.npz", "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(ModelFileError):
        load_model(tmp_path / "bad.npz")


def test_fresh_process_loads_a_cnn_file(tmp_path):
    "load_model imports the modules whose layers a file names: a CNN loads without importing nnfs.conv first."
    import subprocess
    import sys

    from nnfs.recipes import build_cnn
    from nnfs.serialization import save_model

    path = tmp_path / "cnn.npz"
    save_model(build_cnn(filters=(4,), dense=8), path)
    code = ("from nnfs.serialization import load_model; "
            f"print(type(load_model({str(path)!r}).layers[0]).__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "Conv2D"
