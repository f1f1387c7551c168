"""Tests of the exercise checkers of lessons 06-08 (`nnfs.exercises`): every reference answer passes its
checker with `strict=True`, every plausible wrong answer is rejected (`check` returns False), placeholders
count as not attempted, and failures say what went wrong."""
import math

import numpy as np
import pytest
from exercise_helpers import check

from nnfs.exercises import exercises
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


# ---------------------------------------------------------------- what the checkers tell the learner

@pytest.mark.parametrize("key, answer, n", [
    ("06.1", CASES["06.1"][0], 10), ("06.2", to_one_hot, 11), ("06.4", accuracy_and_loss, 11),
    ("07.2", grad_f, 13), ("07.3", Tanh, 9), ("07.4", CASES["07.4"][0], 18), ("08.1", LeakyReLU, 10),
    ("08.2", softmax_jacobians, 10), ("08.3", CASES["08.3"][0], 10),
])
def test_verdict_counts_the_cases(key, answer, n, capsys):
    assert check(key, answer)
    assert f"passed ({n} cases)." in capsys.readouterr().out


def test_06_3_answer_that_is_not_a_collection_is_told_so(capsys):
    assert check("06.3", 3) is False
    out = capsys.readouterr().out
    assert "not yet. the answer should be a set of letters such as {'a', 'c'}, got 3" in out


def test_06_3_letters_outside_a_to_f_are_named(capsys):
    assert check("06.3", {"a", "b", "g", "zz"}) is False
    assert "not yet. only the letters a to f name labels; got ['g', 'zz']\n" in capsys.readouterr().out


def test_06_4_answer_must_be_a_pair(capsys):
    assert check("06.4", lambda p, y: 0.5) is False
    assert "not yet. return a pair (accuracy, mean loss); got 0.5" in capsys.readouterr().out


def test_06_4_a_triple_is_not_a_pair(capsys):
    def with_losses(probs, labels):                    # also returns the per-sample losses
        return (*accuracy_and_loss(probs, labels), categorical_crossentropy(probs, labels))
    assert check("06.4", with_losses) is False
    assert "not yet. return a pair (accuracy, mean loss); got (" in capsys.readouterr().out


def test_06_4_a_list_pair_is_fine(capsys):
    assert check("06.4", lambda p, y: list(accuracy_and_loss(p, y)))
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("h, error", [(1e-5, "6.0e-05"), (0.5, "3.2e+00"), (0.1, "6.1e-01"),
                                      (1e-12, "1.1e-03")])
def test_07_1_names_the_error_of_the_chosen_step(h, error, capsys):
    assert check("07.1", h) is False
    out = capsys.readouterr().out
    assert f"gives the error {error}, but another step in the list gives a smaller one" in out


@pytest.mark.parametrize("h, shown", [(0, "0e+00"), (-1e-8, "-1e-08")])
def test_07_1_step_that_is_not_positive_has_no_error(h, shown, capsys):
    assert check("07.1", h) is False
    assert f"not yet. h = {shown} gives the error nan, but another step" in capsys.readouterr().out


def test_07_1_answer_that_is_not_a_number_is_told_so(capsys):
    assert check("07.1", "small") is False
    assert "not yet. the answer should be a number (a step size h), got 'small'" in capsys.readouterr().out


def test_07_1_float32_step_passes(capsys):
    assert check("07.1", np.float32(1e-8))
    assert "passed" in capsys.readouterr().out


def test_07_2_answer_must_return_two_numbers(capsys):
    assert check("07.2", lambda x, y: 2 * x * y) is False
    assert ("not yet. grad_f(1.5, -0.5) should return two numbers (df/dx, df/dy), got -1.5"
            in capsys.readouterr().out)


class TanhComputedOnce(Tanh):                          # keeps the first output and returns it on every call
    def forward(self, inputs, training=True):
        if getattr(self, "output", None) is None:
            self.output = np.tanh(inputs)
        return self.output


class LeakyReLUComputedOnce(LeakyReLU):
    def forward(self, inputs, training=True):
        if getattr(self, "output", None) is None:
            super().forward(inputs)
        return self.output


def test_07_3_gradcheck_catches_a_forward_that_ignores_later_inputs(capsys):
    assert check("07.3", TanhComputedOnce) is False
    assert "not yet. gradcheck fails on an input of shape (4, 3): gradcheck FAILED" in capsys.readouterr().out


def test_08_1_gradcheck_catches_a_forward_that_ignores_later_inputs(capsys):
    assert check("08.1", LeakyReLUComputedOnce) is False
    out = capsys.readouterr().out
    assert "not yet. gradcheck fails with slope 0.01, shape (4, 3): gradcheck FAILED" in out


class TanhNamedX:                                      # correct, but keeps its input as x and gradient as dx
    def forward(self, inputs, training=True):
        self.x = inputs
        self.output = np.tanh(inputs)
        return self.output
    def backward(self, dvalues):
        self.dx = dvalues * (1 - self.output**2)
        return self.dx


def test_07_3_correct_tanh_with_other_attribute_names_passes():
    "Regression: gradcheck took x/dx for a parameter and its gradient, so 07.3 rejected this correct Tanh."
    assert check("07.3", TanhNamedX)


def test_08_2_gets_softmax_outputs():
    seen = []
    def recording(s):
        seen.append(s.copy())
        return softmax_jacobians(s)
    assert check("08.2", recording)
    assert len(seen) == 10
    for s in seen:
        assert np.all(s > 0) and np.allclose(s.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_08_3_names_batch_size_and_gradient_shape(capsys):
    assert check("08.3", lambda g: np.sum(g, axis=0)) is False
    out = capsys.readouterr().out
    assert "not yet. the batch gradient of 10 per-sample gradients of shape (2, 3) is" in out


def test_08_3_squeezed_result_is_caught_by_the_one_by_one_gradients(capsys):
    assert check("08.3", lambda g: np.squeeze(np.mean(g, axis=0))) is False
    out = capsys.readouterr().out
    assert "gradients of shape (1, 1) has shape (), not the expected shape (1, 1)" in out


# ---------------------------------------------------------------- lesson 09's helpers (after lesson 08's)

def test_09_answer_that_is_not_a_function_is_told_so(capsys):
    assert check("09.1", 0.5) is False
    assert "not yet. expected a function, got 0.5" in capsys.readouterr().out


def adagrad_rates(opt, layer):
    return opt.current_learning_rate / (np.sqrt(opt.state[layer]["weights"]["cache"]) + opt.epsilon)


def test_09_3_learner_can_print_the_layer(capsys):
    def printing(opt, layer):
        print(layer)
        return adagrad_rates(opt, layer)
    assert check("09.3", printing)
    out = capsys.readouterr().out
    assert "layer with weights of shape (3, 3)" in out and "passed (8 cases)" in out


def test_09_3_biases_cache_has_the_biases_shape(capsys):
    assert check("09.3", lambda opt, layer: opt.state[layer]["biases"]["cache"]) is False
    assert "has shape (1, 3), not the expected shape (3, 3)" in capsys.readouterr().out

