"""Tests of nnfs.serialization and its hardened reader nnfs._safeio: round trips, the registry, optimizer
state, atomic saving, and every way a file is refused (each regression test of issue 14 builds its hostile
file here)."""

import functools
import io
import json
import os
import stat
import struct
import zipfile

import numpy as np
import pytest

import nnfs
from nnfs import _safeio
from nnfs.activations import Linear, ReLU, Sigmoid, Softmax
from nnfs.core import NNFSError
from nnfs.layers import Dense, Dropout, Layer
from nnfs.losses import BinaryCrossentropy, CategoricalCrossentropy, MeanAbsoluteError
from nnfs.metrics import BinaryAccuracy, CategoricalAccuracy, RegressionAccuracy
from nnfs.model import Model
from nnfs.optimizers import SGD, Adam, RMSprop
from nnfs.regularization import L1L2
from nnfs.serialization import (
    Limits,
    ModelFileError,
    get_parameters,
    load_model,
    load_parameters,
    register_layer,
    save_model,
    save_parameters,
    set_parameters,
)

ARCH = "__architecture__.npy"


def classifier(dtype=np.float32, seed=0) -> Model:
    rng = np.random.default_rng(seed)
    m = Model(
        [
            Dense(6, 8, rng=rng, weight_scale=0.5, dtype=dtype, regularizer=L1L2(weight_l2=1e-3)),
            ReLU(),
            Dropout(0.25),
            Dense(8, 3, rng=rng, weight_scale=0.5, dtype=dtype),
            Softmax(),
        ]
    )
    return m.set(
        loss=CategoricalCrossentropy(), optimizer=Adam(1e-2), accuracy=CategoricalAccuracy()
    ).finalize()


def real_sized(seed=0) -> Model:
    rng = np.random.default_rng(seed)
    m = Model(
        [
            Dense(784, 128, rng=rng, weight_scale=0.05),
            ReLU(),
            Dense(128, 10, rng=rng, weight_scale=0.1),
            Softmax(),
        ]
    )
    return m.set(
        loss=CategoricalCrossentropy(), optimizer=Adam(1e-3), accuracy=CategoricalAccuracy()
    ).finalize()


