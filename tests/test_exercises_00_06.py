"""Tests of the exercise checkers of lessons 00-06 (`nnfs.exercises_00_06`): each reference answer and the
other right answers the exercises allow pass, every plausible wrong answer is rejected, and the verdicts
name the mistake without giving the answer away."""

import functools
import math
import random

import numpy as np
import pytest
from exercise_helpers import AlwaysEqual, check, message, mutating, passes

import nnfs
from nnfs.activations import sigmoid, softmax
from nnfs.exercises import exercises, grade
from nnfs.losses import categorical_crossentropy

# ---------------------------------------------------------------- lesson 00


def draw_five(seed):
    nnfs.init(seed)
    return nnfs.get_rng().standard_normal(5)


def draw_five_unseeded(seed):
    return nnfs.get_rng().standard_normal(5)


def draw_five_fresh_generator(seed):  # the right numbers, but not from the package generator
    return np.random.default_rng(seed).standard_normal(5)


def draw_five_legacy(seed):
    np.random.seed(seed)
    return np.random.randn(5)


def draw_five_init_then_legacy(seed):  # nnfs.init seeds np.random too, but that is another generator
    nnfs.init(seed)
    return np.random.randn(5)


def make_draw_five_seeding_once():
    seeded = set()

    def draw_five_seeding_once(seed):
        if seed not in seeded:
            seeded.add(seed)
            nnfs.init(seed)
        return nnfs.get_rng().standard_normal(5)

    return draw_five_seeding_once


# ---------------------------------------------------------------- lesson 01


def layer_comprehension(inputs, weights, biases):
    return [sum(x * w for x, w in zip(inputs, row)) + b for row, b in zip(weights, biases)]


def layer_no_bias(inputs, weights, biases):
    return [sum(x * w for x, w in zip(inputs, row)) for row in weights]


def layer_columns(inputs, weights, biases):  # pairs the inputs with the columns of the weights
    return [sum(x * w for x, w in zip(inputs, col)) + b for col, b in zip(zip(*weights), biases)]


def layer_with_loop(inputs, weights, biases):
    out = []
    for row, b in zip(weights, biases):
        out.append(sum(x * w for x, w in zip(inputs, row)) + b)
    return out


def layer_map(inputs, weights, biases):
    return list(map(lambda row, b: sum(map(lambda x, w: x * w, inputs, row)) + b, weights, biases))


def function_without_source(src, name):
    "A function whose source `inspect` cannot find, as one typed into a plain Python console."
    namespace = {}
    exec(compile(src, "<console>", "exec"), namespace)
    return namespace[name]


# ---------------------------------------------------------------- lesson 02


def dot(a, b):
    if len(a) != len(b):
        raise ValueError(f"vectors of different lengths: {len(a)} and {len(b)}")
    return sum(x * y for x, y in zip(a, b))


def dot_no_check(a, b):
    return sum(x * y for x, y in zip(a, b))


def dot_sum(a, b):
    if len(a) != len(b):
        raise ValueError("lengths")
    return sum(x + y for x, y in zip(a, b))


def dot_wrong_error(a, b):
    if len(a) != len(b):
        raise TypeError("lengths")
    return sum(x * y for x, y in zip(a, b))


def dot_checks_one_direction(a, b):  # refuses only a second vector longer than the first
    if len(b) > len(a):
        raise ValueError("lengths")
    return sum(x * y for x, y in zip(a, b))


def dot_clears(a, b):  # the red team's answer: computes nothing, empties its inputs
    a.clear()
    b.clear()
    return 0.0


def layer_row(inputs, weights, biases):
    return inputs[None, :] @ weights.T + biases


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


class LayerDrawnInDtype(LayerDense):  # the review's answer: standard_normal(shape, dtype=...)
    def __init__(self, n_inputs, n_neurons, rng=None):
        rng = nnfs.get_rng(rng)
        self.weights = 0.01 * rng.standard_normal((n_inputs, n_neurons), dtype=nnfs.get_dtype())
        self.biases = np.zeros((1, n_neurons), dtype=nnfs.get_dtype())


class LayerDrawnTransposed(LayerDense):  # the review's other answer: drawn (out, in), transposed
    def __init__(self, n_inputs, n_neurons, rng=None):
        w = nnfs.get_rng(rng).standard_normal((n_neurons, n_inputs)).T
        self.weights = (0.01 * w).astype(nnfs.get_dtype())
        self.biases = np.zeros((1, n_neurons), dtype=nnfs.get_dtype())


class LayerFloat64(LayerDense):  # float64 weights although the package dtype is float32
    def __init__(self, n_inputs, n_neurons, rng=None):
        self.weights = 0.01 * nnfs.get_rng(rng).standard_normal((n_inputs, n_neurons))
        self.biases = np.zeros((1, n_neurons))


