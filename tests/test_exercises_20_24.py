"""Tests of the exercise checkers of lessons 20 onward (`nnfs.exercises_20_24`): each reference answer and
the other right answers the exercises allow (values rounded as the lesson rounds them) pass, every plausible
wrong answer is rejected, and the verdicts name the mistake without giving the answer away."""

import numpy as np
import pytest
from exercise_helpers import AlwaysEqual, message, mutating, passes, returning
from numpy.lib.stride_tricks import sliding_window_view

from nnfs.exercises import exercises, grade

# ---------------------------------------------------------------- lesson 20


def tie(a, b):
    spread = max(max(a) - min(a), max(b) - min(b))
    return abs(float(np.mean(a)) - float(np.mean(b))) <= spread


def tie_strict(a, b):
    spread = max(max(a) - min(a), max(b) - min(b))
    return abs(float(np.mean(a)) - float(np.mean(b))) < spread


def tie_std(a, b):
    return abs(float(np.mean(a)) - float(np.mean(b))) <= max(np.std(a), np.std(b))


def tie_without_abs(a, b):
    spread = max(max(a) - min(a), max(b) - min(b))
    return float(np.mean(b)) - float(np.mean(a)) <= spread


def tie_summed_spreads(a, b):
    spread = (max(a) - min(a)) + (max(b) - min(b))
    return abs(float(np.mean(a)) - float(np.mean(b))) <= spread


def tie_clears(a, b):
    result = tie(a, b)
    a.clear()
    return result


def best_epoch(accs):
    return int(np.argmax(accs)) + 1


def gain(runs, hidden):
    best = lambda rate: [
        max(r["val_accuracy"])
        for r in runs
        if r["hidden"] == hidden and r["dropout"] == rate and r["decay"] == 5e-4
    ]
    return float(np.mean(best(0.1)) - np.mean(best(0.0)))


def gain_last_epoch(runs, hidden):
    last = lambda rate: [
        r["val_accuracy"][-1]
        for r in runs
        if r["hidden"] == hidden and r["dropout"] == rate and r["decay"] == 5e-4
    ]
    return float(np.mean(last(0.1)) - np.mean(last(0.0)))


def gain_any_decay(runs, hidden):
    best = lambda rate: [
        max(r["val_accuracy"]) for r in runs if r["hidden"] == hidden and r["dropout"] == rate
    ]
    return float(np.mean(best(0.1)) - np.mean(best(0.0)))


def gain_spoils_runs(runs, hidden):
    result = gain(runs, hidden)
    runs[0]["val_accuracy"][0] = 1.0
    return result


# ---------------------------------------------------------------- lesson 21


def sgd_momentum_(p, g, v, scratch, lr, mu):
    v *= mu
    v += g
    np.multiply(v, lr, out=scratch)
    p -= scratch


def sgd_momentum_temporaries(p, g, v, scratch, lr, mu):
    v[:] = mu * v + g
    p -= lr * v


def sgd_momentum_rebinds(p, g, v, scratch, lr, mu):
    v = mu * v + g
    p = p - lr * v


def sgd_momentum_wrong_order(p, g, v, scratch, lr, mu):
    np.multiply(v, lr, out=scratch)
    p -= scratch
    v *= mu
    v += g


def sgd_momentum_returns(p, g, v, scratch, lr, mu):  # also right: returns what it changed
    sgd_momentum_(p, g, v, scratch, lr, mu)
    return p, v


def work(n_in, first_products=2):
    return first_products * 2 * n_in * 128 + 3 * 2 * 128 * 128 + 3 * 2 * 128 * 10


WIDE = 60_000 * 2 * (2 * 784 * 256 + 3 * 256 * 256 + 3 * 256 * 10)


# ---------------------------------------------------------------- lesson 22


def strided(x, w, b, stride):
    kh, kw, c, f = w.shape
    win = sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]
    n, ho, wo = win.shape[:3]
    cols = win.transpose(0, 1, 2, 4, 5, 3).reshape(-1, kh * kw * c)
    return (cols @ w.reshape(-1, f) + b).reshape(n, ho, wo, f)


def strided_rows_only(x, w, b, stride):
    kh, kw, c, f = w.shape
    win = sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::stride, :]
    n, ho, wo = win.shape[:3]
    return (win.transpose(0, 1, 2, 4, 5, 3).reshape(-1, kh * kw * c) @ w.reshape(-1, f) + b).reshape(
        n, ho, wo, f
    )


