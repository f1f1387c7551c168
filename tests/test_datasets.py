"""Tests of `nnfs.datasets`: the toy data (spiral, vertical, sine: shapes, dtypes, labels, formulas, rng,
errors) and Fashion-MNIST (lesson 15): IDX reading and its limits, the download path against a local HTTP
server on 127.0.0.1 serving small synthetic files (never the internet), caching, `path=` / NNFS_DATA, the one
validation split, preparing images, and reading a folder of images."""

import errno
import gzip
import hashlib
import http.server
import os
import socket
import struct
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnfs
import nnfs.datasets as ds
from nnfs.core import NNFSError, get_rng
from nnfs.datasets import (
    FASHION_MNIST_CLASSES,
    IMAGE_SIZE,
    fashion_mnist,
    fashion_mnist_split,
    fashion_mnist_test,
    load_image_folder,
    prepare_images,
    read_idx,
    sine_data,
    spiral_data,
    train_val_split,
    vertical_data,
)

CLASSIFICATION = [spiral_data, vertical_data]


# ---------------------------------------------------------------- shapes, dtypes, labels


@settings(max_examples=30, deadline=None)
@given(samples=st.integers(1, 60), classes=st.integers(1, 7), which=st.sampled_from(CLASSIFICATION))
def test_shapes_and_labels(samples, classes, which):
    X, y = which(samples, classes)
    assert X.shape == (samples * classes, 2)
    assert y.shape == (samples * classes,)
    assert X.dtype == np.float32 and y.dtype == np.uint8
    assert np.all(np.isfinite(X))
    # labels in blocks: `samples` zeros, then `samples` ones, ...
    np.testing.assert_array_equal(y, np.repeat(np.arange(classes), samples))


@pytest.mark.parametrize("which", CLASSIFICATION)
def test_max_classes(which):
    X, y = which(1, 256)
    assert y.max() == 255 and X.shape == (256, 2)
    with pytest.raises(NNFSError, match="classes must be <= 256"):
        which(1, 257)


# ---------------------------------------------------------------- spiral formulas


@settings(max_examples=20, deadline=None)
@given(samples=st.integers(2, 80), classes=st.integers(1, 5))
def test_spiral_radius_is_linspace_per_class(samples, classes):
    X, y = spiral_data(samples, classes, dtype=np.float64)
    r = np.hypot(X[:, 0], X[:, 1])
    for k in range(classes):
        np.testing.assert_allclose(r[y == k], np.linspace(0, 1, samples), atol=1e-12)


def test_spiral_angle_formula():
    "Recompute every point from the documented formula with the same noise stream."
    samples, classes = 50, 4
    X, _ = spiral_data(samples, classes, rng=np.random.default_rng(21), dtype=np.float64)
    noise = np.random.default_rng(21).standard_normal(samples * classes).reshape(classes, samples)
    r = np.linspace(0, 1, samples)
    for k in range(classes):
        t = np.linspace(4 * k, 4 * (k + 1), samples) + 0.2 * noise[k]
        expected = np.c_[r * np.sin(2.5 * t), r * np.cos(2.5 * t)]
        np.testing.assert_allclose(X[k * samples : (k + 1) * samples], expected, atol=1e-12)


def test_spiral_float32_is_rounded_float64():
    X32, _ = spiral_data(30, 3, rng=np.random.default_rng(2), dtype=np.float32)
    X64, _ = spiral_data(30, 3, rng=np.random.default_rng(2), dtype=np.float64)
    np.testing.assert_array_equal(X32, X64.astype(np.float32))


def test_spiral_single_sample_is_origin():
    X, y = spiral_data(1, 3)
    np.testing.assert_array_equal(X, np.zeros((3, 2)))
    np.testing.assert_array_equal(y, [0, 1, 2])


# ---------------------------------------------------------------- vertical formulas


def test_vertical_means_and_spread():
    X, y = vertical_data(2000, 4, rng=np.random.default_rng(0), dtype=np.float64)
    for k in range(4):
        pts = X[y == k]
        # standard error of the mean is 0.1 / sqrt(2000) ~ 0.0022
        np.testing.assert_allclose(pts.mean(axis=0), [k / 3, 0.5], atol=0.012)
        np.testing.assert_allclose(pts.std(axis=0), [0.1, 0.1], atol=0.01)


def test_vertical_formula_with_same_noise():
    X, _ = vertical_data(10, 2, rng=np.random.default_rng(8), dtype=np.float64)
    g = np.random.default_rng(8)
    for k in range(2):
        a, b = g.standard_normal(10), g.standard_normal(10)
        np.testing.assert_allclose(
            X[10 * k : 10 * (k + 1)], np.c_[a * 0.1 + k / 3, b * 0.1 + 0.5], atol=1e-15
        )


# ---------------------------------------------------------------- sine


@settings(max_examples=20, deadline=None)
@given(samples=st.integers(1, 3000), dt=st.sampled_from([np.float32, np.float64]))
def test_sine_exact(samples, dt):
    X, y = sine_data(samples, dtype=dt)
    grid = np.arange(samples) / samples
    assert X.shape == y.shape == (samples, 1)
    assert X.dtype == y.dtype == np.dtype(dt)
    np.testing.assert_array_equal(X[:, 0], grid.astype(dt))
    np.testing.assert_array_equal(y[:, 0], np.sin(2 * np.pi * grid).astype(dt))


def test_sine_default_and_known_values():
    X, y = sine_data()
    assert X.shape == (1000, 1) and X.dtype == np.float32
    assert X[0, 0] == 0 and y[0, 0] == 0
    np.testing.assert_allclose(y[[250, 500, 750], 0], [1, 0, -1], atol=1e-6)
    assert X.max() < 1


def test_sine_uses_no_randomness():
    init_state = get_rng().bit_generator.state
    global_state = np.random.get_state()
    a = sine_data(100)
    b = sine_data(100)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert get_rng().bit_generator.state == init_state
    assert all(np.array_equal(p, q) for p, q in zip(global_state, np.random.get_state()))


# ---------------------------------------------------------------- rng argument


@pytest.mark.parametrize("which", CLASSIFICATION)
def test_rng_argument_respected(which):
    package_state = get_rng().bit_generator.state
    X1, _ = which(40, 3, rng=np.random.default_rng(17))
    X2, _ = which(40, 3, rng=np.random.default_rng(17))
    X3, _ = which(40, 3, rng=np.random.default_rng(18))
    np.testing.assert_array_equal(X1, X2)
    assert not np.array_equal(X1, X3)
    assert get_rng().bit_generator.state == package_state  # the package generator was not used


@pytest.mark.parametrize("which", CLASSIFICATION)
def test_default_rng_is_package_generator(which):
    nnfs.init(12)
    X1, _ = which(25, 2)
    X2, _ = which(25, 2, rng=np.random.default_rng(12))
    np.testing.assert_array_equal(X1, X2)
    X3, _ = which(25, 2)  # the package generator moved on
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("which", CLASSIFICATION)
def test_explicit_rng_is_advanced(which):
    g = np.random.default_rng(1)
    a, _ = which(10, 2, rng=g)
    b, _ = which(10, 2, rng=g)
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("which", CLASSIFICATION)
@pytest.mark.parametrize("bad", [0, "seed", np.random.RandomState(0)])
def test_bad_rng(which, bad):
    with pytest.raises(NNFSError, match="numpy.random.Generator"):
        which(10, 2, rng=bad)


