"""What each exercise checker grades with: its cases, expected values and tolerances, pinned by fingerprints.

A checker's cases are part of the course: a learner's verdict names the case that failed and must be
reproducible (`random_cases` promises the same cases on every run), and a checker that quietly loses an edge
case, draws other random cases or loosens a tolerance grades differently without any test noticing. So each
checker is run here on its reference answer while everything it grades with is recorded: the arguments it
passes to the answer, every `expect_close`/`expect_equal` call (the description naming the case, the expected
value, the tolerances) and the number of cases it reports. The record's SHA-256 must match
`tests/exercise_fingerprints.json`.

A deliberate change to a checker's cases updates the fingerprints in the same commit, so the change shows in
review: `python tests/test_exercises_cases.py --update` (it prints the exercises whose fingerprint changed).
Floats are recorded rounded to 30 significant bits (about 9 digits), so that a last-bit difference in NumPy's
`exp` or `log` between CPUs does not change a fingerprint.
"""

import functools
import hashlib
import importlib.util
import json
import re
import sys
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nnfs.exercises as ex
from nnfs.serialization import register_layer

ex.exercises()  # import every checker module
MODULES = [ex] + [sys.modules[f"nnfs.{m}"] for m in ex._GROUPS]
HERE = Path(__file__).resolve().parent
FINGERPRINTS = HERE / "exercise_fingerprints.json"
expect_close, expect_equal = (
    ex.expect_close,
    ex.expect_equal,
)  # the originals, recorded calls go on to them
TEMP = re.compile(re.escape(tempfile.gettempdir()) + r"/[^/\s'\"]+")  # a fresh temporary folder per run
UNINITIALIZED = {
    "21.2": 3
}  # the argument that is `np.empty_like` scratch memory: its contents are garbage


def _references() -> dict[str, Any]:
    "Each exercise's reference answer, from the `CASES` of tests/test_exercises_*.py, plus the demonstration."
    refs: dict[str, Any] = {"90.1": lambda x: x * x}
    for f in sorted(HERE.glob("test_exercises_*.py")):
        if f.name == Path(__file__).name:
            continue
        spec = importlib.util.spec_from_file_location(f"_fp_{f.stem}", f)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        refs.update({k: v[0] for k, v in getattr(mod, "CASES", {}).items()})
    return refs


def _rounded(a: np.ndarray) -> np.ndarray:
    "Floats with their mantissa rounded to 30 bits (NaN and infinities kept)."
    a = np.asarray(a, dtype=np.float64)
    m, e = np.frexp(np.nan_to_num(a, nan=0.0, posinf=0.0, neginf=0.0))
    r = np.ldexp(np.round(m * 2.0**30), e - 30)
    return np.where(np.isfinite(a), r, a)


def _canon(x: Any) -> Any:
    "A JSON-able, platform-independent rendering of a value a checker uses."
    if isinstance(x, np.random.Generator):
        return ["rng", _canon(x.bit_generator.state)]
    if isinstance(x, (np.ndarray, np.generic)) or isinstance(x, float):
        a = np.asarray(x)
        kind = a.dtype.kind
        if kind in "fc":
            data = _rounded(a.real if kind == "c" else a)
        elif kind in "biu":
            data = a.astype(np.int64)
        else:
            return ["array", a.dtype.str, list(a.shape), repr(a.tolist())]
        digest = hashlib.sha256(np.ascontiguousarray(data).tobytes()).hexdigest()[:16]
        return ["array", kind, list(a.shape), digest]
    if isinstance(x, str):
        return TEMP.sub("<tmp>", x)
    if isinstance(x, (bool, int)) or x is None:
        return x
    if isinstance(x, (list, tuple)):
        return [type(x).__name__, [_canon(v) for v in x]]
    if isinstance(x, dict):
        return [
            "dict",
            [[_canon(k), _canon(v)] for k, v in sorted(x.items(), key=lambda kv: repr(kv[0]))],
        ]
    return ["object", type(x).__qualname__]


def record(key: str, answer: Any, monkeypatch: pytest.MonkeyPatch) -> list:
    "Run exercise `key`'s checker on `answer`, recording what it grades with (see the module docstring)."
    events: list = []

    def close(got, expected, what="the result", rtol=1e-5, atol=1e-8):
        events.append(["close", _canon(what), _canon(expected), rtol, atol])
        return expect_close(got, expected, what, rtol, atol)

    def equal(got, expected, what="the result"):
        events.append(["equal", _canon(what), _canon(expected)])
        return expect_equal(got, expected, what)

    for module in MODULES:
        for name, recorder in (("expect_close", close), ("expect_equal", equal)):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, recorder)
    if callable(answer) and not isinstance(answer, type):
        inner = answer

        @functools.wraps(inner)
        def answer(*args, **kwargs):
            tracing = tracemalloc.is_tracing()  # a checker measuring the answer's memory: keep this out
            if tracing:
                tracemalloc.stop()
            kept = [a for i, a in enumerate(args) if i != UNINITIALIZED.get(key)]
            events.append(["call", _canon(kept), _canon(kwargs)])
            if tracing:
                tracemalloc.start()
            return inner(*args, **kwargs)

    if isinstance(answer, type) and getattr(answer, "_register", False):
        register_layer(answer)  # a learner's class registers itself (tests/test_exercises_14_19.py)
    with ex.kept_random_state(), np.errstate(all="ignore"):
        n = ex._REGISTRY[key].checker(answer)
    events.append(["cases", n])
    return events


