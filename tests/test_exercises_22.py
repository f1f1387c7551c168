"""Lesson 22's exercise checkers: each reference answer passes, each plausible wrong answer is rejected."""

import numpy as np
import pytest
from exercise_helpers import check
from numpy.lib.stride_tricks import sliding_window_view

from nnfs.exercises import exercises


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


# ---------------------------------------------------------------- verdicts and special messages

_OUTPUT_22_1 = [[-3, -2], [-2, -2]]


def _verdict(key, answer, capsys):
    "Grade `answer`, return the printed verdict (the answer must be rejected)."
    assert check(key, answer) is False
    return capsys.readouterr().out


@pytest.mark.parametrize("answer", ["abc", [[1, 2], [3]]])
def test_22_1_not_numbers_is_wrong_not_a_crash(answer, capsys):
    out = _verdict("22.1", answer, capsys)
    assert f"not yet. expected a 2x2 array of numbers, got {answer!r}\n" in out


def test_22_1_flipped_filter_is_named(capsys):
    flipped = [[3, 2], [2, 2]]  # the textbook convolution: the filter turned by 180 degrees
    out = _verdict("22.1", flipped, capsys)
    assert "not yet. you flipped the filter (the textbook convolution)" in out


def test_22_1_wrong_shape_is_reported_not_a_crash(capsys):
    out = _verdict("22.1", [[-3, -2, -1], [-2, -2, -1]], capsys)
    assert "not yet. your output has shape (2, 3), not the expected shape (2, 2)\n" in out


def test_22_1_list_of_ints_and_array_accepted():
    assert check("22.1", _OUTPUT_22_1, strict=True)
    assert check("22.1", np.array(_OUTPUT_22_1, dtype=np.float32), strict=True)


def test_22_2_prints_the_number_of_cases(capsys):
    assert check("22.2", CASES["22.2"][0]) is True
    assert capsys.readouterr().out == "\u2713 Exercise 22.2 (the output-size formula): passed (39 cases).\n"


def test_22_3_prints_the_number_of_cases(capsys):
    assert check("22.3", _strided) is True
    assert capsys.readouterr().out == (
        "\u2713 Exercise 22.3 (a convolution with a stride): passed (36 cases).\n"
    )


_BYTES_22_4 = 128 * 14 * 14 * 3 * 3 * 32 * 4


@pytest.mark.parametrize(
    "answer, message",
    [
        (_BYTES_22_4 * 2, "that is the size in float64; the network computes in float32 (4 bytes)"),
        (_BYTES_22_4 // 32, "you left out the 32 input channels: each window holds 3*3*32 numbers"),
        (128 * 12 * 12 * 3 * 3 * 32 * 4, "with padding='same' the output keeps the input's 14x14 size"),
    ],
)
def test_22_4_typical_mistakes_are_named(answer, message, capsys):
    out = _verdict("22.4", answer, capsys)
    assert f"not yet. {message}\n" in out


@pytest.mark.parametrize("answer", [float(_BYTES_22_4), np.int64(_BYTES_22_4), 2.8901376e7])
def test_22_4_int_or_float_accepted(answer):
    assert check("22.4", answer, strict=True)


@pytest.mark.parametrize("answer, shown", [("28901376", "'28901376'"), (True, "True")])
def test_22_4_text_or_a_bool_is_not_a_number_of_bytes(answer, shown, capsys):
    assert check("22.4", answer) is False
    assert f"not yet. expected a number of bytes, got {shown}" in capsys.readouterr().out
