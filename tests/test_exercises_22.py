"""Lesson 22's exercise checkers: each reference answer passes, each plausible wrong answer is rejected."""

import pytest
from numpy.lib.stride_tricks import sliding_window_view

from nnfs.exercises import check, exercises


def _strided(x, w, b, stride):
    kh, kw, c, f = w.shape
    win = sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]
    n, ho, wo = win.shape[:3]
    return (win.transpose(0, 1, 2, 4, 5, 3).reshape(-1, kh * kw * c) @ w.reshape(-1, f) + b).reshape(
        n, ho, wo, f
    )


def _strided_no_bias(x, w, b, stride):
    return _strided(x, w, 0 * b, stride)


def _strided_rows_only(x, w, b, stride):
    kh, kw, c, f = w.shape
    win = sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::stride, :]
    n, ho, wo = win.shape[:3]
    return (win.transpose(0, 1, 2, 4, 5, 3).reshape(-1, kh * kw * c) @ w.reshape(-1, f) + b).reshape(
        n, ho, wo, f
    )


def _strided_channel_order(x, w, b, stride):
    kh, kw, c, f = w.shape
    win = sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]
    n, ho, wo = win.shape[:3]
    return (win.reshape(-1, kh * kw * c) @ w.reshape(-1, f) + b).reshape(
        n, ho, wo, f
    )  # (C, kh, kw) vs (kh, kw, C)


def _strided_flipped(x, w, b, stride):
    return _strided(x, w[::-1, ::-1], b, stride)


CASES = {
    "22.1": (
        [[-3, -2], [-2, -2]],
        [
            [[3, 2], [2, 2]],
            [[-3, -2], [-2, -1]],
            [[-3, -2, -1], [-2, -2, -1]],
            [[-3, -2], [-2, -2]][::-1],
            "-3",
        ],
    ),
    "22.2": (
        lambda s, k, p, st: (s + 2 * p - k) // st + 1,
        [
            lambda s, k, p, st: (s + 2 * p - k) / st + 1,  # no floor: a float
            lambda s, k, p, st: (s + 2 * p - k) // st,  # missing + 1
            lambda s, k, p, st: (s + p - k) // st + 1,  # padding on one side only
            lambda s, k, p, st: s + 2 * p - k + 1,  # stride ignored
            lambda s, k, p, st: -(-(s + 2 * p - k) // st) + 1,  # ceiling instead of floor
        ],
    ),
    "22.3": (_strided, [_strided_no_bias, _strided_rows_only, _strided_channel_order, _strided_flipped]),
    "22.4": (
        128 * 14 * 14 * 3 * 3 * 32 * 4,
        [
            128 * 14 * 14 * 3 * 3 * 32 * 8,
            128 * 14 * 14 * 3 * 3 * 4,
            128 * 12 * 12 * 3 * 3 * 32 * 4,
            128 * 14 * 14 * 32 * 4,
            "28901376",
        ],
    ),
}


def test_every_lesson_22_exercise_is_covered():
    assert set(exercises("22")) == set(CASES)


@pytest.mark.parametrize("key", sorted(CASES))
def test_reference_passes(key):
    assert check(key, CASES[key][0], strict=True)


@pytest.mark.parametrize("key, wrong", [(k, w) for k, (_, ws) in sorted(CASES.items()) for w in ws])
def test_wrong_answers_are_rejected(key, wrong, capsys):
    assert check(key, wrong) is False
    assert "\u2717" in capsys.readouterr().out


@pytest.mark.parametrize("key", sorted(CASES))
def test_not_attempted(key, capsys):
    assert check(key, ...) is False
    assert "not attempted" in capsys.readouterr().out
    if key in ("22.2", "22.3"):

        def stub(*args): ...

        assert check(key, stub) is False
        assert "not attempted" in capsys.readouterr().out
