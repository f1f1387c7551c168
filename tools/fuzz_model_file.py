"""Fuzz the model-file loader: every damaged or forged file must give `ModelFileError`, fast, in little
memory; every file that loads must give a model that predicts.

Starting from valid files of real size (a 784-128-10 classifier, with and without optimizer state, stored
and deflate-compressed), small ones (a classifier, a binary classifier, a regression model) and a small
convolutional network, each case applies one seeded mutation:

- bytes: random byte flips, flips inside the `.npy` headers, truncation, lies about the zip's declared sizes,
  members recompressed with bzip2/LZMA, decompression bombs, hostile `.npy` header shapes and dtypes;
- the description: JSON edits anywhere (odd values, deletions, additions, deep nesting, huge numbers), and
  config-level forgeries: every field of a layer, loss, accuracy or optimizer set to zeros, negatives, huge
  numbers, strings, lists, booleans or objects; objects nested where none belongs (lists of layers in a
  regularizer, layers as regularizers); the loader's own `init`, `dtype`, `rng`; chains of convolutions on
  images of any size, written with arrays that match them, so the budget itself is what must refuse them.

Each case must load (and then predict one input without error) or raise `ModelFileError`. The run reports
exceptions of any other type (must be 0), the slowest case (must stay under 2 s) and the process's peak
resident memory (must stay under 500 MB).

A case's time is the processor time this process spends on it (`time.process_time`), with NumPy's matrix
products on one thread: what is measured is the loader's work. Wall-clock time, reported too, also counts
the time the process waits for a processor, which on a busy machine is most of it, and several BLAS threads
on busy cores wait for each other: on two loaded cores, one product of a 4-million-row matrix with 9 columns
by a 9x2 matrix took 0.33 s with OpenBLAS's threads and 6 ms on one thread.

    python tools/fuzz_model_file.py --cases 100000 [--seed 0] [--json results.json]

`tests/test_fuzz_model_file.py` runs some thousands of the same cases (the larger part marked `slow`)."""

import argparse
import io
import json
import os
import resource
import signal
import struct
import sys
import tempfile
import time
import traceback
import zipfile

import numpy as np

from nnfs.activations import Linear, ReLU, Sigmoid, Softmax
from nnfs.conv import Conv2D, Flatten, MaxPool2D
from nnfs.core import set_threads
from nnfs.layers import Dense, Dropout
from nnfs.losses import BinaryCrossentropy, CategoricalCrossentropy, MeanSquaredError
from nnfs.metrics import BinaryAccuracy, CategoricalAccuracy, RegressionAccuracy
from nnfs.model import Model
from nnfs.optimizers import Adam
from nnfs.regularization import L1L2
from nnfs.serialization import ModelFileError, load_model, save_model

ARCH = "__architecture__"