def parts_of(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def write_parts(path, parts: dict[str, bytes], methods: dict | None = None) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for name, raw in parts.items():
            zf.writestr(
                zipfile.ZipInfo(name), raw, compress_type=(methods or {}).get(name, zipfile.ZIP_STORED)
            )


def npy(arr) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
    return buf.getvalue()


def raw_header(text: str, payload: bytes = b"") -> bytes:
    t = text.encode("latin1")
    t += b" " * ((64 - (10 + len(t) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(t)) + t + payload


def description(path) -> dict:
    return json.loads(np.load(io.BytesIO(parts_of(path)[ARCH])).tobytes())


def with_description(path, edit) -> None:
    parts = parts_of(path)
    d = description(path)
    edit(d)
    parts[ARCH] = npy(np.frombuffer(json.dumps(d).encode(), np.uint8))
    write_parts(path, parts)


def refused(path, contains: str, **kw) -> str:
    with pytest.raises(ModelFileError) as e:
        load_model(path, **kw)
    assert contains in str(e.value), str(e.value)
    assert str(e.value).startswith(os.fspath(path) + ": ")
    return str(e.value)


X = np.random.default_rng(1).normal(size=(20, 6)).astype(np.float32)


# ---- round trips ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_classifier(tmp_path, dtype):
    m = classifier(dtype)
    save_model(m, tmp_path / "m.npz")
    back = load_model(tmp_path / "m.npz")
    assert np.array_equal(back.predict(X), m.predict(X))
    assert [repr(l) for l in back.layers] == [repr(l) for l in m.layers]
    assert back.layers[0].weights.dtype == dtype
    assert back.layers[0].regularizer.weight_l2 == 1e-3 and back.layers[0].regularizer.weight_l1 == 0
    assert type(back.loss) is CategoricalCrossentropy and type(back.accuracy) is CategoricalAccuracy
    assert back.optimizer is None and back.finalized


def test_round_trip_binary_and_regression(tmp_path):
    rng = np.random.default_rng(0)
    b = (
        Model([Dense(6, 4, rng=rng), ReLU(), Dense(4, 1, rng=rng), Sigmoid()])
        .set(loss=BinaryCrossentropy(), accuracy=BinaryAccuracy())
        .finalize()
    )
    r = (
        Model([Dense(6, 4, rng=rng), ReLU(), Dense(4, 2, rng=rng), Linear()])
        .set(loss=MeanAbsoluteError(), accuracy=RegressionAccuracy(precision_divisor=100))
        .finalize()
    )
    r.accuracy.init(np.arange(10.0))
    for m, name in ((b, "b"), (r, "r")):
        save_model(m, tmp_path / f"{name}.npz")
        back = load_model(tmp_path / f"{name}.npz")
        assert np.array_equal(back.predict(X), m.predict(X))
    back = load_model(tmp_path / "r.npz")
    assert type(back.loss) is MeanAbsoluteError
    assert back.accuracy.precision_divisor == 100 and back.accuracy.precision == r.accuracy.precision


def test_loading_draws_no_random_numbers(tmp_path, monkeypatch):
    save_model(real_sized(), tmp_path / "m.npz")
    before = nnfs.get_rng().bit_generator.state, np.random.get_state()[1].copy()
    inits, real_init = [], Dense.__init__

    @functools.wraps(real_init)
    def spy(self, *a, **k):
        inits.append(k.get("init", "random"))
        real_init(self, *a, **k)

    monkeypatch.setattr(Dense, "__init__", spy)
    load_model(tmp_path / "m.npz")
    assert inits == ["zeros", "zeros"]  # built without drawing weights it would throw away
    assert nnfs.get_rng().bit_generator.state == before[0]
    assert np.array_equal(np.random.get_state()[1], before[1])


def test_file_is_a_plain_npz(tmp_path):
    save_model(classifier(), tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as npz:
        assert sorted(npz.files) == [
            "__architecture__",
            "layers.0.biases",
            "layers.0.weights",
            "layers.3.biases",
            "layers.3.weights",
        ]
    d = description(tmp_path / "m.npz")
    assert d["format"] == "nnfs-model" and d["version"] == 2 and d["dtype"] == "float32"
    assert d["layers"][0]["config"]["regularizer"] == {
        "__object__": {"type": "L1L2", "config": {"weight_l2": 0.001}}
    }
    assert d["layers"][2] == {"type": "Dropout", "config": {"rate": 0.25}}
    with zipfile.ZipFile(tmp_path / "m.npz") as zf:
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())


def test_preprocessing_and_input_range_saved(tmp_path):
    m = classifier()
    m.train(X, np.arange(20) % 3, epochs=1, progress=False)
    m.preprocessing = {"image_size": 28, "range": [-1.0, 1.0], "foreground": "light"}
    with pytest.raises(NNFSError, match="preprocessing makes images of 784 pixels, but the model takes 6"):
        save_model(m, tmp_path / "m.npz")  # a file that saves must load: this one would not
    m = Model([Dense(4, 5), ReLU(), Dense(5, 3), Softmax()])
    m.set(loss=CategoricalCrossentropy(), optimizer=Adam()).finalize()
    m.train(X[:, :4], np.arange(20) % 3, epochs=1, progress=False)
    m.preprocessing = {"image_size": 2, "range": [-1.0, 1.0], "foreground": "light"}
    save_model(m, tmp_path / "m.npz")
    back = load_model(tmp_path / "m.npz")
    assert back.preprocessing == m.preprocessing
    assert back.input_range == pytest.approx(m.input_range)
    with_description(tmp_path / "m.npz", lambda d: d["preprocessing"].update(range=[1, -1]))
    refused(tmp_path / "m.npz", "range must be")


# ---- optimizer state
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_opt", [lambda: Adam(1e-2, decay=1e-2), lambda: SGD(0.1, momentum=0.9), lambda: RMSprop(1e-2)]
)
def test_resume_training_follows_the_same_trajectory(tmp_path, make_opt):
    rng = np.random.default_rng(0)
    Xs, ys = rng.normal(size=(64, 6)).astype(np.float32), rng.integers(0, 3, 64)

    def build():
        r = np.random.default_rng(3)
        return (
            Model(
                [
                    Dense(6, 8, rng=r, weight_scale=0.5),
                    ReLU(),
                    Dense(8, 3, rng=r, weight_scale=0.5),
                    Softmax(),
                ]
            )
            .set(loss=CategoricalCrossentropy(), optimizer=make_opt(), accuracy=CategoricalAccuracy())
            .finalize()
        )

    straight = build()
    straight.train(Xs, ys, epochs=2, batch_size=16, progress=False, rng=np.random.default_rng(5))
    save_model(straight, tmp_path / "m.npz", include_optimizer=True)
    save_model(straight, tmp_path / "plain.npz")
    straight.train(Xs, ys, epochs=2, batch_size=16, progress=False, rng=np.random.default_rng(6))
    resumed = load_model(tmp_path / "m.npz")
    assert type(resumed.optimizer) is type(straight.optimizer) and resumed.optimizer.iterations == 8
    assert resumed.optimizer.config() == make_opt().config()
    resumed.train(Xs, ys, epochs=2, batch_size=16, progress=False, rng=np.random.default_rng(6))
    for a, b in zip(get_parameters(resumed), get_parameters(straight)):
        for k in a:
            assert np.array_equal(a[k], b[k])
    fresh = load_model(tmp_path / "plain.npz").set(optimizer=make_opt()).finalize()
    fresh.train(Xs, ys, epochs=2, batch_size=16, progress=False, rng=np.random.default_rng(6))
    assert not np.array_equal(fresh.layers[0].weights, straight.layers[0].weights)


def test_include_optimizer_errors(tmp_path):
    m = classifier().set(optimizer=None)
    m.optimizer = None
    with pytest.raises(NNFSError, match="has no optimizer"):
        save_model(m, tmp_path / "m.npz", include_optimizer=True)
    m = classifier()
    save_model(m, tmp_path / "m.npz", include_optimizer=True)
    parts = parts_of(tmp_path / "m.npz")
    del parts["optimizer.iterations.npy"]
    write_parts(tmp_path / "m.npz", parts)
    refused(tmp_path / "m.npz", "missing array 'optimizer.iterations'")
    save_model(m, tmp_path / "m.npz", include_optimizer=True)
    with_description(tmp_path / "m.npz", lambda d: d.update(optimizer={"type": "Dense", "config": {}}))
    refused(tmp_path / "m.npz", 'the optimizer has unknown type "Dense"')


# ---- parameters -------------------------------------------------------------------------------------------


def test_get_and_set_parameters():
    a, b = classifier(seed=0), classifier(seed=1)
    params = get_parameters(a)
    assert [sorted(p) for p in params] == [["biases", "weights"], ["biases", "weights"]]
    params[0]["weights"][0, 0] = 99  # copies: the model is not changed
    assert a.layers[0].weights[0, 0] != 99
    set_parameters(b, get_parameters(a))
    assert np.array_equal(b.predict(X), a.predict(X))
    before = get_parameters(b)
    bad = get_parameters(a)
    bad[1]["weights"] = bad[1]["weights"][:, :2]
    with pytest.raises(
        NNFSError, match=r"trainable layer 1 .* needs weights of shape \(8, 3\), got \(8, 2\)"
    ):
        set_parameters(b, bad)
    assert all(np.array_equal(x["weights"], y["weights"]) for x, y in zip(before, get_parameters(b)))
    with pytest.raises(NNFSError, match="has 2 trainable layers, got 1"):
        set_parameters(b, bad[:1])
    with pytest.raises(NNFSError, match="has parameters"):
        set_parameters(b, [{"weights": 1}, bad[1]])
    wrong = get_parameters(a)
    wrong[0]["biases"] = wrong[0]["biases"].astype(str)
    with pytest.raises(NNFSError, match="must be numbers"):
        set_parameters(b, wrong)


def test_parameters_file(tmp_path):
    a, b = classifier(seed=0), classifier(seed=1)
    save_parameters(a, tmp_path / "p.npz")
    load_parameters(b, tmp_path / "p.npz")
    assert np.array_equal(b.predict(X), a.predict(X))
    small = Model([Dense(6, 4), ReLU(), Dense(4, 3), Softmax()]).finalize()
    with pytest.raises(ModelFileError, match=r"trainable layer 0 .* has parameters"):
        load_parameters(small, tmp_path / "p.npz")
    with pytest.raises(ModelFileError, match="format is \"nnfs-parameters\", expected 'nnfs-model'"):
        load_model(tmp_path / "p.npz")
    save_model(a, tmp_path / "m.npz")
    with pytest.raises(ModelFileError, match="expected 'nnfs-parameters'"):
        load_parameters(b, tmp_path / "m.npz")
    with pytest.raises(NNFSError, match="no trainable layers"):
        save_parameters(Model([ReLU()]).finalize(), tmp_path / "x.npz")


# ---- the registry -----------------------------------------------------------------------------------------


def test_custom_layer(tmp_path):
    @register_layer
    class Scale(Layer):
        def __init__(self, factor: float = 2.0):
            self.factor = float(factor)

        def forward(self, inputs, training=True):
            self.output = inputs * self.factor
            return self.output

        def backward(self, dvalues):
            self.dinputs = dvalues * self.factor
            return self.dinputs

        def config(self):
            return {"factor": self.factor}

    m = Model([Dense(6, 3), Scale(0.5), Softmax()]).set(loss=CategoricalCrossentropy()).finalize()
    save_model(m, tmp_path / "m.npz")
    back = load_model(tmp_path / "m.npz")
    assert back.layers[1].factor == 0.5 and np.array_equal(back.predict(X), m.predict(X))

    class Unregistered(Scale):
        pass

    with pytest.raises(NNFSError, match="Unregistered, which is not registered"):
        save_model(Model([Dense(6, 3), Unregistered(), Softmax()]).finalize(), tmp_path / "u.npz")

    class Dense2(Layer):
        pass

    Dense2.__name__ = "Dense"
    with pytest.raises(NNFSError, match="belongs to nnfs.layers.Dense"):
        register_layer(Dense2)
    with pytest.raises(NNFSError, match="expected a class"):
        register_layer(Scale(1.0))


def test_unsaveable_config_value(tmp_path):
    m = Model([Dense(6, 3, regularizer=object()), Softmax()]).finalize()
    with pytest.raises(NNFSError, match="regularizer has type object, which is not registered"):
        save_model(m, tmp_path / "m.npz")


def test_saving_refuses_what_loading_would_refuse(tmp_path):
    m = classifier()
    m.layers[0].weights[0, 0] = np.nan
    with pytest.raises(NNFSError, match="'layers.0.weights' contains NaN"):
        save_model(m, tmp_path / "m.npz")
    m.layers[0].weights[0, 0] = 2e6
    with pytest.raises(NNFSError, match="magnitude 2e\\+06"):
        save_model(m, tmp_path / "m.npz")
    mixed = Model([Dense(6, 3, dtype=np.float64), Dense(3, 3, dtype=np.float32), Softmax()]).finalize()
    with pytest.raises(NNFSError, match="share one dtype"):
        save_model(mixed, tmp_path / "m.npz")
    with pytest.raises(NNFSError, match="no trainable layers"):
        save_model(Model([ReLU()]).finalize(), tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


# ---- atomic saving (issue 14 item 8) ----------------------------------------------------------------------


def test_save_keeps_mode_follows_symlink_and_long_names(tmp_path):
    p = tmp_path / "private.npz"
    save_model(classifier(), p)
    os.chmod(p, 0o600)
    save_model(classifier(seed=2), p)
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o600
    link = tmp_path / "link.npz"
    os.symlink(p, link)
    save_model(classifier(seed=3), link)
    assert os.path.islink(link)
    assert np.array_equal(load_model(p).predict(X), classifier(seed=3).predict(X))
    long = tmp_path / ("m" * 250 + ".npz")
    save_model(classifier(), long)
    assert load_model(long).finalized
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".nnfs-tmp-")]


def _dead_pid() -> int:
    "The number of a process that has ended."
    import subprocess

    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_stale_temporary_files_are_removed(tmp_path):
    "A temporary file of ours, left by a killed process more than an hour ago, is removed by the next save."
    dead = _dead_pid()
    stale = tmp_path / f".nnfs-tmp-{dead}-abcd1234.part"
    stale.write_bytes(b"x" * 100)
    os.utime(stale, (0, 0))
    fresh = tmp_path / f".nnfs-tmp-{dead}-efgh5678.part"  # less than an hour old: maybe still written
    fresh.write_bytes(b"y")
    alive = tmp_path / f".nnfs-tmp-{os.getpid()}-ijkl9012.part"  # its process runs: not stale
    alive.write_bytes(b"z")
    os.utime(alive, (0, 0))
    save_model(classifier(), tmp_path / "m.npz")
    assert not stale.exists() and fresh.exists() and alive.exists()


@pytest.mark.parametrize(
    "name",
    [".nnfs-tmp-notes.txt", ".nnfs-tmp-", ".nnfs-tmp-123-abcd1234.part.bak", ".nnfs-tmp-x-abcd1234.part"],
)
def test_stale_temp_cleanup_never_deletes_a_user_file(tmp_path, name):
    "The reproduction: a user's old file named .nnfs-tmp-* was deleted by any save into its folder."
    mine = tmp_path / name
    mine.write_text("my notes")
    os.utime(mine, (0, 0))
    save_model(classifier(), tmp_path / "m.npz")
    assert mine.read_text() == "my notes"


def test_stale_temp_cleanup_skips_links_and_folders(tmp_path):
    dead = _dead_pid()
    target = tmp_path / "keep.txt"
    target.write_text("k")
    link = tmp_path / f".nnfs-tmp-{dead}-abcd1234.part"
    os.symlink(target, link)
    os.utime(link, (0, 0), follow_symlinks=False)
    folder = tmp_path / f".nnfs-tmp-{dead}-efgh5678.part"
    folder.mkdir()
    os.utime(folder, (0, 0))
    save_model(classifier(), tmp_path / "m.npz")
    assert os.path.islink(link) and folder.is_dir() and target.read_text() == "k"


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    p = tmp_path / "m.npz"
    save_model(classifier(), p)
    before = p.read_bytes()
    calls = []
    real = np.lib.format.write_array

    def failing(*a, **k):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(*a, **k)

    monkeypatch.setattr(np.lib.format, "write_array", failing)
    with pytest.raises(NNFSError, match="cannot save to .*No space left on device"):
        save_model(classifier(seed=4), p)
    assert p.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["m.npz"]


def test_save_to_folder_or_bad_path(tmp_path):
    with pytest.raises(NNFSError, match="is a folder"):
        save_model(classifier(), tmp_path)
    with pytest.raises(NNFSError, match="cannot save to"):
        save_model(classifier(), tmp_path / "no" / "m.npz")
    with pytest.raises(NNFSError, match="must be a string or a path, got int"):
        save_model(classifier(), 3)
    save_model(classifier(), os.fsencode(tmp_path / "bytes.npz"))
    assert load_model(os.fsencode(tmp_path / "bytes.npz")).finalized


# ---- refused files (issue 14 items 1-4, 11) ---------------------------------------------------------------


def test_not_a_model_file(tmp_path):
    refused(tmp_path / "missing.npz", "model file not found")
    refused(tmp_path, "this is a folder, not a model file")
    (tmp_path / "empty.npz").write_bytes(b"")
    refused(tmp_path / "empty.npz", "the file is empty")
    (tmp_path / "gif.npz").write_bytes(b"GIF89a....")
    refused(tmp_path / "gif.npz", "wrong magic b'GIF8'")
    (tmp_path / "pk.npz").write_bytes(b"PK\x03\x04 not really a zip")
    refused(tmp_path / "pk.npz", "truncated or corrupt archive")
    with pytest.raises(NNFSError, match="must be a string or a path"):
        load_model(None)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_does_not_hang(tmp_path):
    os.mkfifo(tmp_path / "fifo.npz")
    refused(tmp_path / "fifo.npz", "not a regular file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_unreadable_file(tmp_path):
    p = tmp_path / "m.npz"
    save_model(classifier(), p)
    os.chmod(p, 0)
    refused(p, "permission denied")


def test_non_utf8_file_name_in_messages(tmp_path):
    name = os.fsencode(tmp_path) + b"/caf\xe9.npz"
    with open(name, "wb") as f:
        f.write(b"nope")
    with pytest.raises(ModelFileError) as e:
        load_model(name)
    str(e.value).encode("utf-8")  # printable on a strict UTF-8 terminal
    assert "caf\\udce9.npz: wrong magic" in str(e.value)


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_bzip2_and_lzma_members_are_refused_unread(tmp_path, method, monkeypatch):
    save_model(classifier(), tmp_path / "m.npz")
    parts = parts_of(tmp_path / "m.npz")
    write_parts(tmp_path / "m.npz", parts, methods={"layers.0.weights.npy": method})
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: pytest.fail("a member was opened"))
    refused(tmp_path / "m.npz", f"uses zip compression method {method}; only stored (0) and deflate (8)")


def test_bzip2_bomb(tmp_path):
    "Issue 14 item 1: a small bzip2 member that truthfully declares a small size but expands without end."
    save_model(classifier(), tmp_path / "m.npz")
    parts = parts_of(tmp_path / "m.npz")
    parts["layers.0.weights.npy"] = raw_header(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (6, 8), }", bytes(2**24)
    )
    write_parts(tmp_path / "m.npz", parts, methods={"layers.0.weights.npy": zipfile.ZIP_BZIP2})
    assert os.path.getsize(tmp_path / "m.npz") < 20_000
    refused(tmp_path / "m.npz", "compression method 12")


