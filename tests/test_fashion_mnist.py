"""Fashion-MNIST loader: IDX reading and validation, the download path (against a local HTTP server on
127.0.0.1 serving small synthetic files; never the internet), caching, precedence of path= / NNFS_DATA."""
import gzip
import hashlib
import http.server
import os
import socket
import struct
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import nnfs.datasets as ds
from nnfs import NNFSError
from nnfs.datasets import FASHION_MNIST_CLASSES, fashion_mnist, read_idx, train_val_split

NAMES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def idx_bytes(a: np.ndarray, type_code: int = 0x08) -> bytes:
    "Raw IDX bytes: magic (0, 0, type, ndim), big-endian uint32 dims, big-endian data."
    a = np.asarray(a)
    return bytes([0, 0, type_code, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape) + a.astype(a.dtype.newbyteorder(">")).tobytes()


def synthetic(n_train=30, n_test=10, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8), (np.arange(n_train) % 10).astype(np.uint8),
              rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8), (np.arange(n_test) % 10).astype(np.uint8)]
    blobs = {name: gzip.compress(idx_bytes(a), mtime=0) for name, a in zip(NAMES, arrays)}
    return arrays, blobs


def write_folder(folder: Path, blobs: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in blobs.items(): (folder / name).write_bytes(data)
    return folder


class Server:
    "A tiny HTTP server in a thread; `files` maps URL names to bytes, `status` to forced error codes, `hits` counts requests."
    def __init__(self):
        self.files, self.status, self.hits, self.lie_length = {}, {}, [], {}
        outer = self
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                name = self.path.rsplit("/", 1)[-1]
                outer.hits.append(name)
                code = outer.status.get(name, 200 if name in outer.files else 404)
                if code != 200:
                    self.send_error(code); return
                data = outer.files[name]
                self.send_response(200)
                self.send_header("Content-Length", str(outer.lie_length.get(name, len(data))))
                self.end_headers()
                self.wfile.write(data)
            def log_message(self, *args): pass
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs=dict(poll_interval=0.02), daemon=True)
        self.thread.start()
    def close(self):
        self.httpd.shutdown(); self.httpd.server_close()


@pytest.fixture
def env(monkeypatch, tmp_path):
    "No NNFS_DATA, a private cache folder, checksums of the synthetic files, and a local server serving them."
    monkeypatch.delenv("NNFS_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    arrays, blobs = synthetic()
    monkeypatch.setattr(ds, "FASHION_MNIST_MD5", {n: hashlib.md5(b).hexdigest() for n, b in blobs.items()})
    server = Server()
    server.files.update(blobs)
    yield dict(arrays=arrays, blobs=blobs, server=server, cache=tmp_path / "xdg" / "nnfs" / "fashion-mnist", tmp=tmp_path)
    server.close()


def load(env, **kw):
    return fashion_mnist(base_url=env["server"].url, progress=False, **kw)


def assert_same(got, arrays):
    assert len(got) == 4
    for g, a in zip(got, arrays):
        assert g.dtype == np.uint8 and g.shape == a.shape
        np.testing.assert_array_equal(g, a)


# ---- read_idx ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype,code", [(np.uint8, 0x08), (np.int8, 0x09), (np.int16, 0x0B), (np.int32, 0x0C),
                                        (np.float32, 0x0D), (np.float64, 0x0E)])
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_roundtrip(tmp_path, dtype, code, gz):
    a = (np.arange(2 * 3 * 5) - 7).reshape(2, 3, 5).astype(dtype)
    raw = idx_bytes(a, code)
    p = tmp_path / ("a.idx.gz" if gz else "a.idx")
    p.write_bytes(gzip.compress(raw) if gz else raw)
    got = read_idx(p)
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative and got.shape == a.shape
    np.testing.assert_array_equal(got, a)
    got[0, 0, 0] = 1   # writable


@pytest.mark.parametrize("raw,match", [
    (b"\x00\x00\x08", "bad magic"),                                   # too short
    (b"\x08\x03\x00\x00" + b"\x00" * 12, "bad magic"),               # wrong order / not IDX
    (b"\x00\x00\x07\x01" + b"\x00\x00\x00\x01" + b"\x00", "bad magic"),  # unknown type code
    (b"\x00\x00\x08\x03\x00\x00\x00\x02", "header needs 16 bytes"),    # header cut short
    (b"\x00\x00\x08\x01\x00\x00\x00\x05" + b"\x01\x02", "truncated"),  # data cut short
    (b"\x00\x00\x08\x01\x00\x00\x00\x01" + b"\x01\x02", "has 10 bytes"),  # trailing garbage
])
def test_read_idx_errors_name_the_file(tmp_path, raw, match):
    p = tmp_path / "weird-file.idx"
    p.write_bytes(raw)
    with pytest.raises(NNFSError, match=match) as e: read_idx(p)
    assert "weird-file.idx" in str(e.value)


