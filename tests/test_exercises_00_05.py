"""Tests of the exercise checkers of lessons 00-05 (`nnfs.exercises`): every reference answer passes its
checker with `strict=True`, and every plausible wrong answer is rejected (`check` returns False)."""
import functools
import math
import random

import numpy as np
import pytest
from exercise_helpers import check

import nnfs
from nnfs.activations import sigmoid, softmax
from nnfs.exercises import exercises

# ---------------------------------------------------------------- lesson 00


def draw_five(seed):
    nnfs.init(seed)
    return nnfs.get_rng().standard_normal(5)


def draw_five_unseeded(seed):
    return nnfs.get_rng().standard_normal(5)


def draw_five_fresh_generator(seed):   # the right numbers, but not from the package generator
    return np.random.default_rng(seed).standard_normal(5)


def draw_five_legacy(seed):
    np.random.seed(seed)
    return np.random.randn(5)


# ---------------------------------------------------------------- lesson 01

def layer_comprehension(inputs, weights, biases):
    return [sum(x * w for x, w in zip(inputs, row)) + b for row, b in zip(weights, biases)]


def layer_no_bias(inputs, weights, biases):
    return [sum(x * w for x, w in zip(inputs, row)) for row in weights]


def layer_columns(inputs, weights, biases):   # pairs the inputs with the columns of the weights
    return [sum(x * w for x, w in zip(inputs, col)) + b for col, b in zip(zip(*weights), biases)]


def layer_with_loop(inputs, weights, biases):
    out = []
    for row, b in zip(weights, biases):
        out.append(sum(x * w for x, w in zip(inputs, row)) + b)
    return out


# ---------------------------------------------------------------- lesson 02

def dot(a, b):
    if len(a) != len(b):
        raise ValueError(f"vectors of different lengths: {len(a)} and {len(b)}")
    return sum(x * y for x, y in zip(a, b))


def dot_no_check(a, b):
    return sum(x * y for x, y in zip(a, b))


def dot_sum(a, b):
    if len(a) != len(b): raise ValueError("lengths")
    return sum(x + y for x, y in zip(a, b))


def dot_wrong_error(a, b):
    if len(a) != len(b): raise TypeError("lengths")
    return sum(x * y for x, y in zip(a, b))


def layer_row(inputs, weights, biases):
    return inputs[None, :] @ weights.T + biases


def layer_row_1d(inputs, weights, biases):
    return weights @ inputs + biases


def layer_row_no_transpose(inputs, weights, biases):
    return inputs[None, :] @ weights + biases


def layer_row_no_bias(inputs, weights, biases):
    return inputs[None, :] @ weights.T


# ---------------------------------------------------------------- lesson 03

class LayerDense:
    def __init__(self, n_inputs, n_neurons):
        dtype = nnfs.get_dtype()
        self.weights = (0.01 * nnfs.get_rng().standard_normal((n_inputs, n_neurons))).astype(dtype)
        self.biases = np.zeros((1, n_neurons), dtype=dtype)

    def forward(self, inputs):
        self.output = np.asarray(inputs, dtype=self.weights.dtype) @ self.weights + self.biases
        return self.output


class LayerDenseRng(LayerDense):
    def __init__(self, n_inputs, n_neurons, rng=None):
        dtype = nnfs.get_dtype()
        self.weights = (0.01 * nnfs.get_rng(rng).standard_normal((n_inputs, n_neurons))).astype(dtype)
        self.biases = np.zeros((1, n_neurons), dtype=dtype)


class LayerIgnoresRng(LayerDense):
    def __init__(self, n_inputs, n_neurons, rng=None):
        super().__init__(n_inputs, n_neurons)


class LayerFixedDefault(LayerDense):   # a fresh default_rng(0) when no rng is given: every layer alike
    def __init__(self, n_inputs, n_neurons, rng=None):
        rng = np.random.default_rng(0) if rng is None else rng
        dtype = nnfs.get_dtype()
        self.weights = (0.01 * rng.standard_normal((n_inputs, n_neurons))).astype(dtype)
        self.biases = np.zeros((1, n_neurons), dtype=dtype)


