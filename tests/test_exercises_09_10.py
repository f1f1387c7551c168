"""The exercise checkers of lessons 09 (optimizers), 10 (RMSprop and Adam) and 21 (making it fast).

For every exercise the reference answer passes its checker with `strict=True`, and every plausible wrong
answer (off by one, a missing square root, the other form of momentum, a wrong sign, an array that is not
updated in place) is rejected."""

import math

import numpy as np
import pytest
from exercise_helpers import check

from nnfs.exercises import exercises


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
    assert "changed its argument `theta` (an array of shape (3,)) in place" in capsys.readouterr().out
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


# ---- verdicts: the number of cases, the messages for specific mistakes, answer validation -------------
@pytest.mark.parametrize(
    "key,answer,n",
    [
        ("09.1", book_momentum, 16),
        ("09.3", rates, 8),
        ("09.4", CASES["09.4"][0], 18),
        ("10.2", run, 8),
        ("10.3", CASES["10.3"][0], 18),
        ("21.2", sgd_momentum_, 11),
    ],
)
def test_verdict_counts_the_cases(key, answer, n, capsys):
    assert check(key, answer)
    assert f"passed ({n} cases)." in capsys.readouterr().out


def momentum_u_from_first_gradient(theta, grads, lr, decay, momentum):  # breaks on an empty list
    u = np.zeros_like(grads[0])
    for t, g in enumerate(grads):
        u = momentum * u - lr / (1 + decay * t) * g
        theta = theta + u
    return theta


def test_09_1_zero_gradients_are_a_case(capsys):
    assert check("09.1", momentum_u_from_first_gradient) is False
    assert "your code raised IndexError" in capsys.readouterr().out


@pytest.mark.parametrize("answer", [1000, (1000,), (1000, 9000, 0), "1000, 9000"])
def test_09_2_wants_a_pair(answer, capsys):
    assert check("09.2", answer) is False
    out = capsys.readouterr().out
    assert f"not yet. expected a pair (steps to half, steps to a tenth), got {answer!r}" in out


@pytest.mark.parametrize(
    "answer,message",
    [
        ((999, 9000), "steps to half the rate is 999, which is not right"),
        ((1000, 9001), "steps to a tenth of the rate is 9001, which is not right"),
    ],
)
def test_09_2_steps_must_be_exact(answer, message, capsys):
    assert check("09.2", answer) is False
    assert message in capsys.readouterr().out


def test_10_1_accepts_a_numpy_float_and_an_int_rounding(capsys):
    assert check("10.1", np.float64(3.162))
    assert check("10.1", 3.1615)
    capsys.readouterr()


def test_10_1_band_is_centered_on_the_ratio_with_epsilon():
    m, v, eps = 0.1 * 0.5, 0.001 * 0.25, 1e-7
    ratio = (m / (math.sqrt(v) + eps)) / (0.5 / (0.5 + eps))
    for inside in (ratio * (1 + 1e-3 - 5e-8), ratio * (1 - 1e-3 + 5e-8)):
        assert check("10.1", inside)
    for outside in (ratio * (1 + 1e-3 + 5e-8), ratio * (1 - 1e-3 - 5e-8)):
        assert check("10.1", outside) is False


def test_10_1_turned_around_only_within_a_tenth_of_a_percent(capsys):
    m, v, eps = 0.1 * 0.5, 0.001 * 0.25, 1e-7
    inverse = (0.5 / (0.5 + eps)) / (m / (math.sqrt(v) + eps))
    check("10.1", inverse * (1 + 0.999e-3))
    assert "turn it around" in capsys.readouterr().out
    check("10.1", inverse * (1 + 1.5e-3))
    out = capsys.readouterr().out
    assert "not yet. your ratio is 0.316" in out
    assert "turn it around" not in out


def test_10_1_text_is_not_a_number(capsys):
    assert check("10.1", "about 3") is False
    assert "not yet. your ratio is the text 'about 3', not a number" in capsys.readouterr().out


def test_10_1_a_number_in_quotes_is_not_accepted(capsys):
    assert check("10.1", "3.16") is False
    assert "your ratio is the text '3.16', not a number: leave out the quotes" in capsys.readouterr().out


