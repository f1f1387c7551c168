"""Tests of the exercise framework (`nnfs.exercises`): registration, the lazy checker modules, the verdicts
and their ladder (what is wrong and a hint; the expected value only with `reveal=True`), `call` (copies of
the inputs, a forgotten return, a time limit), the randomness checks, the conversions that keep an
object's own `==` out of a comparison, the data-driven exercises, tampering, and the test of the reference
solutions."""

import json
import math
import random
import signal
import sys
import time

import numpy as np
import pytest

import nnfs
from nnfs import exercises as ex
from nnfs.exercises import (
    NotAttempted,
    Verdict,
    Wrong,
    as_array,
    as_bool,
    as_int,
    as_number,
    call,
    check,
    choice_exercise,
    exercise,
    exercises,
    expect_close,
    expect_equal,
    function_exercise,
    grade,
    kept_random_state,
    letter,
    method,
    not_attempted,
    random_cases,
    same_draws,
    value_exercise,
)


@pytest.fixture
def registry(monkeypatch):
    "A private copy of the registry, so that test exercises do not leak into the real one."
    reg = dict(ex._REGISTRY)
    monkeypatch.setattr(ex, "_REGISTRY", reg)
    return reg


def text(key, answer, reveal=False):
    return grade(key, answer).text(reveal)


# ---------------------------------------------------------------- registration and listing


def test_exercise_decorator_registers_and_returns_the_checker(registry):
    def checker(answer):
        return None

    assert exercise("zz.1", "a test", hint="h", expected=3, time_limit=2.0)(checker) is checker
    entry = registry["zz.1"]
    assert (entry.title, entry.hint, entry.expected, entry.time_limit, entry.checker) == (
        "a test",
        "h",
        3,
        2.0,
        checker,
    )


def test_registering_another_checker_for_a_key_raises_naming_it(registry):
    def first(answer):
        return 1

    def second(answer):
        return 2

    exercise("zz.1", "first")(first)
    with pytest.raises(ValueError, match=r"'zz\.1' is registered twice"):
        exercise("zz.1", "second")(second)
    assert registry["zz.1"].title == "first"


def test_registering_the_same_definition_again_replaces_it(registry):
    "A notebook cell run twice defines a new function with the same name: it replaces the old one."

    def make(title):
        def _check_zz(answer):
            return 1

        exercise("zz.1", title)(_check_zz)

    make("first")
    make("second")
    assert registry["zz.1"].title == "second"


@pytest.mark.parametrize("key", ["1", "04", "04.", "04.a", ".1", "04.1.2", "04 .1"])
def test_a_malformed_key_cannot_be_registered(key, registry):
    with pytest.raises(ValueError, match="a lesson and a number"):
        exercise(key, "bad")


def test_exercises_of_one_lesson_in_order():
    assert exercises("04") == ["04.1", "04.2", "04.3", "04.4"]
    assert exercises("nope") == []
    everything = exercises()
    assert len(everything) >= 88 and everything[0] == "00.1" and everything[-1] == "90.1"
    assert "22.4" in everything


def test_exercises_sort_numbers_as_numbers(registry):
    for n in (10, 2, 1):
        exercise(f"zz.{n}", "n")(lambda a: None)
    assert exercises("zz") == ["zz.1", "zz.2", "zz.10"]


@pytest.mark.parametrize(
    "lesson, module",
    [
        ("00", "exercises_00_06"),
        ("06", "exercises_00_06"),
        ("07", "exercises_07_13"),
        ("13", "exercises_07_13"),
        ("14", "exercises_14_19"),
        ("15a", "exercises_14_19"),
        ("19", "exercises_14_19"),
        ("20", "exercises_20_24"),
        ("24", "exercises_20_24"),
        ("25", None),
        ("90", None),
        ("zz", None),
    ],
)
def test_each_lesson_has_its_checker_module(lesson, module):
    assert ex._group(lesson) == module


def test_checker_modules_are_imported_when_first_needed():
    "Importing the framework imports no checker module; checking an exercise imports its group's."
    code = (
        "import sys, nnfs.exercises as e; a = 'nnfs.exercises_07_13' in sys.modules; "
        "e.exercises('08'); print(a, 'nnfs.exercises_07_13' in sys.modules, "
        "'nnfs.exercises_00_06' in sys.modules)"
    )
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True", "False"]


# ---------------------------------------------------------------- the verdicts and the ladder


def test_a_right_answer_passes_with_the_number_of_cases(capsys):
    assert check("90.1", lambda x: x * x) is None
    assert capsys.readouterr().out == "\u2713 Exercise 90.1 (square a number): passed (10 cases).\n"
    verdict = grade("90.1", lambda x: x * x)
    assert verdict.passed and verdict.status == "passed" and verdict.cases == 10