class LayerIgnoresRng(LayerDense):
    def __init__(self, n_inputs, n_neurons, rng=None):
        super().__init__(n_inputs, n_neurons)


class LayerGlobalRng(LayerDense):  # ignores rng, draws from NumPy's global generator
    def __init__(self, n_inputs, n_neurons, rng=None):
        dtype = nnfs.get_dtype()
        self.weights = (0.01 * np.random.randn(n_inputs, n_neurons)).astype(dtype)
        self.biases = np.zeros((1, n_neurons), dtype=dtype)


class LayerFixedDefault(LayerDense):  # a fresh default_rng(0) when no rng is given: every layer alike
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


class LayerUniform(LayerDense):  # the right spread, but uniform numbers
    def __init__(self, n_inputs, n_neurons, rng=None):
        dtype = nnfs.get_dtype()
        u = nnfs.get_rng(rng).uniform(-1, 1, (n_inputs, n_neurons)) * math.sqrt(3)
        self.weights = (0.01 * u).astype(dtype)
        self.biases = np.zeros((1, n_neurons), dtype=dtype)


class LayerOnesBias(LayerDenseRng):
    def __init__(self, n_inputs, n_neurons, rng=None):
        super().__init__(n_inputs, n_neurons, rng)
        self.biases = self.biases + 1


class LayerShapeSwapped(LayerDense):
    def __init__(self, n_inputs, n_neurons, rng=None):
        dtype = nnfs.get_dtype()
        self.weights = (0.01 * nnfs.get_rng(rng).standard_normal((n_neurons, n_inputs))).astype(dtype)
        self.biases = np.zeros((1, n_neurons), dtype=dtype)


class LayerNoWeightsYet:  # the learner's __init__ still holds `pass`
    def __init__(self, n_inputs, n_neurons, rng=None):
        pass


class LayerBrokenForward(LayerDenseRng):
    def forward(self, inputs):
        return 2 * inputs @ self.weights + self.biases


def spiral_points(k, samples, noise, factor=2.5, offset=0, scale=0.2, swap=False):
    r = np.linspace(0, 1, samples)
    t = np.linspace(4 * (k + offset), 4 * (k + offset + 1), samples) + scale * noise
    a, b = r * np.sin(factor * t), r * np.cos(factor * t)
    return np.c_[b, a] if swap else np.c_[a, b]


# ---------------------------------------------------------------- lesson 04


def leaky_relu(x, alpha=0.01):
    x = np.asarray(x)
    return np.where(x > 0, x, alpha * x)


def leaky_relu_in_place(x, alpha=0.01):  # right values, but the caller's array changes
    x[x < 0] *= alpha
    return x


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
    coef0, *_ = np.linalg.lstsq(hidden, ys, rcond=None)  # without the column of ones
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


def softmax_temperature_in_place(z, T):  # the red team's right-but-in-place answer
    z /= T
    return softmax(z)


# ---------------------------------------------------------------- lesson 06


def to_one_hot(y, n_classes):
    out = np.zeros((len(y), n_classes))
    out[np.arange(len(y)), y] = 1
    return out


def to_one_hot_lists(y, n_classes):  # the review's list-comprehension one-hot
    return np.array([[1.0 if c == label else 0.0 for c in range(n_classes)] for label in y])


def to_one_hot_shifted(y, n_classes):  # off by one: class k lands in column k + 1
    out = np.zeros((len(y), n_classes))
    out[np.arange(len(y)), (np.asarray(y) + 1) % n_classes] = 1
    return out


def to_one_hot_width(y, n_classes):  # as many columns as the largest label + 1
    return to_one_hot(y, int(np.max(y)) + 1)


def accuracy_and_loss(probs, labels):
    accuracy = np.mean(np.argmax(probs, axis=1) == labels)
    return float(accuracy), float(categorical_crossentropy(probs, labels).mean())


def accuracy_and_loss_sum(probs, labels):  # the sum of the sample losses, not their mean
    return accuracy_and_loss(probs, labels)[0], float(categorical_crossentropy(probs, labels).sum())


def accuracy_and_loss_log10(probs, labels):  # the wrong logarithm
    correct = probs[np.arange(len(labels)), labels]
    return accuracy_and_loss(probs, labels)[0], float(np.mean(-np.log10(correct)))


def accuracy_and_loss_zeroes(probs, labels):  # the red team's answer: zeroes its inputs
    probs[...] = 0
    labels[...] = 0
    return 1.0, 1.0


# ---------------------------------------------------------------- the cases: reference, wrong answers

