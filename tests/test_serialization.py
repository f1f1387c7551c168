"""Saving and loading models (`nnfs.serialization`): round trips, the parameters-only files, every kind of
malformed file the loader must reject with a `ModelFileError` naming the problem, and the atomic save."""
import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

import nnfs.serialization as ser
from nnfs.activations import Linear, ReLU, Sigmoid, Softmax
from nnfs.core import NNFSError
from nnfs.layers import Dense, Dropout
from nnfs.losses import BinaryCrossentropy, CategoricalCrossentropy, MeanAbsoluteError, MeanSquaredError
from nnfs.metrics import BinaryAccuracy, CategoricalAccuracy, RegressionAccuracy
from nnfs.model import Model
from nnfs.regularization import L1L2
from nnfs.serialization import (ARCH_KEY, ModelFileError, get_parameters, load_model, load_parameters, save_model,
                                save_parameters, set_parameters)


def classifier(dtype=np.float32):
    rng = np.random.default_rng(1)
    return Model([Dense(5, 16, rng=rng, weight_scale=0.5, dtype=dtype), ReLU(), Dropout(0.3),
                  Dense(16, 4, rng=rng, weight_scale=0.5, dtype=dtype), Softmax()]
                 ).set(loss=CategoricalCrossentropy(), accuracy=CategoricalAccuracy()).finalize()


def binary():
    rng = np.random.default_rng(2)
    return Model([Dense(5, 8, rng=rng, weight_scale=0.5, regularizer=L1L2(weight_l1=1e-4, weight_l2=5e-4, bias_l2=1e-3)),
                  ReLU(), Dense(8, 1, rng=rng, weight_scale=0.5), Sigmoid()]
                 ).set(loss=BinaryCrossentropy(), accuracy=BinaryAccuracy()).finalize()


def regression():
    rng = np.random.default_rng(3)
    return Model([Dense(5, 12, rng=rng, weight_scale=0.5, dtype=np.float64), ReLU(),
                  Dense(12, 12, rng=rng, weight_scale=0.5, dtype=np.float64, regularizer=L1L2(bias_l1=0.01)), ReLU(),
                  Dense(12, 2, rng=rng, weight_scale=0.5, dtype=np.float64), Linear()]
                 ).set(loss=MeanSquaredError(), accuracy=RegressionAccuracy()).finalize()


def bare():
    "No loss, no accuracy, no output activation: only layers."
    return Model([Dense(5, 3, rng=np.random.default_rng(4))]).finalize()


X = np.random.default_rng(0).standard_normal((20, 5)).astype(np.float32)


def _randomize(model):
    "Non-zero biases, so a test would notice biases that were not restored."
    rng = np.random.default_rng(9)
    for layer in model.trainable_layers: layer.biases[...] = rng.standard_normal(layer.biases.shape)


@pytest.mark.parametrize("make", [classifier, binary, regression, bare])
def test_round_trip_identical_predictions(tmp_path, make):
    model = make()
    _randomize(model)
    save_model(model, tmp_path / "m.npz")
    loaded = load_model(tmp_path / "m.npz")
    assert loaded.finalized
    assert [type(l) for l in loaded.layers] == [type(l) for l in model.layers]
    assert np.array_equal(loaded.predict(X), model.predict(X))   # bit for bit
    assert loaded.predict(X).dtype == model.predict(X).dtype
    assert type(loaded.loss) is type(model.loss) and type(loaded.accuracy) is type(model.accuracy)
    assert loaded.optimizer is None
    for a, b in zip(get_parameters(loaded), get_parameters(model)):
        assert a[0].dtype == b[0].dtype and np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_round_trip_configs(tmp_path):
    "Dropout rates and L1L2 settings come back; the loaded model trains further like the original."
    model = binary()
    save_model(model, tmp_path / "m.npz")
    loaded = load_model(tmp_path / "m.npz")
    reg = loaded.layers[0].regularizer
    assert isinstance(reg, L1L2) and loaded.layers[2].regularizer is None
    assert (reg.weight_l1, reg.weight_l2, reg.bias_l1, reg.bias_l2) == (1e-4, 5e-4, 0.0, 1e-3)
    m2 = load_model(_save(tmp_path, classifier()))
    assert isinstance(m2.layers[2], Dropout) and m2.layers[2].rate == classifier().layers[2].rate
    y = (X[:, 0] > 0).astype(int)
    assert np.isclose(loaded.evaluate(X, y)["loss"], model.evaluate(X, y)["loss"])
    assert np.isclose(loaded.regularization_loss(), model.regularization_loss())