def fingerprint(events: list) -> dict:
    "The stored form of a record: how many cases and events, and the SHA-256 of the whole record."
    blob = json.dumps(events, sort_keys=True, default=str).encode()
    return {"cases": events[-1][1], "events": len(events), "sha256": hashlib.sha256(blob).hexdigest()}


REFS = _references()
KEYS = sorted(REFS)


def _stored() -> dict:
    "The recorded fingerprints by exercise (the entry `_numpy` names the NumPy they were recorded with)."
    data = json.loads(FINGERPRINTS.read_text(encoding="utf-8")) if FINGERPRINTS.exists() else {}
    return {k: v for k, v in data.items() if not k.startswith("_")}


def _recorded_numpy() -> str:
    data = json.loads(FINGERPRINTS.read_text(encoding="utf-8")) if FINGERPRINTS.exists() else {}
    return data.get("_numpy", "?")


def test_every_exercise_has_a_reference_and_a_fingerprint():
    assert set(KEYS) == set(ex.exercises()), "an exercise has no reference in tests/test_exercises_*.py"
    assert set(_stored()) == set(KEYS), (
        "tests/exercise_fingerprints.json and the registered exercises differ: "
        "run `python tests/test_exercises_cases.py --update`"
    )


@pytest.mark.parametrize("key", KEYS)
def test_cases_are_the_same_on_every_run(key, monkeypatch):
    "The promise of `random_cases`: a checker grades with the same cases every time, so a failure reproduces."
    first = record(key, REFS[key], monkeypatch)
    assert first == record(key, REFS[key], monkeypatch)


@pytest.mark.parametrize("key", KEYS)
def test_cases_match_the_fingerprint(key, monkeypatch):
    got = fingerprint(record(key, REFS[key], monkeypatch))
    want = _stored().get(key)
    assert got == want, (
        f"exercise {key} now grades with other cases, expected values or tolerances ({got['cases']} cases, "
        f"{got['events']} events; recorded: {want}). If the change is deliberate, run "
        "`python tests/test_exercises_cases.py --update` and commit the new fingerprints. (Recorded with "
        f"NumPy {_recorded_numpy()}, running {np.__version__}: another NumPy may draw other random numbers.)"
    )


@pytest.fixture
def demo(monkeypatch):
    "A private registry holding one small checker, so the fingerprint itself can be tested."
    monkeypatch.setattr(ex, "_REGISTRY", {})

    def make(xs, rtol=1e-9):
        ex._REGISTRY.pop("99.1", None)

        @ex.exercise("99.1", "cube")
        def _check(answer):
            for x in xs:
                ex.expect_close(ex.call(answer, x), x**3, f"cube({x:.6g})", rtol=rtol)
            return len(xs)

    return make


def test_fingerprint_changes_with_a_case_an_expected_value_or_a_tolerance(demo, monkeypatch):
    def cube(x):
        return x**3

    def fp(xs, rtol=1e-9):
        demo(xs, rtol)
        return fingerprint(record("99.1", cube, monkeypatch))

    base = fp([0.0, 1.5, -2.0])
    assert base == fp([0.0, 1.5, -2.0])
    assert base["cases"] == 3 and base["events"] == 3 * 2 + 1  # per case: the call and the check
    assert base != fp([0.0, 1.5, -3.0])  # one case changed
    assert base != fp([0.0, 1.5])  # one case lost
    assert base != fp([0.0, 1.5, -2.0], rtol=2e-9)  # a tolerance loosened
    assert base != fp([0.0, 1.5, -2.0 * (1 + 2.0**-20)])  # a change in the 7th significant digit
    assert base == fp([0.0, 1.5, -2.0 * (1 + 2.0**-45)])  # a last-bits difference is not a change


def test_canon_distinguishes_what_matters():
    assert _canon(np.array([1.0, 2.0])) != _canon(np.array([[1.0, 2.0]]))  # shape
    assert _canon(np.array([1, 2])) != _canon(np.array([1.0, 2.0]))  # integers and floats
    assert _canon(np.array([np.nan, np.inf])) != _canon(np.array([np.inf, np.nan]))
    assert _canon((1, 2)) != _canon([1, 2])
    assert _canon(np.random.default_rng(0)) != _canon(np.random.default_rng(1))
    assert _canon({"a": 1.0}) == _canon({"a": 1.0 + 1e-15})


def _update() -> None:
    "Rewrite tests/exercise_fingerprints.json from the checkers as they are; print what changed."
    mp = pytest.MonkeyPatch()
    try:
        new = {k: fingerprint(record(k, REFS[k], mp)) for k in KEYS}
    finally:
        mp.undo()
    old = _stored()
    changed = sorted(k for k in set(new) | set(old) if new.get(k) != old.get(k))
    data = {"_numpy": np.__version__, **new}
    FINGERPRINTS.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(new)} fingerprints written; changed: {', '.join(changed) or 'none'}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/test_exercises_cases.py --update")
    _update()