CASES = {
    "00.1": (0.5, [-0.25, 0.25, 1.25, 2.0, "0.5", AlwaysEqual()]),
    "00.2": (
        (0.25, [1.5, 0.5, 0.75]),
        [
            (-0.25, [1.5, 0.5, 0.75]),
            (0.25, [1.5, 0.5, 1.25]),
            (0.25, [3.5, 1.5, -0.25]),
            (0.25, [1.5, 0.5, -0.25]),
            (0.25, [5.5, 0.5]),
            0.25,
            AlwaysEqual(),
        ],
    ),
    "00.3": (
        draw_five,
        [
            draw_five_unseeded,
            draw_five_fresh_generator,
            draw_five_legacy,
            draw_five_init_then_legacy,
            lambda seed: draw_five(seed)[:4],
            lambda seed: draw_five(seed + 1),
            make_draw_five_seeding_once(),
            lambda seed: AlwaysEqual(),
        ],
    ),
    "00.4": (24, [23, 25, 53, 7, 1, "24", True, 24.5, AlwaysEqual()]),
    "01.1": (
        [4.8, 1.21, 2.385, -0.15],
        [[4.8, 1.21, 2.385], [4.8, 1.21, 2.385, 0.85], [4.8, 1.21, 2.385, 1.85], [-0.15], AlwaysEqual()],
    ),
    "01.2": (
        ([0.5031, -1.04185], 23),
        [
            ([0.5031, -1.04185], 18),
            ([0.5031, -1.04185], 20),
            ([1.5031, -3.04185], 23),
            ([-1.04185, 0.5031], 23),
            [0.5031, -1.04185],
            ([0.5031, -1.04185], AlwaysEqual()),
        ],
    ),
    "01.3": (
        layer_comprehension,
        [
            layer_no_bias,
            layer_columns,
            layer_with_loop,
            lambda i, w, b: layer_comprehension(i, w, b)[:-1],
            mutating(layer_comprehension),
        ],
    ),
    "01.4": (
        (0, -0.5),
        [
            (0, 0.5),
            (1, 0.26),
            (2, 0.17),
            (1, -0.5),
            (3, -0.5),
            (0.0, -0.5),
            0,
            (True, -0.5),
            (AlwaysEqual(), -0.5),
        ],
    ),
    "02.1": (
        dot,
        [
            dot_no_check,
            dot_sum,
            dot_wrong_error,
            dot_checks_one_direction,
            dot_clears,
            lambda a, b: float(np.dot(a[:1], b[:1])),
            mutating(dot),
        ],
    ),
    "02.2": (
        [(2, 5), None, (2, 5), (5, 4), (1, 1)],
        [
            [(2, 5), (2, 5), (2, 5), (5, 4), (1, 1)],
            [(2, 5), None, (3, 5), (5, 4), (1, 1)],
            [(2, 5), None, (2, 5), (5, 4), (4, 4)],
            [(2, 5), None, (2, 5), (4, 5), (1, 1)],
            [(2, 5), None, (2, 5), (5, 4)],
            [None] * 5,
            [AlwaysEqual()] * 5,
        ],
    ),
    "02.3": (
        layer_row,
        [
            lambda x, w, b: w @ x + b,
            lambda x, w, b: x[None, :] @ w + b,
            lambda x, w, b: x[None, :] @ w.T,
            mutating(layer_row),
        ],
    ),
    "02.4": (
        (46.0, math.sqrt(2) * math.cos(math.radians(1))),
        [
            (45.0, 2.0),
            (math.pi / 4, math.sqrt(2)),
            (135.0, math.sqrt(2)),
            (-135.0, -math.sqrt(2)),
            (0.0, 1.0),
            (AlwaysEqual(), AlwaysEqual()),
        ],
    ),
    "03.1": (
        ((200, 64), (200, 4)),
        [
            ((50, 64), (50, 4)),
            ((200, 2), (200, 64)),
            ((64, 200), (4, 200)),
            ((200, 64), (200, 64)),
            (200, 64),
            AlwaysEqual(),
        ],
    ),
    "03.2": (
        LayerDenseRng,
        [
            LayerIgnoresRng,
            LayerGlobalRng,
            LayerFixedDefault,
            LayerUnscaled,
            LayerUniform,
            LayerFloat64,
            LayerOnesBias,
            LayerShapeSwapped,
            LayerDense,
            LayerBrokenForward,
        ],
    ),
    "03.3": (
        spiral_points,
        [
            lambda k, s, n: spiral_points(k, s, n, factor=1.0),
            lambda k, s, n: spiral_points(k, s, n, offset=1),
            lambda k, s, n: spiral_points(k, s, n, scale=1.0),
            lambda k, s, n: spiral_points(k, s, n, swap=True),
            mutating(spiral_points),
        ],
    ),
    "03.4": (
        (np.float64, np.float64, np.float64, np.uint8, np.float64),
        [
            (np.float32, np.float32, np.float32, np.uint8, np.float32),
            (np.float64, np.float64, np.float64, np.float64, np.float64),
            (np.float64, np.float64, np.float32, np.uint8, np.float64),
            (np.float64, np.float64, np.float64, np.uint8),
            ("float64", "nonsense", "float64", "uint8", "float64"),
            (None, None, None, np.uint8, None),
            [AlwaysEqual()] * 5,
        ],
    ),
    "04.1": (
        leaky_relu,
        [
            lambda x, alpha=0.01: np.where(np.asarray(x) > 0, x, alpha),
            lambda x, alpha=0.1: np.where(np.asarray(x) > 0, x, alpha * np.asarray(x)),
            lambda x, alpha=0.01: np.maximum(x, 0),
            lambda x, alpha=0.01: np.where(np.asarray(x) < 0, x, alpha * np.asarray(x)),
            leaky_relu_in_place,
        ],
    ),
    "04.2": (
        BUMP,
        [
            (BUMP[0], BUMP[1], [[1.0], [-1.0], [1.0]], BUMP[3]),
            (BUMP[0], [[0.0, 1.0, 2.0]], BUMP[2], BUMP[3]),
            (BUMP[0], BUMP[1], [[1.0], [2.0], [1.0]], BUMP[3]),
            (BUMP[0], BUMP[1], BUMP[2], [[1.0]]),
            ([[1.0, 1.0]], [[0.0, -1.0]], [[1.0], [-1.0]], [[0.0]]),
            ([[1.0], [1.0], [1.0]], BUMP[1], BUMP[2], BUMP[3]),
            BUMP[:3],
        ],
    ),
    "04.3": (
        (MSE_HAND, MSE_FIT),
        [
            (MSE_FIT, MSE_HAND),
            (MSE_HAND, MSE_NO_ONES),
            (MSE_HAND, MSE_HAND),
            (MSE_HAND,),
            (AlwaysEqual(), AlwaysEqual()),
        ],
    ),
    "04.4": (
        lambda x: 0.5 * (1 + np.tanh(x / 2)),
        [
            lambda x: 0.5 * (1 + np.tanh(x)),
            lambda x: 0.5 * (1 - np.tanh(x / 2)),
            lambda x: np.tanh(x / 2),
            lambda x: 1 - 0.5 * (1 + np.tanh(x / 2)),
        ],
    ),
    "05.1": (
        (True, False),
        [(True, True), (False, False), (False, True), ("yes", "no"), (1, 0), AlwaysEqual()],
    ),
    "05.2": (
        lambda Z: sigmoid(Z[:, 1] - Z[:, 0]),
        [
            lambda Z: sigmoid(Z[:, 0] - Z[:, 1]),
            lambda Z: sigmoid(Z[:, 1]),
            lambda Z: softmax(Z),
            lambda Z: naive_softmax(Z)[:, 1],
            mutating(lambda Z: sigmoid(Z[:, 1] - Z[:, 0])),
        ],
    ),
    "05.3": (
        lambda z, T: softmax(np.asarray(z) / T),
        [
            lambda z, T: softmax(np.asarray(z) * T),
            lambda z, T: softmax(z) / T,
            lambda z, T: naive_softmax(z / T),
            lambda z, T: softmax(np.asarray(z) - T),
            softmax_temperature_in_place,
        ],
    ),
    "05.4": (
        np.array([[0.0, 800.0]]),
        [
            np.array([[1.0, 2.0, 3.0]]),
            np.array([[0.0, 700.0]]),
            np.array([[np.inf, 0.0]]),
            np.array([5.0]),
            np.array([["a", "b"]]),
            np.array([[0.0, 100.0]]),
            np.array([[1000.0, 999.0]]),
            AlwaysEqual(),
        ],
    ),
    "06.1": (
        lambda K: math.log(K),
        [
            lambda K: 1 / K,
            lambda K: -math.log(K),
            lambda K: math.log10(K),
            lambda K: math.log(K + 1),
            lambda K: AlwaysEqual(),
        ],
    ),
    "06.2": (
        to_one_hot,
        [
            lambda y, k: to_one_hot(y, k).T,
            to_one_hot_shifted,
            to_one_hot_width,
            lambda y, k: np.eye(k)[: len(y)],
            mutating(to_one_hot),
        ],
    ),
    "06.3": (
        {"a", "b"},
        [
            {"a"},
            {"a", "b", "f"},
            {"b", "e"},
            {"a", "b", "c", "d", "e", "f"},
            {"a", "b", "g"},
            3,
            AlwaysEqual(),
        ],
    ),
    "06.4": (
        accuracy_and_loss,
        [
            accuracy_and_loss_sum,
            accuracy_and_loss_log10,
            accuracy_and_loss_zeroes,
            lambda p, y: accuracy_and_loss(p, y)[::-1],
            lambda p, y: 0.5,
            lambda p, y: (np.mean(np.argmax(p) == y), accuracy_and_loss(p, y)[1]),
            lambda p, y: AlwaysEqual(),
        ],
    ),
}