def test_deflate_member_larger_than_expected_is_refused_by_declared_size(tmp_path):
    "Issue 14 item 4: a deflated JSON that declares 64 MiB is refused from the table of contents."
    save_model(classifier(), tmp_path / "m.npz")
    parts = parts_of(tmp_path / "m.npz")
    parts[ARCH] = raw_header(
        "{'descr': '|u1', 'fortran_order': False, 'shape': (%d,), }" % 2**26, b" " * 2**26
    )
    write_parts(tmp_path / "m.npz", parts, methods={ARCH: zipfile.ZIP_DEFLATED})
    assert os.path.getsize(tmp_path / "m.npz") < 200_000
    refused(tmp_path / "m.npz", "more than the limit of 1,000,000")


def test_deflate_size_lie_is_refused(tmp_path):
    p = tmp_path / "m.npz"
    save_model(classifier(), p)
    write_parts(p, parts_of(p), methods={n: zipfile.ZIP_DEFLATED for n in parts_of(p)})
    with zipfile.ZipFile(p) as zf:
        infos = zf.infolist()
    b = bytearray(p.read_bytes())
    cd = b.find(b"PK\x01\x02")
    b[cd + 24 : cd + 28] = (200 * 2**20).to_bytes(4, "little")  # first member's declared size: 200 MiB
    p.write_bytes(bytes(b))
    assert infos[0].compress_size * 1032 + 1024 < 100 * 2**20
    refused(p, "more than deflate can produce", limits=Limits(max_array_bytes=2**30, max_total_bytes=2**31))


