"""The exercise checkers of lessons 11-14 (`nnfs.exercises`): every reference answer passes, and plausible
wrong answers (off by a factor, a missing term, swapped arguments, a wrong comparison) are rejected."""

import numpy as np
import pytest
from exercise_helpers import check

from nnfs.activations import softmax
from nnfs.exercises import exercises


# ---------------------------------------------------------------- reference answers
def penalty(w, l1, l2):
    return l1 * np.abs(w).sum() + l2 * np.square(w).sum()


def dropout(x, rate, rng):
    return x * (rng.random(x.shape) < 1 - rate) / (1 - rate)


def bce(p, y):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)), axis=-1)


def sigmoid_from_softmax(z):
    return softmax(np.stack([z, np.zeros_like(z)], axis=1))[:, 0]


def errors_at(p, y, t):
    pred = p > t
    return int(np.sum(pred & (y == 0))), int(np.sum(~pred & (y == 1)))


def mse_mae(p, t):
    return float(np.mean((t - p) ** 2)), float(np.mean(np.abs(t - p)))


def is_stuck(w, b, X):
    return bool(np.any(np.maximum(0, X @ w + b).max(axis=1) == 0))


def regression_accuracy(p, y, d):
    return float(np.mean(np.abs(p - y) < np.std(y) / d))


def n_parameters(model):
    return sum(p.size for layer in model.layers for p in layer.parameters().values())


# ---------------------------------------------------------------- plausible wrong answers
def bce_sum(p, y):  # sum over outputs instead of the mean
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return np.sum(-(y * np.log(p) + (1 - y) * np.log(1 - p)), axis=-1)


def bce_unclipped(p, y):  # no clipping: inf at 0 and 1
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)), axis=-1)


def bce_swapped(p, y):
    return bce(p, 1 - y)  # y and 1 - y swapped


CASES = {
    "11.1": (
        penalty,
        [
            lambda w, l1, l2: l1 * w.sum() + l2 * np.square(w).sum(),  # no absolute value
            lambda w, l1, l2: l1 * np.abs(w).sum() + l2 * np.abs(w).sum(),  # no square
            lambda w, l1, l2: l2 * np.abs(w).sum() + l1 * np.square(w).sum(),  # strengths swapped
            lambda w, l1, l2: l1 * np.abs(w).mean() + l2 * np.square(w).mean(),
        ],
    ),  # mean, not sum
    "11.2": ((100, 228), [(228, 100), (100, 459), (101, 228), (100, 229), (1, 228)]),
    "11.3": (
        dropout,
        [
            lambda x, r, rng: x * (rng.random(x.shape) < 1 - r),  # no scaling
            lambda x, r, rng: x * (rng.random(x.shape) < 1 - r) * (1 - r),  # scaled the wrong way
            lambda x, r, rng: x * (rng.random(x.shape) < r) / (1 - r),  # keeps with probability rate
            lambda x, r, rng: x * (np.random.default_rng(0).random(x.shape) < 1 - r) / (1 - r),  # same mask
            lambda x, r, rng: x * (rng.random(x.shape) < 1 - r) / (1 - r) if r else 0 * x,
        ],
    ),
    "11.4": ("b", ["a", "c", "B2", 2]),
    "12.1": (bce, [bce_sum, bce_unclipped, bce_swapped]),
    "12.2": (
        sigmoid_from_softmax,
        [
            lambda z: softmax(np.stack([np.zeros_like(z), z], axis=1))[:, 0],  # sigmoid(-z)
            lambda z: softmax(np.stack([z, z], axis=1))[:, 0],  # always 0.5
            lambda z: 1 / (1 + np.exp(np.clip(z, -80, 80))),
        ],
    ),
    "12.3": (
        (16.11809565, -1e7),
        [
            (float("inf"), float("-inf")),
            (16.11809565, 1e7),
            (-16.11809565, -1e7),
            (16.11809565, -1e-7),
            (0.0, 0.0),
        ],
    ),
    "12.4": (
        errors_at,
        [
            lambda p, y, t: errors_at(p, y, t)[::-1],  # swapped
            lambda p, y, t: (int(np.sum((p >= t) & (y == 0))), int(np.sum((p < t) & (y == 1)))),  # >=
            lambda p, y, t: errors_at(p, 1 - y, t),
        ],
    ),
    "13.1": (
        mse_mae,
        [
            lambda p, t: (float(np.sum((t - p) ** 2)), float(np.sum(np.abs(t - p)))),  # sums
            lambda p, t: (float(np.sqrt(np.mean((t - p) ** 2))), float(np.mean(np.abs(t - p)))),  # RMSE
            lambda p, t: mse_mae(p, t)[::-1],
        ],
    ),
    "13.2": ((22.0, 3.0), [(2.5, 3.0), (3.0, 22.0), (22.0, 22.0), (22.0, 2.5)]),
    "13.3": (
        is_stuck,
        [
            lambda w, b, X: bool(np.any(np.maximum(0, X @ w + b).max(axis=0) == 0)),  # a dead neuron
            lambda w, b, X: bool(np.any(np.maximum(0, X @ w).max(axis=1) == 0)),  # no biases
            lambda w, b, X: bool(np.all(np.maximum(0, X @ w + b).max(axis=1) == 0)),  # all inputs
            lambda w, b, X: bool(np.any(np.maximum(0, X @ w + b).min(axis=1) == 0)),
        ],
    ),  # some neuron off
    "13.4": (
        regression_accuracy,
        [
            lambda p, y, d: float(np.mean(np.abs(p - y) <= np.std(y) / d)),  # <=
            lambda p, y, d: float(np.mean(np.abs(p - y) < np.std(p) / d)),  # std of p
            lambda p, y, d: float(np.mean(np.abs(p - y) < np.std(y) * d)),
        ],
    ),  # times
    "14.1": (
        n_parameters,
        [
            lambda m: sum(layer.weights.size for layer in m.trainable_layers),  # no biases
            lambda m: sum(len(layer.parameters()) for layer in m.layers),  # array count
            lambda m: sum(
                layer.weights.shape[0] * layer.weights.shape[1] + layer.weights.shape[0]
                for layer in m.trainable_layers
            ),
        ],
    ),  # n_in biases
    "14.2": ("b", ["a", "c"]),
    "14.3": ("a", ["b", "c"]),
}