def test_regression_accuracy_settings_saved(tmp_path):
    "RegressionAccuracy's divisor, and the tolerance it derived from the training targets, come back."
    model = regression().set(accuracy=RegressionAccuracy(precision_divisor=50)).finalize()
    y = np.random.default_rng(5).standard_normal((len(X), 2))
    before = model.evaluate(X, y)                     # sets accuracy.precision from y
    loaded = load_model(_save(tmp_path, model))
    assert loaded.accuracy.precision_divisor == 50 and loaded.accuracy.precision == model.accuracy.precision
    assert loaded.evaluate(X, y * 3) == model.evaluate(X, y * 3)   # judged by the saved tolerance, not a new one
    assert before["accuracy"] is not None
    fresh = load_model(_save(tmp_path, regression()))
    assert fresh.accuracy.precision is None           # never initialised: stays so

    def bad(d): d["accuracy"]["config"]["precision_divisor"] = 0
    with pytest.raises(ModelFileError, match=r"accuracy \(RegressionAccuracy\) config.precision_divisor must be in"):
        load_model(_with_desc(tmp_path, bad, regression()))


def test_other_loss_saved(tmp_path):
    model = regression().set(loss=MeanAbsoluteError()).finalize()
    assert type(load_model(_save(tmp_path, model)).loss) is MeanAbsoluteError


def test_loading_does_not_touch_global_rng(tmp_path):
    path = _save(tmp_path, classifier())
    nnfs_rng = __import__("nnfs").get_rng()
    state = nnfs_rng.bit_generator.state
    load_model(path)
    assert nnfs_rng.bit_generator.state == state


def test_file_is_a_plain_npz(tmp_path):
    "The format is documented: numpy alone reads it (without pickle), and the JSON says what it is."
    path = _save(tmp_path, classifier())
    with np.load(path, allow_pickle=False) as z:
        desc = json.loads(z[ARCH_KEY].tobytes().decode("utf-8"))
        assert sorted(z.files) == sorted([ARCH_KEY, "layers.0.weights", "layers.0.biases", "layers.3.weights", "layers.3.biases"])
        assert z["layers.0.weights"].shape == (5, 16) and z["layers.3.biases"].shape == (1, 4)
    assert desc["format"] == "nnfs-model" and desc["version"] == 1 and desc["dtype"] == "float32"
    assert [l["type"] for l in desc["layers"]] == ["Dense", "ReLU", "Dropout", "Dense", "Softmax"]
    assert desc["layers"][0]["config"] == {"n_inputs": 5, "n_neurons": 16}
    assert desc["loss"] == {"type": "CategoricalCrossentropy", "config": {}}
    assert desc["accuracy"] == {"type": "CategoricalAccuracy", "config": {}}


def test_parameters_get_set(tmp_path):
    a, b = classifier(), classifier()
    _randomize(a)
    b.trainable_layers[0].weights[...] = 0
    set_parameters(b, get_parameters(a))
    assert np.array_equal(a.predict(X), b.predict(X))
    params = get_parameters(a)
    params[0][0][...] = 7   # copies: editing them does not change the model
    assert not np.any(a.trainable_layers[0].weights == 7)
    with pytest.raises(NNFSError, match=r"2 trainable layers, got 1"):
        set_parameters(b, params[:1])
    before = get_parameters(b)
    bad = [(params[0][0].T, params[0][1]), params[1]]
    with pytest.raises(NNFSError, match=r"weights of shape \(5, 16\), got \(16, 5\)"):
        set_parameters(b, bad)
    assert all(np.array_equal(x[0], y[0]) for x, y in zip(before, get_parameters(b)))   # unchanged