def test_large_layer_within_limits_user_can_raise(tmp_path):
    """Issue 14 item 4: a big model is refused by the default limits before reading, and loads with raised
    ones."""
    m = Model([Dense(784, 512, weight_scale=0.01), ReLU(), Dense(512, 10), Softmax()]).finalize()
    save_model(m, tmp_path / "m.npz")
    small = Limits(max_array_bytes=1_000_000, max_total_bytes=2_000_000)
    refused(tmp_path / "m.npz", "Limits.max_array_bytes", limits=small)
    refused(tmp_path / "m.npz", "Limits.max_total_bytes", limits=Limits(max_total_bytes=1_000_000))
    assert np.array_equal(
        load_model(tmp_path / "m.npz").predict(np.zeros((1, 784), np.float32)),
        m.predict(np.zeros((1, 784), np.float32)),
    )


def test_huge_declared_layer_sizes_are_refused_before_building(tmp_path):
    p = tmp_path / "m.npz"
    save_model(classifier(), p)
    with_description(p, lambda d: d["layers"][0]["config"].update(n_inputs=10**6, n_neurons=10**6))
    refused(p, "layer 3 (Dense) takes rows of 8 values, but the layer before it gives 1000000 values")
    with_description(p, lambda d: d["layers"][3]["config"].update(n_inputs=10**6))
    # parameters 4 * (10**12 + 10**6 + 3 * 10**6 + 3); one input: 4 * (2e6 + 1e6 + 1e6 + 3 + 6); 8 bytes
    # for each of the L1L2, loss and accuracy objects (their integers: none); 1 KiB for each of 7 objects
    refused(p, "the model would take 4,000,032,007,240 bytes to build and check")