@pytest.mark.parametrize("answer", [None, ..., (..., 1), [1, ...]])
def test_a_placeholder_is_not_attempted(answer, capsys):
    check("90.1", answer)
    assert capsys.readouterr().out == (
        "Exercise 90.1 (square a number): not attempted yet. Replace the `...` in this cell with your "
        "answer and run it.\n"
    )
    assert grade("90.1", answer).status == "not attempted"


def test_a_wrong_answer_gets_what_is_wrong_and_the_hint_but_not_the_expected_value(capsys):
    check("90.1", lambda x: x + 1)
    assert capsys.readouterr().out == (
        "\u2717 Exercise 90.1 (square a number): not yet. your function at x=0 is 1, which is not right\n"
        "Hint: multiply the number by itself\n"
        "Add reveal=True to the check to see the expected value.\n"
    )


def test_reveal_adds_the_expected_value(capsys):
    check("90.1", lambda x: x + 1, reveal=True)
    out = capsys.readouterr().out
    assert out.endswith("Hint: multiply the number by itself\nExpected: 0\n")
    assert "Add reveal" not in out


def test_a_known_mistake_is_named(capsys):
    check("90.1", lambda x: 2 * x)
    assert (
        "not yet. your function at x=1: that is twice the number, not its square\n"
        in capsys.readouterr().out
    )


def test_reveal_on_a_right_or_untouched_function_answer_shows_nothing_more():
    assert grade("90.1", lambda x: x * x).text(reveal=True).endswith("passed (10 cases).")
    assert "Expected" not in grade("90.1", ...).text(reveal=True)


def test_reveal_on_an_untouched_value_exercise_shows_the_answer(registry):
    value_exercise("zz.1", "v", answer=24, hint="h")
    assert grade("zz.1", ...).text(reveal=True).endswith("\nExpected: 24")
    assert "Expected" not in grade("zz.1", ...).text()


def test_verdict_without_hint_or_title(registry):
    exercise("zz.1", "")(lambda a: expect_equal(a, 2))
    assert (
        text("zz.1", 3) == "\u2717 Exercise zz.1: not yet. the result is 3, which is not right\n"
        "Add reveal=True to the check to see the expected value."
    )
    assert text("zz.1", 2) == "\u2713 Exercise zz.1: passed."


def test_check_returns_none_and_logs_the_session(capsys):
    before = len(ex._SESSION)
    assert check("90.1", lambda x: x * x) is None
    assert check("90.1", ...) is None
    assert ex._SESSION[before:] == [("90.1", "passed"), ("90.1", "not attempted")]
    grade("90.1", lambda x: x * x)
    assert len(ex._SESSION) == before + 2, "grade (the tests' API) does not log"


def test_strict_raises_with_the_full_verdict(capsys):
    with pytest.raises(AssertionError, match=r"(?s)not yet\. your function at x=0 is 1.*Expected: 0"):
        check("90.1", lambda x: x * x + 1, strict=True)
    with pytest.raises(AssertionError, match=r"(?s)not yet\..*Expected: 0"):
        grade("90.1", lambda x: x * x + 1, strict=True)
    assert grade("90.1", lambda x: x * x, strict=True).passed
    check("90.1", lambda x: x * x, strict=True)


@pytest.mark.parametrize("key", [["01.1"], 1.1, None, "1", "01.1.1"])
def test_a_bad_key_is_a_verdict_not_a_traceback(key, capsys):
    check(key, 1)
    out = capsys.readouterr().out
    assert (
        out.startswith("\u2717 Exercise ")
        and 'the first argument of check is an exercise such as "04.1"' in out
    )
    assert grade(key, 1).status == "error"


def test_an_unknown_exercise_lists_the_lessons_exercises(capsys):
    check("04.9", 1)
    assert capsys.readouterr().out == (
        "\u2717 Exercise 04.9: there is no exercise 04.9; the exercises of lesson 04 are: "
        "04.1, 04.2, 04.3, 04.4\n"
    )
    assert "lesson zz are: none" in text("zz.1", 1)


def test_an_error_verdict_offers_no_reveal(registry):
    verdict = Verdict("zz.1", "t", "error", "broken", expected=3)
    assert verdict.text() == "\u2717 Exercise zz.1 (t): broken"
    assert verdict.text(reveal=True).endswith("Expected: 3")


# ---------------------------------------------------------------- whatever the learner's code does


def _raises(exc):
    def answer(x):
        raise exc

    return answer


@pytest.mark.parametrize(
    "exc, message",
    [
        (ZeroDivisionError("boom"), "your code raised ZeroDivisionError: boom"),
        (SystemExit(0), "your code called exit() (or sys.exit()), which stops the notebook"),
        (
            KeyboardInterrupt(),
            "the check was interrupted before it finished (your code was still running)",
        ),
        (RecursionError(), "your code called itself without end (RecursionError)"),
        (AssertionError("no"), "your code raised AssertionError: no"),
    ],
)
def test_whatever_the_code_raises_ends_in_a_verdict(exc, message):
    verdict = grade("90.1", _raises(exc))
    assert verdict.status == "wrong" and verdict.message == message and verdict.hint