def models() -> dict[str, Model]:
    """The valid models the fuzzer starts from: real-sized and small, float32 and float64, with optimizer
    state."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 784)).astype(np.float32)
    big = Model(
        [
            Dense(784, 128, rng=rng, weight_scale=0.05),
            ReLU(),
            Dropout(0.1),
            Dense(128, 10, rng=rng, weight_scale=0.1),
            Softmax(),
        ]
    )
    big.set(loss=CategoricalCrossentropy(), optimizer=Adam(1e-3), accuracy=CategoricalAccuracy()).finalize()
    big.train(x, np.arange(64) % 10, epochs=1, batch_size=32, progress=False, rng=rng)
    return {
        "real": big,
        "classifier": Model(
            [
                Dense(6, 8, rng=rng, weight_scale=0.5),
                ReLU(),
                Dropout(0.2),
                Dense(8, 3, rng=rng, weight_scale=0.5),
                Softmax(),
            ]
        )
        .set(loss=CategoricalCrossentropy(), accuracy=CategoricalAccuracy())
        .finalize(),
        "binary": Model(
            [
                Dense(6, 5, rng=rng, weight_scale=0.5, regularizer=L1L2(weight_l2=1e-3)),
                ReLU(),
                Dense(5, 1, rng=rng, weight_scale=0.5),
                Sigmoid(),
            ]
        )
        .set(loss=BinaryCrossentropy(), accuracy=BinaryAccuracy())
        .finalize(),
        "regression": Model(
            [
                Dense(6, 4, rng=rng, weight_scale=0.5, dtype=np.float64),
                ReLU(),
                Dense(4, 2, rng=rng, weight_scale=0.5, dtype=np.float64),
                Linear(),
            ]
        )
        .set(loss=MeanSquaredError(), accuracy=RegressionAccuracy())
        .finalize(),
        "cnn": Model(
            [
                Conv2D(1, 3, 3, padding="same", input_shape=(8, 8), rng=rng),
                ReLU(),
                MaxPool2D(2),
                Flatten(),
                Dense(48, 3, rng=rng, weight_scale=0.2, regularizer=L1L2(weight_l1=1e-4)),
                Softmax(),
            ]
        )
        .set(loss=CategoricalCrossentropy(), optimizer=Adam(1e-3), accuracy=CategoricalAccuracy())
        .finalize(),
    }


def valid_files(folder: str) -> dict[str, bytes]:
    "Valid files (as bytes) of every starting model; the real one also with optimizer state and deflated."
    out = {}
    for name, model in models().items():
        path = os.path.join(folder, name + ".npz")
        save_model(model, path, include_optimizer=name in ("real", "cnn"))
        out[name] = open(path, "rb").read()
    out["real-deflate"] = recompress(out["real"], zipfile.ZIP_DEFLATED)
    return out


# ---- helpers
# ------------------------------------------------------------------------------------------------


def members(data: bytes) -> dict[str, bytes]:
    "The raw .npy bytes of each member of a valid archive."
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def rezip(parts: dict[str, bytes], method: int = zipfile.ZIP_STORED, methods: dict | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, raw in parts.items():
            zf.writestr(zipfile.ZipInfo(name), raw, compress_type=(methods or {}).get(name, method))
    return buf.getvalue()


def recompress(data: bytes, method: int) -> bytes:
    return rezip(members(data), method)


def npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=False)
    return buf.getvalue()


def raw_header(header: str, payload: bytes = b"") -> bytes:
    "A .npy file with any header text (version 1.0)."
    text = header.encode("latin1")
    text += b" " * ((64 - (10 + len(text) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + payload


def description(data: bytes) -> dict:
    return json.loads(np.load(io.BytesIO(members(data)[ARCH + ".npy"])).tobytes())


# ---- mutations ---------------------------------------------------------------------------------------------


def flip(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    b = bytearray(data)
    n = int(rng.integers(1, 9))
    where = rng.choice(["any", "head", "tail"])
    lo, hi = {"any": (0, len(b)), "head": (0, min(200, len(b))), "tail": (max(0, len(b) - 300), len(b))}[
        where
    ]
    pos = rng.integers(lo, hi, size=n)
    for p in pos:
        b[p] = int(rng.integers(0, 256))
    return bytes(b), f"flip {n} bytes at {sorted(pos.tolist())[:8]}"


def header_flip(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    """Change one byte inside an .npy header of a stored member (zipfile checks the CRC only at a member's
    end)."""
    starts = [i for i in range(len(data)) if data.startswith(b"\x93NUMPY", i)] if len(data) < 4096 else None
    if starts is None:
        starts, i = [], data.find(b"\x93NUMPY")
        while i >= 0:
            starts.append(i)
            i = data.find(b"\x93NUMPY", i + 1)
    if not starts:
        return flip(data, rng)
    s = starts[int(rng.integers(len(starts)))]
    p = s + int(rng.integers(6, 128))
    b = bytearray(data)
    b[p] = int(rng.choice([ord(c) for c in "()[]{}'\",:#\\0123456789-eLj x"] + [int(rng.integers(0, 256))]))
    return bytes(b), f"header byte at {p}"


def truncate(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    cut = int(rng.integers(0, len(data)))
    return data[:cut], f"truncate to {cut} of {len(data)} bytes"


ODD = [
    None,
    True,
    False,
    0,
    -1,
    1,
    2,
    3,
    10**9,
    10**30,
    -(10**30),
    1e308,
    0.5,
    -0.5,
    1.0,
    "",
    "Dense",
    "float16",
    "nnfs-model",
    [],
    {},
    [1, 2],
    {"__object__": {"type": "L1L2", "config": {}}},
    "zeros",
    {"__object__": {"type": "Adam", "config": {}}},
    {"__object__": 5},
    2**63,
    784,
    128,
    1_000_000,
]


def _walk(node, path=()):
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, path + (i,))


def _set(tree, path, value):
    if not path:
        return value
    node = tree
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return tree


def edit_json(desc: dict, rng: np.random.Generator) -> tuple[str, str]:
    desc = json.loads(json.dumps(desc))
    nodes = list(_walk(desc))
    path, value = nodes[int(rng.integers(len(nodes)))]
    kind = rng.choice(["value", "value", "delete", "add", "nest", "type", "number", "raw", "size"])
    if kind == "value":
        new = ODD[int(rng.integers(len(ODD)))]
        return json.dumps(_set(desc, path, new)), f"set {path} to {new!r}"[:120]
    if kind == "delete" and path:
        parent = desc
        for p in path[:-1]:
            parent = parent[p]
        del parent[path[-1]]
        return json.dumps(desc), f"delete {path}"
    if kind == "add" and isinstance(value, (dict, list)):
        if isinstance(value, dict):
            value[str(rng.choice(["extra", "init", "dtype", "rng", "weights"]))] = 1
        else:
            value.append(json.loads(json.dumps(value[0])) if value else 1)
        return json.dumps(desc), f"add an item to {path}"
    if kind == "nest":
        depth = int(rng.choice([5, 40, 1000, 100_000]))
        text = json.dumps(_set(desc, path, None))
        return text.replace("null", "[" * depth + "]" * depth, 1), f"nest {depth} deep at {path}"
    if kind == "type" and desc.get("layers"):
        layer = desc["layers"][int(rng.integers(len(desc["layers"])))]
        if isinstance(layer, dict):
            layer["type"] = str(
                rng.choice(
                    [
                        "Dense",
                        "ReLU",
                        "Softmax",
                        "Sigmoid",
                        "Linear",
                        "Dropout",
                        "Adam",
                        "L1L2",
                        "CategoricalCrossentropy",
                        "Model",
                        "__import__",
                        "object",
                    ]
                )
            )
        return json.dumps(desc), "layer type"
    if kind == "number":
        text = json.dumps(desc)
        huge = str(rng.choice(["1e999", "-1e999", "NaN", "Infinity", "9" * 5000, "1" * 300, "-0", "1.5"]))
        return text.replace(": 1", ": " + huge, 1) if ": 1" in text else text.replace("0", huge, 1), "number"
    if kind == "size" and desc.get("layers"):
        layer = desc["layers"][0]
        if isinstance(layer, dict) and isinstance(layer.get("config"), dict):
            layer["config"]["n_inputs"] = int(rng.choice([10**6, 10**9, 2**40, 0, -5, 785]))
            layer["config"]["n_neurons"] = int(rng.choice([10**6, 10**9, 2**40, 128, 1]))
        return json.dumps(desc), "huge layer sizes"
    text = json.dumps(desc)
    if rng.random() < 0.5:
        cut = int(rng.integers(len(text)))
        return text[:cut], f"JSON cut at {cut}"
    return text[:-1] + ', "pad": "' + "x" * 1_100_000 + '"}', "JSON of 1.1 MB"


def structural(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    parts = members(data)
    names = [k for k in parts if k != ARCH + ".npy"]
    name = names[int(rng.integers(len(names)))]
    a = np.load(io.BytesIO(parts[name]))
    kind = rng.choice(
        ["drop", "add", "rename", "shape", "dtype", "json", "json", "json", "arch", "values", "hostile"]
    )
    what = kind
    if kind == "drop":
        victim = name if rng.random() < 0.8 else ARCH + ".npy"
        del parts[victim]
    elif kind == "add":
        parts[
            str(
                rng.choice(
                    [
                        "extra.npy",
                        "layers.9.weights.npy",
                        "layers.1.weights.npy",
                        "optimizer.x.npy",
                        "notes.txt",
                    ]
                )
            )
        ] = npy(np.zeros((2, 2), np.float32))
    elif kind == "rename":
        parts[str(rng.choice(["layers.1.weights.npy", "layers.0.bias.npy", "weights.npy", name.upper()]))] = (
            parts.pop(name)
        )
    elif kind == "shape":
        choices = (
            [a.reshape(1, 1), np.zeros(3), np.zeros(())]
            if a.ndim == 0
            else [
                a.T,
                a.reshape(-1),
                a[:-1],
                np.concatenate([a, a]),
                a.reshape(1, *a.shape),
                a[:0],
                np.zeros(()),
            ]
        )
        parts[name] = npy(np.asarray(choices[int(rng.integers(len(choices)))]))
    elif kind == "dtype":
        dt = str(
            rng.choice(
                [
                    "float16",
                    "float32",
                    "float64",
                    "int32",
                    "int64",
                    "complex64",
                    "bool",
                    ">f4",
                    ">f8",
                    "U3",
                    "V4",
                ]
            )
        )
        parts[name] = npy(a.astype(dt))
        what = f"{name} as {dt}"
    elif kind == "arch":
        raw = np.load(io.BytesIO(parts[ARCH + ".npy"]))
        choices = [
            raw.astype(np.int64),
            raw.reshape(1, -1),
            raw[:0],
            raw.view(np.int8),
            np.frombuffer(raw.tobytes() + b"\xff\xfe", np.uint8),
        ]
        parts[ARCH + ".npy"] = npy(choices[int(rng.integers(len(choices)))])
    elif kind == "values":
        v = a.copy()
        if v.size and v.dtype.kind == "f":
            v.flat[int(rng.integers(v.size))] = rng.choice([np.nan, np.inf, 1e30, -1e7])
        parts[name] = npy(v)
    elif kind == "hostile":
        shape = str(
            rng.choice(
                [
                    "(0, 9223372036854775808)",
                    "(0, 10**30)",
                    "(" + "1, " * 70 + ")",
                    "(-1,)",
                    "(2**62, 2**62)",
                    "(0, 1000000000000000000000000000000)",
                    "()",
                    "(1.5,)",
                    "('a',)",
                    "(True,)",
                ]
            )
        )
        descr = str(rng.choice(["'|u1'", "'<f4'", "'<f8'", "'|O'", "[('a', '<f4')]", "'<U4'", "'>f4'"]))
        target = ARCH + ".npy" if rng.random() < 0.5 else name
        parts[target] = raw_header(
            "{'descr': " + descr + ", 'fortran_order': False, 'shape': " + shape + ", }"
        )
        what = f"{target} header shape {shape[:30]} descr {descr}"
    else:
        text, what = edit_json(json.loads(np.load(io.BytesIO(parts[ARCH + ".npy"])).tobytes()), rng)
        parts[ARCH + ".npy"] = npy(np.frombuffer(text.encode("utf-8"), dtype=np.uint8))
    return rezip(parts, zipfile.ZIP_DEFLATED if rng.random() < 0.3 else zipfile.ZIP_STORED), what


def methods(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    "A member compressed with bzip2 or LZMA, or a bomb: a small member that expands to a lot."
    parts = members(data)
    name = list(parts)[int(rng.integers(len(parts)))]
    kind = rng.choice(["bzip2", "lzma", "bomb", "deflate-bomb"])
    if kind == "bzip2":
        return rezip(parts, methods={name: zipfile.ZIP_BZIP2}), f"{name} as bzip2"
    if kind == "lzma":
        return rezip(parts, methods={name: zipfile.ZIP_LZMA}), f"{name} as lzma"
    size = int(rng.choice([2**22, 2**24]))
    header = raw_header("{'descr': '<f4', 'fortran_order': False, 'shape': (%d,), }" % (size // 4))
    parts[name] = header + bytes(size)
    method = zipfile.ZIP_BZIP2 if kind == "bomb" else zipfile.ZIP_DEFLATED
    return rezip(parts, methods={name: method}), f"{kind}: {name} of {size:,} bytes"


def sizes(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    "Lie in the zip's headers: declared sizes, compression method, CRC."
    b = bytearray(data)
    sigs = [(b"PK\x01\x02", (10, 16, 20, 24)), (b"PK\x03\x04", (8, 14, 18, 22))]
    sig, offsets = sigs[int(rng.integers(2))]
    places, i = [], b.find(sig)
    while i >= 0:
        places.append(i)
        i = b.find(sig, i + 1)
    if not places:
        return flip(data, rng)
    at = places[int(rng.integers(len(places)))]
    field = offsets[int(rng.integers(len(offsets)))]
    width = 2 if field in (8, 10) else 4
    value = int(rng.choice([0, 1, 8, 12, 14, 99, 2**31, 2**32 - 1, 1 << 30]))
    b[at + field : at + field + width] = (value % (1 << (8 * width))).to_bytes(width, "little")
    return bytes(b), f"{sig[2:]!r} field {field} = {value}"


# ---- config-level forgeries ------------------------------------------------------------------------------

# values a config field may be forged to: zeros, signs, sizes, types, and objects where none belongs
CONFIG_VALUES = [
    0, 0.0, -1, 1, 2, 3, 7, 28, 784, 4096, 10**6, 10**9, 2**40, 2**63, 10**30, -(10**30), 1e-300, 1e308,
    0.5, -0.5, True, False, None, "", "same", "valid", "random", "zeros", "float16", "L1L2", [], [0],
    [0, 0], [1, 1], [3, 3], [4096, 4096], [10**6, 10**6], [2, 2, 2], [-3, 3], ["3", "3"], {}, {"a": 1},
    {"__object__": {"type": "L1L2", "config": {"weight_l2": 0.1}}},
    {"__object__": {"type": "L1L2", "config": {"weight_l2": 0}}},
    {"__object__": {"type": "Adam", "config": {}}},
    {"__object__": {"type": "Dense", "config": {"n_inputs": 4000, "n_neurons": 4000, "init": "random"}}},
    [{"__object__": {"type": "Dense", "config": {"n_inputs": 4000, "n_neurons": 4000}}}] * 40,
    {"__object__": {"type": "Conv2D", "config": {"in_channels": 1, "out_channels": 1}}},
    {"__object__": {"type": "L1L2", "config": {}, "state": {"x": 1}}},
    {"__object__": 0}, {"__object__": {"type": "L1L2"}},
]
# fields worth forging, beyond those an entry already has
CONFIG_FIELDS = ["n_inputs", "n_neurons", "weight_scale", "regularizer", "init", "dtype", "rng", "rate",
                 "in_channels", "out_channels", "kernel_size", "padding", "input_shape", "pool_size",
                 "learning_rate", "decay", "momentum", "epsilon", "beta_1", "beta_2", "rho",
                 "precision_divisor", "weight_l1", "weight_l2", "bias_l1", "bias_l2", "__object__"]


def _entries(desc: dict) -> list:
    "Every object entry of a description: layers, loss, accuracy, optimizer, and objects inside configs."
    found = [e for e in desc.get("layers", []) if isinstance(e, dict)]
    found += [desc[k] for k in ("loss", "accuracy", "optimizer") if isinstance(desc.get(k), dict)]
    for e in list(found):
        for v in (e.get("config") or {}).values() if isinstance(e.get("config"), dict) else ():
            if isinstance(v, dict) and isinstance(v.get("__object__"), dict):
                found.append(v["__object__"])
    return found


def forge_config(desc: dict, rng: np.random.Generator) -> tuple[dict, str]:
    "One or a few fields of entries set to odd values (and sometimes a forged `state`)."
    desc = json.loads(json.dumps(desc))
    entries = [e for e in _entries(desc) if isinstance(e.get("config"), dict)]
    what = []
    for _ in range(int(rng.choice([1, 1, 1, 2, 3]))):
        if not entries:
            break
        e = entries[int(rng.integers(len(entries)))]
        keys = list(e["config"]) + CONFIG_FIELDS
        key = keys[int(rng.integers(len(keys)))]
        if rng.random() < 0.1:
            value = {"precision": CONFIG_VALUES[int(rng.integers(len(CONFIG_VALUES)))]}
            e["state"] = value
            what.append(f"{e.get('type')} state {value!r}"[:80])
            continue
        value = CONFIG_VALUES[int(rng.integers(len(CONFIG_VALUES)))]
        e["config"][key] = value
        what.append(f"{e.get('type')}.{key} = {value!r}"[:80])
    return desc, "; ".join(what)


def conv_chain(rng: np.random.Generator) -> tuple[dict, dict, str]:
    """A network of convolutions (and pooling) on images of a random size, with parameter arrays that match
    it: from tiny to far beyond the limits, so the budget decides."""
    side = int(rng.choice([1, 2, 3, 8, 28, 100, 512, 2048, 4096, 8192, 50_000]))
    layers, arrays, ch = [], {}, 1
    for i in range(int(rng.integers(1, 5))):
        kind = rng.choice(["conv", "conv", "pool", "relu"])
        if kind == "conv":
            k, out = int(rng.choice([1, 3, 5])), int(rng.choice([1, 2, 8, 32, 256]))
            cfg = {"in_channels": ch, "out_channels": out, "kernel_size": [k, k],
                   "padding": str(rng.choice(["valid", "same"]))}
            if i == 0: cfg["input_shape"] = [side, side]
            if rng.random() < 0.2: cfg["weight_scale"] = 0
            layers.append({"type": "Conv2D", "config": cfg})
            arrays[f"layers.{len(layers) - 1}.weights"] = np.zeros((k, k, ch, out), np.float32)
            arrays[f"layers.{len(layers) - 1}.biases"] = np.zeros(out, np.float32)
            ch = out
        elif kind == "pool":
            layers.append({"type": "MaxPool2D", "config": {"pool_size": int(rng.choice([2, 3, 64]))}})
        else:
            layers.append({"type": "ReLU", "config": {}})
    if not layers or layers[0]["type"] != "Conv2D":
        layers.insert(0, {"type": "Conv2D", "config": {"in_channels": 1, "out_channels": ch,
                                                       "kernel_size": [1, 1], "input_shape": [side, side]}})
        arrays = {f"layers.{int(k.split('.')[1]) + 1}.{k.split('.')[2]}": v for k, v in arrays.items()}
        arrays["layers.0.weights"] = np.zeros((1, 1, 1, ch), np.float32)
        arrays["layers.0.biases"] = np.zeros(ch, np.float32)
    layers.append({"type": "Flatten", "config": {}})
    desc = {"format": "nnfs-model", "version": 2, "dtype": "float32", "layers": layers, "loss": None,
            "accuracy": None, "optimizer": None, "input_range": None, "preprocessing": None}
    return desc, arrays, f"conv chain on {side}x{side}: {[l['type'] for l in layers]}"


def config(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    "A forged description: fields of its entries set to odd values, or a new chain of convolutions."
    parts = members(data)
    if rng.random() < 0.25:
        desc, arrays, what = conv_chain(rng)
        parts = {k + ".npy": npy(v) for k, v in arrays.items()}
    else:
        desc, what = forge_config(description(data), rng)
    parts[ARCH + ".npy"] = npy(np.frombuffer(json.dumps(desc).encode("utf-8"), dtype=np.uint8))
    return rezip(parts, zipfile.ZIP_DEFLATED), what


MUTATIONS = {
    "flip": flip,
    "header": header_flip,
    "truncate": truncate,
    "structural": structural,
    "methods": methods,
    "sizes": sizes,
    "config": config,
}
WEIGHTS = {"flip": 0.2, "header": 0.15, "truncate": 0.07, "structural": 0.22, "methods": 0.03, "sizes": 0.08,
           "config": 0.25}


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def run_case(path: str, data: bytes) -> tuple[str, float, float]:
    """Write `data` to `path` and load it: ('ok' | 'refused' | 'TIMEOUT' | 'ExceptionName: ...', processor
    seconds, wall-clock seconds). TIMEOUT after 10 s of processor time."""
    with open(path, "wb") as f:
        f.write(data)
    start, wall = time.process_time(), time.perf_counter()
    signal.signal(signal.SIGPROF, _alarm)
    signal.setitimer(signal.ITIMER_PROF, 10.0)
    try:
        model = load_model(path)
        first = model.layers[0]
        n = getattr(first, "n_inputs", None)   # Dense, or Conv2D with input_shape: flat rows
        if isinstance(n, int):
            out = model.predict(np.zeros((1, n), dtype=model._dtype))   # one input: what was planned
            result = "ok" if np.all(np.isfinite(out)) else "non-finite predictions"
        else:
            result = "ok"
    except ModelFileError:
        result = "refused"
    except _Timeout:
        result = "TIMEOUT"
    except BaseException as e:  # anything else is a bug in the loader
        result = f"{type(e).__name__}: {str(e)[:200]} | {traceback.format_exc(limit=-2)[-300:]}"
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
    return result, time.process_time() - start, time.perf_counter() - wall


def _figures(args, done, counts, outcomes, bad, slowest, max_wall, t0) -> dict:
    return {
        "cases": done,
        "seed": args.seed,
        "by_family": dict(counts),
        "loaded": outcomes["ok"],
        "refused": outcomes["refused"],
        "other_exceptions": len(bad),
        "max_seconds": round(slowest[0], 3),
        "slowest": slowest[1],
        "max_wall_seconds": round(max_wall, 3),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "seconds": round(time.perf_counter() - t0, 1),
        "examples": bad[:20],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", help="write the figures to this file")
    args = p.parse_args(argv)
    set_threads(1)   # the loader's work, not BLAS threads waiting for busy cores (see above)
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        files = valid_files(tmp)
        starts = list(files)
        fams = list(MUTATIONS)
        probs = np.array([WEIGHTS[f] for f in fams])
        probs /= probs.sum()
        counts = {f: 0 for f in fams}
        outcomes = {"ok": 0, "refused": 0}
        bad, slowest, max_wall = [], (0.0, ""), 0.0
        t0 = time.perf_counter()
        for case in range(args.cases):
            fam = fams[int(rng.choice(len(fams), p=probs))]
            start = starts[int(rng.integers(len(starts)))]
            data, what = MUTATIONS[fam](files[start], rng)
            result, seconds, wall = run_case(os.path.join(tmp, "case.npz"), data)
            max_wall = max(max_wall, wall)
            counts[fam] += 1
            if result in outcomes:
                outcomes[result] += 1
            else:
                bad.append(f"case {case} ({start}, {fam}: {what}): {result}")
            if seconds > slowest[0]:
                slowest = (seconds, f"case {case} ({start}, {fam}: {what})")
            if (case + 1) % 2_000 == 0 or case + 1 == args.cases:
                figures = _figures(args, case + 1, counts, outcomes, bad, slowest, max_wall, t0)
                print(f"{case + 1:,} cases, {time.perf_counter() - t0:.0f} s, {len(bad)} bad", flush=True)
                if args.json:  # written as the run goes, so an interrupted run still reports
                    with open(args.json, "w") as f:
                        json.dump(figures, f, indent=1)
    print(json.dumps(figures, indent=1))
    rss_mb = figures["max_rss_mb"]
    ok = not bad and slowest[0] < 2 and rss_mb < 500
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