def test_global_numpy_state_untouched():
    before = np.random.get_state()
    spiral_data(100, 3)
    vertical_data(100, 3)
    assert all(np.array_equal(p, q) for p, q in zip(before, np.random.get_state()))


# ---------------------------------------------------------------- bad sizes

NOT_INTEGERS = [1.0, 2.5, True, False, "3", None, [3], np.float64(3.0)]


@pytest.mark.parametrize("which", CLASSIFICATION)
@pytest.mark.parametrize("value", [0, -1, -100])
def test_too_few(which, value):
    with pytest.raises(NNFSError, match=f"samples must be >= 1, got {value}"):
        which(value, 3)
    with pytest.raises(NNFSError, match=f"classes must be >= 1, got {value}"):
        which(10, value)


@pytest.mark.parametrize("which", CLASSIFICATION)
@pytest.mark.parametrize("value", NOT_INTEGERS)
def test_not_integers(which, value):
    with pytest.raises(NNFSError, match="samples must be an integer"):
        which(value, 3)
    with pytest.raises(NNFSError, match="classes must be an integer"):
        which(10, value)


@pytest.mark.parametrize("value", NOT_INTEGERS + [0, -5])
def test_sine_bad_samples(value):
    with pytest.raises(NNFSError, match="samples must be"):
        sine_data(value)


def test_numpy_integers_accepted():
    X, y = spiral_data(np.int64(5), np.uint8(2))
    assert X.shape == (10, 2)
    assert sine_data(np.int32(7))[0].shape == (7, 1)


def test_keyword_only_options():
    with pytest.raises(TypeError):
        spiral_data(10, 2, np.random.default_rng(0))
    with pytest.raises(TypeError):
        sine_data(10, np.float64)


# ================================================================ Fashion-MNIST

NAMES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]


def idx_bytes(a: np.ndarray, type_code: int = 0x08) -> bytes:
    "Raw IDX bytes: magic (0, 0, type, ndim), big-endian uint32 dims, big-endian data."
    a = np.asarray(a)
    return (
        bytes([0, 0, type_code, a.ndim])
        + struct.pack(f">{a.ndim}I", *a.shape)
        + a.astype(a.dtype.newbyteorder(">")).tobytes()
    )