def run_plain_sgd(opt, grads):  # ignores the optimizer: right for SGD(0.01) only
    return -0.01 * np.sum(grads, axis=0)


def test_10_2_names_the_optimizer_that_failed(capsys):
    assert check("10.2", run_plain_sgd) is False
    out = capsys.readouterr().out
    assert "not yet. run(SGD(learning_rate=0.1, decay=0.0, momentum=0.9), " in out


# ---- lesson 21 ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "answer,message",
    [
        (WIDE / 2, "not yet. a multiply-add is two floating-point operations"),
        (WIDE // 2, "not yet. a multiply-add is two floating-point operations"),
        (WIDE // 60_000, "not yet. that is one sample; an epoch has 60,000"),
        (WIDE + 60_000 * 2 * 784 * 256, "not yet. that counts the input gradient of the first layer"),
    ],
)
def test_21_1_names_the_mistake(answer, message, capsys):
    assert check("21.1", answer) is False
    assert message in capsys.readouterr().out


def test_21_1_array_is_a_wrong_shape_not_a_crash(capsys):
    assert check("21.1", np.array([WIDE, WIDE])) is False
    assert "not yet. your FLOP count has shape (2,), not the expected shape ()" in capsys.readouterr().out


def test_21_2_wants_a_function(capsys):
    assert check("21.2", 5) is False
    assert "not yet. expected a function, got 5" in capsys.readouterr().out


def test_21_2_rebinding_is_named(capsys):
    assert check("21.2", sgd_momentum_rebinds) is False
    out = capsys.readouterr().out
    assert "not yet. your function left p and v unchanged (arrays of shape (3,) (float64)" in out


@pytest.mark.parametrize(
    "answer,message",
    [
        ((200, 50, 12), "not yet. with batch size 512, the last 256 images make one more, smaller batch"),
        ((196, 50, 13), "not yet. your number of steps with batch size 32 is 196, which is not right"),
        ((200, 49, 13), "not yet. your number of steps with batch size 128 is 49, which is not right"),
        ((200, 50, 14), "not yet. your number of steps with batch size 512 is 14, which is not right"),
    ],
)
def test_21_3_names_the_batch_size(answer, message, capsys):
    assert check("21.3", answer) is False
    assert message in capsys.readouterr().out


def test_21_4_a_quarter_message_only_for_a_quarter(capsys):
    check("21.4", 0.25 + 0.9e-9)
    assert "only the first layer gets smaller inputs" in capsys.readouterr().out
    check("21.4", 0.25 + 1.5e-9)
    out = capsys.readouterr().out
    assert "not yet. your fraction is 0.25, which is not right" in out
    assert "only the first layer" not in out


def test_21_4_text_is_not_a_number(capsys):
    assert check("21.4", "a quarter") is False
    assert "not yet. your fraction is the text 'a quarter', not a number" in capsys.readouterr().out


# ---- the call and answer helpers shared with lessons 11 and 22 (defined next to these checkers) -------
def test_11_1_wants_a_function(capsys):
    assert check("11.1", 0.5) is False
    assert "not yet. expected a function, got 0.5" in capsys.readouterr().out


@pytest.mark.parametrize("answer", [228, (99,), [99, 228, 1]])
def test_11_2_wants_a_pair(answer, capsys):
    assert check("11.2", answer) is False
    assert f"not yet. answer with a pair (l1_steps, l2_steps), got {answer!r}" in capsys.readouterr().out


@pytest.mark.parametrize("answer", ["d", 2, "a or b"])
def test_11_4_wants_one_of_the_letters(answer, capsys):
    assert check("11.4", answer) is False
    assert f"not yet. answer with one letter out of 'a', 'b', 'c'; got {answer!r}" in capsys.readouterr().out


def test_22_1_accepts_the_hand_computed_output(capsys):
    assert check("22.1", [[-3, -2], [-2, -2]])
    capsys.readouterr()


def test_22_1_names_a_flipped_filter(capsys):
    assert check("22.1", [[3, 2], [2, 2]]) is False
    assert "not yet. you flipped the filter" in capsys.readouterr().out


def test_22_2_wants_a_function(capsys):
    assert check("22.2", 5) is False
    assert "not yet. expected a function, got 5" in capsys.readouterr().out
