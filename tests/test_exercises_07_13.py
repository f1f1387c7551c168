"""Tests of the exercise checkers of lessons 07-13 (`nnfs.exercises_07_13`): each reference answer and the
other right answers the exercises allow pass, every plausible wrong answer is rejected (off by a factor, a
missing term, swapped results, the other form of momentum, a mask drawn from the wrong generator), and the
verdicts name the mistake without giving the answer away."""

import math

import numpy as np
import pytest
from exercise_helpers import AlwaysEqual, message, mutating, passes, returning

from nnfs.activations import softmax
from nnfs.exercises import exercises, grade
from nnfs.layers import Layer

# ---------------------------------------------------------------- lesson 07


class Tanh:
    def forward(self, inputs, training=True):
        self.output = np.tanh(inputs)
        return self.output

    def backward(self, dvalues):
        self.dinputs = dvalues * (1 - self.output**2)
        return self.dinputs


class TanhWrongDerivative(Tanh):  # 1 - x^2: the derivative of the wrong function
    def forward(self, inputs, training=True):
        self.inputs = inputs
        return super().forward(inputs)

    def backward(self, dvalues):
        return dvalues * (1 - self.inputs**2)


class TanhNoUpstream(Tanh):  # forgets to multiply by dvalues
    def backward(self, dvalues):
        return 1 - self.output**2


class TanhNoReturn(Tanh):
    def backward(self, dvalues):
        self.dinputs = dvalues * (1 - self.output**2)


class TanhForwardNoReturn(Tanh):
    def forward(self, inputs, training=True):
        self.output = np.tanh(inputs)


class TanhInPlace(Tanh):  # np.tanh(x, out=x): right numbers, but the caller's input changes
    def forward(self, inputs, training=True):
        self.output = np.tanh(inputs, out=inputs)
        return self.output


class TanhOtherNames:  # right, with attribute names of its own
    def forward(self, x, training=True):
        self.y = np.tanh(x)
        return self.y

    def backward(self, d):
        return d * (1 - self.y**2)


def grad_f(x, y):
    return (2 * x * y, x**2 + np.cos(y))


# ---------------------------------------------------------------- lesson 08


class LeakyReLU(Layer):
    def __init__(self, slope=0.01):
        self.slope = slope

    def config(self):
        return {"slope": self.slope}

    def forward(self, inputs, training=True):
        self.inputs = inputs
        self.output = np.where(inputs > 0, inputs, self.slope * inputs)
        return self.output

    def backward(self, dvalues):
        self.dinputs = np.where(self.inputs > 0, dvalues, self.slope * dvalues)
        return self.dinputs


class LeakyReLUFlipped(LeakyReLU):  # the slope on the wrong side
    def forward(self, inputs, training=True):
        self.inputs = inputs
        self.output = np.where(inputs > 0, self.slope * inputs, inputs)
        return self.output

    def backward(self, dvalues):
        self.dinputs = np.where(self.inputs > 0, self.slope * dvalues, dvalues)
        return self.dinputs


class LeakyReLUPlainBackward(LeakyReLU):  # ReLU's backward: 0 on the negative side, not slope
    def backward(self, dvalues):
        self.dinputs = np.where(self.inputs > 0, dvalues, 0.0)
        return self.dinputs


class LeakyReLUFixedSlope(LeakyReLU):  # ignores the slope it is given
    def forward(self, inputs, training=True):
        self.inputs = inputs
        self.output = np.where(inputs > 0, inputs, 0.01 * inputs)
        return self.output

    def backward(self, dvalues):
        self.dinputs = np.where(self.inputs > 0, dvalues, 0.01 * dvalues)
        return self.dinputs


class LeakyReLUDefault02(LeakyReLU):
    def __init__(self, slope=0.2):
        self.slope = slope


def softmax_jacobians(s):
    return s[:, :, None] * np.eye(s.shape[1]) - s[:, :, None] * s[:, None, :]


# ---------------------------------------------------------------- lesson 09