def test_every_exercise_of_lessons_00_to_06_has_cases():
    keys = [k for lesson in ("00", "01", "02", "03", "04", "05", "06") for k in exercises(lesson)]
    assert sorted(CASES) == keys and len(keys) == 28


@pytest.mark.parametrize("key", sorted(CASES))
def test_reference_passes(key):
    assert passes(key, CASES[key][0])


@pytest.mark.parametrize("key,i", [(k, i) for k in sorted(CASES) for i in range(len(CASES[k][1]))])
def test_wrong_answer_rejected(key, i):
    verdict = grade(key, CASES[key][1][i])
    assert verdict.status == "wrong", verdict.text()
    assert "Expected" not in verdict.text()


# ---------------------------------------------------------------- right answers the reviews list


@pytest.mark.parametrize("layer", [LayerDrawnInDtype, LayerDrawnTransposed])
def test_03_2_accepts_every_draw_that_meets_the_statement(layer):
    "The review's two rejected right answers: another dtype of draw, the transposed draw."
    assert passes("03.2", layer)


def test_05_2_accepts_a_column_of_probabilities():
    assert passes("05.2", lambda Z: sigmoid(Z[:, 1:] - Z[:, :1]))


def test_06_1_accepts_the_clipped_loss_of_categorical_crossentropy():
    "At K = 1 the clipped loss is 1e-7, not 0: the text invites computing it that way."
    assert passes("06.1", lambda K: float(categorical_crossentropy(np.full((1, K), 1 / K), [0]).mean()))