def synthetic(n_train=30, n_test=10, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [
        rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        (np.arange(n_train) % 10).astype(np.uint8),
        rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        (np.arange(n_test) % 10).astype(np.uint8),
    ]
    blobs = {name: gzip.compress(idx_bytes(a), mtime=0) for name, a in zip(NAMES, arrays)}
    return arrays, blobs


def write_folder(folder: Path, blobs: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in blobs.items():
        (folder / name).write_bytes(data)
    return folder


class Server:
    """A tiny HTTP server in a thread. `files` maps URL names to bytes, `status` to forced error codes (with
    an optional reason in `reason`), `hits` counts requests, `lie_length` overrides Content-Length, names in
    `no_length` are sent without it, and `drip` (seconds) sends the body one byte at a time."""

    def __init__(self):
        self.files, self.status, self.hits, self.lie_length, self.reason = {}, {}, [], {}, {}
        self.no_length, self.drip = set(), 0.0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                name = self.path.rsplit("/", 1)[-1]
                outer.hits.append(name)
                code = outer.status.get(name, 200 if name in outer.files else 404)
                if code != 200:
                    self.send_error(code, outer.reason.get(name))
                    return
                data = outer.files[name]
                self.send_response(200)
                if name not in outer.no_length:
                    self.send_header("Content-Length", str(outer.lie_length.get(name, len(data))))
                self.end_headers()
                try:
                    if not outer.drip:
                        self.wfile.write(data)
                        return
                    for i in range(len(data)):
                        self.wfile.write(data[i : i + 1])
                        self.wfile.flush()
                        time.sleep(outer.drip)
                except OSError:
                    pass  # the client gave up

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs=dict(poll_interval=0.02), daemon=True
        )
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def env(monkeypatch, tmp_path):
    "No NNFS_DATA, a private cache folder, checksums of the synthetic files, and a local server serving them."
    monkeypatch.delenv("NNFS_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    arrays, blobs = synthetic()
    monkeypatch.setattr(ds, "FASHION_MNIST_MD5", {n: hashlib.md5(b).hexdigest() for n, b in blobs.items()})
    server = Server()
    server.files.update(blobs)
    yield dict(
        arrays=arrays,
        blobs=blobs,
        server=server,
        cache=tmp_path / "xdg" / "nnfs" / "fashion-mnist",
        tmp=tmp_path,
    )
    server.close()


def load(env, **kw):
    return fashion_mnist(base_url=env["server"].url, progress=False, **kw)


def assert_same(got, arrays):
    assert len(got) == 4
    for g, a in zip(got, arrays):
        assert g.dtype == np.uint8 and g.shape == a.shape
        np.testing.assert_array_equal(g, a)


# ---- read_idx ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dtype,code",
    [
        (np.uint8, 0x08),
        (np.int8, 0x09),
        (np.int16, 0x0B),
        (np.int32, 0x0C),
        (np.float32, 0x0D),
        (np.float64, 0x0E),
    ],
)
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_roundtrip(tmp_path, dtype, code, gz):
    a = (np.arange(2 * 3 * 5) - 7).reshape(2, 3, 5).astype(dtype)
    raw = idx_bytes(a, code)
    p = tmp_path / ("a.idx.gz" if gz else "a.idx")
    p.write_bytes(gzip.compress(raw) if gz else raw)
    got = read_idx(p)
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative and got.shape == a.shape
    np.testing.assert_array_equal(got, a)
    got[0, 0, 0] = 1  # writable


@pytest.mark.parametrize(
    "raw,match",
    [
        (b"\x00\x00\x08", "bad magic"),  # too short
        (b"\x08\x03\x00\x00" + b"\x00" * 12, "bad magic"),  # wrong order / not IDX
        (b"\x00\x00\x07\x01" + b"\x00\x00\x00\x01" + b"\x00", "bad magic"),  # unknown type code
        (b"\x00\x00\x08\x03\x00\x00\x00\x02", "header needs 16 bytes"),  # header cut short
        (b"\x00\x00\x08\x01\x00\x00\x00\x05" + b"\x01\x02", r"holds only 2 bytes of data \(truncated\?\)"),
        (
            b"\x00\x00\x08\x01\x00\x00\x00\x01" + b"\x01\x02",
            "announces shape \\(1,\\), i.e. 1 bytes of data, but the file holds more",
        ),
    ],
)
def test_read_idx_errors_name_the_file(tmp_path, raw, match):
    p = tmp_path / "weird-file.idx"
    p.write_bytes(raw)
    with pytest.raises(NNFSError, match=match) as e:
        read_idx(p)
    assert "weird-file.idx" in str(e.value)


def test_read_idx_damaged_gzip_and_missing_file(tmp_path):
    p = tmp_path / "x.gz"
    p.write_bytes(gzip.compress(idx_bytes(np.zeros((100, 28, 28), np.uint8)))[:-20])
    with pytest.raises(NNFSError, match="x.gz is a damaged or truncated gzip"):
        read_idx(p)
    with pytest.raises(NNFSError, match="cannot read .*nope.idx"):
        read_idx(tmp_path / "nope.idx")


# ---- download, cache ------------------------------------------------------------------------------------


def test_download_then_cache_reuse(env):
    assert_same(load(env), env["arrays"])
    assert sorted(env["server"].hits) == sorted(NAMES)
    assert sorted(p.name for p in env["cache"].iterdir()) == sorted(NAMES)  # no temporary files left
    assert_same(load(env), env["arrays"])  # second call: from the cache
    assert len(env["server"].hits) == 4
    assert_same(load(env, download=False), env["arrays"])


def test_explicit_cache_dir(env):
    cache = env["tmp"] / "mine"
    assert_same(load(env, cache_dir=cache), env["arrays"])
    assert sorted(p.name for p in cache.iterdir()) == sorted(NAMES)
    assert not env["cache"].exists()


def test_only_missing_files_are_downloaded(env):
    write_folder(env["cache"], {n: env["blobs"][n] for n in NAMES[:3]})
    assert_same(load(env), env["arrays"])
    assert env["server"].hits == [NAMES[3]]


def test_checksum_mismatch_leaves_nothing_trusted(env):
    bad = bytearray(env["blobs"][NAMES[0]])
    bad[100] ^= 0xFF
    env["server"].files[NAMES[0]] = bytes(bad)
    with pytest.raises(NNFSError, match="checksum mismatch for train-images-idx3-ubyte.gz"):
        load(env)
    assert not (env["cache"] / NAMES[0]).exists()
    assert not [p for p in env["cache"].iterdir() if p.name.endswith(".part")]
    env["server"].files[NAMES[0]] = env["blobs"][NAMES[0]]  # the server is fixed: a later run succeeds
    assert_same(load(env), env["arrays"])


def test_corrupted_cached_file_is_downloaded_again(env):
    write_folder(env["cache"], env["blobs"])
    (env["cache"] / NAMES[1]).write_bytes(b"garbage")
    with pytest.raises(NNFSError, match="download=False"):
        load(env, download=False)
    assert_same(load(env), env["arrays"])
    assert env["server"].hits == [NAMES[1]]


def test_truncated_download(env):
    env["server"].lie_length[NAMES[2]] = len(env["blobs"][NAMES[2]]) + 1000  # the connection ends early
    with pytest.raises(NNFSError, match="t10k-images-idx3-ubyte.gz"):
        load(env)
    assert not (env["cache"] / NAMES[2]).exists()
    assert not [p for p in env["cache"].iterdir() if p.name.endswith(".part")]


def test_truncated_file_with_right_length_header_fails_checksum(env):
    env["server"].files[NAMES[0]] = env["blobs"][NAMES[0]][:-50]
    with pytest.raises(NNFSError, match="checksum mismatch"):
        load(env)
    assert not (env["cache"] / NAMES[0]).exists()


@pytest.mark.parametrize("code", [404, 500])
def test_server_error(env, code):
    env["server"].status[NAMES[0]] = code
    with pytest.raises(NNFSError, match=f"HTTP {code}.*NNFS_DATA") as e:
        load(env)
    assert "path=" in str(e.value)
    assert not env["cache"].exists() or not any(env["cache"].iterdir())


def test_connection_refused_says_what_to_do(env):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(NNFSError, match="could not download .*offline.*path=.*NNFS_DATA"):
        fashion_mnist(base_url=f"http://127.0.0.1:{port}/", progress=False)


def test_download_false_and_nothing_cached(env):
    with pytest.raises(NNFSError, match="download=False"):
        load(env, download=False)
    assert env["server"].hits == []


def test_progress_bar_runs(env, capsys):
    assert_same(fashion_mnist(base_url=env["server"].url, progress=True), env["arrays"])


# ---- local folders: precedence and validation --------------------------------------------------------------


def test_nnfs_data_wins_over_cache_and_path_over_nnfs_data(env, monkeypatch):
    a1, b1 = synthetic(20, 10, seed=1)
    a2, b2 = synthetic(40, 20, seed=2)
    write_folder(env["tmp"] / "data" / "fashion-mnist", b1)
    monkeypatch.setenv("NNFS_DATA", str(env["tmp"] / "data"))
    assert_same(load(env), a1)
    assert_same(load(env, path=write_folder(env["tmp"] / "explicit", b2)), a2)
    assert env["server"].hits == []  # local folders never download


def test_local_folder_is_not_checksummed_but_missing_files_are_named(env):
    arrays, blobs = synthetic(20, 10, seed=3)  # other data: checksums differ, still accepted
    folder = write_folder(env["tmp"] / "f", blobs)
    assert_same(load(env, path=folder), arrays)
    (folder / NAMES[3]).unlink()
    with pytest.raises(NNFSError, match="lacks t10k-labels-idx1-ubyte.gz"):
        load(env, path=folder)


def test_uncompressed_local_files(env):
    folder = env["tmp"] / "raw"
    folder.mkdir()
    for n, b in env["blobs"].items():
        (folder / n[:-3]).write_bytes(gzip.decompress(b))
    assert_same(load(env, path=folder), env["arrays"])


@pytest.mark.parametrize(
    "which,array,match",
    [
        (0, np.zeros((30, 28, 27), np.uint8), r"28x28 images.*\(30, 28, 27\)"),
        (0, np.zeros((30, 784), np.uint8), r"28x28 images"),
        (1, np.zeros(29, np.uint8), "has 30 images but train-labels-idx1-ubyte.gz has 29 labels"),
        (3, np.full(10, 10, np.uint8), "labels up to 10"),
        (2, np.zeros((10, 28, 28), np.int32), "uint8 pixels"),
    ],
)
def test_local_validation_errors(env, which, array, match):
    blobs = dict(env["blobs"])
    blobs[NAMES[which]] = gzip.compress(idx_bytes(array, {np.uint8: 0x08, np.int32: 0x0C}[array.dtype.type]))
    folder = write_folder(env["tmp"] / "bad", blobs)
    with pytest.raises(NNFSError, match=match):
        load(env, path=folder)


def test_bad_magic_in_local_folder(env):
    blobs = dict(env["blobs"])
    blobs[NAMES[0]] = gzip.compress(b"\x01\x02\x03\x04" + b"\x00" * 100)
    with pytest.raises(NNFSError, match="train-images-idx3-ubyte.gz is not an IDX file"):
        load(env, path=write_folder(env["tmp"] / "bad", blobs))


# ---- train_val_split ---------------------------------------------------------------------------------------


def test_train_val_split():
    X, y = np.arange(100).reshape(50, 2), np.arange(50)
    Xt, yt, Xv, yv = train_val_split(X, y, 10, rng=np.random.default_rng(1))
    assert Xt.shape == (40, 2) and Xv.shape == (10, 2)
    np.testing.assert_array_equal(Xt[:, 0] // 2, yt)
    np.testing.assert_array_equal(Xv[:, 0] // 2, yv)  # pairs kept
    assert sorted(np.r_[yt, yv]) == list(range(50))
    again = train_val_split(X, y, 10, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(again[3], yv)
    assert len(train_val_split(X, y, 0.2)[3]) == 10
    for bad, match in [(0, ">= 1"), (50, "leaves 0 of 50"), (1.5, r"in \(0, 1\)"), (0.0, r"in \(0, 1\)")]:
        with pytest.raises(NNFSError, match=match):
            train_val_split(X, y, bad)
    with pytest.raises(NNFSError, match="50 samples but y has 49"):
        train_val_split(X, y[:-1])


# ---- the real files, when available ------------------------------------------------------------------------


@pytest.mark.skipif(not os.environ.get("NNFS_DATA"), reason="NNFS_DATA not set (real Fashion-MNIST files)")
def test_real_files_via_nnfs_data():
    X_train, y_train, X_test, y_test = fashion_mnist(progress=False)
    assert X_train.shape == (60000, 28, 28) and X_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert X_train.dtype == X_test.dtype == y_train.dtype == y_test.dtype == np.uint8
    assert np.bincount(y_train, minlength=10).tolist() == [6000] * 10
    assert np.bincount(y_test, minlength=10).tolist() == [1000] * 10
    assert len(FASHION_MNIST_CLASSES) == 10


@settings(max_examples=30, deadline=None)
@given(
    shape=st.lists(st.integers(0, 5), min_size=1, max_size=4),
    kind=st.sampled_from(
        [
            (np.uint8, 0x08),
            (np.int8, 0x09),
            (np.int16, 0x0B),
            (np.int32, 0x0C),
            (np.float32, 0x0D),
            (np.float64, 0x0E),
        ]
    ),
    gz=st.booleans(),
)
def test_read_idx_any_shape(tmp_path_factory, shape, kind, gz):
    dtype, code = kind
    a = np.random.default_rng(len(shape)).integers(-100, 100, size=shape).astype(dtype)
    raw = idx_bytes(a, code)
    p = tmp_path_factory.mktemp("idx") / "x.idx"
    p.write_bytes(gzip.compress(raw) if gz else raw)
    got = read_idx(p)
    assert got.shape == tuple(shape) and got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, a)
    if len(raw) > 4 + 4 * len(shape):  # any missing byte is detected
        p.write_bytes(raw[:-1])
        with pytest.raises(NNFSError, match="x.idx"):
            read_idx(p)


def test_prepare_images_flattens_and_scales_to_minus_one_one():
    images = np.array([[[0, 255], [127, 128]]], dtype=np.uint8)
    X = prepare_images(images)
    assert X.dtype == np.float32 and X.shape == (1, 4)
    np.testing.assert_allclose(X, [[-1, 1, -0.5 / 127.5, 0.5 / 127.5]], rtol=1e-6)
    with pytest.raises(NNFSError, match="batch of images"):
        prepare_images(np.zeros(5, dtype=np.uint8))


# ---- read_idx: limits before allocating ------------------------------------------------------------------


def test_image_size():
    assert IMAGE_SIZE == 28


def test_read_idx_more_than_64_dimensions(tmp_path):
    p = tmp_path / "many.idx"
    p.write_bytes(bytes([0, 0, 8, 65]) + b"\x00\x00\x00\x01" * 65 + b"\x07")
    with pytest.raises(NNFSError, match="many.idx declares 65 dimensions; at most 64"):
        read_idx(p)
    p.write_bytes(bytes([0, 0, 8, 64]) + b"\x00\x00\x00\x01" * 64 + b"\x07")  # 64 is fine
    assert read_idx(p).shape == (1,) * 64


@pytest.mark.parametrize("shape", [(0, 2**32 - 1, 2**32 - 1), (0,) + (4294967295,) * 20])
def test_read_idx_dimensions_whose_product_overflows(tmp_path, shape):
    p = tmp_path / "huge.idx"
    p.write_bytes(bytes([0, 0, 8, len(shape)]) + struct.pack(f">{len(shape)}I", *shape))
    with pytest.raises(NNFSError, match=r"huge.idx: the header announces shape .*too large for any array"):
        read_idx(p)


def test_read_idx_zero_sized_dimension_is_fine(tmp_path):
    p = tmp_path / "empty.idx"
    p.write_bytes(bytes([0, 0, 8, 3]) + struct.pack(">3I", 0, 28, 28))
    got = read_idx(p)
    assert got.shape == (0, 28, 28) and got.dtype == np.uint8


def peak_bytes(f) -> int:
    "Peak memory traced by tracemalloc (NumPy's allocations included) while `f` runs and raises NNFSError."
    tracemalloc.start()
    try:
        with pytest.raises(NNFSError) as e:
            f()
        return tracemalloc.get_traced_memory()[1], str(e.value)
    finally:
        tracemalloc.stop()


def test_read_idx_header_larger_than_a_raw_file_is_refused_before_allocating(tmp_path):
    p = tmp_path / "liar.idx"
    p.write_bytes(bytes([0, 0, 0x0E, 3]) + struct.pack(">3I", 60000, 28, 28) + bytes(300))
    peak, msg = peak_bytes(lambda: read_idx(p))
    assert "liar.idx" in msg and "376,320,000 bytes of data" in msg and "holds only 300 bytes" in msg
    assert peak < 1 << 20


def test_read_idx_gzip_header_larger_than_deflate_allows(tmp_path):
    p = tmp_path / "lie.gz"
    p.write_bytes(gzip.compress(bytes([0, 0, 8, 3]) + struct.pack(">3I", 60000, 28, 28) + bytes(100)))
    size = p.stat().st_size
    assert size * 1032 < 47_040_000
    peak, msg = peak_bytes(lambda: read_idx(p))
    assert f"more than a {size:,}-byte gzip file can hold" in msg and peak < 1 << 20
    p.write_bytes(gzip.compress(bytes([0, 0, 8, 1]) + struct.pack(">I", size * 1032) + bytes(size * 1032)))
    if p.stat().st_size == size:  # at the ratio bound exactly: accepted
        assert read_idx(p).shape == (size * 1032,)


def test_read_idx_gzip_bomb_stops_at_the_declared_size(tmp_path):
    p = tmp_path / "bomb.idx.gz"
    header = bytes([0, 0, 8, 3]) + struct.pack(">3I", 10, 28, 28)
    p.write_bytes(gzip.compress(header + bytes(50_000_000), compresslevel=9))
    assert p.stat().st_size < 100_000
    peak, msg = peak_bytes(lambda: read_idx(p))
    assert "bomb.idx.gz" in msg and "7,840 bytes of data, but the decompressed file holds more" in msg
    assert peak < 8 << 20  # not the 50 MB the file inflates to


def test_read_idx_max_bytes(tmp_path):
    a = np.arange(100, dtype=np.uint8)
    p = tmp_path / "a.idx"
    p.write_bytes(idx_bytes(a))
    np.testing.assert_array_equal(read_idx(p, max_bytes=100), a)
    with pytest.raises(NNFSError, match="100 bytes of data, more than the limit max_bytes=99"):
        read_idx(p, max_bytes=99)
    big = np.zeros((3, 5), np.int32)
    p.write_bytes(idx_bytes(big, 0x0C))
    with pytest.raises(NNFSError, match="60 bytes of data, more than the limit max_bytes=59"):
        read_idx(p, max_bytes=59)
    with pytest.raises(NNFSError, match="max_bytes must be >= 1"):
        read_idx(p, max_bytes=0)
    assert ds.IDX_MAX_BYTES == 1 << 30


def test_read_idx_a_folder_is_named(tmp_path):
    with pytest.raises(NNFSError, match=f"cannot read {tmp_path}"):
        read_idx(tmp_path)


# ---- downloads: size cap, deadline, clean messages -------------------------------------------------------


def test_download_that_announces_too_many_bytes(env, monkeypatch):
    monkeypatch.setitem(ds.DOWNLOAD_LIMITS, "max_bytes", 1000)
    size = len(env["blobs"][NAMES[0]])
    assert size > 1000
    with pytest.raises(NNFSError, match=f"announces {size:,} bytes, more than the 1,000 .*refusing"):
        load(env)
    assert not env["cache"].exists() or not any(env["cache"].iterdir())


def test_download_that_sends_too_many_bytes_without_announcing_them(env, monkeypatch):
    monkeypatch.setitem(ds.DOWNLOAD_LIMITS, "max_bytes", 1000)
    env["server"].no_length.add(NAMES[0])
    with pytest.raises(NNFSError, match="sent more than 1,000 bytes.*download stopped"):
        load(env)
    assert not env["cache"].exists() or not any(env["cache"].iterdir())
    monkeypatch.setitem(ds.DOWNLOAD_LIMITS, "max_bytes", 64 << 20)
    assert_same(load(env), env["arrays"])  # without a length, a complete file is fine


def test_download_deadline_covers_the_whole_transfer(env, monkeypatch):
    monkeypatch.setitem(ds.DOWNLOAD_LIMITS, "deadline", 0.5)
    monkeypatch.setitem(ds.DOWNLOAD_LIMITS, "read_timeout", 5.0)
    env["server"].files[NAMES[0]] = env["blobs"][NAMES[0]][:200]  # 200 bytes, one every 0.1 s: 20 s
    env["server"].drip = 0.1
    t0 = time.monotonic()
    with pytest.raises(NNFSError, match=r"took longer than 0.5 s \(\d+ bytes so far\)"):
        load(env)
    assert time.monotonic() - t0 < 15  # each read still answers within 0.1 s: only the deadline stops it
    assert not env["cache"].exists() or not any(env["cache"].iterdir())


def test_server_text_is_cleaned_in_messages(env):
    env["server"].status[NAMES[0]] = 404
    env["server"].reason[NAMES[0]] = "\x1b[2J\x1b[31mGone\x07 away"
    with pytest.raises(NNFSError) as e:
        load(env)
    msg = str(e.value)
    assert r"HTTP 404 (\x1b[2J\x1b[31mGone\x07 away)" in msg and "\x1b" not in msg and "\x07" not in msg


def test_printable():
    from nnfs.core import _printable

    assert _printable("a\nb\rc\x1b[0m\td\u202ee") == r"a\nb\rc\x1b[0m\td\u202ee"
    assert _printable("x" * 301) == "x" * 300 + "..." and _printable("x" * 300) == "x" * 300
    assert _printable("x" * 30, 20) == "x" * 20 + "..." and _printable(ValueError("é ok")) == "é ok"
    assert _printable(b"caf\xe9") == r"caf\udce9" and _printable(Path("a\nb")) == r"a\nb"


# ---- where the files are: the folder or its parent, hints ------------------------------------------------


def test_path_may_be_the_folder_or_its_parent(env, monkeypatch):
    arrays, blobs = synthetic(20, 10, seed=4)
    folder = write_folder(env["tmp"] / "data" / "fashion-mnist", blobs)
    assert_same(load(env, path=folder), arrays)
    assert_same(load(env, path=folder.parent), arrays)
    for value in (folder, folder.parent):
        monkeypatch.setenv("NNFS_DATA", str(value))
        assert_same(load(env), arrays)
    assert env["server"].hits == []


def test_missing_files_name_both_places_and_take_a_hint(env, monkeypatch):
    empty = env["tmp"] / "empty"
    empty.mkdir()
    with pytest.raises(NNFSError) as e:
        load(env, path=empty)
    msg = str(e.value)
    assert f"{empty} (path='{empty}') lacks train-images-idx3-ubyte.gz" in msg
    assert f"nor does {empty / 'fashion-mnist'}" in msg and "set NNFS_DATA" in msg
    with pytest.raises(NNFSError, match="elsewhere and use --data FOLDER[.]$"):
        load(env, path=empty, hint="use --data FOLDER")
    monkeypatch.setenv("NNFS_DATA", str(empty))
    with pytest.raises(NNFSError, match=f"NNFS_DATA='{empty}'"):
        load(env)


def test_offline_message_takes_the_hint(env):
    with pytest.raises(NNFSError, match="download=False.*elsewhere and try --data[.]$"):
        load(env, download=False, hint="try --data")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(NNFSError, match="could not download .*elsewhere and try --data[.]$"):
        fashion_mnist(base_url=f"http://127.0.0.1:{port}/", progress=False, hint="try --data")


# ---- the one validation split ------------------------------------------------------------------------------


def test_fashion_mnist_split_and_test(env):
    arrays, blobs = synthetic(50, 12, seed=5)
    folder = write_folder(env["tmp"] / "split", blobs)
    nnfs.init(3)
    a = fashion_mnist_split(folder, val_size=10)
    nnfs.init(4)
    b = fashion_mnist_split(folder, val_size=10)  # independent of the package seed
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    Xtr, ytr, Xva, yva = train_val_split(arrays[0], arrays[1], 10, rng=np.random.default_rng(0))
    for got, want in zip(a, (prepare_images(Xtr), ytr, prepare_images(Xva), yva)):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    assert a[0].shape == (40, 784) and a[0].dtype == np.float32 and a[0].min() >= -1 and a[0].max() <= 1
    c = fashion_mnist_split(folder, val_size=10, seed=1)
    assert not np.array_equal(c[3], a[3])
    Xt, yt = fashion_mnist_test(folder)
    np.testing.assert_array_equal(Xt, prepare_images(arrays[2]))
    np.testing.assert_array_equal(yt, arrays[3])
    for bad, match in [
        (0, "val_size must be >= 1"),
        (50, "leaves 0 of 50"),
        (2.5, "val_size must be an integer"),
    ]:
        with pytest.raises(NNFSError, match=match):
            fashion_mnist_split(folder, val_size=bad)
    with pytest.raises(NNFSError, match="seed must be >= 0"):
        fashion_mnist_split(folder, seed=-1)


@pytest.mark.skipif(not os.environ.get("NNFS_DATA"), reason="NNFS_DATA not set (real Fashion-MNIST files)")
def test_real_split_sizes():
    X_train, y_train, X_val, y_val = fashion_mnist_split()
    assert X_train.shape == (50000, 784) and X_val.shape == (10000, 784) and X_val.dtype == np.float32
    assert np.bincount(np.r_[y_train, y_val], minlength=10).tolist() == [6000] * 10


def test_prepare_images_accepts_flat_rows_and_one_image():
    imgs = np.arange(2 * 784).reshape(2, 28, 28).astype(np.uint8)
    np.testing.assert_array_equal(prepare_images(imgs.reshape(2, 784)), prepare_images(imgs))
    one = prepare_images(imgs[:1])
    assert one.shape == (1, 784) and one[0, 0] == -1.0 and one[0, 255] == 1.0
    with pytest.raises(NNFSError, match="batch of images"):
        prepare_images(imgs[:0])


# ---- load_image_folder -------------------------------------------------------------------------------------


def save(path: Path, array: np.ndarray, mode: str | None = None, fmt: str | None = None) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    (Image.fromarray(array, mode) if mode else Image.fromarray(array)).save(path, fmt)
    return path


def test_load_image_folder(tmp_path):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (5, 6, 4), dtype=np.uint8)
    for k, (cls, name) in enumerate(
        [("b", "2.png"), ("b", "1.png"), ("a", "x.png"), ("c", "y.png"), ("c", "z.bmp")]
    ):
        save(tmp_path / cls / name, imgs[k])
    save(tmp_path / "a" / ".hidden.png", imgs[0])
    (tmp_path / ".git").mkdir()
    save(tmp_path / ".git" / "q.png", imgs[0])
    rgb = np.repeat(imgs[0][:, :, None], 3, axis=2)
    save(tmp_path / "d" / "rgb.png", rgb)
    X, y, names = load_image_folder(tmp_path)
    assert names == ["a", "b", "c", "d"] and X.dtype == np.uint8 and X.shape == (6, 6, 4)
    assert y.tolist() == [0, 1, 1, 2, 2, 3] and y.dtype == np.uint8
    for got, k in zip(X, [2, 1, 0, 3, 4, 0]):
        np.testing.assert_array_equal(got, imgs[k])  # files sorted by name


def test_load_image_folder_one_image(tmp_path):
    save(tmp_path / "only" / "a.png", np.full((2, 3), 7, np.uint8))
    X, y, names = load_image_folder(tmp_path)
    assert X.shape == (1, 2, 3) and y.tolist() == [0] and names == ["only"] and X[0, 1, 2] == 7


def test_load_image_folder_errors(tmp_path):
    with pytest.raises(NNFSError, match="is not a folder"):
        load_image_folder(tmp_path / "nope")
    with pytest.raises(NNFSError, match="has no subfolders; expected one per class"):
        load_image_folder(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(NNFSError, match="class folder .*empty holds no images"):
        load_image_folder(tmp_path)
    (tmp_path / "empty").rmdir()
    save(tmp_path / "a" / "1.png", np.zeros((4, 4), np.uint8))
    (tmp_path / "a" / "2.png").write_bytes(b"not really a png")
    with pytest.raises(NNFSError, match=r"cannot read image .*2.png: not an image file in a known format"):
        load_image_folder(tmp_path)
    (tmp_path / "a" / "2.png").unlink()
    save(tmp_path / "a" / "3.png", np.zeros((4, 5), np.uint8))
    with pytest.raises(NNFSError, match=r"3.png is 5x4 pixels, but the first image was 4x4"):
        load_image_folder(tmp_path)
    (tmp_path / "a" / "3.png").unlink()
    save(tmp_path / "a" / "4.png", np.full((4, 4), 1000, np.uint16))
    with pytest.raises(NNFSError, match=r"4.png has pixel format 'I;16'.*convert it first"):
        load_image_folder(tmp_path)
    (tmp_path / "a" / "4.png").unlink()
    with pytest.raises(NNFSError, match=r"1.png has 4x4 pixels, more than the limit of 15 \(max_pixels\)"):
        load_image_folder(tmp_path, max_pixels=15)
    assert load_image_folder(tmp_path, max_pixels=16)[0].shape == (1, 4, 4)


def test_load_image_folder_too_many_classes(tmp_path):
    for i in range(257):
        (tmp_path / f"c{i:03d}").mkdir()
    with pytest.raises(NNFSError, match="257 classes; at most 256"):
        load_image_folder(tmp_path)


# ---- boundaries and exact messages -------------------------------------------------------------------------


def test_read_idx_first_magic_byte_must_be_zero(tmp_path):
    p = tmp_path / "one.idx"
    p.write_bytes(b"\x01\x00\x08\x01" + b"\x00\x00\x00\x01" + b"\x07")
    with pytest.raises(NNFSError, match="one.idx is not an IDX file: bad magic number 01000801"):
        read_idx(p)


def test_read_idx_empty_file_says_empty(tmp_path):
    p = tmp_path / "empty.idx"
    p.write_bytes(b"")
    with pytest.raises(NNFSError, match=r"empty.idx is not an IDX file: bad magic number \(empty\)"):
        read_idx(p)


@pytest.mark.parametrize("extra,has", [(b"", 8), (b"\x00" * 5, 13)])
def test_read_idx_truncated_header_counts_bytes(tmp_path, extra, has):
    p = tmp_path / "short.idx"
    p.write_bytes(b"\x00\x00\x08\x04\x00\x00\x00\x02" + extra)  # 4 dimensions: a 20-byte header
    match = f"short.idx is truncated: its header needs 20 bytes, the file has {has}$"
    with pytest.raises(NNFSError, match=match):
        read_idx(p)


def test_read_idx_header_without_data(tmp_path):
    p = tmp_path / "nodata.idx"
    p.write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x05")
    with pytest.raises(NNFSError, match=r"5 bytes of data, but the file holds only 0 bytes of data \(trunc"):
        read_idx(p)


def test_read_idx_gzip_data_shorter_than_announced(tmp_path):
    p = tmp_path / "short.gz"
    p.write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x64" + bytes(50)))  # announces 100, has 50
    with pytest.raises(NNFSError, match=r"short.gz: .* the data end after 50 of 100 bytes \(truncated\?\)$"):
        read_idx(p)


def gzip_announcing(path: Path, extra: int) -> int:
    """Write a gzip IDX file of S bytes whose header announces S*1032 + `extra` bytes of data (it holds 100);
    returns S. The compressed size hardly depends on the header, so a few rounds find the fixed point."""
    size = 0
    for _ in range(20):
        header = b"\x00\x00\x08\x01" + struct.pack(">I", size * 1032 + extra)
        data = gzip.compress(header + bytes(100), mtime=0)
        if len(data) == size:
            path.write_bytes(data)
            return size
        size = len(data)
    raise AssertionError("no fixed point")


def test_read_idx_gzip_ratio_bound_is_exact(tmp_path):
    "At most 1032 bytes of data per gzip byte: exactly that passes the header check, one more does not."
    p = tmp_path / "ratio.gz"
    size = gzip_announcing(p, 0)
    with pytest.raises(NNFSError, match=f"the data end after 100 of {size * 1032:,} bytes"):
        read_idx(p)  # passes the size check, then runs out of data
    size = gzip_announcing(p, 1)
    with pytest.raises(NNFSError, match=f"{size * 1032 + 1:,} bytes of data, more than a {size:,}-byte gzip"):
        read_idx(p)


def test_read_idx_numpy_size_limit_is_exact(tmp_path):
    "Sizes (ignoring zero dimensions) below 2**62 bytes are fine; 2**62 itself is refused."
    p = tmp_path / "edge.idx"
    p.write_bytes(bytes([0, 0, 8, 3]) + struct.pack(">3I", 0, 2**31 - 1, 2**31 + 1))  # 2**62 - 1
    assert read_idx(p).shape == (0, 2**31 - 1, 2**31 + 1)
    p.write_bytes(bytes([0, 0, 8, 3]) + struct.pack(">3I", 0, 2**31, 2**31))
    with pytest.raises(NNFSError, match=r"edge.idx: the header announces shape .*too large for any array"):
        read_idx(p)
    p.write_bytes(bytes([0, 0, 0x0E, 3]) + struct.pack(">3I", 0, 2**30, 2**29))  # 8-byte items: 2**62
    with pytest.raises(NNFSError, match="too large for any array"):
        read_idx(p)


def test_read_idx_missing_file_message_is_the_system_reason(tmp_path):
    p = tmp_path / "nope.idx"
    with pytest.raises(NNFSError) as e:
        read_idx(p)
    assert str(e.value) == f"read_idx: cannot read {p}: {os.strerror(errno.ENOENT)}"


def traced_peak(f) -> int:
    "Peak memory traced by tracemalloc while `f` runs."
    tracemalloc.start()
    try:
        f()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_read_idx_memory_is_the_array_plus_small_buffers(tmp_path):
    "No second copy of the data; gzip data are inflated 1 MiB at a time (a few MiB of buffers at most)."
    n = 4 << 20
    raw = bytes([0, 0, 8, 1]) + struct.pack(">I", n) + bytes(n)
    (tmp_path / "a.idx").write_bytes(raw)
    (tmp_path / "a.idx.gz").write_bytes(gzip.compress(raw, mtime=0))
    assert traced_peak(lambda: read_idx(tmp_path / "a.idx")) < n + (1 << 20)
    assert traced_peak(lambda: read_idx(tmp_path / "a.idx.gz")) < n + (9 << 19)  # 4.5 MiB


def test_checksum_reads_files_in_1_mib_chunks(tmp_path):
    p = tmp_path / "big.gz"
    data = np.random.default_rng(0).integers(0, 256, 6 << 20, dtype=np.uint8).tobytes()
    p.write_bytes(data)
    assert ds._md5(p) == hashlib.md5(data).hexdigest()
    assert traced_peak(lambda: ds._md5(p)) < 3 << 20  # two 1 MiB chunks at most, not the 6 MiB file


def test_download_limits_defaults():
    assert ds.DOWNLOAD_LIMITS == {"max_bytes": 64 << 20, "read_timeout": 60.0, "deadline": 900.0}


def test_download_of_exactly_max_bytes_is_accepted(env, monkeypatch):
    biggest = max(len(b) for b in env["blobs"].values())
    monkeypatch.setitem(ds.DOWNLOAD_LIMITS, "max_bytes", biggest)
    assert_same(load(env), env["arrays"])


def test_download_of_exactly_max_bytes_without_length_is_accepted(env, monkeypatch):
    biggest = max(len(b) for b in env["blobs"].values())
    monkeypatch.setitem(ds.DOWNLOAD_LIMITS, "max_bytes", biggest)
    env["server"].no_length.update(NAMES)  # only the bytes received count
    assert_same(load(env), env["arrays"])


class FakeClock:
    "time.monotonic for `nnfs.datasets`: `start` on the first call, `later` on every call after it."

    def __init__(self, start: float, later: float):
        self.calls, self.start, self.later = 0, start, later

    def monotonic(self) -> float:
        self.calls += 1
        return self.start if self.calls == 1 else self.later


def test_download_taking_exactly_the_deadline_is_accepted(env, monkeypatch):
    monkeypatch.setitem(ds.DOWNLOAD_LIMITS, "deadline", 5.0)
    monkeypatch.setattr(ds, "time", FakeClock(100.0, 105.0))
    assert_same(load(env), env["arrays"])
    monkeypatch.setattr(ds, "time", FakeClock(100.0, 105.001))
    with pytest.raises(NNFSError, match=r"took longer than 5 s"):
        load(env, cache_dir=env["tmp"] / "other")


def test_progress_bar_is_the_default_in_scaled_bytes_and_erased(env, capsys):
    assert_same(fashion_mnist(base_url=env["server"].url), env["arrays"])  # progress=True by default
    err = capsys.readouterr().out  # the bar writes to stdout, with the lines a program prints
    size = len(env["blobs"][NAMES[0]])
    assert f"{NAMES[0]}:" in err and f"{NAMES[3]}:" in err
    assert f"0.00/{size / 1000:.1f}k" in err and str(size) not in err  # bytes shown as k, M, ...
    assert "\n" not in err  # leave=False: each bar is erased when its file is done


def test_cache_folder_that_cannot_be_created(env):
    (env["tmp"] / "a-file").write_bytes(b"")
    with pytest.raises(NNFSError, match="cannot create the cache folder .*a-file"):
        load(env, cache_dir=env["tmp"] / "a-file" / "cache")
    assert env["server"].hits == []


@pytest.mark.parametrize(
    "which,array,match",
    [
        (1, np.zeros((30, 1), np.uint8), r"train-labels-idx1-ubyte.gz should hold a 1-D .*uint8 \(30, 1\)"),
        (1, np.zeros(30, np.int32), r"train-labels-idx1-ubyte.gz should hold a 1-D .*int32 \(30,\)"),
        (0, np.zeros((30, 28, 27), np.uint8), r"train-images-idx3-ubyte.gz should hold 28x28 images"),
        (1, np.zeros(29, np.uint8), "train-images-idx3-ubyte.gz has 30 images but train-labels"),
        (2, np.zeros((10, 28, 28), np.int32), "t10k-images-idx3-ubyte.gz should hold uint8 pixels"),
        (3, np.zeros(9, np.uint8), "t10k-images-idx3-ubyte.gz has 10 images but t10k-labels-idx1-ubyte.gz"),
    ],
)
def test_local_validation_errors_name_the_right_file(env, which, array, match):
    blobs = dict(env["blobs"])
    blobs[NAMES[which]] = gzip.compress(idx_bytes(array, {np.uint8: 0x08, np.int32: 0x0C}[array.dtype.type]))
    with pytest.raises(NNFSError, match=match):
        load(env, path=write_folder(env["tmp"] / "bad", blobs))


def test_train_val_split_boundaries():
    X, y = np.arange(50), np.arange(50)
    assert [len(p) for p in train_val_split(X, y, 1)] == [49, 49, 1, 1]
    assert [len(p) for p in train_val_split(X, y, 49)] == [1, 1, 49, 49]
    with pytest.raises(NNFSError, match=r"a fractional val_size must be in \(0, 1\), got 1.0"):
        train_val_split(X, y, 1.0)
    with pytest.raises(NNFSError, match="val_size=0.001 leaves 50 of 50 samples for training"):
        train_val_split(X, y, 0.001)  # rounds to 0 validation samples


def test_train_val_split_default_is_10000():
    X = np.arange(10_002)
    Xt, yt, Xv, yv = train_val_split(X, X, rng=np.random.default_rng(0))
    assert len(Xv) == len(yv) == 10_000 and len(Xt) == 2


def test_load_image_folder_256_classes(tmp_path):
    for i in range(256):
        save(tmp_path / f"c{i:03d}" / "a.png", np.full((1, 1), i, np.uint8))
    X, y, names = load_image_folder(tmp_path)
    assert X.shape == (256, 1, 1) and y.tolist() == list(range(256)) and X[:, 0, 0].tolist() == y.tolist()
    assert len(names) == 256


def test_load_image_folder_damaged_and_too_large_images(tmp_path):
    p = save(tmp_path / "a" / "1.png", np.random.default_rng(0).integers(0, 256, (20, 20), dtype=np.uint8))
    p.write_bytes(p.read_bytes()[:150])  # the header is intact, the pixel data are cut
    message = r"^load_image_folder: cannot read image .*1.png: OSError: image file is trunc"
    with pytest.raises(NNFSError, match=message):
        load_image_folder(tmp_path)
    save(p, np.zeros((4, 4), np.uint8))
    with pytest.raises(NNFSError) as e:
        load_image_folder(tmp_path, max_pixels=15)
    assert str(e.value) == (
        f"load_image_folder: image {p} has 4x4 pixels, more than the limit of 15 (max_pixels); shrink it "
        "first"
    )


def test_load_image_folder_default_max_pixels(tmp_path):
    "By default at most 2**24 pixels (4096 x 4096); the size is checked before the pixels are decoded."
    save(tmp_path / "a" / "big.png", np.zeros((4096, 4097), bool), mode="1")
    with pytest.raises(NNFSError, match="has 4097x4096 pixels, more than the limit of 16,777,216"):
        load_image_folder(tmp_path)


# ---- hostile inputs: image files, totals, pipes, scaled pixels, unwritable caches, messages ------------


def _stub_ghostscript(tmp_path, monkeypatch) -> Path:
    "A fake `gs` first on PATH that records any call (Pillow's EPS plugin runs `gs`)."
    bin_dir, log = tmp_path / "bin", tmp_path / "gs-called"
    bin_dir.mkdir()
    (bin_dir / "gs").write_text(f"#!/bin/sh\necho \"$@\" >> {log}\nexit 1\n")
    (bin_dir / "gs").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return log


EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 28 28\n{ } loop\n"


def test_an_eps_file_named_png_never_reaches_ghostscript(tmp_path, monkeypatch):
    log = _stub_ghostscript(tmp_path, monkeypatch)
    save(tmp_path / "data" / "a" / "1.png", np.zeros((4, 4), np.uint8))
    (tmp_path / "data" / "a" / "innocent.png").write_bytes(EPS)
    with pytest.raises(NNFSError, match=r"innocent.png: not an image file in a known format \(PNG, JPEG"):
        load_image_folder(tmp_path / "data")
    assert not log.exists()


def test_the_image_opener_accepts_only_raster_formats(tmp_path):
    from PIL import Image

    Image.init()
    assert "EPS" in Image.OPEN  # Pillow knows EPS ...
    assert "EPS" not in ds._IMAGE_FORMATS and "PNG" in ds._IMAGE_FORMATS  # ... we do not open it
    for fmt in ("PNG", "BMP", "GIF", "TIFF", "WEBP", "PPM", "TGA", "PCX"):
        p = save(tmp_path / f"x.{fmt.lower()}", np.full((3, 5), 9, np.uint8), fmt=fmt)
        assert ds._open_image(p, 100).size == (5, 3), fmt


def test_image_folder_total_is_bounded_before_allocating(tmp_path):
    "100 names of one 25 KB PNG of 4096x4096 pixels: refused from the first image's size, not MemoryError."
    first = save(tmp_path / "a" / "000.png", np.zeros((4096, 4096), np.uint8))
    assert first.stat().st_size < 100_000
    for i in range(1, 100):
        os.link(first, tmp_path / "a" / f"{i:03d}.png")
    tracemalloc.start()
    with pytest.raises(NNFSError, match=r"100 images of 4096x4096 pixels need 1,677,721,600 bytes, more than "
                       r"max_bytes=1,073,741,824"):
        load_image_folder(tmp_path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 100 * 2**20  # one image (16 MiB) and its gray copy, not the 1.6 GB stack
    X, _, _ = load_image_folder(tmp_path, max_bytes=2**31)  # allowed when asked, into one array
    assert X.shape == (100, 4096, 4096)
    del X


def test_image_folder_memory_error_is_an_nnfs_error(tmp_path, monkeypatch):
    save(tmp_path / "a" / "1.png", np.zeros((4, 4), np.uint8))

    def no_memory(*a, **k):
        raise MemoryError

    monkeypatch.setattr(ds.np, "empty", no_memory)
    with pytest.raises(NNFSError, match="not enough memory for 1 images of 4x4 pixels"):
        load_image_folder(tmp_path)


def test_image_folder_applies_exif_orientation_like_prediction(tmp_path):
    "A photo 40 wide and 20 high tagged orientation 6 (rotate 90) is 20 wide and 40 high for both readers."
    from PIL import Image

    from nnfs.inference import preprocess_image

    a = np.zeros((20, 40), np.uint8)
    a[:, :5] = 255  # a bright band on the left edge
    exif = Image.Exif()
    exif[0x0112] = 6
    (tmp_path / "a").mkdir()
    Image.fromarray(a).save(tmp_path / "a" / "1.jpg", exif=exif, quality=95)
    X, _, _ = load_image_folder(tmp_path)
    assert X.shape == (1, 40, 20)
    assert X[0, :5].mean() > 200 and X[0, -5:].mean() < 50  # the band is now at the top
    upright = ds._open_image(tmp_path / "a" / "1.jpg", 10**6)
    assert upright.size == (20, 40) and preprocess_image(tmp_path / "a" / "1.jpg").shape == (1, 784)


def test_read_idx_on_a_fifo_is_refused_without_waiting(tmp_path):
    os.mkfifo(tmp_path / "pipe.idx")
    result = {}

    def run():
        try:
            read_idx(tmp_path / "pipe.idx")
        except NNFSError as e:
            result["error"] = str(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive(), "read_idx blocked on a FIFO"
    assert result["error"] == "read_idx: pipe.idx is not a regular file (a pipe, a device...)"


def test_fashion_mnist_with_a_cache_folder_it_cannot_write(env, monkeypatch):
    import tempfile

    def denied(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied", k.get("dir"))

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    with pytest.raises(NNFSError, match=r"cannot write to the cache folder .*\(Permission denied\); pass "
                       r"cache_dir= a folder you can write, or set NNFS_DATA"):
        load(env)


@pytest.mark.parametrize(
    "images, match",
    [
        (np.full((2, 28, 28), 0.5), r"values in \[0.5, 0.5\]: they look divided by 255 already"),
        (np.linspace(0, 1, 2 * 784).reshape(2, 784), r"\[0, 1\]: they look divided by 255 already"),
        (np.linspace(-1, 1, 2 * 784).reshape(2, 784), r"\[-1, 1\]: they look prepared already"),
        (np.arange(2 * 784).reshape(2, 784), r"\[0, 1567\]: outside 0..255"),
        (np.full((2, 4), -3, np.int8), r"\[-3, -3\]: they look prepared already"),
        (np.array([[0.0, np.nan]]), "NaN or infinite"),
        (np.array([["a", "b"]]), "pixels must be numbers 0..255, got dtype <U1"),
    ],
)
def test_prepare_images_refuses_pixels_scaled_twice(images, match):
    with pytest.raises(NNFSError, match=match):
        prepare_images(images)


def test_prepare_images_accepts_any_0_255_numbers():
    u8 = np.arange(256, dtype=np.uint8).reshape(1, 16, 16)
    for a in (u8.astype(np.int64), u8.astype(np.float32), u8.astype(np.float64), u8.astype(np.uint16)):
        np.testing.assert_array_equal(prepare_images(a), prepare_images(u8))


def test_prepare_images_double_scaling_no_longer_silent():
    "The reproduction: images divided by 255 (a habit from other libraries), or prepared twice."
    X, _, _, _ = fashion_mnist()
    with pytest.raises(NNFSError, match="divided by 255"):
        prepare_images(X[:2000] / 255)
    with pytest.raises(NNFSError, match="prepared already"):
        prepare_images(prepare_images(X[:2000]))


def test_messages_stay_on_one_line(env, monkeypatch, tmp_path):
    odd = tmp_path / "new\nline\x1b[31m"
    odd.mkdir()
    monkeypatch.setenv("NNFS_DATA", str(odd))
    with pytest.raises(NNFSError) as e:
        fashion_mnist()
    assert "\n" not in str(e.value) and "\x1b" not in str(e.value) and r"new\nline\x1b[31m" in str(e.value)
    (tmp_path / "data" / "c\x1b[2J").mkdir(parents=True)
    (tmp_path / "data" / "c\x1b[2J" / "evil\x1b[2J.png").write_bytes(b"not an image")
    with pytest.raises(NNFSError) as e:
        load_image_folder(tmp_path / "data")
    assert "\x1b" not in str(e.value) and r"evil\x1b[2J.png" in str(e.value)


def test_missing_pillow_names_the_extra(monkeypatch, tmp_path):
    import sys

    save(tmp_path / "a" / "1.png", np.zeros((2, 2), np.uint8))
    monkeypatch.setitem(sys.modules, "PIL.Image", None)  # import PIL.Image now fails
    message = r"^reading image files needs PIL: pip install 'nnfs-course\[images\]'$"
    with pytest.raises(NNFSError, match=message):
        load_image_folder(tmp_path)