def book_momentum(theta, grads, lr, decay, momentum):
    theta, u = theta.copy(), np.zeros_like(theta)
    for t, g in enumerate(grads):
        u = momentum * u - lr / (1 + decay * t) * g
        theta = theta + u
    return theta


def torch_momentum(theta, grads, lr, decay, momentum):  # PyTorch's form: differs once the rate decays
    theta, v = theta.copy(), np.zeros_like(theta)
    for t, g in enumerate(grads):
        v = momentum * v + g
        theta = theta - lr / (1 + decay * t) * v
    return theta


def momentum_from_one(theta, grads, lr, decay, momentum):  # t counted from 1
    theta, u = theta.copy(), np.zeros_like(theta)
    for t, g in enumerate(grads, start=1):
        u = momentum * u - lr / (1 + decay * t) * g
        theta = theta + u
    return theta


def momentum_in_place(theta, grads, lr, decay, momentum):
    u = np.zeros_like(theta)
    for t, g in enumerate(grads):
        u = momentum * u - lr / (1 + decay * t) * g
        theta += u
    return theta


def rates(opt, layer):
    return opt.current_learning_rate / (np.sqrt(opt.state[layer]["weights"]["cache"]) + opt.epsilon)


# ---------------------------------------------------------------- lesson 10


class Params:
    def __init__(self, n):
        self.weights, self.biases = np.zeros(n), np.zeros(1)
        self.dweights, self.dbiases = np.zeros(n), np.zeros(1)


def run(opt, grads):
    layer = Params(len(grads[0]))
    for g in grads:
        layer.dweights = g
        opt.step([layer])
    return layer.weights


def run_rebuilt(opt, grads):  # a new layer at every step: the optimizer's state is lost
    weights = np.zeros(len(grads[0]))
    for g in grads:
        layer = Params(len(g))
        layer.weights, layer.dweights = weights, g
        opt.step([layer])
        weights = layer.weights
    return weights


def run_one_short(opt, grads):
    layer = Params(len(grads[0]))
    for g in grads[:-1]:
        layer.dweights = g
        opt.step([layer])
    return layer.weights


# ---------------------------------------------------------------- lesson 11


def dropout(x, rate, rng):
    return x * (rng.random(x.shape) < 1 - rate) / (1 - rate)


def dropout_global(x, rate, rng):  # the review's answer: ignores rng, draws from NumPy's global state
    return x * (np.random.random(x.shape) < 1 - rate) / (1 - rate)


def dropout_fresh_generator(x, rate, rng):  # the review's other answer: a fresh unseeded generator
    return x * (np.random.default_rng().random(x.shape) < 1 - rate) / (1 - rate)


def dropout_per_row(x, rate, rng):  # drops whole samples
    return x * (rng.random((x.shape[0], 1)) < 1 - rate) / (1 - rate)


def dropout_per_column(x, rate, rng):
    return x * (rng.random((1, x.shape[1])) < 1 - rate) / (1 - rate)


def dropout_binomial(x, rate, rng):  # right: another way to draw the mask
    return x * rng.binomial(1, 1 - rate, x.shape) / (1 - rate)


def dropout_in_place(x, rate, rng):
    x *= (rng.random(x.shape) < 1 - rate) / (1 - rate)
    return x


# ---------------------------------------------------------------- lessons 12 and 13


def bce(p, y):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)), axis=-1)


def bce_unclipped(p, y):
    with np.errstate(divide="ignore", invalid="ignore"):
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