@pytest.mark.parametrize("exc", [NotImplementedError, NotAttempted])
def test_not_implemented_is_not_attempted(exc):
    assert grade("90.1", _raises(exc())).status == "not attempted"


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="the time limit needs SIGALRM")
def test_an_endless_loop_is_stopped_at_the_time_limit(registry):
    def loop(x):
        while True:
            pass

    exercise("zz.1", "loop", time_limit=0.2)(lambda a: call(a, 1))
    t = time.perf_counter()
    verdict = grade("zz.1", loop)
    assert time.perf_counter() - t < 5
    assert (
        verdict.message == "your code ran for more than 0.2 seconds and was stopped: is there a loop "
        "that never ends?"
    )
    assert (
        signal.getitimer(signal.ITIMER_REAL)[0] == 0
        and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.default_int_handler, None)
        or True
    )


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="the time limit needs SIGALRM")
def test_the_time_limit_leaves_no_timer_behind(registry):
    previous = signal.getsignal(signal.SIGALRM)
    exercise("zz.1", "fast", time_limit=5)(lambda a: call(a, 1))
    assert grade("zz.1", lambda x: x).passed
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is previous


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="the time limit needs SIGALRM")
def test_a_running_timer_of_someone_else_is_left_alone(registry):
    "With another timer running (a test runner's timeout, say), the check sets none of its own."
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *a: fired.append(1))
    signal.setitimer(signal.ITIMER_REAL, 30)
    try:
        exercise("zz.1", "fast", time_limit=0.01)(lambda a: call(a, 0.05))
        assert grade("zz.1", lambda s: time.sleep(s) or 1).passed  # longer than the limit, not stopped
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 20
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert not fired


# ---------------------------------------------------------------- call


def test_call_passes_copies_and_names_an_argument_changed_in_place():
    x = np.arange(3.0)

    def doubles(values):
        values *= 2
        return values

    with pytest.raises(
        Wrong,
        match=r"doubles changed its argument `values` \(an array of shape \(3,\)\) in "
        r"place, so the caller's data changed too",
    ):
        call(doubles, x)
    assert np.array_equal(x, [0.0, 1.0, 2.0]), "the checker's own case is never touched"


@pytest.mark.parametrize(
    "arg, change",
    [
        ([1.0, 2.0], lambda a: a.clear()),
        ([[1.0], [2.0]], lambda a: a[1].append(3.0)),
        ({"a": np.zeros(2)}, lambda a: a["a"].fill(1)),
        ((np.zeros(2),), lambda a: a[0].fill(1)),
        (np.zeros(3, np.float32), lambda a: a.resize(2, refcheck=False)),
    ],
)
def test_call_sees_every_kind_of_change(arg, change):
    def answer(a):
        change(a)
        return 1

    with pytest.raises(Wrong, match="changed its argument `a`"):
        call(answer, arg)


def test_call_sees_a_changed_attribute_of_an_object():
    class Box:
        def __init__(self):
            self.weights = np.ones(2)

    def answer(box):
        box.weights[0] = 5
        return 1

    with pytest.raises(Wrong, match=r"changed its argument `box` \(<"):
        call(answer, Box())


def test_call_allows_the_changes_it_is_told_of():
    def step(p, g):
        p -= g
        return p

    assert np.array_equal(call(step, np.ones(2), np.ones(2), may_change=(0,)), [0.0, 0.0])
    with pytest.raises(Wrong, match="changed its argument `p`"):
        call(step, np.ones(2), np.ones(2), may_change=(1,))


def test_call_without_copies_passes_the_objects_themselves():
    x = np.zeros(2)
    call(lambda a: a.fill(3) or 1, x, copies=False)
    assert np.array_equal(x, [3.0, 3.0])


def test_call_passes_keyword_arguments_as_copies():
    seen = []
    kw = {"rng": np.random.default_rng(0)}
    call(lambda rng=None: seen.append(rng) or 1, **kw)
    assert seen[0] is not kw["rng"] and seen[0].bit_generator.state == kw["rng"].bit_generator.state


def test_a_generator_drawn_from_is_not_a_change():
    assert call(lambda rng: rng.random(), np.random.default_rng(0)) >= 0


def test_nan_in_an_argument_is_not_a_change():
    assert call(lambda a: 1, np.array([np.nan, 1.0])) == 1
    assert call(lambda a: 1, [float("nan")]) == 1