def test_flipped_header_byte_of_a_large_member(tmp_path):
    "Issue 14 item 2: a damaged .npy header of a member over 4 KB reaches NumPy's fallback parser."
    p = tmp_path / "m.npz"
    save_model(real_sized(), p)
    data = p.read_bytes()
    start = data.find(b"\x93NUMPY", data.find(b"layers.0.weights.npy"))
    seen = set()
    for offset in range(10, 80):
        for c in b"()'\"{}#\\:,x":
            b = bytearray(data)
            b[start + offset] = c
            p.write_bytes(bytes(b))
            try:
                load_model(p)
            except ModelFileError as e:
                seen.add(str(e).split(": ")[1][:20])
    assert seen  # every edit is refused as a ModelFileError, nothing else


@pytest.mark.parametrize(
    "shape",
    ["(0, 9223372036854775808)", "(0, 1000000000000000000000000000000)", "(" + "1, " * 70 + ")", "(3, 4)"],
)
def test_architecture_array_shape_is_checked(tmp_path, shape):
    "Issue 14 item 3: odd shapes of the architecture array are refused before any reshape."
    p = tmp_path / "m.npz"
    save_model(classifier(), p)
    parts = parts_of(p)
    parts[ARCH] = raw_header("{'descr': '|u1', 'fortran_order': False, 'shape': %s, }" % shape)
    write_parts(p, parts)
    msg = refused(p, "array '__architecture__'")
    assert any(s in msg for s in ("invalid shape", "disagrees", "declares", "corrupt"))


@pytest.mark.parametrize(
    "text, message",
    [
        ("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", "object arrays are not allowed"),
        ("{'descr': '<f2', 'fortran_order': False, 'shape': (6, 8), }", "wrong dtype float16"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (8, 6), }", "disagrees with the architecture"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (6, 8), }", "size mismatch"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 8), }", "array 'layers.0.weights'"),
        (
            "{'descr': '<f4', 'fortran_order': False, 'shape': (6, 8), 'x': __import__('os'), }",
            "array 'layers.0.weights'",
        ),
    ],
)
def test_weight_header_oddities(tmp_path, text, message):
    p = tmp_path / "m.npz"
    save_model(classifier(), p)
    parts = parts_of(p)
    parts["layers.0.weights.npy"] = raw_header(text)
    write_parts(p, parts)
    refused(p, message)


def test_npy_header_limit_and_version(tmp_path):
    p = tmp_path / "m.npz"
    save_model(classifier(), p)
    parts = parts_of(p)
    parts["layers.0.weights.npy"] = b"\x93NUMPY\x03\x00" + parts["layers.0.weights.npy"][8:]
    write_parts(p, parts)
    refused(p, "array 'layers.0.weights'")
    parts["layers.0.weights.npy"] = raw_header(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (6, 8), }" + " " * 5000
    )
    write_parts(p, parts)
    refused(p, "array 'layers.0.weights'")


def test_fortran_and_big_endian_arrays_load(tmp_path):
    p = tmp_path / "m.npz"
    m = classifier()
    save_model(m, p)
    parts = parts_of(p)
    parts["layers.0.weights.npy"] = npy(np.asfortranarray(m.layers[0].weights).astype(">f4"))
    write_parts(p, parts)
    assert np.array_equal(load_model(p).predict(X), m.predict(X))


def test_damaged_files(tmp_path):
    p = tmp_path / "m.npz"
    save_model(real_sized(), p)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    refused(p, "truncated or corrupt archive")
    i = data.find(b"layers.0.weights.npy") + 2000
    p.write_bytes(data[:i] + bytes([data[i] ^ 1]) + data[i + 1 :])
    refused(p, "array 'layers.0.weights': corrupt")