def test_06_2_accepts_a_one_hot_built_with_lists():
    assert passes("06.2", to_one_hot_lists)


@pytest.mark.parametrize("form", [tuple, list, np.array])
def test_06_4_accepts_any_pair(form):
    assert passes("06.4", lambda p, y: form(accuracy_and_loss(p, y)))


@pytest.mark.parametrize(
    "weights",
    [
        [5.5, 0.5, -0.25],
        [1.5, -1.5, -0.25],
        [1.5, 0.5, 0.75],
        (5.5, 0.5, -0.25),
        np.array([1.5, -1.5, -0.25]),
    ],
)
def test_00_2_accepts_each_single_weight_change(weights):
    assert passes("00.2", (0.25, weights)) and passes("00.2", [0.25, weights])


def test_00_3_accepts_float32_draws():
    assert passes("00.3", lambda seed: draw_five(seed).astype(np.float32))


@pytest.mark.parametrize(
    "answer",
    [
        layer_map,
        function_without_source(
            "def layer(i, w, b):\n    return [sum(x * v for x, v in zip(i, r)) + c for r, c in zip(w, b)]\n",
            "layer",
        ),
        functools.partial(layer_comprehension),
    ],
)
def test_01_3_accepts_comprehension_variants_and_functions_without_source(answer):
    assert passes("01.3", answer)


def test_01_2_accepts_outputs_rounded_to_three_decimals():
    assert passes("01.2", ([0.503, -1.042], 23)) and passes("01.2", (np.array([0.5031, -1.04185]), 23.0))


@pytest.mark.parametrize("angle", [44.0, 45.0, 46.0, 45.99])
def test_02_4_accepts_an_angle_within_a_degree(angle):
    assert passes("02.4", (angle, math.sqrt(2)))


def test_03_1_accepts_lists_and_arrays_for_shapes():
    assert passes("03.1", [[200, 64], [200, 4]]) and passes("03.1", (np.array([200, 64]), [200, 4]))


def test_03_4_accepts_dtype_names_and_python_float():
    assert passes("03.4", ["float64", "f8", float, "uint8", np.dtype("float64")])


def test_04_2_accepts_any_shapes_that_compute_the_bump():
    assert passes("04.2", (BUMP[0], [0.0, -1.0, -2.0], BUMP[2], 0.0))
    assert passes("04.2", (BUMP[0], BUMP[1], [1.0, -2.0, 1.0], 0.0))