def test_call_names_a_forgotten_return_and_a_value_that_is_not_a_function():
    def layer(x):
        x + 1  # noqa: B018

    with pytest.raises(Wrong, match=r"^layer returned None: did you forget to `return` the result\?$"):
        call(layer, 1)
    with pytest.raises(Wrong, match=r"^expected a function, got 3$"):
        call(3, 1)


def test_method_calls_a_method_and_names_a_missing_one():
    class Layer:
        def forward(self, x):
            return x * 2

    assert method(Layer(), "forward", 2) == 4
    with pytest.raises(Wrong, match="^Layer has no method `backward`$"):
        method(Layer(), "backward", 2)


def test_argument_names_fall_back_to_positions():
    assert ex._arg_name(lambda a, b: 0, 1) == "`b`"
    assert ex._arg_name(lambda *a: 0, 2) == "argument 3"
    assert ex._arg_name(print, 0) == "argument 1"


# ---------------------------------------------------------------- randomness


def test_kept_random_state_puts_every_generator_back():
    nnfs.init(17, np.float64)
    np.random.seed(17)
    random.seed(17)
    want = (nnfs.get_rng().bit_generator.state, np.random.get_state()[1].copy(), random.getstate())
    with kept_random_state():
        nnfs.init(3, np.float32)
        np.random.rand(5)
        random.random()
    assert nnfs.get_dtype() == np.float64
    assert nnfs.get_rng().bit_generator.state == want[0]
    assert np.array_equal(np.random.get_state()[1], want[1]) and random.getstate() == want[2]
    nnfs.init(0)


def test_kept_random_state_keeps_the_package_generator_object_when_only_drawn_from():
    rng = nnfs.get_rng()
    state = rng.bit_generator.state
    with kept_random_state():
        rng.random(3)
    assert nnfs.get_rng() is rng and rng.bit_generator.state == state


def good_dropout(x, rate, rng):
    return x * (rng.random(x.shape) < 1 - rate) / (1 - rate)


@pytest.mark.parametrize(
    "answer, message",
    [
        (lambda x, rate, rng: x * (np.random.random(x.shape) < 0.5), "NumPy's global generator"),
        (lambda x, rate, rng: x * (nnfs.get_rng().random(x.shape) < 0.5), "the package's generator"),
        (lambda x, rate, rng: x * (random.random() < 0.5), "Python's `random` module"),
        (
            lambda x, rate, rng: x * (np.random.default_rng().random(x.shape) < 0.5),
            "two calls with generators seeded alike gave different results",
        ),
    ],
)
def test_same_draws_catches_every_other_source_of_randomness(answer, message):
    with pytest.raises(Wrong, match=message):
        same_draws(answer, np.ones((4, 4)), 0.5, seed=3, rng_at=2, what="dropout")


def test_same_draws_catches_an_answer_that_reads_the_global_generator_without_moving_it():
    def peeks(x, rate, rng):  # the same every time only if NumPy's global state is
        return x * np.random.get_state()[1][0] % 7

    with pytest.raises(Wrong, match="seeded alike gave different results"):
        same_draws(peeks, np.ones(3), 0.5, seed=3, rng_at=2, what="x")


def test_same_draws_returns_the_result_of_a_seeded_answer_and_restores_the_globals():
    np.random.seed(5)
    before = np.random.get_state()[1].copy()
    out = same_draws(good_dropout, np.ones((4, 4)), 0.5, seed=3, rng_at=2, what="dropout")
    assert np.array_equal(out, good_dropout(np.ones((4, 4)), 0.5, np.random.default_rng(3)))
    assert np.array_equal(np.random.get_state()[1], before)


# ---------------------------------------------------------------- conversions


class AlwaysEqual:
    "An answer that claims to equal everything."

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__


@pytest.mark.parametrize("convert", [as_array, as_number, as_int, as_bool])
def test_an_object_that_equals_everything_is_not_a_number(convert):
    with pytest.raises(Wrong):
        convert(AlwaysEqual(), "x")


@pytest.mark.parametrize("expected", [3, 3.0, True, "a", None, (1, 2), [1.0], {"a": 1}, np.arange(3)])
def test_expect_equal_never_trusts_the_answers_own_equality(expected):
    with pytest.raises(Wrong):
        expect_equal(AlwaysEqual(), expected)


def test_as_number_accepts_numbers_and_one_element_arrays():
    assert as_number(np.float32(2.5), "x") == 2.5 and as_number(np.array([[3]]), "x") == 3.0
    assert as_number(7, "x") == 7.0
    with pytest.raises(Wrong, match=r"^x is True, a truth value, not a number$"):
        as_number(True, "x")
    with pytest.raises(Wrong, match="one number was expected"):
        as_number([1, 2], "x")


