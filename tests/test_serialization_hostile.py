"""Hostile model files and save targets (the third round of hostile inputs): every reproduction of a finding
as a regression test. Files are forged here from valid ones, bombs are generated, nothing is committed. A
model file's cost is decided before anything is built, in one budget that no value of any field can skip;
saving never replaces anything but a regular file. Device nodes are only ever made in a temporary folder or
in a private mount namespace with a throw-away /dev: never the machine's own."""

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import textwrap
import time
import tracemalloc
import warnings

import numpy as np
import pytest

import nnfs.conv  # noqa: F401  (registers Conv2D, MaxPool2D, Flatten)
from nnfs import serialization
from nnfs.activations import ReLU, Softmax
from nnfs.core import NNFSError
from nnfs.layers import Dense, Layer
from nnfs.losses import CategoricalCrossentropy
from nnfs.metrics import CategoricalAccuracy
from nnfs.model import Model
from nnfs.optimizers import Adam
from nnfs.serialization import Limits, ModelFileError, load_model, register_layer, save_model

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def small_model() -> Model:
    rng = np.random.default_rng(0)
    m = Model([Dense(4, 5, rng=rng), ReLU(), Dense(5, 3, rng=rng), Softmax()])
    return m.set(
        loss=CategoricalCrossentropy(), optimizer=Adam(1e-2), accuracy=CategoricalAccuracy()
    ).finalize()


def saved(path, model=None, **kw):
    save_model(model or small_model(), path, **kw)
    with np.load(path) as npz:
        desc = json.loads(npz["__architecture__"].tobytes())
        arrays = {k: npz[k] for k in npz.files if k != "__architecture__"}
    return desc, arrays


def forge(path, desc: dict, arrays: dict, compress: bool = True) -> int:
    "Write a model file with description `desc` and `arrays`; its size in bytes."
    parts = {"__architecture__": np.frombuffer(json.dumps(desc).encode(), np.uint8), **arrays}
    (np.savez_compressed if compress else np.savez)(path, **parts)
    return os.path.getsize(path)