def strided_channel_order(x, w, b, stride):  # (C, kh, kw) against (kh, kw, C)
    kh, kw, c, f = w.shape
    win = sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]
    n, ho, wo = win.shape[:3]
    return (win.reshape(-1, kh * kw * c) @ w.reshape(-1, f) + b).reshape(n, ho, wo, f)


BYTES = 128 * 14 * 14 * 3 * 3 * 32 * 4

CASES = {
    "20.1": (
        tie,
        [
            tie_strict,
            tie_std,
            tie_without_abs,
            tie_summed_spreads,
            tie_clears,
            returning(AlwaysEqual()),
            lambda a, b: int(tie(a, b)),
        ],
    ),
    "20.2": (
        best_epoch,
        [
            lambda accs: int(np.argmax(accs)),
            lambda accs: len(accs) - int(np.argmax(accs[::-1])),
            returning(AlwaysEqual()),
        ],
    ),
    "20.3": (gain, [gain_last_epoch, gain_any_decay, lambda runs, h: -gain(runs, h), gain_spoils_runs]),
    "21.1": (
        WIDE,
        [WIDE + 60_000 * 2 * 784 * 256, WIDE / 2, WIDE / 60_000, WIDE * 1.5, 72.6e9, AlwaysEqual()],
    ),
    "21.2": (sgd_momentum_, [sgd_momentum_temporaries, sgd_momentum_rebinds, sgd_momentum_wrong_order]),
    "21.3": (
        (200, 50, 13),
        [(200, 50, 12), (32, 128, 512), (201, 51, 13), (200, 50), (AlwaysEqual(),) * 3],
    ),
    "21.4": (
        work(196) / work(784),
        [
            0.25,
            work(196, 3) / work(784, 3),
            work(784) / work(196),
            196 / 784 * 2,
            0.40,
            0.42,
            AlwaysEqual(),
        ],
    ),
    "22.1": (
        [[-3, -2], [-2, -2]],
        [
            [[3, 2], [2, 2]],
            [[-3, -2], [-2, -1]],
            [[-3, -2, -1], [-2, -2, -1]],
            [[-2, -2], [-3, -2]],
            "-3",
            AlwaysEqual(),
        ],
    ),
    "22.2": (
        lambda s, k, p, st: (s + 2 * p - k) // st + 1,
        [
            lambda s, k, p, st: (s + 2 * p - k) / st + 1,
            lambda s, k, p, st: (s + 2 * p - k) // st,
            lambda s, k, p, st: (s + p - k) // st + 1,
            lambda s, k, p, st: s + 2 * p - k + 1,
            lambda s, k, p, st: -(-(s + 2 * p - k) // st) + 1,
            returning(AlwaysEqual()),
        ],
    ),
    "22.3": (
        strided,
        [
            lambda x, w, b, s: strided(x, w, 0 * b, s),
            strided_rows_only,
            strided_channel_order,
            lambda x, w, b, s: strided(x, w[::-1, ::-1], b, s),
            mutating(strided),
        ],
    ),
    "22.4": (
        BYTES,
        [
            BYTES * 2,
            128 * 14 * 14 * 3 * 3 * 4,
            128 * 12 * 12 * 3 * 3 * 32 * 4,
            128 * 14 * 14 * 32 * 4,
            "28901376",
            True,
            AlwaysEqual(),
        ],
    ),
}


def test_every_exercise_of_lessons_20_to_22_has_cases():
    keys = [k for lesson in ("20", "21", "22") for k in exercises(lesson)]
    assert sorted(CASES) == keys and len(keys) == 11


@pytest.mark.parametrize("key", sorted(CASES))
def test_reference_passes(key):
    assert passes(key, CASES[key][0])


@pytest.mark.parametrize("key,i", [(k, i) for k in sorted(CASES) for i in range(len(CASES[k][1]))])
def test_wrong_answer_rejected(key, i):
    verdict = grade(key, CASES[key][1][i])
    assert verdict.status == "wrong", verdict.text()
    assert "Expected" not in verdict.text()


@pytest.mark.parametrize(
    "key, answer",
    [
        ("20.1", lambda a, b: np.bool_(tie(a, b))),
        ("20.2", lambda accs: np.int64(best_epoch(accs))),
        ("20.2", lambda accs: float(best_epoch(accs))),
        ("21.1", 72.7e9),
        ("21.1", 72_683_520_000.0),
        ("21.1", np.int64(WIDE)),
        ("21.2", sgd_momentum_returns),
        ("21.3", [200.0, 50, np.int64(13)]),
        ("21.4", 0.4067),
        ("21.4", 0.41),
        ("21.4", work(196) / work(784)),
        ("22.1", np.array([[-3.0, -2], [-2, -2]])),
        ("22.1", np.array([[-3, -2], [-2, -2]], dtype=np.float32)),
        ("22.4", float(BYTES)),
        ("22.4", 2.8901376e7),
    ],
)
def test_right_answers_in_other_forms_pass(key, answer):
    "Review: 21.1's 72.7e9 and 21.4's 0.4067 (as the lesson rounds them) were rejected."
    assert passes(key, answer)


@pytest.mark.parametrize(
    "key, answer, text",
    [
        ("20.1", tie_strict, "returned False, which is not right"),
        ("20.1", lambda a, b: int(tie(a, b)), "should be True or False"),
        ("20.1", tie_clears, "tie_clears changed its argument `a`"),
        ("20.2", lambda accs: int(np.argmax(accs)), "epochs count from 1, not 0"),
        ("20.2", lambda accs: len(accs) - int(np.argmax(accs[::-1])), "the earliest epoch wins"),
        ("20.3", lambda runs, h: -gain(runs, h), "dropout 0.1 minus dropout 0"),
        ("20.3", gain_spoils_runs, "changed its argument `runs`"),
        ("21.1", WIDE + 60_000 * 2 * 784 * 256, "counts the input gradient of the first layer"),
        ("21.1", WIDE / 2, "a multiply-add is two floating-point operations"),
        ("21.1", WIDE / 60_000, "that is one sample; an epoch has 60,000"),
        ("21.1", np.array([WIDE, WIDE]), "has shape (2,), not the expected shape ()"),
        ("21.2", sgd_momentum_rebinds, "your function left p and v unchanged"),
        ("21.2", sgd_momentum_temporaries, "allocated"),
        ("21.2", sgd_momentum_wrong_order, "p after your update"),
        ("21.2", 5, "expected a function, got 5"),
        ("21.3", (200, 50, 12), "with batch size 512, the last 256 images make one more, smaller batch"),
        ("21.3", (196, 50, 13), "your number of steps with batch size 32, 196, is not right"),
        ("21.3", (200, 50), "expected three numbers (batch sizes 32, 128, 512)"),
        ("21.4", 0.25, "only the first layer gets smaller inputs"),
        ("21.4", 0.25 + 1.5e-9, "only the first layer gets smaller inputs"),
        ("21.4", 0.42, "your fraction is 0.42, which is not right"),
        ("22.1", [[3, 2], [2, 2]], "you flipped the filter (the textbook convolution)"),
        (
            "22.1",
            [[-3, -2, -1], [-2, -2, -1]],
            "your output has shape (2, 3), not the expected shape (2, 2)",
        ),
        ("22.1", "abc", "your output is the text 'abc', not a number"),
        ("22.1", [[1, 2], [3]], "which is not a number or an array of numbers"),
        ("22.2", lambda s, k, p, st: (s + 2 * p - k) / st + 1, "a size is a whole number, an int"),
        (
            "22.2",
            lambda s, k, p, st: (s + 2 * p - k) // st,
            "output_size(size=28, kernel=3, padding=0, stride=1) returned 25",
        ),
        ("22.3", lambda x, w, b, s: strided(x, w, 0 * b, s), "the biases are missing"),
        ("22.4", BYTES * 2, "that is the size in float64"),
        ("22.4", BYTES // 32, "you left out the 32 input channels"),
        (
            "22.4",
            128 * 12 * 12 * 3 * 3 * 32 * 4,
            "with padding='same' the output keeps the input's 14x14 size",
        ),
    ],
)
def test_messages_name_the_mistake(key, answer, text):
    assert text in message(key, answer)


@pytest.mark.parametrize(
    "key, n", [("20.1", 26), ("20.2", 19), ("20.3", 20), ("21.2", 12), ("22.2", 39), ("22.3", 36)]
)
def test_verdict_counts_the_cases(key, n):
    assert grade(key, CASES[key][0]).cases == n


@pytest.mark.parametrize(
    "key, answer, shown",
    [
        ("21.1", 1.0, "Expected: 72683520000"),
        ("21.3", (1, 1, 1), "Expected: (200, 50, 13)"),
        ("21.4", 0.1, "Expected: 0.406"),
        ("22.1", [[0, 0], [0, 0]], "Expected: array of shape (2, 2)"),
        ("22.4", 1, "Expected: 28901376"),
    ],
)
def test_reveal_shows_the_answer(key, answer, shown):
    assert shown in grade(key, answer).text(reveal=True)