class LayerUnscaled(LayerDense):
    def __init__(self, n_inputs, n_neurons, rng=None):
        dtype = nnfs.get_dtype()
        self.weights = nnfs.get_rng(rng).standard_normal((n_inputs, n_neurons)).astype(dtype)
        self.biases = np.zeros((1, n_neurons), dtype=dtype)


def spiral_points(k, samples, noise, factor=2.5, offset=0, scale=0.2, swap=False):
    r = np.linspace(0, 1, samples)
    t = np.linspace(4 * (k + offset), 4 * (k + offset + 1), samples) + scale * noise
    a, b = r * np.sin(factor * t), r * np.cos(factor * t)
    return np.c_[b, a] if swap else np.c_[a, b]


# ---------------------------------------------------------------- lesson 04

def leaky_relu(x, alpha=0.01):
    x = np.asarray(x)
    return np.where(x > 0, x, alpha * x)


def leaky_relu_maximum(x, alpha=0.01):   # also right for 0 <= alpha <= 1
    return np.maximum(x, alpha * np.asarray(x))


def leaky_relu_constant(x, alpha=0.01):
    return np.where(np.asarray(x) > 0, x, alpha)


def leaky_relu_default_01(x, alpha=0.1):
    return np.where(np.asarray(x) > 0, x, alpha * np.asarray(x))


def sine_mses():
    from nnfs.datasets import sine_data
    Xs, ys = sine_data(500, dtype=np.float64)
    knots = np.arange(7) / 6
    values = np.sin(2 * np.pi * knots)
    slopes = np.diff(values) / np.diff(knots)
    W1, b1 = np.ones((1, 6)), -knots[:-1].reshape(1, -1)
    W2, b2 = np.diff(slopes, prepend=0.0).reshape(-1, 1), np.array([[values[0]]])
    hidden = np.maximum(0, Xs @ W1 + b1)
    mse_hand = float(np.mean((hidden @ W2 + b2 - ys) ** 2))
    H = np.hstack([hidden, np.ones((len(Xs), 1))])
    coef, *_ = np.linalg.lstsq(H, ys, rcond=None)
    mse_fit = float(np.mean((H @ coef - ys) ** 2))
    coef0, *_ = np.linalg.lstsq(hidden, ys, rcond=None)     # without the column of ones
    mse_no_ones = float(np.mean((hidden @ coef0 - ys) ** 2))
    return mse_hand, mse_fit, mse_no_ones


MSE_HAND, MSE_FIT, MSE_NO_ONES = sine_mses()
BUMP = ([[1.0, 1.0, 1.0]], [[0.0, -1.0, -2.0]], [[1.0], [-2.0], [1.0]], [[0.0]])


# ---------------------------------------------------------------- lesson 05

