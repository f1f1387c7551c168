"""Fuzzing the model-file loader: damaged and tampered files must give `ModelFileError`, nothing else.

Starting from small valid model files, a seeded loop makes thousands of variants: random byte flips,
truncations, and structural edits (arrays dropped, added, renamed, reshaped, retyped; the JSON description
edited: wrong types, versions, deep nesting, huge numbers, NaN). Each variant must either load as a working
model (finite predictions of the right shape) or raise `ModelFileError`. Any other exception, or a case that
takes too long, fails the test and prints the seed and mutation that caused it."""
import io
import json
import signal
import time
import zipfile

import numpy as np
import pytest

from nnfs.activations import Linear, ReLU, Sigmoid, Softmax
from nnfs.layers import Dense, Dropout
from nnfs.losses import BinaryCrossentropy, CategoricalCrossentropy, MeanSquaredError
from nnfs.metrics import BinaryAccuracy, CategoricalAccuracy, RegressionAccuracy
from nnfs.model import Model
from nnfs.regularization import L1L2
from nnfs.serialization import ARCH_KEY, ModelFileError, load_model, load_parameters, save_model, save_parameters

CASE_SECONDS = 2.0   # generous: a case takes about a millisecond


def _models():
    rng = np.random.default_rng(0)
    return {
        "classifier": Model([Dense(6, 8, rng=rng, weight_scale=0.5), ReLU(), Dropout(0.2), Dense(8, 3, rng=rng, weight_scale=0.5),
                             Softmax()]).set(loss=CategoricalCrossentropy(), accuracy=CategoricalAccuracy()).finalize(),
        "binary": Model([Dense(6, 5, rng=rng, weight_scale=0.5, regularizer=L1L2(weight_l2=1e-3)), ReLU(),
                         Dense(5, 1, rng=rng, weight_scale=0.5), Sigmoid()]).set(loss=BinaryCrossentropy(),
                                                                                 accuracy=BinaryAccuracy()).finalize(),
        "regression": Model([Dense(6, 4, rng=rng, weight_scale=0.5, dtype=np.float64), ReLU(),
                             Dense(4, 2, rng=rng, weight_scale=0.5, dtype=np.float64), Linear()]
                            ).set(loss=MeanSquaredError(), accuracy=RegressionAccuracy()).finalize(),
    }


@pytest.fixture(scope="module")
def valid_files(tmp_path_factory):
    "The valid model files the fuzzer starts from, as bytes, with the model each was saved from."
    folder = tmp_path_factory.mktemp("valid")
    out = {}
    for name, model in _models().items():
        save_model(model, folder / f"{name}.npz")
        out[name] = ((folder / f"{name}.npz").read_bytes(), model)
    return out


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


X_PROBE = np.random.default_rng(1).uniform(-1, 1, size=(7, 6))


def _check_case(path, data: bytes, what: str) -> str:
    """Load `data` (written to `path`); return "ok" or "rejected", or fail the test naming `what`."""
    path.write_bytes(data)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, CASE_SECONDS)
    start = time.perf_counter()
    try:
        model = load_model(path)
        out = model.predict(X_PROBE)
    except ModelFileError:
        return "rejected"
    except _Timeout:
        pytest.fail(f"{what}: loading took more than {CASE_SECONDS} s")
    except Exception as e:  # noqa: BLE001 -- the point of the test: nothing but ModelFileError may escape
        pytest.fail(f"{what}: {type(e).__name__} instead of ModelFileError: {e}")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert time.perf_counter() - start < CASE_SECONDS, what
    n_out = model.trainable_layers[-1].weights.shape[1]
    assert out.shape == (len(X_PROBE), n_out), f"{what}: predictions of shape {out.shape}"
    assert np.all(np.isfinite(out)), f"{what}: non-finite predictions"
    return "ok"