CASES = {
    "07.1": (1e-8, [1e-5, 1e-14, 1e-1, 1e-7, 2e-8, "small", 7, AlwaysEqual()]),
    "07.2": (
        grad_f,
        [
            lambda x, y: (2 * x, x**2 + np.cos(y)),
            lambda x, y: (2 * x * y, x**2 - np.cos(y)),
            lambda x, y: (x**2 + np.cos(y), 2 * x * y),
            lambda x, y: 2 * x * y,
            returning(AlwaysEqual()),
        ],
    ),
    "07.3": (
        Tanh,
        [TanhWrongDerivative, TanhNoUpstream, TanhNoReturn, TanhForwardNoReturn, TanhInPlace],
    ),
    "07.4": (
        lambda x: 3 * np.exp(3 * x) / (1 + np.exp(3 * x)),
        [
            lambda x: np.exp(3 * x) / (1 + np.exp(3 * x)),
            lambda x: 3 / (1 + np.exp(3 * x)),
            lambda x: 3 * np.exp(3 * x),
            lambda x: 1 / (1 + np.exp(3 * x)),
            returning(AlwaysEqual()),
        ],
    ),
    "08.1": (
        LeakyReLU,
        [LeakyReLUFlipped, LeakyReLUPlainBackward, LeakyReLUFixedSlope, LeakyReLUDefault02],
    ),
    "08.2": (
        softmax_jacobians,
        [
            lambda s: -s[:, :, None] * s[:, None, :],
            lambda s: s[:, :, None] * np.eye(s.shape[1]) + s[:, :, None] * s[:, None, :],
            lambda s: np.stack([np.diag(r) for r in s]),
            lambda s: np.eye(s.shape[1]) - s[:, :, None] * s[:, None, :],
            mutating(softmax_jacobians),
        ],
    ),
    "08.3": (
        lambda g: np.mean(g, axis=0),
        [
            lambda g: np.sum(g, axis=0),
            lambda g: np.mean(g, axis=-1),
            lambda g: g[0],
            lambda g: np.mean(g, axis=0) * len(g),
            mutating(lambda g: np.mean(g, axis=0)),
        ],
    ),
    "09.1": (
        book_momentum,
        [
            torch_momentum,
            momentum_from_one,
            momentum_in_place,
            lambda th, g, lr, d, mu: book_momentum(th, [-x for x in g], lr, d, mu),
            lambda th, g, lr, d, mu: book_momentum(th, g, lr, 0.0, mu),
        ],
    ),
    "09.2": (
        (1000, 9000),
        [(1001, 9001), (999, 8999), (1000, 10000), (500, 900), 1000, (AlwaysEqual(),) * 2],
    ),
    "09.3": (
        rates,
        [
            lambda o, layer: o.learning_rate / (np.sqrt(o.state[layer]["weights"]["cache"]) + o.epsilon),
            lambda o, layer: o.current_learning_rate / (o.state[layer]["weights"]["cache"] + o.epsilon),
            lambda o, layer: o.current_learning_rate / np.sqrt(o.state[layer]["weights"]["cache"]),
            lambda o, layer: o.state[layer]["weights"]["cache"],
        ],
    ),
    "09.4": (
        lambda mu, t: (1 - mu**t) / (1 - mu),
        [
            lambda mu, t: 1 / (1 - mu),
            lambda mu, t: (1 - mu ** (t + 1)) / (1 - mu),
            lambda mu, t: mu**t,
            lambda mu, t: (1 - mu ** (t - 1)) / (1 - mu),
            returning(AlwaysEqual()),
        ],
    ),
    "10.1": (0.1 / math.sqrt(0.001), [1 / 3.1623, 1.0, 10.0, 100.0, 0.1, AlwaysEqual()]),
    "10.2": (
        run,
        [run_rebuilt, run_one_short, lambda opt, g: run(opt, g[:1]), returning(AlwaysEqual())],
    ),
    "10.3": (
        lambda t, rho: 1 / math.sqrt(1 - rho**t),
        [
            lambda t, rho: 1 / (1 - rho**t),
            lambda t, rho: math.sqrt(1 - rho**t),
            lambda t, rho: 1 / math.sqrt(1 - rho ** (t + 1)),
            lambda t, rho: 1 / math.sqrt(1 - rho),
        ],
    ),
    "10.4": ("a", ["b", "c", "d", 0.001, AlwaysEqual()]),
    "11.1": (
        lambda w, l1, l2: l1 * np.abs(w).sum() + l2 * np.square(w).sum(),
        [
            lambda w, l1, l2: l1 * w.sum() + l2 * np.square(w).sum(),
            lambda w, l1, l2: l1 * np.abs(w).sum() + l2 * np.abs(w).sum(),
            lambda w, l1, l2: l2 * np.abs(w).sum() + l1 * np.square(w).sum(),
            lambda w, l1, l2: l1 * np.abs(w).mean() + l2 * np.square(w).mean(),
            mutating(lambda w, l1, l2: l1 * np.abs(w).sum() + l2 * np.square(w).sum()),
        ],
    ),
    "11.2": (
        (100, 228),
        [(228, 100), (100, 459), (101, 228), (100, 229), (1, 228), (AlwaysEqual(), 228)],
    ),
    "11.3": (
        dropout,
        [
            lambda x, r, rng: x * (rng.random(x.shape) < 1 - r),
            lambda x, r, rng: x * (rng.random(x.shape) < 1 - r) * (1 - r),
            lambda x, r, rng: x * (rng.random(x.shape) < r) / (1 - r),
            lambda x, r, rng: x * (np.random.default_rng(0).random(x.shape) < 1 - r) / (1 - r),
            lambda x, r, rng: dropout(x, r, rng) if r else 0 * x,
            dropout_global,
            dropout_fresh_generator,
            dropout_per_row,
            dropout_per_column,
            dropout_in_place,
        ],
    ),
    "11.4": ("b", ["a", "c", "B2", 2]),
    "12.1": (
        bce,
        [lambda p, y: bce(p, y) * p.shape[-1], bce_unclipped, lambda p, y: bce(p, 1 - y), mutating(bce)],
    ),
    "12.2": (
        sigmoid_from_softmax,
        [
            lambda z: softmax(np.stack([np.zeros_like(z), z], axis=1))[:, 0],
            lambda z: softmax(np.stack([z, z], axis=1))[:, 0],
            lambda z: 1 / (1 + np.exp(np.clip(z, -80, 80))),
            mutating(sigmoid_from_softmax),
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
            (16.0, -1e7),
            (AlwaysEqual(),) * 2,
        ],
    ),
    "12.4": (
        errors_at,
        [
            lambda p, y, t: errors_at(p, y, t)[::-1],
            lambda p, y, t: (int(np.sum((p >= t) & (y == 0))), int(np.sum((p < t) & (y == 1)))),
            lambda p, y, t: errors_at(p, 1 - y, t),
            returning((AlwaysEqual(), AlwaysEqual())),
            lambda p, y, t: int(np.sum((p > t) != (y == 1))),
        ],
    ),
    "13.1": (
        mse_mae,
        [
            lambda p, t: (float(np.sum((t - p) ** 2)), float(np.sum(np.abs(t - p)))),
            lambda p, t: (float(np.sqrt(np.mean((t - p) ** 2))), float(np.mean(np.abs(t - p)))),
            lambda p, t: mse_mae(p, t)[::-1],
            lambda p, t: mse_mae(p, t)[0],
            lambda p, t: (*mse_mae(p, t), 0.0),
            mutating(mse_mae),
        ],
    ),
    "13.2": (
        (22.0, 3.0),
        [
            (2.5, 3.0),
            (3.0, 22.0),
            (22.0, 22.0),
            (22.0, 2.5),
            (21.92, 3.0),
            (22.0, 3.08),
            (float("nan"), float("nan")),
            (AlwaysEqual(),) * 2,
        ],
    ),
    "13.3": (
        is_stuck,
        [
            lambda w, b, X: bool(np.any(np.maximum(0, X @ w + b).max(axis=0) == 0)),
            lambda w, b, X: bool(np.any(np.maximum(0, X @ w).max(axis=1) == 0)),
            lambda w, b, X: bool(np.all(np.maximum(0, X @ w + b).max(axis=1) == 0)),
            lambda w, b, X: bool(np.any(np.maximum(0, X @ w + b).min(axis=1) == 0)),
            lambda w, b, X: int(np.sum(np.maximum(0, X @ w + b).max(axis=1) == 0)),
            returning(AlwaysEqual()),
            mutating(is_stuck),
        ],
    ),
    "13.4": (
        regression_accuracy,
        [
            lambda p, y, d: float(np.mean(np.abs(p - y) <= np.std(y) / d)),
            lambda p, y, d: float(np.mean(np.abs(p - y) < np.std(p) / d)),
            lambda p, y, d: float(np.mean(np.abs(p - y) < np.std(y) * d)),
            mutating(regression_accuracy),
        ],
    ),
}