def test_read_idx_damaged_gzip_and_missing_file(tmp_path):
    p = tmp_path / "x.gz"
    p.write_bytes(gzip.compress(idx_bytes(np.zeros((100, 28, 28), np.uint8)))[:-20])
    with pytest.raises(NNFSError, match="x.gz is a damaged or truncated gzip"): read_idx(p)
    with pytest.raises(NNFSError, match="cannot read .*nope.idx"): read_idx(tmp_path / "nope.idx")


# ---- download, cache ------------------------------------------------------------------------------------

def test_download_then_cache_reuse(env):
    assert_same(load(env), env["arrays"])
    assert sorted(env["server"].hits) == sorted(NAMES)
    assert sorted(p.name for p in env["cache"].iterdir()) == sorted(NAMES)   # no temporary files left
    assert_same(load(env), env["arrays"])          # second call: from the cache
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
    bad = bytearray(env["blobs"][NAMES[0]]); bad[100] ^= 0xFF
    env["server"].files[NAMES[0]] = bytes(bad)
    with pytest.raises(NNFSError, match="checksum mismatch for train-images-idx3-ubyte.gz"): load(env)
    assert not (env["cache"] / NAMES[0]).exists()
    assert not [p for p in env["cache"].iterdir() if p.name.endswith(".part")]
    env["server"].files[NAMES[0]] = env["blobs"][NAMES[0]]   # the server is fixed: a later run succeeds
    assert_same(load(env), env["arrays"])


def test_corrupted_cached_file_is_downloaded_again(env):
    write_folder(env["cache"], env["blobs"])
    (env["cache"] / NAMES[1]).write_bytes(b"garbage")
    with pytest.raises(NNFSError, match="download=False"): load(env, download=False)
    assert_same(load(env), env["arrays"])
    assert env["server"].hits == [NAMES[1]]


def test_truncated_download(env):
    env["server"].lie_length[NAMES[2]] = len(env["blobs"][NAMES[2]]) + 1000   # the connection ends early
    with pytest.raises(NNFSError, match="t10k-images-idx3-ubyte.gz"): load(env)
    assert not (env["cache"] / NAMES[2]).exists()
    assert not [p for p in env["cache"].iterdir() if p.name.endswith(".part")]


def test_truncated_file_with_right_length_header_fails_checksum(env):
    env["server"].files[NAMES[0]] = env["blobs"][NAMES[0]][:-50]
    with pytest.raises(NNFSError, match="checksum mismatch"): load(env)
    assert not (env["cache"] / NAMES[0]).exists()


@pytest.mark.parametrize("code", [404, 500])
def test_server_error(env, code):
    env["server"].status[NAMES[0]] = code
    with pytest.raises(NNFSError, match=f"HTTP {code}.*NNFS_DATA") as e: load(env)
    assert "path=" in str(e.value)
    assert not env["cache"].exists() or not any(env["cache"].iterdir())


def test_connection_refused_says_what_to_do(env):
    with socket.socket() as s:   # a port nobody listens on
        s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
    with pytest.raises(NNFSError, match="could not download .*offline.*path=.*NNFS_DATA"):
        fashion_mnist(base_url=f"http://127.0.0.1:{port}/", progress=False)


def test_download_false_and_nothing_cached(env):
    with pytest.raises(NNFSError, match="download=False"): load(env, download=False)
    assert env["server"].hits == []


def test_progress_bar_runs(env, capsys):
    assert_same(fashion_mnist(base_url=env["server"].url, progress=True), env["arrays"])


# ---- local folders: precedence and validation ---------------------------------------------------------------

def test_nnfs_data_wins_over_cache_and_path_over_nnfs_data(env, monkeypatch):
    a1, b1 = synthetic(20, 10, seed=1)
    a2, b2 = synthetic(40, 20, seed=2)
    write_folder(env["tmp"] / "data" / "fashion-mnist", b1)
    monkeypatch.setenv("NNFS_DATA", str(env["tmp"] / "data"))
    assert_same(load(env), a1)
    assert_same(load(env, path=write_folder(env["tmp"] / "explicit", b2)), a2)
    assert env["server"].hits == []   # local folders never download