@pytest.mark.parametrize("answer", [(0.0048, 0.001), (0.00478, 0.00101), (MSE_HAND, MSE_FIT)])
def test_04_3_accepts_errors_rounded_to_two_digits(answer):
    assert passes("04.3", answer)


@pytest.mark.parametrize(
    "answer",
    [
        np.array([0.0, 800.0]),
        [0.0, 800.0],
        np.array([[0.0, 1.0, 2.0], [0.0, 400.0, 800.0]]),
        np.array([[0, 800]]),
        np.array([[0.0, 100.0]], dtype=np.float32),
    ],
)
def test_05_4_accepts_other_scores_that_overflow(answer):
    assert passes("05.4", answer)


@pytest.mark.parametrize("answer", ["ab", "a, b", ["a", "B"], {"A", "b"}, ("a", "b")])
def test_06_3_accepts_every_spelling_of_the_set(answer):
    assert passes("06.3", answer)


# ---------------------------------------------------------------- the review's findings


def test_03_2_wants_the_package_dtype():
    assert message("03.2", LayerFloat64) == (
        "the weights of LayerFloat64(2, 3, rng=np.random.default_rng(3)) have dtype float64, not the package "
        "dtype float32 (nnfs.get_dtype())"
    )


@pytest.mark.parametrize(
    "layer, text",
    [
        (LayerIgnoresRng, "two calls with generators seeded alike gave different results"),
        (LayerGlobalRng, "drew from NumPy's global generator"),
        (LayerFixedDefault, "two layers made one after the other without rng have the same weights"),
        (LayerUnscaled, "they should be 0.01 times standard normal numbers"),
        (LayerUniform, "they should be 0.01 times standard normal numbers"),
        (LayerOnesBias, "the biases of"),
        (LayerShapeSwapped, "not (n_inputs, n_neurons) = (2, 3)"),
        (
            LayerBrokenForward,
            "forward of LayerBrokenForward(2, 3, rng=np.random.default_rng(3)) on 4 samples",
        ),
        (LayerNoWeightsYet, None),
    ],
)
def test_03_2_names_each_property_it_misses(layer, text):
    verdict = grade("03.2", layer)
    if text is None:
        assert verdict.status == "not attempted"
    else:
        assert text in verdict.message, verdict.message


def test_03_2_draws_in_both_package_dtypes_and_restores_the_package_state():
    nnfs.init(17, np.float64)
    np.random.seed(17)
    random.seed(17)
    expected = (np.random.default_rng(17).standard_normal(3), np.random.RandomState(17).randn(3))
    py_expected = random.Random(17).random()
    assert passes("03.2", LayerDenseRng) and passes("00.3", draw_five)
    assert nnfs.get_dtype() == np.float64
    np.testing.assert_array_equal(nnfs.get_rng().standard_normal(3), expected[0])
    np.testing.assert_array_equal(np.random.randn(3), expected[1])
    assert random.random() == py_expected
    nnfs.init(0)


@pytest.mark.parametrize(
    "answer, key", [(leaky_relu_in_place, "04.1"), (softmax_temperature_in_place, "05.3")]
)
def test_an_in_place_answer_is_told_so_clearly(answer, key):
    "Red team M8: right values, but the caller's array changes; the message says exactly that."
    text = message(key, answer)
    assert "changed its argument `" in text and "in place" in text
    assert "expected" not in text


def test_answers_that_clear_their_inputs_do_not_corrupt_later_checks():
    "Red team M8: after an answer cleared its inputs, the next checks still use the right cases."
    assert not grade("02.1", dot_clears).passed
    assert not grade(
        "01.3", lambda i, w, b: w[1].__setitem__(2, 99.0) or layer_comprehension(i, w, b)
    ).passed
    assert passes("01.4", (0, -0.5)) and passes("01.3", layer_comprehension) and passes("02.1", dot)


@pytest.mark.parametrize(
    "key, answer, secret",
    [
        ("00.1", 0.75, "0.5"),
        ("00.2", (-0.5, [5.5, 0.5, -0.25]), "0.25"),
        ("01.1", [4.8, 1.21, 2.385, 0.0], "-0.15"),
        ("01.2", ([0.5031, -1.04185], 21), "23"),
        ("02.4", (44.0, 1.3), "1.41"),
        ("03.1", ((64, 200), (200, 4)), "(200, 64)"),
        ("04.3", (0.01, 0.001), "0.0047"),
        ("00.4", 23, "24"),
        ("09.2", (999, 9000), "1000"),
        ("10.1", 2.0, "3.16"),
    ],
)
def test_single_value_exercises_never_show_the_expected_value_unasked(key, answer, secret):
    "Review G2: the first wrong answer to a predict-first exercise gives nothing away."
    verdict = grade(key, answer)
    assert verdict.status == "wrong" and secret not in verdict.message, verdict.message
    assert "Expected" not in verdict.text() and "Expected" in verdict.text(reveal=True)


