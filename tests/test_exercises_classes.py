"""The classes of wrong answers every checker must reject, tried on every exercise: an untouched cell, a
function that forgets its `return`, an object that claims to equal everything, a function that changes
its inputs, a function that draws from the wrong generator, and a session that tampers with NumPy. Each
exercise's reference answer comes from the `CASES` of tests/test_exercises_*.py."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from exercise_helpers import AlwaysEqual, mutating, returning

from nnfs import exercises as ex
from nnfs.exercises import grade

HERE = Path(__file__).resolve().parent


def _references() -> dict:
    refs = {}
    for f in sorted(HERE.glob("test_exercises_*.py")):
        if f.name in ("test_exercises_classes.py", "test_exercises_cases.py"):
            continue
        spec = importlib.util.spec_from_file_location(f"_classes_{f.stem}", f)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        refs.update({k: v[0] for k, v in getattr(mod, "CASES", {}).items()})
    return refs


REFS = _references()
KEYS = sorted(REFS)
FUNCTIONS = [k for k in KEYS if callable(REFS[k]) and not isinstance(REFS[k], type)]
CLASSES = [k for k in KEYS if isinstance(REFS[k], type)]
VALUES = [k for k in KEYS if k not in FUNCTIONS and k not in CLASSES]
# exercises whose function may return None: 19.1 (no threshold reaches the target), 21.2 (works in place)
NONE_ALLOWED = {"19.1", "21.2"}
# exercises whose cases hold arrays or lists the answer could change (21.2 changes p and v on purpose)
CHANGEABLE = [
    "01.3",
    "02.1",
    "02.3",
    "03.3",
    "04.1",
    "04.4",
    "05.2",
    "05.3",
    "06.2",
    "06.4",
    "08.2",
    "08.3",
    "09.1",
    "10.2",
    "11.1",
    "11.3",
    "12.1",
    "12.2",
    "12.4",
    "13.1",
    "13.3",
    "13.4",
    "15.2",
    "15.3",
    "15.4",
    "17.1",
    "17.3",
    "19.1",
    "19.2",
    "19.3",
    "20.1",
    "20.2",
    "20.3",
    "22.3",
]


def test_every_exercise_has_a_reference_in_the_tests():
    assert KEYS == [k for k in ex.exercises() if not k.startswith("90.")]
    assert len(FUNCTIONS) + len(CLASSES) + len(VALUES) == len(KEYS) >= 87


@pytest.mark.parametrize("key", KEYS)
def test_an_untouched_cell_is_not_attempted(key):
    assert grade(key, ...).status == "not attempted"
    if key in FUNCTIONS:

        def stub(*args): ...  # your code here

        assert grade(key, stub).status == "not attempted"


@pytest.mark.parametrize("key", [k for k in FUNCTIONS if k not in NONE_ALLOWED])
def test_a_forgotten_return_is_named_in_every_function_exercise(key):
    "Review (90): the forgotten-return message was not uniform; now every checker calls through `call`."

    def forgot(*args, **kwargs):
        args  # noqa: B018 (a body that computes nothing and returns None)

    verdict = grade(key, forgot)
    assert (
        verdict.status == "wrong"
        and "forgot returned None: did you forget to `return` the result?" in verdict.message
    ), verdict.message


@pytest.mark.parametrize("key", KEYS)
def test_an_object_equal_to_everything_never_passes(key):
    "Red team L12: answers are converted to plain numbers before they are compared."
    if key in CLASSES:
        answer = type(
            "Cheat",
            (),
            {
                "__init__": lambda self, *a, **k: None,
                "__eq__": lambda s, o: True,
                "forward": lambda s, *a: AlwaysEqual(),
                "backward": lambda s, *a: AlwaysEqual(),
                "config": lambda s: AlwaysEqual(),
                "weights": AlwaysEqual(),
            },
        )
    elif key in FUNCTIONS:
        answer = returning(AlwaysEqual())
    else:
        answer = AlwaysEqual()
    assert not grade(key, answer).passed


@pytest.mark.parametrize("key", CHANGEABLE)
def test_an_answer_that_changes_its_inputs_is_told_so(key):
    "Red team M8: the right result, but the answer changes the arrays or lists it was given."
    verdict = grade(key, mutating(REFS[key]))
    assert verdict.status == "wrong" and "changed its argument" in verdict.message, verdict.text()


@pytest.mark.parametrize("key", CHANGEABLE)
def test_the_checkers_cases_survive_an_answer_that_changes_its_inputs(key):
    "Red team M8: after such an answer the same checker still passes the reference (its cases are intact)."
    grade(key, mutating(REFS[key]))
    assert grade(key, REFS[key]).passed


@pytest.mark.parametrize("key", ["03.2", "11.3", "15.4", "16.2"])
def test_an_answer_drawing_from_numpys_global_generator_fails(key):
    "Review: 11.3 and 15.4 accepted answers that ignored `rng` (the other two take `rng` too)."
    ref = REFS[key]
    if key == "03.2":

        class Global(ref):
            def __init__(self, n_inputs, n_neurons, rng=None):
                super().__init__(n_inputs, n_neurons, np.random.default_rng(np.random.randint(2**31)))

        answer = Global
    else:
        answer = lambda *args: ref(*args[:-1], np.random.default_rng(np.random.randint(2**31)))  # noqa: E731
    verdict = grade(key, answer)
    assert verdict.status == "wrong" and "NumPy's global generator" in verdict.message, verdict.text()


@pytest.mark.parametrize("key", FUNCTIONS)
def test_a_numpy_function_replaced_by_the_answer_stops_the_grading(key, monkeypatch):
    "Red team L12: an answer that replaces np.allclose while it runs can never pass."
    original = np.allclose
    monkeypatch.setattr(np, "allclose", original)  # put back afterwards, whatever happens

    def cheat(*args, **kwargs):
        np.allclose = lambda *a, **k: True
        return REFS[key](*args, **kwargs)

    assert not grade(key, cheat).passed


@pytest.mark.parametrize("key", KEYS)
def test_no_verdict_of_a_wrong_answer_shows_the_expected_value_unasked(key):
    "Review G2: the expected value appears only with reveal=True, the same way in every exercise."
    answer = returning(-12345.678) if key in FUNCTIONS else -12345.678
    verdict = grade(key, answer)
    assert not verdict.passed and "Expected" not in verdict.text()
