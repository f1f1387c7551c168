"""Helpers shared by the tests of the exercise checkers (tests/test_exercises_*.py): grading shorthands and
the classes of wrong answers every checker must reject (an object equal to everything, a function that
changes its inputs, one that draws from NumPy's global generator)."""

import copy
import functools
from typing import Any, Callable

import numpy as np

from nnfs.exercises import grade


def check(key: str, answer: Any, strict: bool = False) -> bool:
    "Grade `answer` and print the verdict as `nnfs.exercises.check` does; returns whether it passed."
    verdict = grade(key, answer, strict=strict)
    print(verdict.text())
    return verdict.passed


def passes(key: str, answer: Any) -> bool:
    "Whether `answer` passes exercise `key` (raising with the whole verdict when it does not)."
    return grade(key, answer, strict=True).passed


def message(key: str, answer: Any) -> str:
    "The message of a verdict that must not be 'passed'."
    verdict = grade(key, answer)
    assert not verdict.passed, f"{key}: {answer!r} passed"
    return verdict.message


class AlwaysEqual:
    "An answer that claims to equal everything and to be unequal to nothing."

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __lt__(self, other):
        return False

    __le__ = __ge__ = __eq__
    __gt__ = __lt__
    __hash__ = object.__hash__

    def __len__(self):
        return 2

    def __iter__(self):
        return iter([AlwaysEqual(), AlwaysEqual()])

    def __getitem__(self, i):
        return AlwaysEqual()


def returning(value: Any) -> Callable:
    "A function of any arguments that returns `value`."
    return lambda *args, **kwargs: value


def _spoil(x: Any) -> None:
    "Change `x` in place (arrays filled with a new value, lists and dicts emptied), where it can be."
    if isinstance(x, np.ndarray) and x.flags.writeable and x.size:
        x.flat[0] = x.flat[0] + 1 if x.dtype.kind in "biuf" and x.dtype != bool else x.flat[0]
        if x.dtype == bool:
            x.flat[0] = not x.flat[0]
    elif isinstance(x, (list, dict)) and x:
        x.clear()


def mutating(f: Callable) -> Callable:
    "`f` computed right, after which it changes its first changeable argument in place."

    @functools.wraps(f)
    def answer(*args, **kwargs):
        out = f(*copy.deepcopy(args), **kwargs)
        for a in args:
            if (isinstance(a, np.ndarray) and a.size and a.flags.writeable) or (
                isinstance(a, (list, dict)) and a
            ):
                _spoil(a)
                break
        return out

    return answer


def changes_something(args: tuple) -> bool:
    "Whether `mutating` finds an argument it can change among `args`."
    return any(
        (isinstance(a, np.ndarray) and a.size and a.flags.writeable)
        or (isinstance(a, (list, dict)) and a)
        for a in args
    )