def test_members_checked(tmp_path):
    p = tmp_path / "m.npz"
    save_model(classifier(), p)
    parts = parts_of(p)
    write_parts(p, {**parts, "notes.txt": b"hi"})
    refused(p, "unexpected archive member 'notes.txt'")
    write_parts(p, {**parts, "extra.npy": npy(np.zeros(2, np.float32))})
    refused(p, "unexpected array 'extra'")
    write_parts(p, {k: v for k, v in parts.items() if k != ARCH})
    refused(p, "missing array '__architecture__'")
    write_parts(p, {k: v for k, v in parts.items() if k != "layers.3.biases.npy"})
    refused(p, "missing array 'layers.3.biases'")
    refused(p, "too many archive members", limits=Limits(max_members=3)) if False else None
    write_parts(p, parts)
    refused(p, "too many archive members (5)", limits=Limits(max_members=4))


def test_values_checked(tmp_path):
    p = tmp_path / "m.npz"
    m = classifier()
    save_model(m, p)
    parts = parts_of(p)
    w = m.layers[0].weights.copy()
    w[0, 0] = np.inf
    write_parts(p, {**parts, "layers.0.weights.npy": npy(w)})
    refused(p, "contains NaN or infinite values")
    w[0, 0] = 5e6
    write_parts(p, {**parts, "layers.0.weights.npy": npy(w)})
    refused(p, "magnitude 5e+06, above the limit 1e+06")


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d.update(version=1), "unsupported format version 1"),
        (lambda d: d.update(version=True), "unsupported format version true"),
        (lambda d: d.update(format="pickle"), 'format is "pickle"'),
        (lambda d: d.update(dtype="float16"), "dtype must be"),
        (lambda d: d.update(extra=1), "unknown field(s) 'extra'"),
        (lambda d: d.pop("loss"), "missing 'loss'"),
        (lambda d: d.update(layers=[]), "'layers' must be a list of 1 to"),
        (lambda d: d["layers"][1].update(type="os.system"), 'layer 1 has unknown type "os.system"'),
        (lambda d: d["layers"][1].update(type="Adam"), 'layer 1 has unknown type "Adam"'),
        (lambda d: d["layers"][2]["config"].update(rate=1.5), "layer 2: cannot rebuild Dropout"),
        (lambda d: d["layers"][2]["config"].update(seed=1), "layer 2 config seed: Dropout takes no such"),
        (lambda d: d["layers"][0]["config"].update(n_inputs=7), "shape (6, 8) disagrees"),
        (lambda d: d["layers"][3]["config"].update(n_inputs=9), "layer 3 (Dense) takes rows of 9 values"),
        (
            lambda d: d["layers"][0]["config"].update(
                regularizer={"__object__": {"type": "Evil", "config": {}}}
            ),
            'unknown type "Evil"',
        ),
        (lambda d: d.update(loss={"type": "MeanSquaredError", "config": {}}), "do not fit together"),
        (
            lambda d: d.update(accuracy={"type": "CategoricalAccuracy", "config": {}, "state": {"x": 1}}),
            "unexpected state",
        ),
        (lambda d: d.update(input_range=[1, 0]), "input_range must be"),
    ],
)
def test_description_checked(tmp_path, edit, message):
    p = tmp_path / "m.npz"
    save_model(classifier(), p)
    with_description(p, edit)
    refused(p, message)


def test_json_limits(tmp_path):
    p = tmp_path / "m.npz"
    save_model(classifier(), p)
    parts = parts_of(p)
    for raw, message in (
        (b"[" * 100_000, "nested more than 32 levels"),
        (b'{"a": NaN}', "non-finite number NaN"),
        (b'{"a": 1e999}', "number out of range"),
        (b"\xff\xfe", "not UTF-8"),
        (b"{", "not valid JSON"),
        (b"[1]", "must be a JSON object"),
    ):
        write_parts(p, {**parts, ARCH: npy(np.frombuffer(raw, np.uint8))})
        refused(p, message)
    assert _safeio.json_depth('{"a": "[[[["}', 32) == 1


def test_load_parameters_refuses_bad_values(tmp_path):
    a = classifier()
    save_parameters(a, tmp_path / "p.npz")
    parts = parts_of(tmp_path / "p.npz")
    w = a.layers[0].weights.copy()
    w[1, 1] = np.nan
    write_parts(tmp_path / "p.npz", {**parts, "params.0.weights.npy": npy(w)})
    with pytest.raises(ModelFileError, match="NaN"):
        load_parameters(classifier(), tmp_path / "p.npz")


def test_register_layer_replace_lets_a_lesson_take_over_a_package_name():
    "A class of one's own may not take a package class's name unless replace=True."
    from nnfs import serialization
    from nnfs.layers import Dense

    Mine = type("Dense", (Dense,), {"__module__": "__main__"})
    with pytest.raises(NNFSError, match="give your class another name"):
        serialization.register_layer(Mine)
    try:
        assert serialization.register_layer(Mine, replace=True) is Mine
        assert serialization._REGISTRY["Dense"] is Mine
    finally:
        serialization.register_layer(Dense)
    assert serialization._REGISTRY["Dense"] is Dense


# ---- limits, boundaries and messages ----------------------------------------------------------------------

LONG = "a" * 80 + "b" * 20  # a name past the 80 characters an error message shows


def test_set_parameters_copies_the_values():
    a, b = classifier(seed=0), classifier(seed=1)
    params = get_parameters(a)
    set_parameters(b, params)
    params[0]["weights"][0, 0] = 99.0
    assert b.layers[0].weights[0, 0] == a.layers[0].weights[0, 0] != 99.0


