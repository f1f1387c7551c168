"""nnfs.interop (lesson 24): `to_torch`/`from_torch` and `to_onnx`/`export_onnx` against the package's own
predictions, for every layer type, odd shapes, both dtypes, dropout in inference mode and round trips; the
refusals (a layer or module with no equivalent is named); and the optional dependencies (a missing one is
named in one line, and `import nnfs.interop` never needs them).

The last test compares the predictions of a trained MLP and CNN (the course's architectures, trained
briefly) on the 10,000 Fashion-MNIST *test* images, as issue 26 asks: it compares two implementations of the
same model image by image and never measures an accuracy, so nothing is tuned on the test set."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import Scale

from nnfs.activations import Linear, ReLU, Sigmoid, Softmax
from nnfs.conv import Conv2D, Flatten, MaxPool2D
from nnfs.core import NNFSError
from nnfs.interop import chw_order, export_onnx, from_torch, to_onnx, to_torch
from nnfs.layers import Dense, Dropout
from nnfs.model import Model
from nnfs.recipes import build_cnn, build_model
from nnfs.serialization import ModelFileError, save_model

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture
def ort():
    "onnxruntime (and onnx); skip (or, in CI, fail) when they are missing."
    try:
        import onnx  # noqa: F401
        import onnxruntime
    except ImportError:
        if IN_CI:
            pytest.fail("onnx/onnxruntime are not installed but CI=true: the ONNX tests must run in CI")
        pytest.skip("onnx or onnxruntime not installed (pip install 'nnfs-course[onnx]')")
    return onnxruntime


def dense(n_in, n_out, dtype, seed=0):
    return Dense(n_in, n_out, weight_scale=0.5, rng=np.random.default_rng(seed), dtype=dtype)


def conv(c_in, c_out, k, dtype, seed=0, **kw):
    return Conv2D(c_in, c_out, k, rng=np.random.default_rng(seed), dtype=dtype, **kw)


def finalized(layers, dtype, seed=0) -> Model:
    "A finalized model of `layers`, their biases random (not zero)."
    rng = np.random.default_rng(seed)
    for layer in layers:
        if "biases" in layer.parameters():
            layer.biases[...] = rng.standard_normal(layer.biases.shape).astype(dtype)
    return Model(layers).finalize()


def nchw(X):
    return X.transpose(0, 3, 1, 2)


def chw_rows(h, w, c):
    "Flat HWC rows -> flat CHW rows (what an nn.Unflatten(1, (C, H, W)) reads)."
    return lambda X: X.reshape(len(X), h, w, c).transpose(0, 3, 1, 2).reshape(len(X), -1)


def same(X):
    return X


# name -> (layers(dtype), input shape, PyTorch's input from ours, PyTorch's output to ours)
ZOO = {
    "mlp, every activation": (
        lambda d: [dense(5, 7, d), ReLU(), Dropout(0.3), dense(7, 6, d, 1), Sigmoid(), dense(6, 4, d, 2),
                   Linear(), Softmax()], (9, 5), same, same),
    "regression, one sample": (
        lambda d: [dense(3, 4, d), ReLU(), dense(4, 2, d, 1), Linear()], (1, 3), same, same),
    "cnn on flat rows": (  # 7x5 same -> pool 3x2 -> (2, 1) valid -> 2x2x4 -> 16
        lambda d: [conv(1, 3, 3, d, padding="same", input_shape=(7, 5)), ReLU(), MaxPool2D(2),
                   conv(3, 4, (2, 1), d, 1), ReLU(), Flatten(), Dropout(0.2), dense(16, 3, d, 2), Softmax()],
        (4, 35), same, same),
    "cnn on flat rows of 2 channels": (  # 5x4x2 valid 3x3 -> 3x2x3 -> 18
        lambda d: [conv(2, 3, 3, d, input_shape=(5, 4)), ReLU(), Flatten(), dense(18, 4, d, 1), Softmax()],
        (3, 40), chw_rows(5, 4, 2), same),
    "cnn on NHWC images, even kernel": (  # 6x7 'same' 4x4 -> pool 3 -> 2x2x4 -> 16
        lambda d: [conv(2, 4, 4, d, padding="same"), Sigmoid(), MaxPool2D(3), Flatten(), dense(16, 5, d, 1),
                   Softmax()], (3, 6, 7, 2), nchw, same),
    "fully convolutional, 4-D output": (  # 5x4 -> pool 2x2 -> 'same' 3x3 -> 2x2x5
        lambda d: [conv(3, 2, 1, d), ReLU(), MaxPool2D(2), conv(2, 5, 3, d, 1, padding="same"), Softmax()],
        (2, 5, 4, 3), nchw, lambda Y: Y.transpose(0, 2, 3, 1)),
    "flatten first, on rows": (
        lambda d: [Flatten(), dense(6, 3, d), Sigmoid()], (5, 6), same, same),
}
DTYPES = {"float64": (np.float64, dict(rtol=1e-12, atol=1e-13)),
          "float32": (np.float32, dict(rtol=0, atol=1e-5))}


def zoo_case(name, dtype):
    layers, shape, to_theirs, to_ours = ZOO[name]
    model = finalized(layers(dtype), dtype)
    X = np.random.default_rng(len(name)).standard_normal(shape).astype(dtype)
    return model, X, to_theirs, to_ours


@pytest.mark.parametrize("dtype_name", list(DTYPES))
@pytest.mark.parametrize("name", list(ZOO))
def test_to_torch_predicts_what_the_model_predicts(torch, name, dtype_name):
    dtype, tol = DTYPES[dtype_name]
    model, X, to_theirs, to_ours = zoo_case(name, dtype)
    net = to_torch(model)
    assert isinstance(net, torch.nn.Sequential) and not net.training
    assert all(p.dtype == getattr(torch, dtype_name) for p in net.parameters())
    with torch.no_grad():
        theirs = to_ours(net(torch.from_numpy(np.ascontiguousarray(to_theirs(X)))).numpy())
    np.testing.assert_allclose(theirs, model.predict(X), **tol)


@pytest.mark.parametrize("dtype_name", list(DTYPES))
@pytest.mark.parametrize("name", list(ZOO))
def test_to_onnx_predicts_what_the_model_predicts(ort, tmp_path, name, dtype_name):
    """ONNX Runtime runs the float32 graphs (its CPU build has no float64 convolution); the `onnx` package's
    reference evaluator, a third implementation, runs both."""
    from onnx.reference import ReferenceEvaluator

    dtype, tol = DTYPES[dtype_name]
    model, X, _, _ = zoo_case(name, dtype)
    proto = to_onnx(model, tmp_path / "m.onnx")
    assert (tmp_path / "m.onnx").read_bytes() == proto.SerializeToString()
    assert [i.name for i in proto.graph.input] == ["input"]
    assert [o.name for o in proto.graph.output] == ["output"]
    assert len(proto.graph.input[0].type.tensor_type.shape.dim) == X.ndim
    outputs = [ReferenceEvaluator(proto).run(None, {"input": X})[0]]
    if dtype == np.float32:
        session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
        outputs.append(session.run(None, {"input": X})[0])
    for theirs in outputs:
        assert theirs.dtype == dtype
        np.testing.assert_allclose(theirs, model.predict(X), **tol)


@pytest.mark.parametrize("dtype_name", list(DTYPES))
@pytest.mark.parametrize("name", list(ZOO))
def test_round_trip_through_torch_is_exact(torch, name, dtype_name):
    dtype, _ = DTYPES[dtype_name]
    model, X, _, _ = zoo_case(name, dtype)
    back = from_torch(to_torch(model))
    assert [type(a) for a in back.layers] == [type(b) for b in model.layers]
    for a, b in zip(back.layers, model.layers):
        assert {k: v for k, v in a.config().items() if k != "weight_scale"} == {
            k: v for k, v in b.config().items() if k != "weight_scale"}
        for key, value in b.parameters().items():
            assert a.parameters()[key].dtype == value.dtype
            np.testing.assert_array_equal(a.parameters()[key], value)
    np.testing.assert_array_equal(back.predict(X), model.predict(X))


def test_dropout_is_off_in_the_translations(torch, ort, tmp_path):
    "A model whose dropout would drop nearly everything in training: inference must pass the inputs through."
    model = finalized([dense(4, 6, np.float32), Dropout(0.9), ReLU(), dense(6, 3, np.float32, 1), Softmax()],
                      np.float32)
    X = np.random.default_rng(0).standard_normal((50, 4)).astype(np.float32)
    net = to_torch(model)
    with torch.no_grad():
        first, second = net(torch.from_numpy(X)).numpy(), net(torch.from_numpy(X)).numpy()
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(first, model.predict(X), atol=1e-6)
    to_onnx(model, tmp_path / "d.onnx")
    session = ort.InferenceSession(str(tmp_path / "d.onnx"), providers=["CPUExecutionProvider"])
    out = session.run(None, {"input": X})
    np.testing.assert_allclose(out[0], model.predict(X), atol=1e-6)


def test_chw_order():
    maps = np.arange(2 * 3 * 4).reshape(1, 2, 3, 4)  # H=2, W=3, C=4: each number is its NHWC position
    theirs = maps.transpose(0, 3, 1, 2).reshape(-1)
    np.testing.assert_array_equal(chw_order(4, 24), theirs)
    np.testing.assert_array_equal(chw_order(1, 5), np.arange(5))
    order = chw_order(3, 12)
    assert sorted(order) == list(range(12)) and order[1] == 3


def test_a_forgotten_reordering_would_change_the_answers(torch):
    "The rows of the Dense after a Flatten matter: without the reordering the predictions differ."
    model, X, to_theirs, _ = zoo_case("cnn on NHWC images, even kernel", np.float64)
    net = to_torch(model)
    linear = next(m for m in net if isinstance(m, torch.nn.Linear))
    linear.weight = torch.nn.Parameter(torch.tensor(model.layers[4].weights.T.copy()))
    with torch.no_grad():
        wrong = net(torch.from_numpy(np.ascontiguousarray(to_theirs(X)))).numpy()
    assert np.abs(wrong - model.predict(X)).max() > 1e-3


def test_torch_native_models_come_back(torch):
    "Modules written the PyTorch way (padding=1, default options) are read, weights and all."
    nn = torch.nn
    torch.manual_seed(0)
    net = nn.Sequential(nn.Unflatten(1, (1, 8, 6)), nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(3, 4, 2, padding="same"), nn.Sigmoid(), nn.Flatten(), nn.Dropout(0.5),
                        nn.Linear(4 * 4 * 3, 5), nn.Identity(), nn.Softmax(dim=1)).double().eval()
    model = from_torch(net)
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv2D", "ReLU", "MaxPool2D", "Conv2D", "Sigmoid", "Flatten", "Dropout", "Dense", "Linear",
        "Softmax"]
    assert model.layers[0].input_shape == (8, 6) and model.layers[3].padding == "same"
    X = np.random.default_rng(1).standard_normal((6, 48))
    with torch.no_grad():
        theirs = net(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(model.predict(X), theirs, rtol=1e-12, atol=1e-13)
    assert model.finalized and model.loss is None


# Refusals: no silent approximation
class Doubled(Dense):
    "A subclass that computes something else: it must not pass for a Dense."

    def forward(self, inputs, training=True):
        self.output = 2 * super().forward(inputs, training)
        return self.output


@pytest.mark.parametrize("layer, name", [(Scale(3), "Scale"), (Doubled(3, 3), "Doubled")])
def test_a_layer_with_no_equivalent_is_named(torch, ort, tmp_path, layer, name):
    model = Model([dense(3, 3, np.float64), layer, Softmax()]).finalize()
    for f in (to_torch, lambda m: to_onnx(m, tmp_path / "x.onnx")):
        with pytest.raises(NNFSError, match=rf"{name}\(.*has no equivalent"):
            f(model)
    assert not (tmp_path / "x.onnx").exists()


def test_a_flatten_after_convolutions_needs_a_dense_in_torch(torch):
    model = Model([conv(1, 2, 3, np.float32, input_shape=(4, 4)), Flatten(), ReLU()]).finalize()
    with pytest.raises(NNFSError, match="Flatten after convolutions must be followed by a Dense"):
        to_torch(model)


def test_rows_of_several_channels_after_other_layers_are_refused(torch):
    model = Model([dense(3, 32, np.float32), conv(2, 1, 3, np.float32, input_shape=(4, 4))]).finalize()
    with pytest.raises(NNFSError, match="Conv2D.*has no equivalent"):
        to_torch(model)


@pytest.mark.parametrize("make, shown", [
    (lambda nn: nn.Tanh(), r"Tanh\(\)"),
    (lambda nn: nn.Conv2d(1, 2, 3, stride=2), r"stride=\(2, 2\)"),
    (lambda nn: nn.Conv2d(1, 2, 3, padding=2), r"padding=\(2, 2\)"),
    (lambda nn: nn.Conv2d(1, 2, 3, dilation=2), r"dilation=\(2, 2\)"),
    (lambda nn: nn.Conv2d(2, 2, 3, groups=2), r"groups=2"),
    (lambda nn: nn.Conv2d(1, 2, 3, bias=False), r"bias=False"),
    (lambda nn: nn.Linear(3, 2, bias=False), r"bias=False"),
    (lambda nn: nn.MaxPool2d(3, stride=1), r"stride=1"),
    (lambda nn: nn.MaxPool2d(2, ceil_mode=True), r"ceil_mode=True"),
    (lambda nn: nn.MaxPool2d((2, 3)), r"MaxPool2d"),
    (lambda nn: nn.Softmax(dim=-1), r"dim=-1"),
    (lambda nn: nn.Flatten(start_dim=0), r"start_dim=0"),
    (lambda nn: nn.ReLU(inplace=True), r"inplace=True"),
    (lambda nn: nn.Sequential(nn.ReLU()), r"Sequential"),
])
def test_a_module_with_no_equivalent_is_named(torch, make, shown):
    with pytest.raises(NNFSError, match=rf"from_torch: .*{shown}"):
        from_torch(torch.nn.Sequential(make(torch.nn)))


def test_a_module_is_named_in_a_longer_network(torch):
    nn = torch.nn
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.LayerNorm(3), nn.Linear(3, 2))
    with pytest.raises(NNFSError, match=r"from_torch: LayerNorm\(\(3,\).*has no equivalent"):
        from_torch(net)


# Optional dependencies
def _block(monkeypatch, *modules):
    for m in modules:
        monkeypatch.setitem(sys.modules, m, None)  # `import m` now raises ImportError


def test_a_missing_torch_names_the_extra(monkeypatch):
    _block(monkeypatch, "torch")
    model = Model([dense(2, 2, np.float32)]).finalize()
    with pytest.raises(NNFSError, match=r"^to_torch needs torch: pip install 'nnfs-course\[torch\]'$"):
        to_torch(model)


def test_a_missing_onnx_names_the_extra(monkeypatch, tmp_path):
    _block(monkeypatch, "onnx")
    model = Model([dense(2, 2, np.float32)]).finalize()
    with pytest.raises(NNFSError, match=r"^to_onnx needs onnx: pip install 'nnfs-course\[onnx\]'$"):
        to_onnx(model, tmp_path / "m.onnx")
    save_model(model, tmp_path / "m.npz")
    with pytest.raises(NNFSError, match=r"nnfs-course\[onnx\]"):
        export_onnx(tmp_path / "m.npz", tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_nnfs_imports_without_the_extras():
    code = ("import sys\n"
            "for m in ('torch', 'onnx', 'onnxruntime'): sys.modules[m] = None\n"
            "import nnfs, nnfs.autodiff, nnfs.interop\n"
            "print('imported')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0 and out.stdout.strip() == "imported", out.stderr


# The command's function
def test_export_onnx_writes_the_file_and_says_so(ort, tmp_path):
    model, X, _, _ = zoo_case("cnn on flat rows", np.float32)
    save_model(model, tmp_path / "cnn.npz")
    message = export_onnx(tmp_path / "cnn.npz", tmp_path / "cnn.onnx")
    import onnx

    proto = onnx.load(str(tmp_path / "cnn.onnx"))
    ops = [n.op_type for n in proto.graph.node]
    assert message == f"wrote {tmp_path / 'cnn.onnx'}: {len(ops)} ONNX operators"
    assert ops == ["Reshape", "Transpose", "Conv", "Relu", "MaxPool", "Conv", "Relu", "Transpose", "Flatten",
                   "Gemm", "Softmax", "Identity"]
    session = ort.InferenceSession(str(tmp_path / "cnn.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"input": X})[0], model.predict(X), atol=1e-5)


def test_export_onnx_refuses_a_bad_model_file_and_a_folder(ort, tmp_path):
    (tmp_path / "bad.npz").write_bytes(b"not a model")
    with pytest.raises(ModelFileError):
        export_onnx(tmp_path / "bad.npz", tmp_path / "out.onnx")
    assert not (tmp_path / "out.onnx").exists()
    save_model(Model([dense(2, 2, np.float32)]).finalize(), tmp_path / "ok.npz")
    with pytest.raises(NNFSError, match="is a folder"):
        export_onnx(tmp_path / "ok.npz", tmp_path)


def test_an_existing_onnx_file_is_replaced(ort, tmp_path):
    (tmp_path / "m.onnx").write_bytes(b"old")
    to_onnx(Model([dense(2, 2, np.float32), Softmax()]).finalize(), tmp_path / "m.onnx")
    assert (tmp_path / "m.onnx").read_bytes() != b"old"


# The course's MLP and CNN on the 10,000 test images
def _data():
    from nnfs.datasets import fashion_mnist_split, fashion_mnist_test
    try:
        return fashion_mnist_split()[:2], fashion_mnist_test()[0]
    except NNFSError:
        if IN_CI:
            raise
        pytest.skip("Fashion-MNIST not found: set NNFS_DATA")


@pytest.mark.slow
def test_the_course_models_on_the_test_images(torch, ort, tmp_path):
    (X_train, y_train), X_test = _data()
    results = {}
    for name, build, n in (("MLP", build_model, 2_000), ("CNN", build_cnn, 600)):
        model = build(rng=np.random.default_rng(0))
        model.train(X_train[:n], y_train[:n], epochs=1, batch_size=128, progress=False)
        ours = model.predict(X_test, batch_size=1_000)
        with torch.no_grad():
            via_torch = to_torch(model)(torch.from_numpy(X_test)).numpy()
        to_onnx(model, tmp_path / f"{name}.onnx")
        session = ort.InferenceSession(str(tmp_path / f"{name}.onnx"), providers=["CPUExecutionProvider"])
        via_onnx = session.run(None, {"input": X_test})[0]
        results[name] = (np.abs(via_torch - ours).max(), np.abs(via_onnx - ours).max())
        assert len(X_test) == 10_000 and ours.shape == (10_000, 10)
        top2 = np.sort(ours, axis=1)[:, -2:]
        for theirs in (via_torch, via_onnx):  # a class may differ only where two classes (nearly) tie
            differ = theirs.argmax(axis=1) != ours.argmax(axis=1)
            assert np.all(top2[differ, 1] - top2[differ, 0] < 1e-5)
    print({k: {"torch": f"{a:.1e}", "onnx": f"{b:.1e}"} for k, (a, b) in results.items()})
    assert max(max(v) for v in results.values()) <= 1e-5, results