def test_parameters_file_round_trip(tmp_path):
    a, b = classifier(), classifier()
    _randomize(a)
    save_parameters(a, tmp_path / "p.npz")
    load_parameters(b, tmp_path / "p.npz")
    assert np.array_equal(a.predict(X), b.predict(X))
    other = Model([Dense(5, 16), ReLU(), Dense(16, 3), Softmax()]).finalize()
    with pytest.raises(ModelFileError, match=r"trainable layer 1 .* has shapes \[\[16, 3\], \[1, 3\]\]"):
        load_parameters(other, tmp_path / "p.npz")
    with pytest.raises(ModelFileError, match=r"parameters for 2 layers, the model has 1"):
        load_parameters(bare(), tmp_path / "p.npz")
    # a parameters file is not a model file, and the other way round
    with pytest.raises(ModelFileError, match=r"format is \"nnfs-parameters\", expected 'nnfs-model'"):
        load_model(tmp_path / "p.npz")
    with pytest.raises(ModelFileError, match=r"expected 'nnfs-parameters'"):
        load_parameters(b, _save(tmp_path, a))


# ---- malformed files ---------------------------------------------------------------------------------------------

def _save(tmp_path, model, name="m.npz"):
    save_model(model, tmp_path / name)
    return tmp_path / name


def _arrays(path):
    with np.load(path, allow_pickle=False) as z: return {k: z[k] for k in z.files}


def _write(path, arrays):
    np.savez(path, **arrays)
    return path


def _desc(arrays):
    return json.loads(arrays[ARCH_KEY].tobytes())


def _with_desc(tmp_path, edit, model=None):
    "A copy of a valid model file whose JSON description was changed by `edit(desc)` (or replaced by its result)."
    arrays = _arrays(_save(tmp_path, model or classifier()))
    desc = _desc(arrays)
    out = edit(desc)
    text = out if isinstance(out, str) else json.dumps(out if out is not None else desc)
    arrays[ARCH_KEY] = np.frombuffer(text.encode(), np.uint8)
    return _write(tmp_path / "bad.npz", arrays)


def test_missing_file_and_not_a_model(tmp_path):
    with pytest.raises(ModelFileError, match="model file not found"):
        load_model(tmp_path / "nope.npz")
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(ModelFileError, match="empty"):
        load_model(tmp_path / "empty.npz")
    (tmp_path / "text.npz").write_text("hello, I am not a model")
    with pytest.raises(ModelFileError, match="wrong magic"):
        load_model(tmp_path / "text.npz")
    np.save(tmp_path / "plain.npy", np.zeros(3))
    with pytest.raises(ModelFileError, match="wrong magic"):
        load_model(tmp_path / "plain.npy")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as zf: zf.writestr("readme.txt", "hi")
    with pytest.raises(ModelFileError, match="unexpected archive member 'readme.txt'"):
        load_model(tmp_path / "other.zip")
    _write(tmp_path / "noarch.npz", {"a": np.zeros(3)})
    with pytest.raises(ModelFileError, match="missing array '__architecture__'"):
        load_model(tmp_path / "noarch.npz")


def test_truncated(tmp_path):
    data = _save(tmp_path, classifier()).read_bytes()
    for cut in (10, 100, len(data) // 2, len(data) - 30, len(data) - 1):
        (tmp_path / "cut.npz").write_bytes(data[:cut])
        with pytest.raises(ModelFileError, match="truncated or corrupt archive"):
            load_model(tmp_path / "cut.npz")


def test_corrupted_data_fails_crc(tmp_path):
    path = _save(tmp_path, classifier())
    with zipfile.ZipFile(path) as zf: off = zf.getinfo("layers.0.weights.npy").header_offset
    data = bytearray(path.read_bytes())
    start = off + 30 + int.from_bytes(data[off + 26:off + 28], "little") + int.from_bytes(data[off + 28:off + 30], "little")
    data[start + 128 + 10] ^= 0x40      # one bit of one weight, after the member's local header and .npy header
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"array 'layers\.0\.weights': corrupt \(BadZipFile: Bad CRC-32"):
        load_model(path)