def refused_fast(path, contains: str, seconds: float = 10.0, peak_mb: float = 50, **kw) -> str:
    """Load `path`: it must raise ModelFileError naming `contains`, in little memory (traced, so exact) and
    well within `seconds` (the reproductions took 8 to 31 s and gigabytes; a shared machine may be slow)."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ModelFileError) as e:
            load_model(path, **kw)
    finally:
        took, peak = time.perf_counter() - start, tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert contains in str(e.value), str(e.value)
    assert took < seconds and peak < peak_mb * 2**20, (took, peak)
    return str(e.value)


def conv(cin, cout, **kw) -> dict:
    return {
        "type": "Conv2D",
        "config": {"in_channels": cin, "out_channels": cout, "kernel_size": [1, 1], **kw},
    }


# ---- H2: chained convolutions -----------------------------------------------------------------------------


@pytest.mark.parametrize("side, channels", [(4096, 32), (8192, 256)])
def test_chained_convolutions_are_costed_before_anything_is_built(tmp_path, side, channels):
    """The reproduction: a 1.9 KB file of two 1x1 convolutions on 4096x4096 images loaded after 8-14 s at
    2.15 GB; with 8192x8192 and 256 channels a raw MemoryError escaped. One input through both layers is
    counted in the budget, so both are refused at once, in little memory."""
    desc = {
        "format": "nnfs-model",
        "version": 2,
        "dtype": "float32",
        "layers": [
            conv(1, 1, input_shape=[side, side]),
            conv(1, channels),
            {"type": "Flatten", "config": {}},
        ],
        "loss": None,
        "accuracy": None,
        "optimizer": None,
        "input_range": None,
        "preprocessing": None,
    }
    arrays = {
        "layers.0.weights": np.zeros((1, 1, 1, 1), np.float32),
        "layers.0.biases": np.zeros(1, np.float32),
        "layers.1.weights": np.zeros((1, 1, 1, channels), np.float32),
        "layers.1.biases": np.zeros(channels, np.float32),
    }
    assert forge(tmp_path / "m.npz", desc, arrays) < 4000
    refused_fast(
        tmp_path / "m.npz", "to build and check (its parameters, its optimizer's state and one input"
    )


def test_a_convolution_whose_kernel_exceeds_its_image_is_refused_at_load(tmp_path):
    "M1, load side: a 3x3 kernel on 2x2 flat rows raised ZeroDivisionError in load_model and nnfs predict."
    desc = {
        "format": "nnfs-model",
        "version": 2,
        "dtype": "float32",
        "layers": [
            {
                "type": "Conv2D",
                "config": {"in_channels": 1, "out_channels": 2, "kernel_size": [k, k], "input_shape": [2, 2]},
            }
            for k in (3,)
        ],
        "loss": None,
        "accuracy": None,
        "optimizer": None,
        "input_range": None,
        "preprocessing": None,
    }
    arrays = {
        "layers.0.weights": np.zeros((3, 3, 1, 2), np.float32),
        "layers.0.biases": np.zeros(2, np.float32),
    }
    forge(tmp_path / "m.npz", desc, arrays)
    refused_fast(tmp_path / "m.npz", "layer 0 (Conv2D): its 2x2 images are smaller than its 3x3 kernel")
    desc["layers"][0]["config"]["kernel_size"] = [5, 5]
    forge(tmp_path / "m.npz", desc, {**arrays, "layers.0.weights": np.zeros((5, 5, 1, 2), np.float32)})
    refused_fast(tmp_path / "m.npz", "smaller than its 5x5 kernel")


# ---- H3: a zero beside huge sizes -------------------------------------------------------------------------


@pytest.mark.parametrize("zero", [{"weight_scale": 0}, {"regularizer": 0}])
def test_a_zero_no_longer_hides_huge_sizes(tmp_path, zero):
    "The reproduction: Dense(12000, 12000, weight_scale=0, init='random'): 538 bytes, 1.7 GB."
    desc, arrays = saved(tmp_path / "ok.npz")
    desc["layers"][0]["config"].update(n_inputs=12000, n_neurons=12000, **zero)
    desc["layers"][2]["config"].update(n_inputs=12000)
    forge(tmp_path / "m.npz", desc, arrays)
    refused_fast(
        tmp_path / "m.npz",
        "regularizer must be a saved object or null" if "regularizer" in zero else "the model would take",
    )
    desc["layers"][0]["config"] = {"n_inputs": 12000, "n_neurons": 12000, "weight_scale": 0, "init": "random"}
    forge(tmp_path / "m.npz", desc, arrays)
    refused_fast(tmp_path / "m.npz", "layer 0 config init: Dense takes no such argument from a file")


def test_a_zero_weight_scale_convolution_on_huge_images_is_costed(tmp_path):
    "The reproduction: Conv2D(input_shape [50000, 50000], weight_scale=0) asked for 9.3 GiB at load."
    desc = {
        "format": "nnfs-model",
        "version": 2,
        "dtype": "float32",
        "layers": [conv(1, 1, input_shape=[50000, 50000], weight_scale=0)],
        "loss": None,
        "accuracy": None,
        "optimizer": None,
        "input_range": None,
        "preprocessing": None,
    }
    forge(
        tmp_path / "m.npz",
        desc,
        {"layers.0.weights": np.zeros((1, 1, 1, 1), np.float32), "layers.0.biases": np.zeros(1, np.float32)},
    )
    # one 50000x50000 image: its input, padded, its windows and its output, 4 bytes each (10e9 values)
    refused_fast(tmp_path / "m.npz", "the model would take 40,000,001,032 bytes")


def test_every_field_of_every_layer_is_costed_or_checked(tmp_path):
    "No value of any config field skips the budget: every integer field set to 0, negative, huge, a string."
    desc, arrays = saved(tmp_path / "ok.npz")
    for i, layer in enumerate(desc["layers"]):
        for key in list(layer["config"]) + ["n_inputs", "n_neurons", "rate", "kernel_size"]:
            for value in (0, -1, 10**30, "1", None, [1, 2], {"a": 1}, True, 1e308):
                d = json.loads(json.dumps(desc))
                d["layers"][i]["config"][key] = value
                forge(tmp_path / "m.npz", d, arrays)
                try:
                    load_model(tmp_path / "m.npz")
                except ModelFileError:
                    continue
                # loaded: then it is a working model of the declared, planned size
                assert sum(a.size for a in arrays.values()) < 1000


# ---- H4: objects inside configs ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 40])
def test_objects_hidden_in_a_regularizer_are_refused(tmp_path, n):
    """The reproduction: a Dense(1, 2) whose regularizer was a list of N Dense(4000, 4000, init="random")
    objects took 2.6 GB and 17-31 s at N=40, then loaded. Objects sit only where a class declares one, never
    in a list, and never a layer."""
    desc, arrays = saved(tmp_path / "ok.npz")
    big = {"__object__": {"type": "Dense", "config": {"n_inputs": 4000, "n_neurons": 4000, "init": "random"}}}
    desc["layers"][0]["config"]["regularizer"] = [big] * n
    assert forge(tmp_path / "m.npz", desc, arrays) < 2000
    refused_fast(tmp_path / "m.npz", "layer 0 config regularizer must be a saved object or null")
    desc["layers"][0]["config"]["regularizer"] = big
    forge(tmp_path / "m.npz", desc, arrays)
    refused_fast(tmp_path / "m.npz", 'layer 0 config regularizer has unknown type "Dense" (known: L1L2')
    desc["layers"][0]["config"]["regularizer"] = None
    desc["layers"][1]["config"]["x"] = big
    forge(tmp_path / "m.npz", desc, arrays)
    refused_fast(tmp_path / "m.npz", "layer 1 config x: ReLU takes no such argument from a file")


# ---- M2: a loaded model is as valid as a constructed one --------------------------------------------------


@pytest.mark.parametrize(
    "regularizer, message",
    [
        ({"__object__": {"type": "Adam", "config": {}}}, 'has unknown type "Adam"'),
        (0, "must be a saved object"),
        ("L1L2", "must be a saved object"),
        ([], "must be a saved object"),
    ],
)
def test_a_regularizer_that_is_not_one_is_refused_at_load(tmp_path, regularizer, message):
    "The reproduction: these loaded, then training raised AttributeError: 'Adam' object has no 'backward'."
    desc, arrays = saved(tmp_path / "ok.npz")
    desc["layers"][0]["config"]["regularizer"] = regularizer
    forge(tmp_path / "m.npz", desc, arrays)
    refused_fast(tmp_path / "m.npz", message)


@pytest.mark.parametrize(
    "state, message",
    [
        ({"precision_divisor": 0, "precision": None}, "cannot rebuild"),
        ({"precision_divisor": None, "precision": None}, "cannot rebuild"),
    ],
)
def test_regression_accuracy_state_goes_through_its_constructor(tmp_path, state, message):
    "The reproduction: a precision_divisor of 0 or null loaded; training raised ZeroDivisionError/TypeError."
    from nnfs.activations import Linear
    from nnfs.losses import MeanSquaredError
    from nnfs.metrics import RegressionAccuracy

    m = Model([Dense(4, 2), Linear()]).set(loss=MeanSquaredError(), accuracy=RegressionAccuracy()).finalize()
    desc, arrays = saved(tmp_path / "ok.npz", m)
    desc["accuracy"]["state"] = state
    forge(tmp_path / "m.npz", desc, arrays)
    refused_fast(tmp_path / "m.npz", message)


def test_a_regularizer_of_ones_own_without_methods_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(serialization, "_REGISTRY", dict(serialization._REGISTRY))

    class Lazy:
        def config(self):
            return {}

    register_layer(Lazy)
    m = Model([Dense(4, 3, regularizer=Lazy()), Softmax()]).set(loss=CategoricalCrossentropy()).finalize()
    save_model(m, tmp_path / "m.npz")  # a model can hold it: it is only refused where it cannot work
    refused_fast(tmp_path / "m.npz", "its regularizer Lazy has no loss() and backward() methods")


def test_loaded_models_train(tmp_path):
    "Every valid file gives a model that trains like a constructed one, with no raw exception."
    save_model(small_model(), tmp_path / "m.npz", include_optimizer=True)
    m = load_model(tmp_path / "m.npz")
    m.train(np.random.default_rng(0).normal(size=(8, 4)), np.arange(8) % 3, epochs=2, progress=False)


# ---- M9, L9: optimizer state ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "iterations, ok", [(2**53 - 1, True), (2**53 + 1, False), (2**63 - 1, False), (-1, False)]
)
def test_the_step_count_from_a_file_is_bounded(tmp_path, iterations, ok):
    "The reproduction: iterations 2**63 - 1 loaded and trained, then saving raised a raw OverflowError."
    desc, arrays = saved(tmp_path / "ok.npz", include_optimizer=True)
    arrays["optimizer.iterations"] = np.array(iterations, np.int64)
    forge(tmp_path / "m.npz", desc, arrays)
    if ok:
        m = load_model(tmp_path / "m.npz")
        m.train(np.zeros((4, 4)), np.arange(4) % 3, epochs=1, progress=False)  # one step: 2**53
        save_model(m, tmp_path / "again.npz", include_optimizer=True)
        m.train(np.zeros((4, 4)), np.arange(4) % 3, epochs=1, progress=False)
        with pytest.raises(NNFSError, match="array 'optimizer.iterations' holds a count beyond 2\\*\\*53"):
            save_model(m, tmp_path / "again.npz", include_optimizer=True)
    else:
        refused_fast(tmp_path / "m.npz", "'iterations' must be a 0-d integer array in 0..2**53")


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("v", -1.0, "holds negative values"),
        ("m", 1e30, "values above 1e+12"),
        ("v", 1e30, "values above 1e+12"),
    ],
)
def test_impossible_optimizer_state_is_refused_at_load(tmp_path, key, value, message):
    "The reproduction: a negative Adam v or m = 1e30 loaded; training 'diverged', blaming the learning rate."
    desc, arrays = saved(tmp_path / "ok.npz", include_optimizer=True)
    arrays[f"optimizer.0.weights.{key}"] = np.full_like(arrays[f"optimizer.0.weights.{key}"], value)
    forge(tmp_path / "m.npz", desc, arrays)
    refused_fast(tmp_path / "m.npz", message)


# ---- L10: preprocessing that does not fit the model -------------------------------------------------------


@pytest.mark.parametrize(
    "pre, message",
    [
        (
            {"image_size": 27, "range": [-1.0, 1.0], "foreground": "light"},
            "images of 729 pixels, but the model takes 4",
        ),
        (
            {"image_size": 1024, "range": [-1.0, 1.0], "foreground": "light"},
            "1,048,576 pixels, but the model takes 4",
        ),
        ({"image_size": 2, "range": [-1e308, 1e308], "foreground": "light"}, "within -1000..1000"),
        ({"image_size": 2, "range": [0, 1e-300], "foreground": "light"}, "at least 0.001 apart"),
    ],
)
def test_stored_preprocessing_must_fit_the_model(tmp_path, pre, message):
    "The reproduction: image sizes and ranges that did not fit the model failed only at predict time, or not."
    desc, arrays = saved(tmp_path / "ok.npz")
    desc["preprocessing"] = pre
    forge(tmp_path / "m.npz", desc, arrays)
    refused_fast(tmp_path / "m.npz", message)


# ---- L14, L15: registration, limits, paths ----------------------------------------------------------------


def test_a_package_name_taken_over_is_named_when_a_package_file_does_not_fit(tmp_path, monkeypatch):
    "The reproduction: after register_layer(MyDense named 'Dense', replace=True) the message did not say so."
    monkeypatch.setattr(serialization, "_REGISTRY", dict(serialization._REGISTRY))
    save_model(small_model(), tmp_path / "m.npz")

    class MyDense(Layer):
        def __init__(
            self, n_inputs, n_neurons, weight_scale=0.01, regularizer=None, init="zeros", dtype=None
        ):
            self.weights = np.zeros((n_inputs, n_neurons), np.float32)

        def forward(self, x, training=True):
            return x @ self.weights

        def backward(self, d):
            return d

        def parameters(self):
            return {"weights": self.weights}

    MyDense.__name__ = "Dense"
    register_layer(MyDense, replace=True)
    refused_fast(
        tmp_path / "m.npz",
        "layer 0 is test_serialization_hostile.Dense, registered in place of the "
        "package's Dense, and has no such parameter",
    )


@pytest.mark.parametrize("state", [("__class__",), ("__dict__",), ("1x",), (3,)])
def test_registering_state_a_file_could_abuse_is_refused(state, monkeypatch):
    "The reproduction: a class registered with state=('__class__',) let a file trigger a TypeError."
    monkeypatch.setattr(serialization, "_REGISTRY", dict(serialization._REGISTRY))

    class Mine:
        pass

    with pytest.raises(NNFSError, match="is not an attribute name a file may set"):
        register_layer(Mine, state=state)


def test_a_registered_layer_that_is_not_a_layer_is_refused_when_saving(tmp_path, monkeypatch):
    "A duck-typed layer used to save, then fail to load as 'unknown type'; now the save says why."
    monkeypatch.setattr(serialization, "_REGISTRY", dict(serialization._REGISTRY))

    class Double:
        def forward(self, x, training=True):
            return 2 * x

        def backward(self, d):
            return 2 * d

        def parameters(self):
            return {}

    register_layer(Double)
    m = Model([Dense(4, 3), Double(), Softmax()]).finalize()
    with pytest.raises(
        NNFSError,
        match=r"^save_model: layer 1 is a Double, but a model file holds there only a "
        r"subclass of nnfs.layers.Layer$",
    ):
        save_model(m, tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


def test_api_misuse_gives_clear_errors(tmp_path):
    "The reproductions: wrongly typed limits, a NUL byte or an empty path raised raw Python exceptions."
    save_model(small_model(), tmp_path / "m.npz")
    with pytest.raises(NNFSError, match="limits must be a nnfs.serialization.Limits, got int"):
        load_model(tmp_path / "m.npz", limits=42)
    with pytest.raises(NNFSError, match="Limits: max_members must be a positive integer, got 'x'"):
        Limits(max_members="x")
    for bad in ("a\0b.npz", b"a\0b.npz"):
        with pytest.raises(NNFSError, match="contains a NUL byte|not a file name"):
            load_model(bad)
        with pytest.raises(NNFSError, match="contains a NUL byte|not a file name"):
            save_model(small_model(), bad)
    with pytest.raises(NNFSError, match="^the path is empty$"):
        save_model(small_model(), "")


# ---- H1, L5, L6, L7: what saving may replace --------------------------------------------------------------


def test_saving_never_replaces_a_pipe_or_a_socket(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(NNFSError, match="fifo: it is a device, a pipe or a socket, not a regular file"):
        save_model(small_model(), tmp_path / "fifo")
    assert stat.S_ISFIFO(os.stat(tmp_path / "fifo").st_mode)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock"))
    try:
        with pytest.raises(NNFSError, match="it is a device, a pipe or a socket"):
            save_model(small_model(), tmp_path / "sock")
        assert stat.S_ISSOCK(os.stat(tmp_path / "sock").st_mode)
    finally:
        sock.close()
    os.symlink(tmp_path / "fifo", tmp_path / "link-to-fifo")
    with pytest.raises(NNFSError, match="link-to-fifo: it is a device"):
        save_model(small_model(), tmp_path / "link-to-fifo")
    assert sorted(os.listdir(tmp_path)) == ["fifo", "link-to-fifo", "sock"]  # no file, no temporary left


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_saving_never_replaces_a_device_node_in_a_temporary_folder(tmp_path):
    "A character device equal to /dev/null, made in a temporary folder (never the machine's /dev)."
    node = tmp_path / "null"
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    with pytest.raises(NNFSError, match="null: it is a device, a pipe or a socket"):
        save_model(small_model(), node)
    assert stat.S_ISCHR(os.stat(node).st_mode)


def _private_dev_works() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    probe = 'mount -t tmpfs none /dev && [ "$(stat -f -c %T /dev)" = tmpfs ]'
    return (
        subprocess.run(
            ["unshare", "-m", "--propagation", "private", "sh", "-c", probe], capture_output=True, timeout=30
        ).returncode
        == 0
    )


@pytest.mark.skipif(not _private_dev_works(), reason="needs root and `unshare -m` for a private /dev")
def test_save_model_and_nnfs_train_never_replace_dev_null(tmp_path):
    """The reproduction: as root, `save_model(m, "/dev/null")` and `nnfs train -o /dev/full` replaced the
    machine's device nodes with model files. Run only in a private mount namespace whose /dev is a throw-away
    tmpfs (checked before anything else runs), so the machine's /dev is never touched."""
    script = tmp_path / "inside.sh"
    script.write_text(
        textwrap.dedent(f"""\
        set -e
        mount -t tmpfs none /dev
        [ "$(stat -f -c %T /dev)" = tmpfs ] || exit 99
        mknod -m 666 /dev/null c 1 3
        mknod -m 666 /dev/full c 1 7
        cd {tmp_path}
        {sys.executable} - <<'PY'
        import numpy as np, os, stat
        from nnfs.core import NNFSError
        from nnfs.layers import Dense
        from nnfs.model import Model
        from nnfs.serialization import save_model
        m = Model([Dense(2, 2)]).finalize()
        try:
            save_model(m, "/dev/null")
        except NNFSError as e:
            print("refused:", e)
        assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
        PY
        set +e
        {sys.executable} -m nnfs.cli train -o /dev/full --epochs 1 --limit 10 --no-progress
        echo "exit $?"
        stat -c %F /dev/null /dev/full
        """)
    )
    out = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": ROOT},
    )
    text = out.stdout + out.stderr
    assert "refused: cannot save to /dev/null: it is a device, a pipe or a socket" in text, text
    assert "nnfs: error: --output: cannot save to /dev/full: it is a device" in text, text
    assert "exit 1" in text and "training a network" not in text, text  # refused before training
    assert text.count("character special file") == 2, text


