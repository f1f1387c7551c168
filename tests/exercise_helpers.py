"""Helpers shared by the tests of the exercise checkers (tests/test_exercises_*.py)."""

from nnfs.exercises import grade


def check(key, answer, strict=False):
    "Grade `answer` and print the verdict as `nnfs.exercises.check` does; returns whether it passed."
    verdict = grade(key, answer, strict=strict)
    print(verdict.text())
    return verdict.passed