def test_saving_refuses_non_finite_config_values(tmp_path):
    m = classifier()
    m.input_range = (0.0, float("inf"))
    with pytest.raises(NNFSError, match=r"^save_model: input_range is not finite \(inf\)$"):
        save_model(m, tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


def test_saving_refuses_dicts_that_would_read_back_as_objects(tmp_path):
    m = classifier()
    m.preprocessing = {"__object__": {"type": "Dense", "config": {}}}
    with pytest.raises(NNFSError, match="cannot save preprocessing of type dict"):
        save_model(m, tmp_path / "m.npz")


def test_saving_refuses_float16_parameters(tmp_path):
    m = classifier()
    for layer in (m.layers[0], m.layers[3]):
        layer.weights, layer.biases = layer.weights.astype(np.float16), layer.biases.astype(np.float16)
    with pytest.raises(NNFSError, match="^save_model: parameters must be float32 or float64, got float16$"):
        save_model(m, tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


def test_parameter_magnitude_exactly_at_the_limit_is_accepted(tmp_path):
    m = classifier()
    m.layers[0].weights[0, 0] = -1e6
    save_model(m, tmp_path / "m.npz")
    assert load_model(tmp_path / "m.npz").layers[0].weights[0, 0] == -1e6
    save_parameters(m, tmp_path / "p.npz")
    other = classifier(seed=1)
    load_parameters(other, tmp_path / "p.npz")
    assert other.layers[0].weights[0, 0] == -1e6


def test_save_error_message_shows_the_system_reason(tmp_path, monkeypatch):
    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np.lib.format, "write_array", full)
    with pytest.raises(NNFSError) as e:
        save_model(classifier(), tmp_path / "m.npz")
    assert str(e.value) == f"cannot save to {tmp_path / 'm.npz'}: No space left on device"


def test_models_past_the_zip32_size_limit_are_saved_as_zip64(tmp_path, monkeypatch):
    "Arrays over 2 GiB need zip64 members; the limit is lowered here so that the arrays stay small."
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 100)
    m = classifier()
    save_model(m, tmp_path / "m.npz")
    assert np.array_equal(load_model(tmp_path / "m.npz").predict(X), m.predict(X))


def test_object_arrays_are_never_pickled(tmp_path, monkeypatch):
    "An optimizer of one's own whose state holds Python objects cannot be saved (that would need pickle)."
    from nnfs import serialization

    monkeypatch.setattr(serialization, "_REGISTRY", dict(serialization._REGISTRY))
    monkeypatch.setattr(serialization, "_STATE", dict(serialization._STATE))

    @register_layer
    class NotesSGD(SGD):
        def state_arrays(self, layers):
            return {**super().state_arrays(layers), "notes": np.array([{"x": 1}], dtype=object)}

    m = classifier().set(optimizer=NotesSGD(0.1)).finalize()
    message = r"save_model: the array 'optimizer.notes' holds object values; a model file stores only numbers"
    with pytest.raises(NNFSError, match=message):
        save_model(m, tmp_path / "m.npz", include_optimizer=True)
    assert not (tmp_path / "m.npz").exists()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layers_of_ones_own_are_built_with_the_file_dtype(tmp_path, monkeypatch, dtype):
    from nnfs import serialization
    from nnfs.core import get_dtype

    monkeypatch.setattr(serialization, "_REGISTRY", dict(serialization._REGISTRY))
    monkeypatch.setattr(serialization, "_STATE", dict(serialization._STATE))

    @register_layer
    class Halve(Layer):
        def __init__(self, dtype=None):
            self.dtype = get_dtype(dtype)

        def forward(self, inputs, training=True):
            self.output = inputs * self.dtype.type(0.5)
            return self.output

    m = Model([Dense(6, 3, dtype=dtype), Halve(dtype=dtype), Softmax()]).finalize()
    save_model(m, tmp_path / "m.npz")
    assert description(tmp_path / "m.npz")["layers"][1] == {"type": "Halve", "config": {}}
    assert load_model(tmp_path / "m.npz").layers[1].dtype == dtype


def test_model_cost_limit_is_inclusive(tmp_path):
    """A model may cost up to Limits.max_total_bytes: Dense(300, 300) + Softmax in float32 costs its 90,300
    parameters, the 600 elements of one input through the Dense layer (its input and output) and the 600 of
    the Softmax (two copies of 300), 4 bytes each, and 1 KiB for each of its 2 objects: 368,048 bytes."""
    m = Model([Dense(300, 300), Softmax()]).finalize()
    save_model(m, tmp_path / "m.npz")
    assert load_model(tmp_path / "m.npz", limits=Limits(max_total_bytes=368_048)).layers[0].n_inputs == 300
    refused(tmp_path / "m.npz", "the model would take 368,048 bytes to build and check",
            limits=Limits(max_total_bytes=368_047))


def test_long_values_are_cut_in_messages(tmp_path):
    p = tmp_path / "m.npz"
    save_model(classifier(), p)
    with_description(p, lambda d: d["layers"][1].update(type="x" * 60))
    refused(p, 'layer 1 has unknown type "' + "x" * 39 + "... (known: ")
    save_model(classifier(), p)
    with_description(p, lambda d: d.update(format="x" * 60))
    refused(p, 'format is "' + "x" * 39 + "..., expected 'nnfs-model'")
    save_model(classifier(), p)
    with_description(p, lambda d: d.update(version="x" * 60))
    refused(p, 'unsupported format version "' + "x" * 39 + "... (this nnfs reads version 2;")
    save_model(classifier(), p)
    with_description(p, lambda d: d.update(dtype="x" * 60))
    assert refused(p, "dtype must be").endswith('got "' + "x" * 39 + "...")
    save_model(classifier(), p)
    with_description(p, lambda d: d.update(input_range=list(range(40))))
    assert refused(p, "input_range must be").endswith("got " + json.dumps(list(range(40)))[:60] + "...")


def test_float16_dtype_is_refused_by_the_description(tmp_path):
    p = tmp_path / "m.npz"
    save_model(classifier(), p)
    with_description(p, lambda d: d.update(dtype="float16"))
    assert refused(p, "dtype").endswith(': dtype must be "float32" or "float64", got "float16"')


def test_cannot_rebuild_message_is_cut_to_160_characters(tmp_path):
    p = tmp_path / "m.npz"
    save_model(classifier(), p)
    rate = "k" * 200
    with_description(p, lambda d: d["layers"][2]["config"].update(rate=rate))
    with pytest.raises(NNFSError) as e:
        Dropout(rate)
    assert len(str(e.value)) > 160
    assert refused(p, "cannot rebuild").endswith(f"(NNFSError: {str(e.value)[:160]}...)")