def test_a_symlink_loop_and_an_overlong_name_are_refused_before_writing(tmp_path):
    "L5: these failed only after training; the check now comes first."
    os.symlink(tmp_path / "loop", tmp_path / "loop")
    with pytest.raises(NNFSError, match="cannot save to .*loop: Too many levels of symbolic links"):
        save_model(small_model(), tmp_path / "loop")
    with pytest.raises(NNFSError, match="cannot save to .*mmm...: File name too long"):
        save_model(small_model(), tmp_path / ("m" * 300 + ".npz"))


def test_saving_to_a_redirected_stdout_writes_no_stray_file(tmp_path):
    """L6: save_model(m, "/proc/self/fd/1") with stdout redirected to a deleted file created a new file named
    '... (deleted)'; with stdout a pipe it would replace nothing useful either."""
    code = textwrap.dedent("""\
        import os, sys
        from nnfs.core import NNFSError
        from nnfs.layers import Dense
        from nnfs.model import Model
        from nnfs.serialization import save_model
        try:
            save_model(Model([Dense(2, 2)]).finalize(), "/proc/self/fd/1")
        except NNFSError as e:
            print(e, file=sys.stderr)
        """)
    out_file = tmp_path / "out.txt"
    with open(out_file, "w") as out:
        os.unlink(out_file)  # stdout: a deleted file
        done = subprocess.run(
            [sys.executable, "-c", code],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": ROOT},
        )
    assert "it leads to no file in a folder" in done.stderr, done.stderr
    assert os.listdir(tmp_path) == []
    piped = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": ROOT},
    )
    assert "it is a device, a pipe or a socket" in piped.stderr, piped.stderr