def test_version_and_format(tmp_path):
    with pytest.raises(ModelFileError, match="unsupported format version 2 .*reads version 1"):
        load_model(_with_desc(tmp_path, lambda d: d.update(version=2)))
    with pytest.raises(ModelFileError, match="unsupported format version \"1\""):
        load_model(_with_desc(tmp_path, lambda d: d.update(version="1")))
    with pytest.raises(ModelFileError, match="unsupported format version true"):
        load_model(_with_desc(tmp_path, lambda d: d.update(version=True)))
    with pytest.raises(ModelFileError, match="format is \"keras\""):
        load_model(_with_desc(tmp_path, lambda d: d.update(format="keras")))
    with pytest.raises(ModelFileError, match="unknown field.*'comment'"):
        load_model(_with_desc(tmp_path, lambda d: d.update(comment="hi")))
    with pytest.raises(ModelFileError, match="missing 'accuracy'"):
        load_model(_with_desc(tmp_path, lambda d: d.pop("accuracy") and None))
    with pytest.raises(ModelFileError, match="must be a JSON object, got list"):
        load_model(_with_desc(tmp_path, lambda d: "[1, 2]"))


def test_missing_extra_renamed_arrays(tmp_path):
    arrays = _arrays(_save(tmp_path, classifier()))
    a = dict(arrays); del a["layers.3.biases"]
    with pytest.raises(ModelFileError, match="missing array 'layers.3.biases'"):
        load_model(_write(tmp_path / "bad.npz", a))
    a = dict(arrays, extra=np.zeros(2, np.float32))
    with pytest.raises(ModelFileError, match="unexpected array 'extra'"):
        load_model(_write(tmp_path / "bad.npz", a))
    a = dict(arrays); a["layers.1.weights"] = a.pop("layers.0.weights")
    with pytest.raises(ModelFileError, match="missing array 'layers.0.weights'"):
        load_model(_write(tmp_path / "bad.npz", a))


def test_shapes_disagree(tmp_path):
    arrays = _arrays(_save(tmp_path, classifier()))
    a = dict(arrays, **{"layers.0.weights": arrays["layers.0.weights"].T})
    with pytest.raises(ModelFileError, match=r"array 'layers.0.weights': shape \(16, 5\) disagrees with the architecture, which needs \(5, 16\)"):
        load_model(_write(tmp_path / "bad.npz", a))
    a = dict(arrays, **{"layers.3.biases": arrays["layers.3.biases"].ravel()})
    with pytest.raises(ModelFileError, match=r"shape \(4,\) disagrees .* needs \(1, 4\)"):
        load_model(_write(tmp_path / "bad.npz", a))

    def chain(d): d["layers"][3]["config"]["n_inputs"] = 15
    with pytest.raises(ModelFileError, match=r"layer 3 \(Dense\) takes 15 inputs, but the layer before gives 16"):
        load_model(_with_desc(tmp_path, chain))

    def widen(d): d["layers"][3]["config"]["n_neurons"] = 5; d["layers"][0]["config"]["n_neurons"] = 16
    with pytest.raises(ModelFileError, match=r"shape \(16, 4\) disagrees .* needs \(16, 5\)"):
        load_model(_with_desc(tmp_path, widen))


@pytest.mark.parametrize("dtype", ["float16", "int32", "complex64", "U3", "bool"])
def test_wrong_dtype(tmp_path, dtype):
    arrays = _arrays(_save(tmp_path, classifier()))
    arrays["layers.0.biases"] = arrays["layers.0.biases"].astype(dtype)
    with pytest.raises(ModelFileError, match=r"array 'layers.0.biases': wrong dtype .* \(only float32 is accepted\)"):
        load_model(_write(tmp_path / "bad.npz", arrays))


def test_dtype_must_match_description(tmp_path):
    arrays = _arrays(_save(tmp_path, classifier()))
    arrays["layers.0.weights"] = arrays["layers.0.weights"].astype(np.float64)
    with pytest.raises(ModelFileError, match=r"wrong dtype float64 \(only float32"):
        load_model(_write(tmp_path / "bad.npz", arrays))
    with pytest.raises(ModelFileError, match=r"dtype must be \"float32\" or \"float64\", got \"float16\""):
        load_model(_with_desc(tmp_path, lambda d: d.update(dtype="float16")))
    # big-endian float32 is still float32: read and converted to the native byte order
    arrays = _arrays(_save(tmp_path, classifier()))
    arrays = {k: (v.astype(">f4") if k != ARCH_KEY else v) for k, v in arrays.items()}
    assert np.array_equal(load_model(_write(tmp_path / "be.npz", arrays)).predict(X), classifier().predict(X))


