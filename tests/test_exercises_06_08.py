"""Tests of the exercise checkers of lessons 06-08 (`nnfs.exercises`): every reference answer passes its
checker with `strict=True`, every plausible wrong answer is rejected (`check` returns False), placeholders
count as not attempted, and failures say what went wrong."""
import math

import numpy as np
import pytest

from nnfs.exercises import check, exercises
from nnfs.layers import Layer
from nnfs.losses import categorical_crossentropy

# ---------------------------------------------------------------- lesson 06

def to_one_hot(y, n_classes):
    out = np.zeros((len(y), n_classes))
    out[np.arange(len(y)), y] = 1
    return out


def to_one_hot_transposed(y, n_classes):
    return to_one_hot(y, n_classes).T


def to_one_hot_shifted(y, n_classes):                 # off by one: class k lands in column k + 1
    out = np.zeros((len(y), n_classes))
    out[np.arange(len(y)), (np.asarray(y) + 1) % n_classes] = 1
    return out


def to_one_hot_width(y, n_classes):                   # as many columns as the largest label + 1
    return to_one_hot(y, int(np.max(y)) + 1 if len(y) else 0)


def accuracy_and_loss(probs, labels):
    accuracy = np.mean(np.argmax(probs, axis=1) == labels)
    return float(accuracy), float(categorical_crossentropy(probs, labels).mean())


def accuracy_and_loss_axis0(probs, labels):           # argmax over the wrong axis
    accuracy = np.mean(np.argmax(probs, axis=0)[:len(labels)] == labels)
    return float(accuracy), accuracy_and_loss(probs, labels)[1]


def accuracy_and_loss_sum(probs, labels):             # the sum of the sample losses, not their mean
    return accuracy_and_loss(probs, labels)[0], float(categorical_crossentropy(probs, labels).sum())


def accuracy_and_loss_log10(probs, labels):           # the wrong logarithm
    correct = probs[np.arange(len(labels)), labels]
    return accuracy_and_loss(probs, labels)[0], float(np.mean(-np.log10(correct)))


# ---------------------------------------------------------------- lesson 07

class Tanh:
    def forward(self, inputs, training=True):
        self.output = np.tanh(inputs)
        return self.output
    def backward(self, dvalues):
        self.dinputs = dvalues * (1 - self.output**2)
        return self.dinputs


class TanhWrongDerivative(Tanh):                       # 1 - x^2: the derivative of the wrong function
    def forward(self, inputs, training=True):
        self.inputs = inputs
        return super().forward(inputs)
    def backward(self, dvalues):
        return dvalues * (1 - self.inputs**2)


class TanhNoUpstream(Tanh):                            # forgets to multiply by dvalues
    def backward(self, dvalues):
        return 1 - self.output**2


class TanhNoReturn(Tanh):
    def backward(self, dvalues):
        self.dinputs = dvalues * (1 - self.output**2)


def grad_f(x, y): return (2 * x * y, x**2 + np.cos(y))


# ---------------------------------------------------------------- lesson 08

class LeakyReLU(Layer):
    def __init__(self, slope=0.01):
        self.slope = slope
    def config(self): return {"slope": self.slope}
    def forward(self, inputs, training=True):
        self.inputs = inputs
        self.output = np.where(inputs > 0, inputs, self.slope * inputs)
        return self.output
    def backward(self, dvalues):
        self.dinputs = np.where(self.inputs > 0, dvalues, self.slope * dvalues)
        return self.dinputs


class LeakyReLUFlipped(LeakyReLU):                     # the slope on the wrong side
    def forward(self, inputs, training=True):
        self.inputs = inputs
        self.output = np.where(inputs > 0, self.slope * inputs, inputs)
        return self.output
    def backward(self, dvalues):
        self.dinputs = np.where(self.inputs > 0, self.slope * dvalues, dvalues)
        return self.dinputs


class LeakyReLUPlainBackward(LeakyReLU):               # backward of ReLU: the negative side gets 0, not slope
    def backward(self, dvalues):
        self.dinputs = np.where(self.inputs > 0, dvalues, 0.0)
        return self.dinputs


class LeakyReLUFixedSlope(LeakyReLU):                  # ignores the slope it is given
    def forward(self, inputs, training=True):
        self.inputs = inputs
        self.output = np.where(inputs > 0, inputs, 0.01 * inputs)
        return self.output
    def backward(self, dvalues):
        self.dinputs = np.where(self.inputs > 0, dvalues, 0.01 * dvalues)
        return self.dinputs


def softmax_jacobians(s):
    return s[:, :, None] * np.eye(s.shape[1]) - s[:, :, None] * s[:, None, :]