def test_as_array_names_what_is_not_numbers():
    with pytest.raises(Wrong, match=r"^x is None: did you forget to `return` it\?$"):
        as_array(None, "x")
    with pytest.raises(Wrong, match=r"^x is the text '1\.0', not a number: leave out the quotes$"):
        as_array("1.0", "x")
    with pytest.raises(Wrong, match=r"which is not a number or an array of numbers$"):
        as_array([[1, 2], [3]], "x")
    with pytest.raises(Wrong, match=r"which is not a number or an array of numbers$"):
        as_array(["abc"], "x")
    a = np.ones(2)
    assert as_array(a, "x") is not a, "a new array: the answer's own array is never changed"


def test_as_int_accepts_whole_floats_only():
    assert as_int(391.0, "n") == 391 and as_int(np.int64(4), "n") == 4
    with pytest.raises(Wrong, match=r"^n is 390\.5, not a whole number$"):
        as_int(390.5, "n")


def test_as_bool_wants_true_or_false():
    assert as_bool(np.bool_(True), "b") is True
    with pytest.raises(Wrong, match=r"^b should be True or False, got 1$"):
        as_bool(1, "b")


def test_fmt_renderings():
    assert ex._fmt(np.arange(21)) == "array of shape (21,): [ 0,  1,  2, ..., 18, 19, 20]"
    assert (
        ex._fmt(np.array([0.123456, 1e-10, 100.0]))
        == "array of shape (3,): [  0.1235,   0.    , 100.    ]"
    )
    assert ex._fmt(np.zeros((2, 3)), short=True) == "an array of shape (2, 3)"
    assert ex._fmt([1, 2], short=True) == "a list of length 2"
    assert (
        ex._fmt(28901376.0) == "28901376"
        and ex._fmt(1e15) == "1e+15"
        and ex._fmt(0.1234567891) == "0.123457"
    )
    assert ex._fmt(np.int64(3)) == "3" and ex._fmt(np.bool_(True)) == "True" and ex._fmt("a") == "'a'"
    assert ex._fmt("x" * 300).endswith("...") and len(ex._fmt("x" * 300)) == 200


# ---------------------------------------------------------------- expect_close and expect_equal


def test_expect_close_tolerances_at_their_boundaries():
    expect_close(1e-8, 0.0)
    expect_close(1e6 + 10.0, 1e6)
    with pytest.raises(Wrong, match=r"^the result is 1\.5e-08, which is not right$"):
        expect_close(1.5e-8, 0.0)
    with pytest.raises(Wrong, match=r"^the result is 1000015, which is not right$"):
        expect_close(1e6 + 15.0, 1e6)


def test_expect_close_keeps_the_expected_value_out_of_the_message():
    with pytest.raises(Wrong) as info:
        expect_close([10.0, 1.5], [10.0, 1.0], "y")
    assert (
        str(info.value)
        == "y is array of shape (2,): [10. ,  1.5]: wrong at index (1,) and maybe elsewhere"
    )
    assert np.array_equal(info.value.expected, [10.0, 1.0])
    with pytest.raises(Wrong) as info:
        expect_close([[5.0, -3.0], [5.0, np.nan]], [[5.0, 0.0], [5.0, 5.0]])
    assert "wrong at index (1, 1)" in str(info.value)


def test_expect_close_names_a_shape_and_refuses_nan():
    with pytest.raises(Wrong, match=r"^the result has shape \(2,\), not the expected shape \(2, 1\)$"):
        expect_close([1.0, 2.0], [[1.0], [2.0]])
    with pytest.raises(Wrong, match="is nan, which is not right"):
        expect_close(math.nan, math.nan)


def test_expect_equal_on_each_kind():
    expect_equal([1, 2], np.array([1, 2]))
    expect_equal(np.array([1.0, 2.0]), np.array([1, 2]))
    expect_equal((1, [2, 3]), (1, (2, 3)))
    expect_equal({"a": 1, "b": (2,)}, {"b": (2,), "a": 1})
    expect_equal(np.True_, True)
    expect_equal(4.0, 4)
    expect_equal("a", "a")
    expect_equal(None, None)
    expect_equal(0.5, 0.5)
    for got, expected, message in [
        (np.zeros(3), np.zeros((3, 1)), r"has shape \(3,\), not the expected shape \(3, 1\)"),
        (np.array([1, 3]), np.array([1, 2]), r"is array of shape \(2,\): \[1, 3\], which is not right"),
        ((1, 2, 3), (1, 2), "should be 2 items"),
        ((1, 3), (1, 2), r"^item 1 of the result is 3, which is not right$"),
        ({"a": 1}, {"b": 1}, r"should be a dict with the keys \['b'\]"),
        ({"a": 2}, {"a": 1}, r"^the result\['a'\] is 2, which is not right$"),
        ("a", "b", r"^the result is 'a', which is not right$"),
        (0, None, "is 0, which is not right"),
        (1, True, "should be True or False"),
        (False, True, "is False, which is not right"),
        (0.25, 0.5, "is 0.25, which is not right"),
        (3.5, 3, "not a whole number"),
    ]:
        with pytest.raises(Wrong, match=message):
            expect_equal(got, expected)