def test_every_exercise_of_lessons_11_to_14_has_cases():
    registered = [k for lesson in ("11", "12", "13", "14") for k in exercises(lesson)]
    assert sorted(CASES) == registered


@pytest.mark.parametrize("key", sorted(CASES))
def test_reference_passes(key):
    assert check(key, CASES[key][0], strict=True)


@pytest.mark.parametrize(
    "key,i", [(k, i) for k, (_, wrong) in sorted(CASES.items()) for i in range(len(wrong))]
)
def test_wrong_answer_is_rejected(key, i, capsys):
    assert check(key, CASES[key][1][i]) is False
    out = capsys.readouterr().out
    assert "\u2717" in out and "not attempted" not in out


@pytest.mark.parametrize("key", sorted(CASES))
def test_placeholders_are_not_attempted(key, capsys):
    placeholder = (lambda *args: None) if callable(CASES[key][0]) else ...
    assert check(key, placeholder) is False
    assert "not attempted yet" in capsys.readouterr().out


@pytest.mark.parametrize("key", ["11.2", "12.3", "13.2"])
def test_pairs_with_a_placeholder_are_not_attempted(key, capsys):
    assert check(key, (..., ...)) is False
    assert "not attempted yet" in capsys.readouterr().out


def test_value_answers_do_not_reveal_the_expected_value(capsys):
    check("11.2", (100, 459))
    check("13.2", (2.5, 3.0))
    out = capsys.readouterr().out
    assert "228" not in out and "22" not in out.replace("2.5", "")


# ---------------------------------------------------------------- what the verdicts say
def _verdict(key, answer, capsys):
    assert check(key, answer) is False
    return capsys.readouterr().out


@pytest.mark.parametrize(
    "key,n",
    [
        ("11.1", 15),
        ("11.3", 11),
        ("12.1", 13),
        ("12.2", 11),
        ("12.4", 10),
        ("13.1", 13),
        ("13.3", 17),
        ("13.4", 11),
        ("14.1", 4),
    ],
)
def test_the_verdict_counts_the_cases(key, n, capsys):
    assert check(key, CASES[key][0])
    assert f"passed ({n} cases)" in capsys.readouterr().out


def test_99_l1_steps_are_also_right():  # 1 - 99 * 0.01 is 0.01 up to rounding
    assert check("11.2", (99, 228))