def test_every_exercise_of_lessons_07_to_13_has_cases():
    keys = [k for lesson in ("07", "08", "09", "10", "11", "12", "13") for k in exercises(lesson)]
    assert sorted(CASES) == keys and len(keys) == 27


@pytest.mark.parametrize("key", sorted(CASES))
def test_reference_passes(key):
    assert passes(key, CASES[key][0])


@pytest.mark.parametrize("key,i", [(k, i) for k in sorted(CASES) for i in range(len(CASES[k][1]))])
def test_wrong_answer_rejected(key, i):
    verdict = grade(key, CASES[key][1][i])
    assert verdict.status == "wrong", verdict.text()
    assert "Expected" not in verdict.text()


# ---------------------------------------------------------------- right answers in other forms


@pytest.mark.parametrize(
    "key, answer",
    [
        ("07.1", np.float32(1e-8)),
        ("07.2", lambda x, y: np.array([[2 * x * y], [x**2 + np.cos(y)]])),
        ("07.3", TanhOtherNames),
        ("09.2", (1000.0, 9000.0)),
        ("10.1", 3.162),
        ("10.1", 3.16),
        ("10.2", lambda opt, g: run(opt, g)[None, :]),
        ("11.2", (99, 228)),
        ("11.3", dropout_binomial),
        ("12.1", lambda p, y: bce(p, y)[:, None]),
        ("12.2", lambda z: sigmoid_from_softmax(z)[:, None]),
        ("12.3", (16.1, -1e7)),
        ("12.3", (16.12, -9999999.999999998)),
        ("12.4", lambda p, y, t: list(errors_at(p, y, t))),
        ("12.4", lambda p, y, t: np.array(errors_at(p, y, t), dtype=float)),
        ("13.1", lambda p, t: np.array(mse_mae(p, t))),
        ("13.2", (22.003, 2.98)),
        ("13.3", lambda w, b, X: np.bool_(is_stuck(w, b, X))),
    ],
)
def test_right_answers_in_other_forms_pass(key, answer):
    assert passes(key, answer)