def test_local_folder_is_not_checksummed_but_missing_files_are_named(env):
    arrays, blobs = synthetic(20, 10, seed=3)   # other data: checksums differ, still accepted
    folder = write_folder(env["tmp"] / "f", blobs)
    assert_same(load(env, path=folder), arrays)
    (folder / NAMES[3]).unlink()
    with pytest.raises(NNFSError, match="lacks t10k-labels-idx1-ubyte.gz"): load(env, path=folder)


def test_uncompressed_local_files(env):
    folder = env["tmp"] / "raw"; folder.mkdir()
    for n, b in env["blobs"].items(): (folder / n[:-3]).write_bytes(gzip.decompress(b))
    assert_same(load(env, path=folder), env["arrays"])


@pytest.mark.parametrize("which,array,match", [
    (0, np.zeros((30, 28, 27), np.uint8), r"28x28 images.*\(30, 28, 27\)"),
    (0, np.zeros((30, 784), np.uint8), r"28x28 images"),
    (1, np.zeros(29, np.uint8), "has 30 images but train-labels-idx1-ubyte.gz has 29 labels"),
    (3, np.full(10, 10, np.uint8), "labels up to 10"),
    (2, np.zeros((10, 28, 28), np.int32), "uint8 pixels"),
])
def test_local_validation_errors(env, which, array, match):
    blobs = dict(env["blobs"])
    blobs[NAMES[which]] = gzip.compress(idx_bytes(array, {np.uint8: 0x08, np.int32: 0x0C}[array.dtype.type]))
    folder = write_folder(env["tmp"] / "bad", blobs)
    with pytest.raises(NNFSError, match=match): load(env, path=folder)


def test_bad_magic_in_local_folder(env):
    blobs = dict(env["blobs"]); blobs[NAMES[0]] = gzip.compress(b"\x01\x02\x03\x04" + b"\x00" * 100)
    with pytest.raises(NNFSError, match="train-images-idx3-ubyte.gz is not an IDX file"):
        load(env, path=write_folder(env["tmp"] / "bad", blobs))


# ---- train_val_split ----------------------------------------------------------------------------------------

def test_train_val_split():
    X, y = np.arange(100).reshape(50, 2), np.arange(50)
    Xt, yt, Xv, yv = train_val_split(X, y, 10, rng=np.random.default_rng(1))
    assert Xt.shape == (40, 2) and Xv.shape == (10, 2)
    np.testing.assert_array_equal(Xt[:, 0] // 2, yt); np.testing.assert_array_equal(Xv[:, 0] // 2, yv)   # pairs kept
    assert sorted(np.r_[yt, yv]) == list(range(50))
    again = train_val_split(X, y, 10, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(again[3], yv)
    assert len(train_val_split(X, y, 0.2)[3]) == 10
    for bad, match in [(0, ">= 1"), (50, "leaves 0 of 50"), (1.5, r"in \(0, 1\)"), (0.0, r"in \(0, 1\)")]:
        with pytest.raises(NNFSError, match=match): train_val_split(X, y, bad)
    with pytest.raises(NNFSError, match="50 samples but y has 49"): train_val_split(X, y[:-1])


# ---- the real files, when available -------------------------------------------------------------------------

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
@given(shape=st.lists(st.integers(0, 5), min_size=1, max_size=4),
       kind=st.sampled_from([(np.uint8, 0x08), (np.int8, 0x09), (np.int16, 0x0B), (np.int32, 0x0C), (np.float32, 0x0D), (np.float64, 0x0E)]),
       gz=st.booleans())
def test_read_idx_any_shape(tmp_path_factory, shape, kind, gz):
    dtype, code = kind
    a = np.random.default_rng(len(shape)).integers(-100, 100, size=shape).astype(dtype)
    raw = idx_bytes(a, code)
    p = tmp_path_factory.mktemp("idx") / "x.idx"
    p.write_bytes(gzip.compress(raw) if gz else raw)
    got = read_idx(p)
    assert got.shape == tuple(shape) and got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, a)
    if len(raw) > 4 + 4 * len(shape):   # any missing byte is detected
        p.write_bytes(raw[:-1])
        with pytest.raises(NNFSError, match="x.idx"): read_idx(p)


def test_prepare_images_flattens_and_scales_to_minus_one_one():
    from nnfs.datasets import prepare_images
    images = np.array([[[0, 255], [127, 128]]], dtype=np.uint8)
    X = prepare_images(images)
    assert X.dtype == np.float32 and X.shape == (1, 4)
    np.testing.assert_allclose(X, [[-1, 1, -0.5 / 127.5, 0.5 / 127.5]], rtol=1e-6)
    with pytest.raises(NNFSError, match="batch of images"):
        prepare_images(np.zeros(5, dtype=np.uint8))