def test_expect_equal_keeps_the_expected_value():
    with pytest.raises(Wrong) as info:
        expect_equal(3, 2)
    assert info.value.expected == 2


def test_random_cases_are_the_same_on_every_run():
    default = [r.random() for r in random_cases()]
    assert len(default) == 20 and default == [r.random() for r in random_cases(20, 0)]
    assert default != [r.random() for r in random_cases(20, 1)]
    assert len(set(default)) == 20 and list(random_cases(0)) == []


# ---------------------------------------------------------------- exercises as data


def test_function_exercise_computes_the_expected_values_before_the_answer_runs(registry, monkeypatch):
    order = []

    def reference(x):
        order.append("reference")
        return x + 1

    def answer(x):
        order.append("answer")
        return x + 1

    function_exercise("zz.1", "inc", reference=reference, cases=[(1,), (2,)], hint="h")
    assert grade("zz.1", answer).passed
    assert order == ["reference", "reference", "answer", "answer"]


def test_function_exercise_draws_its_cases_from_a_function(registry):
    calls = []
    function_exercise(
        "zz.1",
        "inc",
        reference=lambda x: x + 1,
        hint="h",
        cases=lambda: calls.append(1) or [(1.0,), (2.0,)],
    )
    assert grade("zz.1", lambda x: x + 1).cases == 2 and calls == [1]


def test_function_exercise_messages(registry):
    function_exercise(
        "zz.1",
        "vec",
        reference=lambda x: np.asarray(x) * 2,
        cases=[(np.arange(3.0),)],
        hint="h",
        describe=lambda x: f"double({x.tolist()})",
        mistakes=[(lambda x: np.asarray(x) + 2, "you added 2")],
    )
    assert grade("zz.1", lambda x: x + 2).message == "double([0.0, 1.0, 2.0]): you added 2"
    verdict = grade("zz.1", lambda x: x * 3)
    assert (
        verdict.message
        == "double([0.0, 1.0, 2.0]) is array of shape (3,): [0., 3., 6.]: wrong at index "
        "(2,) and maybe elsewhere"
    )
    assert np.array_equal(verdict.expected, [0.0, 2.0, 4.0])
    assert grade("zz.1", lambda x: (x * 2)[:, None]).message.endswith("not the expected shape (3,)")


def test_function_exercise_default_description_and_flat_shapes(registry):
    function_exercise(
        "zz.1", "col", reference=lambda x: x[:, 0], cases=[(np.ones((2, 1)),)], hint="h", shape="flat"
    )
    assert grade("zz.1", lambda x: x.copy()).passed  # (2, 1) for (2,): the same numbers in order
    assert grade("zz.1", lambda x: x[:1]).message.startswith("<lambda>(array of shape (2, 1)")


def test_a_mistake_that_raises_is_no_match(registry):
    function_exercise(
        "zz.1",
        "inc",
        reference=lambda x: x + 1,
        cases=[(1.0,)],
        hint="h",
        mistakes=[(lambda x: 1 / 0, "never"), (lambda x: [x, x], "never")],
    )
    assert grade("zz.1", lambda x: x).message == "<lambda>(1) is 1, which is not right"


def test_value_exercise(registry):
    value_exercise(
        "zz.1",
        "v",
        answer=0.5,
        hint="h",
        what="your output",
        atol=1e-3,
        mistakes=[(-0.5, "the sign is wrong")],
    )
    assert grade("zz.1", 0.5004).passed
    assert grade("zz.1", -0.5).message == "the sign is wrong"
    assert grade("zz.1", 0.6).message == "your output is 0.6, which is not right"
    assert grade("zz.1", [0.5, 0.5]).message.startswith("your output has shape (2,)")
    assert grade("zz.1", ...).text(reveal=True).endswith("Expected: 0.5")


@pytest.mark.parametrize("answer", ["b", "B", " b ", "(b)", "b)", "(B) "])
def test_letter_accepts_the_usual_spellings(answer):
    assert letter(answer, "abc") == "b"


@pytest.mark.parametrize("answer", ["d", "ab", "", 2, None, ["b"]])
def test_letter_refuses_anything_else(answer):
    with pytest.raises(Wrong, match=r"answer with one letter out of 'a', 'b', 'c'"):
        letter(answer, "abc")