# ---------------------------------------------------------------- the review's findings and the red team's


@pytest.mark.parametrize(
    "answer, text",
    [
        (dropout_global, "drew from NumPy's global generator"),
        (dropout_fresh_generator, "two calls with generators seeded alike gave different results"),
        (dropout_per_row, "your mask drops whole rows (samples) at once"),
        (dropout_per_column, "your mask drops whole columns (features) at once"),
        (dropout_in_place, "dropout_in_place changed its argument `x`"),
        (lambda x, r, rng: x[rng.random(x.shape) < 1 - r] / (1 - r), "has shape (4,), the input (2, 3)"),
        (
            lambda x, r, rng: x * (rng.random(x.shape) < r) / (1 - r),
            "the output at rate 0 (drop nothing)",
        ),
        (
            lambda x, r, rng: x * (rng.random(x.shape) < min(r, 0.9)) / (1 - r) if r else x,
            "at rate 0.25 you zero 75.0% of the values",
        ),
        (
            lambda x, r, rng: x * (np.random.default_rng(0).random(x.shape) < 1 - r) / (1 - r),
            "two calls with the same generator gave the same mask",
        ),
        (lambda x, r, rng: x * (rng.random(x.shape) < 1 - r), "the kept values"),
    ],
)
def test_11_3_names_what_the_mask_gets_wrong(answer, text):
    "Review 11.3: answers that ignore `rng` or drop whole rows are rejected, each for its reason."
    assert text in message("11.3", answer)


def test_11_3_message_has_no_doubled_word():
    assert "rate rate" not in message("11.3", lambda x, r, rng: x * (rng.random(x.shape) < 1 - r))


def test_09_2_message_has_no_placeholder():
    "Review: the message used to contain a literal '...'."
    text = message("09.2", (1001, 9001))
    assert "..." not in text and "counts the steps already taken, from 0" in text