def test_architecture_array_must_be_bytes(tmp_path):
    arrays = _arrays(_save(tmp_path, classifier()))
    arrays[ARCH_KEY] = arrays[ARCH_KEY].astype(np.int64)
    with pytest.raises(ModelFileError, match=r"array '__architecture__': wrong dtype int64 \(only uint8"):
        load_model(_write(tmp_path / "bad.npz", arrays))
    arrays[ARCH_KEY] = np.frombuffer(b"\xff\xfe{}", np.uint8)
    with pytest.raises(ModelFileError, match="not UTF-8"):
        load_model(_write(tmp_path / "bad.npz", arrays))
    arrays[ARCH_KEY] = np.frombuffer(b'{"format": "nnfs-model", ', np.uint8)
    with pytest.raises(ModelFileError, match="not valid JSON"):
        load_model(_write(tmp_path / "bad.npz", arrays))


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_weights(tmp_path, value):
    arrays = _arrays(_save(tmp_path, classifier()))
    arrays["layers.3.weights"][2, 1] = value
    with pytest.raises(ModelFileError, match=r"array 'layers.3.weights' contains NaN or infinite values"):
        load_model(_write(tmp_path / "bad.npz", arrays))


def test_absurd_weights(tmp_path):
    arrays = _arrays(_save(tmp_path, classifier()))
    arrays["layers.0.weights"][0, 0] = 1e30
    with pytest.raises(ModelFileError, match=r"magnitude 1e\+30, above the limit"):
        load_model(_write(tmp_path / "bad.npz", arrays))