@pytest.mark.parametrize(
    "key, answer, shown",
    [
        ("00.1", 0.75, "Expected: 0.5"),
        ("00.4", 23, "Expected: 24"),
        ("01.2", ([0.5, -1.0], 21), "Expected: "),
        ("03.1", ((64, 200), (200, 4)), "Expected: ((200, 64), (200, 4))"),
        ("02.2", [None] * 5, "Expected: [(2, 5)"),
        ("05.1", (False, False), "Expected: (True, False)"),
    ],
)
def test_reveal_shows_the_expected_value(key, answer, shown):
    assert shown in grade(key, answer).text(reveal=True)


# ---------------------------------------------------------------- messages that name the mistake


@pytest.mark.parametrize(
    "key, answer, text",
    [
        ("00.1", -0.25, "that is the weighted sum without the bias"),
        ("00.2", 0.25, "expected a pair (bias, weights), got 0.25"),
        ("00.2", (0.25, [5.5, 0.5]), "expected three weights, got an array of shape (2,)"),
        (
            "00.2",
            (0.25, [3.5, -0.5, -0.25]),
            "change exactly one of the weights [1.5, 0.5, -0.25]; you changed 2",
        ),
        (
            "00.3",
            draw_five_fresh_generator,
            "returned the right numbers, but not from the package generator",
        ),
        (
            "00.3",
            draw_five_init_then_legacy,
            "the numbers of NumPy's global generator (np.random.randn)",
        ),
        (
            "00.3",
            make_draw_five_seeding_once(),
            "draw_five(0) returned other numbers when called a second time",
        ),
        ("00.4", 53, "53 is the answer for float64"),
        ("00.4", 23, "with k = 23 the sum is not equal to 1"),
        ("00.4", 25, "with k = 25 the sum is equal to 1, but a smaller k also works"),
        ("00.4", True, "expected a whole number k, got True"),
        ("01.1", [4.8, 1.21, 2.385, 0.85], "the fourth output misses its bias"),
        ("01.2", ([0.5031, -1.04185], 18), "18 counts only the weights"),
        ("01.3", layer_with_loop, "uses a `for` or `while` statement"),
        ("01.4", (1, -0.5), "indices count from 0"),
        (
            "01.4",
            (1, 0.26),
            "neuron 1 is not the one: its output changes by 0.26; another's changes more",
        ),
        ("01.4", (3, -0.5), "neuron 3 is not one of the layer's neurons 0, 1 and 2"),
        ("01.4", (0.0, -0.5), "the neuron index should be 0, 1 or 2, got 0"),
        ("02.1", dot_no_check, "dot([1.0, 2.0], [1.0, 2.0, 3.0]) did not raise ValueError"),
        ("02.1", dot_checks_one_direction, "dot([1.0, 2.0, 3.0], [4.0]) did not raise ValueError"),
        ("02.1", dot_clears, "dot_clears changed its argument `a`"),
        (
            "02.2",
            [(2, 5), (2, 5), (2, 5), (5, 4), (1, 1)],
            "(3, 2) @ (3, 5): you said (2, 5); compare the inner",
        ),
        ("02.2", [(2, 5), None, None, (5, 4), (1, 1)], "(3, 2).T @ (3, 5): you said it fails"),
        ("02.3", lambda x, w, b: x[None, :] @ w + b, "the weights need a transpose"),
        ("02.3", lambda x, w, b: w @ x + b, "has shape (3,), not the expected shape (1, 3)"),
        ("02.4", (math.pi / 4 - 0.019, math.sqrt(2)), "0.7664 looks like radians"),
        ("02.4", (47.0, math.sqrt(2)), "the angle 47 degrees is not where the output is largest"),
        ("03.1", ((50, 64), (50, 4)), "makes 50 points for each of the 4 classes"),
        ("03.1", (200, 64), "expected two shapes, each a tuple such as (2, 3)"),
        ("03.3", lambda k, s, n: spiral_points(k, s, n, swap=True), "the two coordinates are swapped"),
        ("03.4", (None, None, None, np.uint8, None), "spiral_data features: None is not a dtype"),
        ("03.4", ("float64", "nonsense", "float64", "uint8", "float64"), "'nonsense' is not a dtype"),
        (
            "04.1",
            lambda x, alpha=0.01: np.where(np.asarray(x) > 0, x, alpha),
            "give alpha * x, not alpha",
        ),
        (
            "04.1",
            lambda x, alpha=0.1: np.where(np.asarray(x) > 0, x, alpha * np.asarray(x)),
            "with the default alpha",
        ),
        ("04.2", ([[1.0], [1.0], [1.0]], BUMP[1], BUMP[2], BUMP[3]), "W1 should have shape (1, 3)"),
        ("04.2", (BUMP[0], BUMP[1], [[1.0], [-1.0], [1.0]], BUMP[3]), "your network is wrong at x = "),
        ("04.3", (MSE_FIT, MSE_HAND), "the two errors are in the other order"),
        ("04.3", (MSE_HAND, MSE_NO_ONES), "a fit without the column of ones"),
        ("04.4", lambda x: 0.5 * (1 + np.tanh(x)), "rises twice as fast"),
        ("05.1", (1, 0), "adding a constant: answer True or False, got 1"),
        ("05.1", (False, False), "your answer about adding a constant is not right"),
        ("05.1", (True, True), "your answer about multiplying is not right"),
        ("05.2", lambda Z: sigmoid(Z[:, 0] - Z[:, 1]), "that is the probability of class 0"),
        ("05.3", lambda z, T: softmax(np.asarray(z) * T), "the scores are divided by T, not multiplied"),
        (
            "05.4",
            np.array([[0.0, 1.0], [800.0, 801.0]]),
            "(largest spread in a row: 1); exp overflows beyond about 710 in float64",
        ),
        ("05.4", np.array([[0.0, 50.0]], dtype=np.float32), "beyond about 89 in float32"),
        ("05.4", np.array([5.0]), "expected a row of at least two numeric scores"),
        ("05.4", [[0.0, 800.0], [1.0]], "which is not a number or an array of numbers"),
        ("06.1", lambda K: 1 / K, "that is the probability, not its negative log"),
        ("06.2", lambda y, k: to_one_hot(y, k).T, "rows and columns are swapped"),
        ("06.3", {"a", "b", "f"}, "1 of the 6 label sets is misjudged"),
        ("06.3", {"b", "e"}, "2 of the 6 label sets are misjudged"),
        ("06.3", {"a", "b", "g"}, "only the letters a to f name labels; got ['g']"),
        ("06.3", 3, "the answer should be a set of letters"),
        ("06.4", accuracy_and_loss_sum, "the loss is the mean over the samples, not the sum"),
        ("06.4", accuracy_and_loss_zeroes, "accuracy_and_loss_zeroes changed its argument `probs`"),
    ],
)
def test_messages_name_the_mistake(key, answer, text):
    assert text in message(key, answer)