def test_07_1_an_index_is_named_as_an_index():
    "Review 07.1: an answer of 7 (a position in the list) was told about the error of h = 7."
    assert (
        message("07.1", 7)
        == "7 looks like a position in the list of steps; answer with the step h itself"
    )


def test_12_3_accepts_the_lessons_own_rounding():
    "Review 12.3: 16.1, the value the lesson's comment gives, was rejected."
    assert passes("12.3", (16.1, -1e7))
    assert "the loss 16 is not right" in message("12.3", (16.0, -1e7))


@pytest.mark.parametrize(
    "key, answer, text",
    [
        (
            "07.1",
            1e-5,
            "h = 1e-05 gives the error 6.0e-05, but another step of the list gives a smaller one",
        ),
        ("07.1", 0.0, "0 looks like a position"),
        ("07.1", -1e-8, "h = -1e-08 gives the error nan"),
        ("07.1", "small", "your step h is the text 'small', not a number"),
        (
            "07.2",
            lambda x, y: (x**2 + np.cos(y), 2 * x * y),
            "the two derivatives are in the other order",
        ),
        ("07.2", lambda x, y: 2 * x * y, "has shape (), not the expected shape (2,)"),
        ("07.3", TanhForwardNoReturn, "forward returned None: did you forget to `return` the result?"),
        ("07.3", TanhNoReturn, "backward returned None"),
        ("07.3", TanhInPlace, "forward changed its argument `inputs`"),
        ("07.3", TanhWrongDerivative, "backward on an input of shape (4, 3)"),
        ("07.4", lambda x: 1 / (1 + np.exp(-3 * x)), "the inner function 3x contributes a factor 3"),
        ("08.1", LeakyReLUDefault02, "forward with the default slope"),
        ("08.2", lambda s: np.stack([np.diag(r) for r in s]), "the outer product S S^T is missing"),
        ("08.3", lambda g: np.sum(g, axis=0), "the batch loss is the mean of the sample losses"),
        (
            "08.3",
            lambda g: np.squeeze(np.mean(g, axis=0)),
            "gradients of shape (1, 1) has shape (), not the",
        ),
        ("09.1", torch_momentum, "that is the library's form"),
        ("09.1", momentum_from_one, "t counts the steps already taken, from 0"),
        ("09.1", momentum_in_place, "changed its argument `theta`"),
        ("09.1", 0.5, "expected a function, got 0.5"),
        ("09.2", (999, 9000), "your number of steps to half of the rate, 999, is not right"),
        ("09.2", 1000, "expected a pair (steps to half, steps to a tenth), got 1000"),
        (
            "09.3",
            lambda o, layer: o.current_learning_rate / np.sqrt(o.state[layer]["weights"]["cache"]),
            "epsilon is missing",
        ),
        (
            "09.3",
            lambda o, layer: o.state[layer]["biases"]["cache"],
            "has shape (1, 3), not the expected shape",
        ),
        ("09.4", lambda mu, t: 1 / (1 - mu), "that is the limit for t -> infinity"),
        ("10.1", 1 / 3.16227, "that is the corrected step divided by the uncorrected one"),
        ("10.2", run_rebuilt, "run(SGD(learning_rate=0.1, decay=0.0, momentum=0.9), 13 gradients"),
        ("10.3", lambda t, rho: 1 / (1 - rho**t), "v enters the step through a square root"),
        ("10.4", "b", "(b) is not right: compare the losses"),
        (
            "11.1",
            lambda w, l1, l2: l1 * w.sum() + l2 * np.square(w).sum(),
            "the L1 penalty adds absolute values",
        ),
        ("11.2", (101, 228), "101 steps for L1 is not right"),
        ("11.2", (100, 459), "459 steps for L2 is not right"),
        ("11.4", "a", "(a) is not right"),
        ("12.1", bce_unclipped, "clip the predictions to [1e-7, 1 - 1e-7] before the logarithms"),
        ("12.1", lambda p, y: bce(p, y) * p.shape[-1], "the loss is their mean"),
        (
            "12.2",
            lambda z: softmax(np.stack([np.zeros_like(z), z], axis=1))[:, 0],
            "that is the other column",
        ),
        ("12.3", (float("inf"), float("-inf")), "BinaryCrossentropy clips the prediction"),
        ("12.3", (16.11809565, 1e7), "look at its sign"),
        ("12.4", lambda p, y, t: errors_at(p, y, t)[::-1], "the two counts are in the other order"),
        (
            "12.4",
            lambda p, y, t: (int(np.sum((p >= t) & (y == 0))), int(np.sum((p < t) & (y == 1)))),
            "strictly above the threshold",
        ),
        (
            "12.4",
            lambda p, y, t: int(np.sum((p > t) != (y == 1))),
            "has shape (), not the expected shape (2,)",
        ),
        ("13.1", lambda p, t: mse_mae(p, t)[::-1], "the two errors are in the other order"),
        (
            "13.1",
            lambda p, t: (np.sqrt(mse_mae(p, t)[0]), mse_mae(p, t)[1]),
            "the root of the mean squared error",
        ),
        ("13.2", (21.92, 3.0), "c_mse = 21.92 is not the minimizer of the MSE"),
        ("13.2", (22.0, float("nan")), "c_mae = nan is not the minimizer of the MAE"),
        (
            "13.3",
            lambda w, b, X: int(np.sum(np.maximum(0, X @ w + b).max(axis=1) == 0)),
            "should be True or False, got",
        ),
        (
            "13.3",
            lambda w, b, X: bool(np.any(np.maximum(0, X @ w).max(axis=1) == 0)),
            "returned True, which is not right",
        ),
        (
            "13.4",
            lambda p, y, d: float(np.mean(np.abs(p - y) <= np.std(y) / d)),
            "exactly at the tolerance",
        ),
    ],
)
def test_messages_name_the_mistake(key, answer, text):
    assert text in message(key, answer)