def test_saving_refuses_non_finite(tmp_path):
    model = classifier()
    model.trainable_layers[0].weights[0, 0] = np.nan
    with pytest.raises(NNFSError, match="NaN or infinite"):
        save_model(model, tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists() and not list(tmp_path.iterdir())


def test_unknown_layer_type(tmp_path):
    def edit(d): d["layers"][1]["type"] = "Conv2D"
    with pytest.raises(ModelFileError, match=r"layer 1 has unknown layer type \"Conv2D\" \(known: Dense, Dropout, ReLU"):
        load_model(_with_desc(tmp_path, edit))

    def code(d): d["layers"][1]["type"] = "os.system"
    with pytest.raises(ModelFileError, match="unknown layer type \"os.system\""):
        load_model(_with_desc(tmp_path, code))

    class Custom(ReLU): pass
    model = Model([Dense(5, 2), Custom()]).finalize()
    with pytest.raises(NNFSError, match="layer 1 has type Custom, which is not in LAYER_TYPES"):
        save_model(model, tmp_path / "c.npz")


def test_unknown_loss_and_accuracy(tmp_path):
    with pytest.raises(ModelFileError, match="unknown loss type \"Hinge\""):
        load_model(_with_desc(tmp_path, lambda d: d.update(loss={"type": "Hinge", "config": {}})))
    with pytest.raises(ModelFileError, match="unknown accuracy type 3"):
        load_model(_with_desc(tmp_path, lambda d: d.update(accuracy={"type": 3, "config": {}})))
    with pytest.raises(ModelFileError, match="loss is missing 'config'"):
        load_model(_with_desc(tmp_path, lambda d: d.update(loss={"type": "CategoricalCrossentropy"})))
    with pytest.raises(ModelFileError, match=r"loss \(CategoricalCrossentropy\) config has unknown field\(s\) 'eps'"):
        load_model(_with_desc(tmp_path, lambda d: d.update(loss={"type": "CategoricalCrossentropy", "config": {"eps": 1}})))
    with pytest.raises(ModelFileError, match="unknown loss type \"SoftmaxCrossEntropy\""):
        load_model(_with_desc(tmp_path, lambda d: d.update(loss={"type": "SoftmaxCrossEntropy", "config": {}})))
    with pytest.raises(ModelFileError, match="do not fit together .*BinaryCrossentropy needs a Sigmoid"):
        load_model(_with_desc(tmp_path, lambda d: d.update(loss={"type": "BinaryCrossentropy", "config": {}})))


@pytest.mark.parametrize("edit, message", [
    (lambda c: c.update(n_neurons="16"), r"n_neurons must be an integer, got \"16\""),
    (lambda c: c.update(n_neurons=16.0), r"n_neurons must be an integer, got 16.0"),
    (lambda c: c.update(n_neurons=True), r"n_neurons must be an integer, got true"),
    (lambda c: c.update(n_neurons=0), r"n_neurons must be in 1..1000000, got 0"),
    (lambda c: c.update(n_inputs=10**12), r"n_inputs must be in 1..1000000, got 1000000000000"),
    (lambda c: c.pop("n_inputs"), r"config is missing 'n_inputs'"),
    (lambda c: c.update(activation="relu"), r"unknown field\(s\) 'activation'"),
    (lambda c: c.update(regularizer={"type": "L1L2", "weight_l1": -1, "weight_l2": 0, "bias_l1": 0, "bias_l2": 0}),
     r"regularizer.weight_l1 must be in \[0.0, 1000000.0\], got -1"),
    (lambda c: c.update(regularizer={"type": "Lasso"}), r"regularizer is missing 'weight_l1'"),
])
def test_bad_dense_config(tmp_path, edit, message):
    def apply(d): edit(d["layers"][0]["config"])
    with pytest.raises(ModelFileError, match=message):
        load_model(_with_desc(tmp_path, apply))


@pytest.mark.parametrize("rate", [1.0, -0.1, "0.5", None])
def test_bad_dropout_rate(tmp_path, rate):
    def edit(d): d["layers"][2]["config"]["rate"] = rate
    with pytest.raises(ModelFileError, match=r"layer 2 \(Dropout\) config.rate must be"):
        load_model(_with_desc(tmp_path, edit))


def test_json_nan_and_huge_numbers(tmp_path):
    text = lambda d: json.dumps(d).replace('"rate": 0.3', '"rate": NaN')
    with pytest.raises(ModelFileError, match="non-finite number NaN"):
        load_model(_with_desc(tmp_path, text))
    text = lambda d: json.dumps(d).replace('"rate": 0.3', '"rate": 1e999')
    with pytest.raises(ModelFileError, match="number out of range: 1e999"):
        load_model(_with_desc(tmp_path, text))
    text = lambda d: json.dumps(d).replace('"n_inputs": 5', '"n_inputs": ' + "9" * 5000)
    with pytest.raises(ModelFileError, match="not valid JSON"):
        load_model(_with_desc(tmp_path, text))


def test_json_bombs(tmp_path):
    deep = lambda d: json.dumps(d)[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(ModelFileError, match="nested more than 32 levels deep"):
        load_model(_with_desc(tmp_path, deep))
    unbalanced = lambda d: "[" * 1_000_000
    with pytest.raises(ModelFileError, match="nested more than 32 levels deep"):
        load_model(_with_desc(tmp_path, unbalanced))
    big = lambda d: json.dumps(d)[:-1] + ', "pad": "' + "x" * 1_000_000 + '"}'
    with pytest.raises(ModelFileError, match=r"architecture JSON is 1,000,\d+ bytes, more than the limit of 1,000,000"):
        load_model(_with_desc(tmp_path, big))
    many = lambda d: d.update(layers=[{"type": "ReLU", "config": {}}] * 1001)
    with pytest.raises(ModelFileError, match="'layers' must be a list of 1 to 1000 layers, got 1001"):
        load_model(_with_desc(tmp_path, many))


def test_json_depth_ignores_brackets_in_strings():
    assert ser._json_depth('{"a": "[[[[[[", "b": [1, {"c": "]]]"}]}', 32) == 3
    assert ser._json_depth('"\\"[[[[' + "\\\\" * 10, 32) == 0   # escaped quotes, unterminated string: still linear


def _npy_member(header: dict, data: bytes = b"", version=(1, 0)) -> bytes:
    "Raw .npy bytes with a hand-made header (so the header can lie about the data)."
    text = repr(header).encode("latin1")
    pad = 64 - (10 + len(text) + 1) % 64
    text += b" " * pad + b"\n"
    return b"\x93NUMPY" + bytes(version) + len(text).to_bytes(2, "little") + text + data


def _zip(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items(): zf.writestr(name, data)
    return path


def _raw_members(path):
    with zipfile.ZipFile(path) as zf: return {n: zf.read(n) for n in zf.namelist()}


def test_huge_declared_shape_is_refused_before_reading(tmp_path):
    members = _raw_members(_save(tmp_path, classifier()))
    members["layers.0.weights.npy"] = _npy_member({"descr": "<f4", "fortran_order": False, "shape": (100_000, 100_000)})
    with pytest.raises(ModelFileError, match=r"declares 40,000,000,000 bytes of data, more than the limit"):
        load_model(_zip(tmp_path / "bad.npz", members))
    members["layers.0.weights.npy"] = _npy_member({"descr": "<f4", "fortran_order": False, "shape": (5, 16)})  # no data
    with pytest.raises(ModelFileError, match=r"size mismatch: its header needs 320 bytes of data, the archive member holds 0"):
        load_model(_zip(tmp_path / "bad.npz", members))


def test_huge_declared_member_size_is_refused(tmp_path, monkeypatch):
    "The zip's own declared (uncompressed) sizes are checked against the limits before anything is read."
    path = _write(tmp_path / "m.npz", _arrays(_save(tmp_path, classifier(), "orig.npz")))
    data = bytearray(path.read_bytes())
    # the central directory entry of layers.0.weights: its uncompressed size (4 bytes at offset 24) -> 3 GB
    pos = data.index(b"PK\x01\x02")
    while data[pos + 46:pos + 46 + int.from_bytes(data[pos + 28:pos + 30], "little")] != b"layers.0.weights.npy":
        pos = data.index(b"PK\x01\x02", pos + 4)
    data[pos + 24:pos + 28] = (3_000_000_000).to_bytes(4, "little")
    (tmp_path / "big.npz").write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"array 'layers.0.weights' declares 3,000,000,000 bytes, more than the limit of 1,073,741,824"):
        load_model(tmp_path / "big.npz")
    monkeypatch.setattr(ser, "MAX_TOTAL_BYTES", 1000)
    with pytest.raises(ModelFileError, match=r"the arrays declare \d[\d,]* bytes in total, more than the limit of 1,000"):
        load_model(path)


def test_header_oddities(tmp_path):
    members = _raw_members(_save(tmp_path, classifier()))
    w = members["layers.0.weights.npy"]
    for bad, message in [
        (_npy_member({"descr": "<f4", "fortran_order": False, "shape": (5, 16)}, w[128:], version=(3, 0)),
         r"unsupported .npy format version 3.0"),
        (b"\x93NUMPY\x01\x00" + b"\xff\xff" + b"{" * 100, r".npy header of 65535 bytes is larger than the limit"),
        (b"\x93NUMPX" + w[6:], r"corrupt \(ValueError"),
        (_npy_member({"descr": "<f4", "fortran_order": False, "shape": (5, -16)}), r"invalid shape \(5, -16\)"),
        (_npy_member({"descr": "<f4", "fortran_order": False, "shape": "(5, 16)"}), r"corrupt \(ValueError: shape is not valid"),
        (_npy_member({"descr": "<f4", "fortran_order": False, "shape": (5, 16), "evil": 1}), r"corrupt \(ValueError: Header does not contain"),
        (w[:20], r"truncated .npy header|corrupt"),
        (w + b"\0\0\0\0", r"size mismatch"),
    ]:
        _zip(tmp_path / "bad.npz", dict(members, **{"layers.0.weights.npy": bad}))
        with pytest.raises(ModelFileError, match=r"array 'layers.0.weights': " + message):
            load_model(tmp_path / "bad.npz")
    # fortran-ordered arrays are fine: they are read as what they are
    arrays = _arrays(tmp_path / "m.npz")
    arrays["layers.0.weights"] = np.asfortranarray(arrays["layers.0.weights"])
    assert np.array_equal(load_model(_write(tmp_path / "f.npz", arrays)).predict(X), classifier().predict(X))


class _Boom:
    "Unpickling this object would create a file: proof that code ran."
    def __init__(self, target): self.target = target
    def __reduce__(self): return (open, (self.target, "w"))


def test_never_unpickles(tmp_path):
    target = tmp_path / "pwned.txt"
    arrays = _arrays(_save(tmp_path, classifier()))
    evil = np.empty(1, dtype=object); evil[0] = _Boom(str(target))
    for name in ("layers.0.weights", ARCH_KEY, "payload"):
        a = dict(arrays, **{name: evil})
        with open(tmp_path / "evil.npz", "wb") as f: np.savez(f, **a)   # savez pickles object arrays
        assert b"pwned" in (tmp_path / "evil.npz").read_bytes()
        with pytest.raises(ModelFileError, match="object arrays are not allowed|unexpected array 'payload'"):
            load_model(tmp_path / "evil.npz")
        assert not target.exists()
    # a plain pickle (what torch.save or pickle.dump would write) is not even a zip
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(_Boom(str(target))))
    with pytest.raises(ModelFileError, match="wrong magic"):
        load_model(tmp_path / "model.pkl")
    assert not target.exists()


def test_unsupported_zip_features(tmp_path):
    members = _raw_members(_save(tmp_path, classifier()))
    with zipfile.ZipFile(tmp_path / "lz.npz", "w", compression=zipfile.ZIP_LZMA) as zf:
        for n, d in members.items(): zf.writestr(n, d)
    assert np.array_equal(load_model(tmp_path / "lz.npz").predict(X), classifier().predict(X))   # compressed is fine
    data = bytearray((tmp_path / "m.npz").read_bytes())
    data[data.index(b"PK\x01\x02") + 8] |= 1      # the "encrypted" flag of the first member, in the central directory
    (tmp_path / "enc.npz").write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="encrypted"):
        load_model(tmp_path / "enc.npz")
    _zip(tmp_path / "dup.npz", members)
    with zipfile.ZipFile(tmp_path / "dup.npz", "a") as zf:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            zf.writestr("layers.0.weights.npy", members["layers.0.weights.npy"])
    with pytest.raises(ModelFileError, match="duplicate array 'layers.0.weights'"):
        load_model(tmp_path / "dup.npz")