def test_saving_over_a_setuid_file_drops_the_special_bits(tmp_path):
    "L7: the whole mode was kept, setuid included."
    p = tmp_path / "m.npz"
    p.write_bytes(b"old")
    os.chmod(p, 0o4755)
    save_model(small_model(), p)
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o755
    os.chmod(p, 0o2640 | stat.S_ISVTX)
    save_model(small_model(), p)
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o640


def test_the_work_of_the_check_is_bounded_too(tmp_path):
    """Within the memory budget a file may still ask for much arithmetic: 256 5x5 filters on 64 channels of a
    128x128 image take about 137 MB to check but 6.75 billion multiply-adds. The check's operations are
    bounded too (Limits.max_operations), so no file makes loading take long; a user raises the limit for
    such a model. Each parameter counts once per output pixel, each allocated element once:
    128 * 16384 + 16384 * 67 (first layer) + 409,856 * 16384 + 32,572,416 (second)."""
    desc = {
        "format": "nnfs-model",
        "version": 2,
        "dtype": "float32",
        "layers": [conv(1, 64, input_shape=[128, 128]), conv(64, 256, kernel_size=[5, 5], padding="same")],
        "loss": None,
        "accuracy": None,
        "optimizer": None,
        "input_range": None,
        "preprocessing": None,
    }
    arrays = {
        "layers.0.weights": np.zeros((1, 1, 1, 64), np.float32),
        "layers.0.biases": np.zeros(64, np.float32),
        "layers.1.weights": np.zeros((5, 5, 64, 256), np.float32),
        "layers.1.biases": np.zeros(256, np.float32),
    }
    forge(tmp_path / "m.npz", desc, arrays)
    refused_fast(tmp_path / "m.npz", "would take 6,750,848,000 operations, more than the limit of 1,000,")
    assert len(load_model(tmp_path / "m.npz", limits=Limits(max_operations=10**10)).layers) == 2


