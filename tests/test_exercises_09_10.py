"""The exercise checkers of lessons 09 (optimizers), 10 (RMSprop and Adam) and 21 (making it fast).

For every exercise the reference answer passes its checker with `strict=True`, and every plausible wrong
answer (off by one, a missing square root, the other form of momentum, a wrong sign, an array that is not
updated in place) is rejected."""

import math

import numpy as np
import pytest

from nnfs.exercises import check, exercises


# ---- lesson 09 --------------------------------------------------------------------------------
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


def momentum_no_decay(theta, grads, lr, decay, momentum):
    return book_momentum(theta, grads, lr, 0.0, momentum)


def momentum_wrong_sign(theta, grads, lr, decay, momentum):
    return book_momentum(theta, [-g for g in grads], lr, decay, momentum)


def momentum_in_place(theta, grads, lr, decay, momentum):
    u = np.zeros_like(theta)
    for t, g in enumerate(grads):
        u = momentum * u - lr / (1 + decay * t) * g
        theta += u
    return theta


def rates(opt, layer):
    return opt.current_learning_rate / (np.sqrt(opt.state[layer]["weights"]["cache"]) + opt.epsilon)


# ---- lesson 10 --------------------------------------------------------------------------------
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


def run_last_only(opt, grads):
    layer = Params(len(grads[0]))
    layer.dweights = grads[-1]
    opt.step([layer])
    return layer.weights


def run_one_short(opt, grads):
    layer = Params(len(grads[0]))
    for g in grads[:-1]:
        layer.dweights = g
        opt.step([layer])
    return layer.weights


def run_first_gradient(opt, grads):
    layer = Params(len(grads[0]))
    layer.dweights = grads[0].copy()
    for _ in grads:
        opt.step([layer])
    return layer.weights


# ---- lesson 21 --------------------------------------------------------------------------------
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


def work(n_in, first_products=2):
    return first_products * 2 * n_in * 128 + 3 * 2 * 128 * 128 + 3 * 2 * 128 * 10


WIDE = 60_000 * 2 * (2 * 784 * 256 + 3 * 256 * 256 + 3 * 256 * 10)

CASES = {
    "09.1": (book_momentum, [torch_momentum, momentum_no_decay, momentum_wrong_sign, momentum_in_place]),
    "09.2": ((1000, 9000), [(1001, 9001), (999, 8999), (1000, 10000), (500, 900), 1000]),
    "09.3": (
        rates,
        [
            lambda o, l: o.learning_rate / (np.sqrt(o.state[l]["weights"]["cache"]) + o.epsilon),
            lambda o, l: o.current_learning_rate / (o.state[l]["weights"]["cache"] + o.epsilon),
            lambda o, l: o.current_learning_rate / np.sqrt(o.state[l]["weights"]["cache"]),
            lambda o, l: o.state[l]["weights"]["cache"],
        ],
    ),
    "09.4": (
        lambda mu, t: (1 - mu**t) / (1 - mu),
        [
            lambda mu, t: 1 / (1 - mu),
            lambda mu, t: (1 - mu ** (t + 1)) / (1 - mu),
            lambda mu, t: mu**t,
            lambda mu, t: (1 - mu ** (t - 1)) / (1 - mu),
        ],
    ),
    "10.1": (0.1 / math.sqrt(0.001), [1 / 3.1623, 1.0, 10.0, 100.0, 0.1]),
    "10.2": (run, [run_last_only, run_one_short, run_first_gradient]),
    "10.3": (
        lambda t, rho: 1 / math.sqrt(1 - rho**t),
        [
            lambda t, rho: 1 / (1 - rho**t),
            lambda t, rho: math.sqrt(1 - rho**t),
            lambda t, rho: 1 / math.sqrt(1 - rho ** (t + 1)),
            lambda t, rho: 1 / math.sqrt(1 - rho),
        ],
    ),
    "10.4": ("a", ["b", "c", "d", 0.001]),
    "21.1": (WIDE, [WIDE + 60_000 * 2 * 784 * 256, WIDE / 2, WIDE / 60_000, WIDE * 1.5]),
    "21.2": (sgd_momentum_, [sgd_momentum_temporaries, sgd_momentum_rebinds, sgd_momentum_wrong_order]),
    "21.3": ((200, 50, 13), [(200, 50, 12), (32, 128, 512), (201, 51, 13), (200, 50)]),
    "21.4": (
        work(196) / work(784),
        [0.25, work(196, 3) / work(784, 3), work(784) / work(196), 196 / 784 * 2],
    ),
}


def test_every_exercise_is_covered():
    assert sorted(CASES) == exercises("09") + exercises("10") + exercises("21")
    assert len(CASES) == 12


@pytest.mark.parametrize("key", sorted(CASES))
def test_reference_passes(key, capsys):
    assert check(key, CASES[key][0], strict=True)
    assert "passed" in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("key,index", [(k, i) for k in sorted(CASES) for i in range(len(CASES[k][1]))])
def test_wrong_answer_rejected(key, index, capsys):
    assert check(key, CASES[key][1][index]) is False
    out = capsys.readouterr().out
    assert "not yet" in out or "raised" in out
    with pytest.raises(AssertionError):
        check(key, CASES[key][1][index], strict=True)


@pytest.mark.parametrize("key", sorted(CASES))
def test_not_attempted(key, capsys):
    placeholder = {"09.2": (..., ...), "21.3": (..., ..., ...)}.get(key, ...)
    assert check(key, placeholder) is False
    assert "not attempted" in capsys.readouterr().out


@pytest.mark.parametrize("key", ["09.1", "09.3", "09.4", "10.2", "10.3", "21.2"])
def test_stub_returning_none_is_not_attempted(key, capsys):
    assert check(key, lambda *args: None) is False
    assert "not attempted" in capsys.readouterr().out


def test_messages_name_the_mistake(capsys):
    check("09.2", (1001, 9001))
    assert "counts the steps already taken, from 0" in capsys.readouterr().out
    check("09.1", momentum_in_place)
    assert "changed `theta` in place" in capsys.readouterr().out
    check("10.1", 1 / (0.1 / math.sqrt(0.001)))
    assert "turn it around" in capsys.readouterr().out
    check("21.1", WIDE + 60_000 * 2 * 784 * 256)
    assert "input gradient of the first layer" in capsys.readouterr().out
    check("21.2", sgd_momentum_temporaries)
    assert "allocated" in capsys.readouterr().out
    check("21.3", (200, 50, 12))
    assert "one more, smaller batch" in capsys.readouterr().out
    check("21.4", 0.25)
    assert "only the first layer" in capsys.readouterr().out
    check("10.4", "x")
    assert "one letter" in capsys.readouterr().out