# ---- atomic save -----------------------------------------------------------------------------------------------

def test_atomic_save_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = _save(tmp_path, classifier())
    before = path.read_bytes()
    real = ser.npy_format.write_array
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3: raise OSError(28, "No space left on device")   # the third array: mid-file
        return real(*args, **kwargs)

    monkeypatch.setattr(ser.npy_format, "write_array", failing)
    with pytest.raises(OSError, match="No space left"):
        save_model(binary(), path)
    assert len(calls) == 3
    assert path.read_bytes() == before                           # the old file is intact...
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]   # ...and no temporary file is left
    assert np.array_equal(load_model(path).predict(X), classifier().predict(X))


def test_atomic_save_interrupted_before_rename(tmp_path, monkeypatch):
    path = _save(tmp_path, classifier())
    before = path.read_bytes()
    def interrupted(src, dst): raise KeyboardInterrupt
    monkeypatch.setattr(ser.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_model(binary(), path)
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


def test_save_overwrites_and_keeps_permissions(tmp_path):
    path = _save(tmp_path, classifier())
    save_model(binary(), path)
    assert type(load_model(path).layers[-1]) is Sigmoid
    umask = os.umask(0); os.umask(umask)
    assert (path.stat().st_mode & 0o777) == (0o666 & ~umask)


def test_save_needs_parameters(tmp_path):
    with pytest.raises(NNFSError, match="no trainable layers"):
        save_model(Model([ReLU()]).finalize(), tmp_path / "m.npz")
    with pytest.raises(NNFSError, match="no trainable layers"):
        save_parameters(Model([ReLU()]).finalize(), tmp_path / "p.npz")