CASES = {
    "06.1": (lambda K: math.log(K), [lambda K: 1 / K, lambda K: -math.log(K), lambda K: math.log10(K),
                                     lambda K: math.log(K + 1)]),
    "06.2": (to_one_hot, [to_one_hot_transposed, to_one_hot_shifted, to_one_hot_width,
                          lambda y, k: np.eye(k)[:len(y)]]),
    "06.3": ({"a", "b"}, [{"a"}, {"a", "b", "f"}, {"b", "e"}, {"a", "b", "c", "d", "e", "f"}, {"a", "b", "g"},
                         3]),
    "06.4": (accuracy_and_loss, [accuracy_and_loss_axis0, accuracy_and_loss_sum, accuracy_and_loss_log10,
                                 lambda p, y: accuracy_and_loss(p, y)[::-1], lambda p, y: 0.5]),
    "07.1": (1e-8, [1e-5, 1e-14, 1e-1, 1e-7, 2e-8, "small"]),
    "07.2": (grad_f, [lambda x, y: (2 * x, x**2 + np.cos(y)), lambda x, y: (2 * x * y, x**2 - np.cos(y)),
                      lambda x, y: (x**2 + np.cos(y), 2 * x * y), lambda x, y: 2 * x * y]),
    "07.3": (Tanh, [TanhWrongDerivative, TanhNoUpstream, TanhNoReturn]),
    "07.4": (lambda x: 3 * np.exp(3 * x) / (1 + np.exp(3 * x)),
             [lambda x: np.exp(3 * x) / (1 + np.exp(3 * x)), lambda x: 3 / (1 + np.exp(3 * x)),
              lambda x: 3 * np.exp(3 * x), lambda x: 1 / (1 + np.exp(3 * x))]),
    "08.1": (LeakyReLU, [LeakyReLUFlipped, LeakyReLUPlainBackward, LeakyReLUFixedSlope]),
    "08.2": (softmax_jacobians, [lambda s: -s[:, :, None] * s[:, None, :],
                                 lambda s: s[:, :, None] * np.eye(s.shape[1]) + s[:, :, None] * s[:, None, :],
                                 lambda s: np.stack([np.diag(r) for r in s]),
                                 # diag(1), not diag(s)
                                 lambda s: np.eye(s.shape[1]) - s[:, :, None] * s[:, None, :]]),
    "08.3": (lambda g: np.mean(g, axis=0), [lambda g: np.sum(g, axis=0), lambda g: np.mean(g, axis=-1),
                                            lambda g: g[0], lambda g: np.mean(g, axis=0) * len(g)]),
}


def test_every_exercise_of_lessons_06_to_08_has_cases():
    registered = [k for k in exercises() if k.split(".")[0] in ("06", "07", "08")]
    assert sorted(CASES) == registered and len(registered) == 11


@pytest.mark.parametrize("key", sorted(CASES))
def test_reference_passes(key, capsys):
    assert check(key, CASES[key][0], strict=True)
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("key, wrong", [(k, w) for k, (_, ws) in sorted(CASES.items()) for w in ws])
def test_wrong_answers_are_rejected(key, wrong, capsys):
    assert check(key, wrong) is False
    out = capsys.readouterr().out
    assert "not yet" in out or "raised" in out
    with pytest.raises(AssertionError):
        check(key, wrong, strict=True)


@pytest.mark.parametrize("key", sorted(CASES))
def test_placeholders_are_not_attempted(key, capsys):
    assert check(key, ...) is False and check(key, None) is False
    assert "not attempted yet" in capsys.readouterr().out


def test_messages_name_the_problem(capsys):
    check("06.3", {"a", "b", "f"})
    assert "rejected, yet you accepted f" in capsys.readouterr().out
    check("06.3", {"a"})
    assert "accepted, yet you left out b" in capsys.readouterr().out
    check("06.3", "ab")
    assert "passed" in capsys.readouterr().out
    check("07.1", 1e-5)
    assert "h = 1e-05 gives the error" in capsys.readouterr().out
    check("07.3", TanhWrongDerivative)
    assert "backward on an input of shape (4, 3)" in capsys.readouterr().out
    check("08.1", LeakyReLUPlainBackward)
    assert "backward with slope" in capsys.readouterr().out
    check("08.3", lambda g: np.sum(g, axis=0))
    assert "Hint: the loss is the mean over the batch" in capsys.readouterr().out


@pytest.mark.parametrize("key", ["06.1", "06.2", "06.4", "07.2", "07.4", "08.2", "08.3"])
def test_stub_function_is_not_attempted(key, capsys):
    def stub(*args, **kwargs):
        ...
    assert check(key, stub) is False
    assert "not attempted yet" in capsys.readouterr().out


def test_stub_layers_are_not_attempted(capsys):
    class TanhStub:
        def forward(self, inputs, training=True): ...
        def backward(self, dvalues): ...

    class LeakyStub(Layer):
        def __init__(self, slope=0.01): self.slope = slope
        def forward(self, inputs, training=True): ...
        def backward(self, dvalues): ...
    assert check("07.3", TanhStub) is False and check("08.1", LeakyStub) is False
    assert capsys.readouterr().out.count("not attempted yet") == 2