def test_choice_exercise_explains_without_naming_the_right_letter(registry):
    choice_exercise("zz.1", "c", answer="b", options="abc", hint="h", why={"a": "a is about speed"})
    assert grade("zz.1", "B").passed
    assert grade("zz.1", "a").message == "(a) is not right: a is about speed"
    assert grade("zz.1", "c").message == "(c) is not right: look again at what each statement claims"
    assert grade("zz.1", "c").text(reveal=True).endswith("Expected: b")


# ---------------------------------------------------------------- untouched cells


def _dots(x): ...  # the learner's cell as it is given


def _docstring_and_pass(x):
    "Square x."
    pass


def _returns_text(x):
    return "..."


class _Blank:
    def forward(self, x): ...


class _HalfDone:
    def forward(self, x):
        return x

    def backward(self, d): ...


class _NoMethods:
    pass


class _Done:
    def forward(self, x):
        return x


class _OnlyAnAttribute:
    alpha = 0.01


@pytest.mark.parametrize(
    "answer",
    [
        None,
        ...,
        _dots,
        _docstring_and_pass,
        _Blank,
        _HalfDone,
        _NoMethods,
        (..., ...),
        [1, ...],
        (1, ...),
    ],
)
def test_untouched_answers(answer):
    assert not_attempted(answer)


@pytest.mark.parametrize(
    "answer",
    [
        0,
        (),
        [1, 2],
        "...",
        _returns_text,
        _Done,
        _OnlyAnAttribute,
        len,
        lambda x: x,
        np.zeros(2),
        [[...]],
    ],
)
def test_answers_with_a_body(answer):
    "(`lambda x: None` compiles to what `...` does, so it counts as untouched; nobody writes it as an answer)"
    assert not not_attempted(answer)


def test_an_untouched_answer_never_reaches_the_checker(registry):
    calls = []
    exercise("zz.1", "blank")(lambda a: calls.append(a))
    assert grade("zz.1", _dots).status == "not attempted" and calls == []
    assert grade("zz.1", _Done).passed and calls == [_Done]


# ---------------------------------------------------------------- tampering