def test_unexpected_state_is_cut_to_60_characters(tmp_path):
    p = tmp_path / "m.npz"
    save_model(classifier(), p)
    state = {LONG: 1}
    with_description(p, lambda d: d["accuracy"].update(state=state))
    refused(p, f"the accuracy: unexpected state {str(state)[:60]}... for CategoricalAccuracy")


def regression_file(path) -> None:
    rng = np.random.default_rng(0)
    m = (
        Model([Dense(6, 2, rng=rng), Linear()])
        .set(loss=MeanAbsoluteError(), accuracy=RegressionAccuracy(precision_divisor=100))
        .finalize()
    )
    m.accuracy.init(np.arange(10.0))
    save_model(m, path)


@pytest.mark.parametrize("value", [0, 0.0, 1e300, None])
def test_saved_state_numbers_within_range_are_accepted(tmp_path, value):
    p = tmp_path / "m.npz"
    regression_file(p)
    with_description(p, lambda d: d["accuracy"]["state"].update(precision=value))
    assert load_model(p).accuracy.precision == value


@pytest.mark.parametrize("value", [-1, -1e-300, 1.5e300, True, "1", [1]])
def test_saved_state_numbers_out_of_range_are_refused(tmp_path, value):
    p = tmp_path / "m.npz"
    regression_file(p)
    with_description(p, lambda d: d["accuracy"]["state"].update(precision=value))
    refused(p, f"the accuracy.precision must be a number >= 0 or null, got {json.dumps(value)}")


def test_saved_state_message_is_cut_to_40_characters(tmp_path):
    p = tmp_path / "m.npz"
    regression_file(p)
    with_description(p, lambda d: d["accuracy"]["state"].update(precision=list(range(30))))
    assert refused(p, "must be a number").endswith("got " + json.dumps(list(range(30)))[:40] + "...")


def test_layer_count_bounds_are_inclusive(tmp_path):
    p = tmp_path / "m.npz"
    save_model(Model([Dense(2, 2)]).finalize(), p)
    assert len(load_model(p).layers) == 1
    save_model(Model([Dense(2, 2), ReLU(), ReLU()]).finalize(), p)  # 3 archive members, 3 layers
    assert len(load_model(p, limits=Limits(max_members=3)).layers) == 3
    save_model(Model([Dense(2, 2), ReLU(), ReLU(), ReLU()]).finalize(), p)
    refused(p, "'layers' must be a list of 1 to 3 layers", limits=Limits(max_members=3))


def test_input_range_may_be_a_single_value(tmp_path):
    p = tmp_path / "m.npz"
    save_model(classifier(), p)
    with_description(p, lambda d: d.update(input_range=[0, 0]))
    assert load_model(p).input_range == (0.0, 0.0)


def test_optimizer_state_that_does_not_fit_is_refused(tmp_path):
    p = tmp_path / "m.npz"
    save_model(classifier(), p, include_optimizer=True)
    write_parts(p, {**parts_of(p), "optimizer.iterations.npy": npy(np.array(-1, np.int64))})
    refused(p, "the optimizer state does not fit the model (Adam.load_state_arrays: 'iterations' must be")


def test_layers_that_do_not_chain_are_refused(tmp_path):
    "The plan follows one input through the layers: the second Dense takes 9 values, the first gives 8."
    p = tmp_path / "m.npz"
    message = r"^save_model: layer 2 \(Dense\) takes rows of 9 values, but the layer before it gives 8 values"
    with pytest.raises(NNFSError, match=message):
        save_model(Model([Dense(6, 8), ReLU(), Dense(9, 3), Softmax()]).finalize(), p)
    save_model(Model([Dense(6, 8), ReLU(), Dense(8, 3), Softmax()]).finalize(), p)
    write_parts(p, {**parts_of(p), "layers.2.weights.npy": npy(np.zeros((9, 3), np.float32))})
    with_description(p, lambda d: d["layers"][2]["config"].update(n_inputs=9))
    refused(p, "layer 2 (Dense) takes rows of 9 values, but the layer before it gives 8 values per sample")


def test_unexpected_array_names_are_cut_to_80_characters(tmp_path):
    p = tmp_path / "m.npz"
    save_model(classifier(), p)
    write_parts(p, {**parts_of(p), LONG + ".npy": npy(np.zeros(2, np.float32))})
    refused(p, f"unexpected array '{'a' * 80}' (not in the architecture)")
    save_parameters(classifier(), p)
    write_parts(p, {**parts_of(p), LONG + ".npy": npy(np.zeros(2, np.float32))})
    with pytest.raises(ModelFileError) as e:
        load_parameters(classifier(), p)
    assert str(e.value) == f"{p}: unexpected array '{'a' * 80}'"


def test_parameters_file_for_another_number_of_layers(tmp_path):
    p = tmp_path / "p.npz"
    save_parameters(classifier(), p)
    three = Model([Dense(6, 8), ReLU(), Dense(8, 8), ReLU(), Dense(8, 3), Softmax()]).finalize()
    with pytest.raises(ModelFileError, match="for 2 layers, the model has 3 trainable layers"):
        load_parameters(three, p)
    with_description(p, lambda d: d.update(shapes=5))
    with pytest.raises(ModelFileError, match="holds parameters for int, the model has 2 trainable layers"):
        load_parameters(classifier(), p)


def test_parameters_file_shapes_message_is_cut_to_80_characters(tmp_path):
    p = tmp_path / "p.npz"
    save_parameters(classifier(), p)
    shapes = {"weights": [6, 8], "biases": [1, 8], LONG: [1]}
    with_description(p, lambda d: d["shapes"].__setitem__(0, shapes))
    with pytest.raises(ModelFileError) as e:
        load_parameters(classifier(), p)
    assert str(e.value).endswith("the file has " + json.dumps(shapes)[:80] + "...")