def test_placeholders_inside_answers_are_not_attempted():
    for key, answer in [
        ("00.2", (..., [1.5, 0.5, 0.75])),
        ("01.2", ([0.5, -1.0], ...)),
        ("01.4", (..., ...)),
        ("02.2", [(2, 5), None, ..., ..., ...]),
        ("02.4", (45.0, ...)),
        ("03.1", (..., (200, 4))),
        ("03.4", (np.float64, ..., np.float64, np.uint8, np.float64)),
        ("04.2", BUMP[:3] + (...,)),
        ("04.3", (..., 0.001)),
        ("05.1", (True, ...)),
    ]:
        assert grade(key, answer).status == "not attempted", key


@pytest.mark.parametrize(
    "key, n",
    [
        ("00.2", 2),
        ("00.3", 6),
        ("01.3", 13),
        ("02.1", 16),
        ("02.3", 12),
        ("03.2", 11),
        ("03.3", 9),
        ("04.1", 12),
        ("04.2", 68),
        ("04.4", 8),
        ("05.2", 8),
        ("05.3", 11),
        ("06.1", 10),
        ("06.2", 11),
        ("06.4", 11),
    ],
)
def test_verdict_counts_the_cases(key, n):
    assert grade(key, CASES[key][0]).cases == n


def test_the_printed_verdict(capsys):
    check("00.1", 0.75)
    assert capsys.readouterr().out == (
        "\u2717 Exercise 00.1 (a neuron's output by hand): not yet. your output is 0.75, which is not right\n"
        "Hint: multiply each input by its weight, add up the three products, then add the bias\n"
        "Add reveal=True to the check to see the expected value.\n"
    )


class LayerCallsSuper(LayerDense):  # draws from the package generator first, then from rng: right
    def __init__(self, n_inputs, n_neurons, rng=None):
        super().__init__(n_inputs, n_neurons)
        dtype = nnfs.get_dtype()
        self.weights = (0.01 * nnfs.get_rng(rng).standard_normal((n_inputs, n_neurons))).astype(dtype)


def test_03_2_accepts_a_layer_that_calls_its_parent_first():
    "The exercise does not forbid drawing from the package generator when rng is given."
    assert passes("03.2", LayerCallsSuper)