def softmax_min(x):
    e = np.exp(x - np.min(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def naive_softmax(z):
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


# ---------------------------------------------------------------- the cases

CASES = {
    "00.1": (0.5, [-0.25, 0.25, 1.25, 2.0]),
    "00.2": ((0.25, [1.5, 0.5, 0.75]),
             [(-0.25, [1.5, 0.5, 0.75]),            # wrong sign of the bias
              (0.25, [1.5, 0.5, 1.25]),             # the weight changed by 1.5 instead of 1.0
              (0.25, [3.5, 1.5, -0.25]),            # two weights changed
              (0.25, [1.5, 0.5, -0.25]),            # nothing changed
              (0.25, [5.5, 0.5]),                   # a weight missing
              0.25]),
    "00.3": (draw_five, [draw_five_unseeded, draw_five_fresh_generator, draw_five_legacy,
                         lambda seed: draw_five(seed)[:4], lambda seed: draw_five(seed + 1)]),
    "00.4": (24, [23, 25, 53, 7, 1, "24", True]),
    "01.1": ([4.8, 1.21, 2.385, -0.15],
             [[4.8, 1.21, 2.385], [4.8, 1.21, 2.385, 0.85], [4.8, 1.21, 2.385, 1.85], [-0.15]]),
    "01.2": (([0.5031, -1.04185], 23),
             [([0.5031, -1.04185], 18), ([0.5031, -1.04185], 20), ([1.5031, -3.04185], 23),
              ([-1.04185, 0.5031], 23), [0.5031, -1.04185]]),
    "01.3": (layer_comprehension, [layer_no_bias, layer_columns, layer_with_loop,
                                   lambda i, w, b: layer_comprehension(i, w, b)[:-1]]),
    "01.4": ((0, -0.5), [(0, 0.5), (1, 0.26), (2, 0.17), (1, -0.5), (3, -0.5), (0.0, -0.5), 0]),
    "02.1": (dot, [dot_no_check, dot_sum, dot_wrong_error, lambda a, b: float(np.dot(a[:1], b[:1]))]),
    "02.2": ([(2, 5), None, (2, 5), (5, 4), (1, 1)],
             [[(2, 5), (2, 5), (2, 5), (5, 4), (1, 1)], [(2, 5), None, (3, 5), (5, 4), (1, 1)],
              [(2, 5), None, (2, 5), (5, 4), (4, 4)], [(2, 5), None, (2, 5), (4, 5), (1, 1)],
              [(2, 5), None, (2, 5), (5, 4)]]),
    "02.3": (layer_row, [layer_row_1d, layer_row_no_transpose, layer_row_no_bias]),
    "02.4": ((46.0, math.sqrt(2) * math.cos(math.radians(1))),
             [(45.0, 2.0), (math.pi / 4, math.sqrt(2)), (135.0, math.sqrt(2)), (-135.0, -math.sqrt(2)),
              (0.0, 1.0)]),
    "03.1": (((200, 64), (200, 4)), [((50, 64), (50, 4)), ((200, 2), (200, 64)), ((64, 200), (4, 200)),
                                     ((200, 64), (200, 64))]),
    "03.2": (LayerDenseRng, [LayerIgnoresRng, LayerFixedDefault, LayerUnscaled, LayerDense]),
    "03.3": (spiral_points, [lambda k, s, n: spiral_points(k, s, n, factor=1.0),
                             lambda k, s, n: spiral_points(k, s, n, offset=1),
                             lambda k, s, n: spiral_points(k, s, n, scale=1.0),
                             lambda k, s, n: spiral_points(k, s, n, swap=True)]),
    "03.4": ((np.float64, np.float64, np.float64, np.uint8, np.float64),
             [(np.float32, np.float32, np.float32, np.uint8, np.float32),
              (np.float64, np.float64, np.float64, np.float64, np.float64),
              (np.float64, np.float64, np.float32, np.uint8, np.float64),
              (np.float64, np.float64, np.float64, np.uint8),
              ("float64", "nonsense", "float64", "uint8", "float64")]),
    "04.1": (leaky_relu, [leaky_relu_constant, leaky_relu_default_01, lambda x, alpha=0.01: np.maximum(x, 0),
                          lambda x, alpha=0.01: np.where(np.asarray(x) < 0, x, alpha * np.asarray(x))]),
    "04.2": (BUMP, [(BUMP[0], BUMP[1], [[1.0], [-1.0], [1.0]], BUMP[3]),
                    (BUMP[0], [[0.0, 1.0, 2.0]], BUMP[2], BUMP[3]),
                    (BUMP[0], BUMP[1], [[1.0], [2.0], [1.0]], BUMP[3]),
                    (BUMP[0], BUMP[1], BUMP[2], [[1.0]]),
                    ([[1.0, 1.0]], [[0.0, -1.0]], [[1.0], [-1.0]], [[0.0]])]),
    "04.3": ((MSE_HAND, MSE_FIT), [(MSE_FIT, MSE_HAND), (MSE_HAND, MSE_NO_ONES), (MSE_HAND, MSE_HAND),
                                   (MSE_HAND,)]),
    "04.4": (lambda x: 0.5 * (1 + np.tanh(x / 2)),
             [lambda x: 0.5 * (1 + np.tanh(x)), lambda x: 0.5 * (1 - np.tanh(x / 2)),
              lambda x: np.tanh(x / 2),
              lambda x: 1 - 0.5 * (1 + np.tanh(x / 2))]),
    "05.1": ((True, False), [(True, True), (False, False), (False, True), ("yes", "no"), (1, 0)]),
    "05.2": (lambda Z: sigmoid(Z[:, 1] - Z[:, 0]),
             [lambda Z: sigmoid(Z[:, 0] - Z[:, 1]), lambda Z: sigmoid(Z[:, 1]), lambda Z: softmax(Z),
              lambda Z: naive_softmax(Z)[:, 1]]),
    "05.3": (lambda z, T: softmax(np.asarray(z) / T),
             [lambda z, T: softmax(np.asarray(z) * T), lambda z, T: softmax(z) / T,
              lambda z, T: naive_softmax(z / T),
              lambda z, T: softmax(np.asarray(z) - T)]),
    "05.4": (np.array([[0.0, 800.0]]),
             [np.array([[1.0, 2.0, 3.0]]), np.array([[0.0, 700.0]]), np.array([[np.inf, 0.0]]),
              np.array([5.0]),
              np.array([["a", "b"]]), np.array([[0.0, 100.0]]), np.array([[1000.0, 999.0]])]),
}


def test_every_exercise_of_lessons_00_to_05_has_cases():
    keys = [k for lesson in ("00", "01", "02", "03", "04", "05") for k in exercises(lesson)]
    assert sorted(CASES) == keys
    assert len(keys) == 24


@pytest.mark.parametrize("key", sorted(CASES))
def test_reference_passes(key, capsys):
    assert check(key, CASES[key][0], strict=True)
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("key,i", [(k, i) for k in sorted(CASES) for i in range(len(CASES[k][1]))])
def test_wrong_answer_rejected(key, i, capsys):
    assert check(key, CASES[key][1][i]) is False
    out = capsys.readouterr().out
    assert f"Exercise {key}" in out and "passed" not in out
    with pytest.raises(AssertionError):
        check(key, CASES[key][1][i], strict=True)


@pytest.mark.parametrize("key", sorted(CASES))
def test_placeholder_is_not_attempted(key, capsys):
    assert check(key, ...) is False
    assert "not attempted yet" in capsys.readouterr().out


@pytest.mark.parametrize("key", ["00.3", "01.3", "02.1", "02.3", "03.3", "04.1", "04.4", "05.2", "05.3"])
def test_stub_function_is_not_attempted(key, capsys):
    def stub(*args, **kwargs):
        ...
    assert check(key, stub) is False
    assert "not attempted yet" in capsys.readouterr().out


def test_checkers_restore_random_state():
    "00.3 and 03.2 call nnfs.init: the learner's package generator, dtype and global generators are put back."
    nnfs.init(17, np.float64)
    np.random.seed(17)
    random.seed(17)
    expected = (np.random.default_rng(17).standard_normal(3), np.random.RandomState(17).randn(3))
    py_expected = random.Random(17).random()
    assert check("00.3", draw_five) and check("03.2", LayerDenseRng)
    assert nnfs.get_dtype() == np.float64
    np.testing.assert_array_equal(nnfs.get_rng().standard_normal(3), expected[0])
    np.testing.assert_array_equal(np.random.randn(3), expected[1])
    assert random.random() == py_expected


def test_messages_name_the_problem(capsys):
    check("00.4", 53)
    assert "float64" in capsys.readouterr().out
    check("01.2", ([0.5031, -1.04185], 18))
    assert "only the weights" in capsys.readouterr().out
    check("01.3", layer_with_loop)
    assert "`for`" in capsys.readouterr().out
    check("01.4", (1, -0.5))
    assert "count from 0" in capsys.readouterr().out
    check("02.1", dot_no_check)
    assert "did not raise ValueError" in capsys.readouterr().out
    check("02.4", (math.pi / 4, math.sqrt(2)))
    assert "radians" in capsys.readouterr().out
    check("00.3", draw_five_fresh_generator)
    assert "not from the package generator" in capsys.readouterr().out


@pytest.mark.parametrize("weights", [[5.5, 0.5, -0.25], [1.5, -1.5, -0.25], [1.5, 0.5, 0.75],
                                     (5.5, 0.5, -0.25), np.array([1.5, -1.5, -0.25])])
def test_00_2_accepts_each_single_weight_change(weights):
    "Three weights can be changed alone to reach 2.5 (by +4, -2 or +1): the checker accepts all of them."
    assert check("00.2", (0.25, weights), strict=True)
    assert check("00.2", [0.25, weights], strict=True)


# ---------------------------------------------------------------- lessons 00-02: verdicts and messages

def verdict(key, answer, capsys):
    "Grade `answer` and return the printed verdict."
    check(key, answer)
    return capsys.readouterr().out


@pytest.mark.parametrize("key,answer,n", [("00.2", (0.25, [1.5, 0.5, 0.75]), 2), ("00.3", draw_five, 6),
                                          ("01.3", layer_comprehension, 13), ("02.1", dot, 16),
                                          ("02.3", layer_row, 12)])
def test_verdict_counts_the_cases(key, answer, n, capsys):
    assert f"passed ({n} cases)." in verdict(key, answer, capsys)


@pytest.mark.parametrize("key,answer,message", [
    ("00.2", 0.25, "expected a pair (bias, weights), got 0.25"),
    ("00.2", (0.25, [1.5, 0.5, 0.75], 0.0), "expected a pair (bias, weights)"),
    ("01.2", 23, "expected a pair (outputs of layer 2, number of parameters), got 23"),
    ("01.2", ([0.5031, -1.04185], 23, 0), "expected a pair (outputs of layer 2"),
    ("01.4", 0, "expected a pair (neuron index 0, 1 or 2, change of its output), got 0"),
    ("01.4", (0, -0.5, 1), "expected a pair (neuron index"),
    ("02.4", 45.0, "expected a pair (angle in degrees, largest output), got 45"),
    ("02.4", (45.0, 1.4, 2), "expected a pair (angle in degrees"),
])
def test_answer_that_is_not_a_pair_is_named(key, answer, message, capsys):
    out = verdict(key, answer, capsys)
    assert "not yet" in out and message in out


@pytest.mark.parametrize("key,answer", [
    ("00.2", (..., ...)), ("00.2", (..., [1.5, 0.5, 0.75])), ("00.2", (0.25, ...)),
    ("01.2", (..., ...)), ("01.2", (..., 23)), ("01.2", ([0.5031, -1.04185], ...)),
    ("01.4", (..., ...)), ("01.4", (..., -0.5)), ("01.4", (0, ...)),
    ("02.2", [...] * 5), ("02.2", [(2, 5), None, ..., ..., ...]),
    ("02.4", (..., ...)), ("02.4", (..., math.sqrt(2))), ("02.4", (45.0, ...)),
])
def test_placeholder_inside_the_answer_is_not_attempted(key, answer, capsys):
    assert "not attempted yet" in verdict(key, answer, capsys)


def test_00_2_names_a_wrong_number_of_weights(capsys):
    assert "expected three weights, got an array of shape (2,)" in verdict("00.2", (0.25, [5.5, 0.5]), capsys)


@pytest.mark.parametrize("weights,n", [([3.5, -0.5, -0.25], 2), ([1.5, 0.5, -0.25], 0)])
def test_00_2_wants_exactly_one_weight_changed(weights, n, capsys):
    "[3.5, -0.5, -0.25] reaches 2.5 too, but by changing two weights."
    out = verdict("00.2", (0.25, weights), capsys)
    assert f"change exactly one of the weights [1.5, 0.5, -0.25]; you changed {n}" in out


def make_draw_five_seeding_once():
    "A learner's draw_five that calls nnfs.init only the first time it sees a seed."
    seeded = set()

    def draw_five_seeding_once(seed):
        if seed not in seeded:
            seeded.add(seed)
            nnfs.init(seed)
        return nnfs.get_rng().standard_normal(5)
    return draw_five_seeding_once


def test_00_3_rejects_seeding_only_on_the_first_call(capsys):
    out = verdict("00.3", make_draw_five_seeding_once(), capsys)
    assert "draw_five(0) returned other numbers when called a second time" in out


@pytest.mark.parametrize("answer", [True, "24"])
def test_00_4_wants_a_number(answer, capsys):
    assert f"expected a whole number k, got {answer!r}" in verdict("00.4", answer, capsys)


@pytest.mark.parametrize("k,message", [
    (23, "with k = 23 the sum is not equal to 1\n"),
    (25, "with k = 25 the sum is equal to 1, but a smaller k also works"),
    (30, "with k = 30 the sum is equal to 1, but a smaller k also works"),
    (24.5, "with k = 24.5 the sum is equal to 1, but a smaller k also works"),   # 1 + 2**-24.5 rounds to 1
])
def test_00_4_says_whether_the_sum_is_one(k, message, capsys):
    assert message in verdict("00.4", k, capsys)


@pytest.mark.parametrize("answer,message", [
    ((1, 0.26), "neuron 1 is not the one: it changes by 0.26; another changes by more (in size)"),
    ((2, 0.17), "neuron 2 is not the one: it changes by 0.17; another changes by more (in size)"),
    ((3, -0.5), "neuron 3 is not the one: the layer has neurons 0, 1 and 2"),
])
def test_01_4_names_the_change_of_the_chosen_neuron(answer, message, capsys):
    assert message in verdict("01.4", answer, capsys)


def function_without_source(src, name):
    "A function whose source `inspect` cannot find, as one typed into a plain Python console."
    namespace = {}
    exec(compile(src, "<console>", "exec"), namespace)
    return namespace[name]


LAYER_SRC = """def layer(inputs, weights, biases):
    return [sum(x * w for x, w in zip(inputs, row)) + b for row, b in zip(weights, biases)]
"""


@pytest.mark.parametrize("answer", [function_without_source(LAYER_SRC, "layer"),
                                    functools.partial(layer_comprehension)])
def test_01_3_accepts_a_right_layer_without_source(answer):
    assert check("01.3", answer, strict=True)


def dot_checks_one_direction(a, b):   # refuses only a second vector longer than the first
    if len(b) > len(a):
        raise ValueError("lengths")
    return sum(x * y for x, y in zip(a, b))


def dot_empty_first(a, b):   # returns 0 for an empty first vector before comparing the lengths
    if not a:
        return 0.0
    if len(a) != len(b):
        raise ValueError("lengths")
    return sum(x * y for x, y in zip(a, b))


@pytest.mark.parametrize("answer,pair", [(dot_no_check, "dot([1.0, 2.0], [1.0, 2.0, 3.0])"),
                                         (dot_checks_one_direction, "dot([1.0, 2.0, 3.0], [4.0])"),
                                         (dot_empty_first, "dot([], [1.0])")])
def test_02_1_names_the_pair_that_did_not_raise(answer, pair, capsys):
    assert f"{pair} did not raise ValueError" in verdict("02.1", answer, capsys)


@pytest.mark.parametrize("angle", [44.0, 45.0, 46.0, 45.99])
def test_02_4_accepts_an_angle_within_a_degree(angle):
    assert check("02.4", (angle, math.sqrt(2)), strict=True)


@pytest.mark.parametrize("angle,message", [
    (47.0, "the angle 47 degrees is not where x points along w = [1, 1]"),
    (43.0, "the angle 43 degrees is not where x points along w = [1, 1]"),
    (math.pi / 4 + 0.03, "the angle 0.815398 degrees is not where"),   # not close enough to pi/4 for radians
    (math.pi / 4 - 0.019, "0.7664 looks like radians"),
])
def test_02_4_names_a_wrong_angle(angle, message, capsys):
    assert message in verdict("02.4", (angle, math.sqrt(2)), capsys)