# ------------------------------------------------------------------ findings fixed in nnfs.model (lesson 16a)

def _overflowing_step_model():
    from nnfs.optimizers import SGD

    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 4)).astype(np.float32)
    y = rng.integers(0, 3, 100)
    m = Model([Dense(4, 8, rng=rng), ReLU(), Dense(8, 3, rng=rng), Softmax()])
    m.set(loss=CategoricalCrossentropy(), optimizer=SGD(1e30), accuracy=CategoricalAccuracy())
    return m.finalize(), X, y



def test_a_step_whose_weights_overflow_the_outputs_is_reported():
    """Extra finding: one full batch at SGD(1e30) leaves finite weights (about 1e29) whose products overflow
    float32, so `train` returns normally and `predict` gives NaN rows without a word."""
    import warnings

    from nnfs.model import TrainingDivergedError

    m, X, y = _overflowing_step_model()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(TrainingDivergedError, match="so large that the outputs are NaN or infinite"):
            m.train(X, y, epochs=1, batch_size=100, progress=False)



@pytest.mark.parametrize("call", ["evaluate", "predict", "validation"])
def test_nan_inputs_are_refused_not_scored(call):
    "M4: `evaluate` on all-NaN X scored an accuracy; validation NaN gave val_loss NaN beside accuracies."
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4)).astype(np.float32)
    y = rng.integers(0, 3, 60)
    m, bad = small_model(), np.full((10, 4), np.nan, np.float32)
    with pytest.raises(NNFSError, match="NaN"):
        if call == "evaluate": m.evaluate(bad, np.zeros(10, int))
        elif call == "predict": m.predict(bad)
        else: m.train(X, y, epochs=1, progress=False, validation_data=(bad, np.zeros(10, int)))


def test_one_non_finite_row_is_named_and_huge_finite_inputs_pass():
    "M4: the refusal names the first bad row; values whose sum overflows but that are finite are not refused."
    m = small_model()
    X = np.zeros((10, 4), np.float32)
    X[7, 2] = np.inf
    with pytest.raises(NNFSError, match=r"Model.predict: X holds NaN or infinite values \(first in row 7\)"):
        m.predict(X)
    big = np.full((10, 4), 3e38, np.float32)   # finite; their float32 sum would overflow
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert m.predict(big).shape[0] == 10