def test_09_3_the_learner_can_print_the_layer(capsys):
    def printing(opt, layer):
        print(layer)
        return rates(opt, layer)

    assert passes("09.3", printing)
    assert "layer with weights of shape (3, 3)" in capsys.readouterr().out


def test_placeholders_inside_pairs_are_not_attempted():
    for key in ("09.2", "11.2", "12.3", "13.2"):
        assert grade(key, (..., ...)).status == "not attempted"
        assert grade(key, (1.0, ...)).status == "not attempted"


@pytest.mark.parametrize(
    "key, n",
    [
        ("07.2", 13),
        ("07.3", 9),
        ("07.4", 18),
        ("08.1", 10),
        ("08.2", 10),
        ("08.3", 10),
        ("09.1", 16),
        ("09.3", 8),
        ("09.4", 18),
        ("10.2", 8),
        ("10.3", 18),
        ("11.1", 15),
        ("11.3", 11),
        ("12.1", 13),
        ("12.2", 11),
        ("12.4", 10),
        ("13.1", 13),
        ("13.3", 17),
        ("13.4", 11),
    ],
)
def test_verdict_counts_the_cases(key, n):
    assert grade(key, CASES[key][0]).cases == n


@pytest.mark.parametrize(
    "key, answer, shown",
    [
        ("07.1", 1e-5, "Expected: 1e-08"),
        ("09.2", (1001, 9001), "Expected: (1000, 9000)"),
        ("10.1", 1.0, "Expected: 3.16"),
        ("10.4", "b", "Expected: a"),
        ("12.3", (0.0, 0.0), "Expected: (16.118"),
        ("11.2", (1, 1), "Expected: (100, 228)"),
        ("13.2", (1.0, 1.0), "Expected: (22.0, 3.0)"),
    ],
)
def test_reveal_shows_the_answer(key, answer, shown):
    assert shown in grade(key, answer).text(reveal=True)


class TanhNoTraining:  # right: its forward takes no `training` (gradcheck gets it wrapped)
    def forward(self, x):
        self.x = x
        return np.tanh(x)

    def backward(self, d):
        return d / np.cosh(self.x) ** 2


def test_07_3_accepts_a_forward_without_training():
    assert passes("07.3", TanhNoTraining)