def test_replacing_a_numpy_function_stops_the_grading(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    verdict = grade("90.1", lambda x: 2 * x)
    assert verdict.status == "error" and verdict.message.startswith(
        "numpy.allclose was replaced in this session"
    )
    assert "restart the kernel" in verdict.message


@pytest.mark.parametrize(
    "module, name",
    [(math, "isclose"), (np, "array_equal"), (np.random, "get_state"), (random, "getstate")],
)
def test_replacing_any_watched_function_is_seen(monkeypatch, module, name):
    monkeypatch.setattr(module, name, lambda *a, **k: True)
    assert grade("90.1", lambda x: x * x).status == "error"


def test_replacing_a_builtin_the_checkers_use_is_seen(monkeypatch):
    import builtins

    monkeypatch.setattr(builtins, "abs", lambda x: 0)
    assert "builtins.abs was replaced" in grade("90.1", lambda x: x * x).message


def test_replacing_a_name_of_a_checker_module_is_seen(monkeypatch):
    import nnfs.exercises_00_06 as group

    exercises("00")
    monkeypatch.setattr(group, "expect_close", lambda *a, **k: None)
    assert "nnfs.exercises_00_06.expect_close was replaced" in grade("00.1", 0.75).message


def test_an_answer_that_patches_numpy_while_it_runs_does_not_pass(monkeypatch):
    original = np.allclose

    def cheat(x):
        np.allclose = lambda *a, **k: True
        return 0

    try:
        verdict = grade("90.1", cheat)
    finally:
        np.allclose = original
    assert not verdict.passed


def test_replacing_a_checker_in_the_registry_is_seen(monkeypatch):
    exercises("04")
    entry = ex._REGISTRY["04.1"]
    monkeypatch.setitem(ex._REGISTRY, "04.1", ex.Exercise("04.1", entry.title, lambda a: 1, entry.hint))
    verdict = grade("04.1", lambda x, alpha=0.01: x)
    assert verdict.status == "error" and "the checker of exercise 04.1 was replaced" in verdict.message


def test_an_exercise_object_of_another_kind_is_seen(monkeypatch):
    class Fake(ex.Exercise):
        pass

    entry = ex._REGISTRY["90.1"]
    monkeypatch.setitem(ex._REGISTRY, "90.1", Fake(*vars(entry).values()))
    assert grade("90.1", lambda x: x * x).status == "error"


def test_the_exercise_records_are_frozen():
    with pytest.raises(Exception):
        ex._REGISTRY["90.1"].checker = lambda a: 1


# ---------------------------------------------------------------- the test of the reference solutions


def _lesson(tmp_path, reference, learner='def f(x):\n    ...\n\ncheck("zz.1", f)', extra=()):
    cells = [
        {"cell_type": "markdown", "source": ["## Exercises\n"]},
        {"cell_type": "code", "source": [learner], "outputs": []},
        {
            "cell_type": "markdown",
            "source": [
                "<details><summary>Reference solution (open it after you have tried)</summary>\n\n"
                f"```python\n{reference}\n```\n\n</details>"
            ],
        },
        *extra,
    ]
    (tmp_path / "zz_lesson.ipynb").write_text(json.dumps({"cells": cells}))


@pytest.fixture
def zz(registry, tmp_path, monkeypatch):
    function_exercise("zz.1", "double", reference=lambda x: 2 * x, cases=[(1.0,), (3.0,)], hint="h")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IN_TEST", "1")
    monkeypatch.setattr(ex, "_SESSION", [])
    return tmp_path


def _learner_namespace():
    ns = {"check": check}
    exec("def f(x):\n    ...\n", ns)
    return ns


def test_references_do_nothing_outside_nbdev_test(zz, monkeypatch):
    monkeypatch.delenv("IN_TEST")
    ns = {}
    assert check.references("zz", ns) is None and ns == {}


def test_references_run_each_solution_silently_in_a_copy(zz, capsys):
    _lesson(zz, 'def f(x):\n    print("shown?")\n    return 2 * x\n\nprint(f(2))\ncheck("zz.1", f)')
    ns = _learner_namespace()
    before = dict(ns)
    check.references("zz", ns)
    assert ns == before, "the learner's names are untouched"
    assert capsys.readouterr().out == ""


def test_references_fail_on_a_wrong_solution(zz):
    _lesson(zz, 'def f(x):\n    return x + 1\n\ncheck("zz.1", f)')
    with pytest.raises(
        AssertionError, match=r"(?s)the reference of zz\.1 fails:.*f\(3\) is 4.*Expected: 6"
    ):
        check.references("zz", _learner_namespace())


def test_references_fail_on_a_solution_that_raises(zz):
    _lesson(zz, 'print("partial output")\n1 / 0\ncheck("zz.1", f)')
    with pytest.raises(AssertionError, match=r"(?s)raised ZeroDivisionError.*partial output"):
        check.references("zz", _learner_namespace())


def test_references_fail_when_a_solution_checks_another_exercise(zz):
    _lesson(zz, 'check("zz.1", lambda x: 2 * x)\ncheck("zz.1", lambda x: 2 * x)')
    with pytest.raises(
        AssertionError, match=r"the reference of zz.1 checks \['zz.1', 'zz.1'\], not it once"
    ):
        check.references("zz", _learner_namespace())


def test_references_fail_when_an_exercise_passed_before(zz):
    _lesson(zz, 'check("zz.1", lambda x: 2 * x)')
    check("zz.1", lambda x: 2 * x)
    with pytest.raises(AssertionError, match=r"exercises \['zz\.1'\] were graded 'passed' before"):
        check.references("zz", _learner_namespace())


def test_references_fail_when_a_learner_name_was_replaced(zz):
    _lesson(zz, 'check("zz.1", lambda x: 2 * x)')
    ns = _learner_namespace()
    ns["f"] = lambda x: 2 * x
    with pytest.raises(AssertionError, match=r"no longer hold their placeholders: \['f'\]"):
        check.references("zz", ns)


def test_references_fail_when_an_exercise_has_no_solution(zz, registry):
    function_exercise("zz.2", "two", reference=lambda x: x, cases=[(1.0,)], hint="h")
    _lesson(zz, 'check("zz.1", lambda x: 2 * x)')
    with pytest.raises(AssertionError, match=r"references for \['zz\.1'\], exercises"):
        check.references("zz", _learner_namespace())


def test_references_put_back_the_random_state_and_close_their_figures(zz):
    plt = pytest.importorskip("matplotlib.pyplot")
    _lesson(
        zz,
        "import matplotlib.pyplot as plt\nimport numpy as np\nimport nnfs\nplt.figure()\n"
        'nnfs.init(5)\nnp.random.seed(5)\ncheck("zz.1", lambda x: 2 * x)',
    )
    nnfs.init(0)
    state = np.random.get_state()[1].copy()
    figures = plt.get_fignums()
    check.references("zz", _learner_namespace())
    assert plt.get_fignums() == figures
    assert np.array_equal(np.random.get_state()[1], state)


def test_references_need_the_lessons_notebook(zz):
    with pytest.raises(AssertionError, match="no single notebook zz_"):
        check.references("zz", {})


def test_reveal_without_a_single_expected_value_says_so(registry):
    "The ladder is the same everywhere: reveal=True answers even where no single value is expected."
    exercise("zz.1", "properties")(lambda a: (_ for _ in ()).throw(Wrong("not random enough")))
    assert grade("zz.1", 1).text(reveal=True).endswith(
        "Expected: no single value here (the exercise grades properties); the reference solution below "
        "shows one right answer.")
    assert "Expected" not in grade("zz.1", 1).text()