def _members(data: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _npz(arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


# ---- mutations of the raw bytes -------------------------------------------------------------------------------

def _flip(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    b = bytearray(data)
    n = int(rng.integers(1, 9))
    # half the flips land in the first or last 200 bytes, where the zip and .npy headers are
    where = rng.choice(["any", "head", "tail"])
    lo, hi = {"any": (0, len(b)), "head": (0, min(200, len(b))), "tail": (max(0, len(b) - 200), len(b))}[where]
    pos = rng.integers(lo, hi, size=n)
    for p in pos: b[p] = int(rng.integers(0, 256))
    return bytes(b), f"flip {n} bytes at {sorted(pos.tolist())}"


def _truncate(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    cut = int(rng.integers(0, len(data)))
    return data[:cut], f"truncate to {cut} of {len(data)} bytes"


# ---- structural edits -------------------------------------------------------------------------------------------

_ODD_VALUES = [None, True, False, 0, -1, 1, 2, 3, 10**9, 10**30, -(10**30), 1e308, 0.5, -0.5, 1.0, "", "Dense",
               "float16", "nnfs-model", [], {}, [1, 2], {"type": "L1L2"}, float("nan"), float("inf")]


def _walk(node, path=()):
    "Every (path, value) in a JSON tree."
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items(): yield from _walk(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node): yield from _walk(v, path + (i,))


def _set(tree, path, value):
    if not path: return value
    node = tree
    for p in path[:-1]: node = node[p]
    node[path[-1]] = value
    return tree


def _edit_json(desc: dict, rng: np.random.Generator) -> tuple[str, str]:
    "An edited JSON text of the description, and what was done."
    desc = json.loads(json.dumps(desc))
    nodes = list(_walk(desc))
    path, value = nodes[int(rng.integers(len(nodes)))]
    kind = rng.choice(["value", "delete", "add", "nest", "version", "type", "number", "raw"])
    if kind == "value":
        new = _ODD_VALUES[int(rng.integers(len(_ODD_VALUES)))]
        desc = _set(desc, path, new)
        return json.dumps(desc), f"set {path} to {new!r}"
    if kind == "delete" and path:
        parent = desc
        for p in path[:-1]: parent = parent[p]
        del parent[path[-1]]
        return json.dumps(desc), f"delete {path}"
    if kind == "add" and isinstance(value, (dict, list)):
        if isinstance(value, dict): value["extra"] = 1
        else: value.append(json.loads(json.dumps(value[0])) if value else 1)
        return json.dumps(desc), f"add an item to {path}"
    if kind == "nest":
        depth = int(rng.choice([5, 40, 1000, 100_000]))
        desc = _set(desc, path, json.loads("[" * min(depth, 50) + "]" * min(depth, 50)) if depth <= 50 else None)
        text = json.dumps(desc)
        if depth > 50: text = text.replace("null", "[" * depth + "]" * depth, 1)
        return text, f"nest {depth} deep at {path}"
    if kind == "version":
        v = _ODD_VALUES[int(rng.integers(len(_ODD_VALUES)))]
        desc["version"] = v
        return json.dumps(desc), f"version {v!r}"
    if kind == "type" and "layers" in desc:
        layer = desc["layers"][int(rng.integers(len(desc["layers"])))]
        layer["type"] = str(rng.choice(["Dense", "ReLU", "Softmax", "Sigmoid", "Linear", "Dropout", "Conv2D", "__import__"]))
        return json.dumps(desc), f"layer type -> {layer['type']}"
    if kind == "number":
        text = json.dumps(desc)
        huge = str(rng.choice(["1e999", "-1e999", "NaN", "Infinity", "9" * 5000, "1" * 300, "-0", "1.5"]))
        return text.replace(": 1", ": " + huge, 1) if ": 1" in text else text.replace("0", huge, 1), f"number {huge[:10]}"
    # raw text edits: cut the JSON, or pad it past the size limit
    text = json.dumps(desc)
    if rng.random() < 0.5:
        cut = int(rng.integers(len(text)))
        return text[:cut], f"JSON cut at {cut}"
    return text[:-1] + ', "pad": "' + "x" * 1_100_000 + '"}', "JSON of 1.1 MB"


def _structural(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    arrays = _members(data)
    desc = json.loads(arrays[ARCH_KEY].tobytes())
    names = [k for k in arrays if k != ARCH_KEY]
    name = names[int(rng.integers(len(names)))]
    kind = rng.choice(["drop", "add", "rename", "shape", "dtype", "json", "json", "json", "arch_dtype", "values"])
    a = arrays[name]
    if kind == "drop":
        victim = name if rng.random() < 0.8 else ARCH_KEY
        del arrays[victim]; what = f"drop {victim}"
    elif kind == "add":
        arrays[str(rng.choice(["extra", "layers.9.weights", "layers.1.weights", "layers.0.gamma"]))] = np.zeros((2, 2), np.float32)
        what = "add an array"
    elif kind == "rename":
        new = str(rng.choice(["layers.1.weights", "layers.0.bias", "weights", name.upper()]))
        arrays[new] = arrays.pop(name); what = f"rename {name} -> {new}"
    elif kind == "shape":
        choices = [a.T, a.reshape(-1), a[:-1], np.concatenate([a, a]), a.reshape(1, *a.shape), a[:0], np.zeros(())]
        arrays[name] = choices[int(rng.integers(len(choices)))]; what = f"reshape {name} to {arrays[name].shape}"
    elif kind == "dtype":
        dt = rng.choice(["float16", "float32", "float64", "int32", "int64", "complex64", "bool", ">f4", ">f8", "U3", "V4"])
        arrays[name] = a.astype(dt); what = f"{name} as {dt}"
    elif kind == "arch_dtype":
        raw = arrays[ARCH_KEY]
        choices = [raw.astype(np.int64), raw.reshape(1, -1), raw[:0], raw.view(np.int8), np.frombuffer(raw.tobytes() + b"\xff\xfe", np.uint8)]
        arrays[ARCH_KEY] = choices[int(rng.integers(len(choices)))]; what = f"architecture as {arrays[ARCH_KEY].dtype} {arrays[ARCH_KEY].shape}"
    elif kind == "values":
        v = a.copy()
        v.flat[int(rng.integers(v.size))] = rng.choice([np.nan, np.inf, -np.inf, 1e30, -1e7, 1e5, 0.0])
        arrays[name] = v; what = f"a special value in {name}"
    else:
        text, what = _edit_json(desc, rng)
        arrays[ARCH_KEY] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    return _npz(arrays), what


# cases per family, split over the three starting models: 3,750 model files, plus 600 parameter files below
MUTATIONS = {"flip": (_flip, 1800), "truncate": (_truncate, 450), "structural": (_structural, 1500)}


@pytest.mark.parametrize("family", list(MUTATIONS))
@pytest.mark.parametrize("kind", ["classifier", "binary", "regression"])
def test_fuzz_load_model(valid_files, tmp_path, family, kind):
    data, _ = valid_files[kind]
    mutate, n_cases = MUTATIONS[family]
    n_cases //= 3
    rng = np.random.default_rng([sum(map(ord, family)), sum(map(ord, kind))])
    outcomes = {"ok": 0, "rejected": 0}
    for case in range(n_cases):
        bad, what = mutate(data, rng)
        outcomes[_check_case(tmp_path / "case.npz", bad, f"{kind}/{family} case {case}: {what}")] += 1
    assert sum(outcomes.values()) == n_cases
    # the mutations must mostly produce files the loader has to reject (else the fuzzer tests little)
    assert outcomes["rejected"] > n_cases // 3, outcomes


def test_fuzz_load_parameters(valid_files, tmp_path):
    "The parameters-only loader gets the same treatment: flips, truncations and edits of a valid file."
    _, model = valid_files["classifier"]
    good = tmp_path / "params.npz"
    save_parameters(model, good)
    data = good.read_bytes()
    rng = np.random.default_rng(7)
    ref = [(l.weights.copy(), l.biases.copy()) for l in model.trainable_layers]
    rejected = 0
    for case in range(600):
        mutate = (_flip, _truncate, _structural)[case % 3]
        bad, what = mutate(data, rng)
        path = tmp_path / "case.npz"
        path.write_bytes(bad)
        try:
            load_parameters(model, path)
        except ModelFileError:
            rejected += 1
            # a rejected file leaves the model's parameters as they were
            for l, (w, b) in zip(model.trainable_layers, ref):
                assert np.array_equal(l.weights, w) and np.array_equal(l.biases, b), what
            continue
        except Exception as e:  # noqa: BLE001
            pytest.fail(f"params case {case}: {what}: {type(e).__name__} instead of ModelFileError: {e}")
        for l in model.trainable_layers:
            assert np.all(np.isfinite(l.weights)) and np.all(np.isfinite(l.biases)), what
        load_parameters(model, good)   # back to the reference values
    assert rejected > 200