def test_dropout_returning_only_the_kept_values_is_told_the_shape(capsys):
    out = _verdict("11.3", lambda x, r, rng: x[rng.random(x.shape) < 1 - r] / (1 - r), capsys)
    assert "not yet. the output has shape (5,), the input (2, 3)" in out


def test_dropout_with_one_mask_per_row_is_told_the_fraction_dropped(capsys):
    out = _verdict("11.3", lambda x, r, rng: x * (rng.random((x.shape[0], 1)) < 1 - r) / (1 - r), capsys)
    assert "at rate 0.8 you zero 78.7% of the values; the rate is the fraction to *drop*" in out


def test_dropout_keeping_with_probability_rate_is_told_the_fraction_dropped(capsys):
    out = _verdict("11.3", CASES["11.3"][1][2], capsys)
    assert "at rate 0.25 you zero 75.0% of the values" in out


def test_dropout_with_a_biased_mask_is_told_the_mean_output(capsys):
    # percentages drawn from 1..99 instead of 0..99: at rate 0.8 it keeps 19 of 99, not a fifth
    out = _verdict(
        "11.3", lambda x, r, rng: x * (rng.integers(1, 100, x.shape) / 100 < 1 - r) / (1 - r), capsys
    )
    assert "at rate 0.8 the mean output for inputs of 1 is 0.9556, expected about 1" in out


@pytest.mark.parametrize("answer", [(16.11809565, float("-inf")), (float("inf"), float("-inf"))])
def test_an_unclipped_loss_or_gradient_is_told_about_clipping(answer, capsys):
    assert "not yet. BinaryCrossentropy clips the prediction" in _verdict("12.3", answer, capsys)


def test_counts_left_as_numpy_integers_are_shown_as_plain_numbers(capsys):
    out = _verdict("12.4", lambda p, y, t: (np.sum((p > t) & (y == 1)), np.sum((p <= t) & (y == 0))), capsys)
    assert "item 0 of (false positives, false negatives) at threshold 0.9" in out
    assert "is 0, which is not right" in out


def test_a_single_error_count_is_rejected_not_crashed(capsys):
    out = _verdict("12.4", lambda p, y, t: int(np.sum((p > t) != (y == 1))), capsys)
    assert "not yet." in out and "should be a sequence of 2 items, got 2" in out


def test_returning_only_the_mse_asks_for_a_pair(capsys):
    out = _verdict("13.1", lambda p, t: float(np.mean((t - p) ** 2)), capsys)
    assert "not yet. return a pair (mse, mae), got 3.33333" in out


def test_returning_a_triple_asks_for_a_pair(capsys):
    out = _verdict("13.1", lambda p, t: (*mse_mae(p, t), 0.0), capsys)
    assert "not yet. return a pair (mse, mae), got (3.3333" in out


@pytest.mark.parametrize("answer,what", [((21.92, 3.0), "c_mse = 21.92"), ((22.0, 3.08), "c_mae = 3.08")])
def test_a_descent_stopped_too_early_is_rejected(answer, what, capsys):
    assert f"not yet. {what} is not the minimizer" in _verdict("13.2", answer, capsys)


def test_a_diverged_descent_is_rejected(capsys):
    "Regression: abs(nan - 22) > 0.05 is False, so NaN constants passed."
    assert check("13.2", (float("nan"), float("nan"))) is False
    assert "c_mse = nan is not the minimizer of the MSE" in capsys.readouterr().out
    assert check("13.2", (22.0, float("nan"))) is False
    assert "c_mae = nan is not the minimizer of the MAE" in capsys.readouterr().out


def test_counting_the_blind_inputs_asks_for_a_bool(capsys):
    out = _verdict("13.3", lambda w, b, X: int(np.sum(np.maximum(0, X @ w + b).max(axis=1) == 0)), capsys)
    assert "not yet. return True or False, got 0" in out


def test_lesson_15_checkers_ask_for_a_function(capsys):
    assert "not yet. expected a function, got 5" in _verdict("15.1", 5, capsys)


def test_the_loss_must_be_given_to_five_digits(capsys):
    assert check("12.3", (16.118, -1e7))
    assert "not yet. the loss 16.12 is not right" in _verdict("12.3", (16.12, -1e7), capsys)
