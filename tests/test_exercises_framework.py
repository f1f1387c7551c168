"""Tests of the framework of the exercise checkers (`nnfs.exercises`): registration with `@exercise`, the
listing `exercises()`, the renderings of `_fmt`, `expect_equal`, `expect_close`, `random_cases`, and the
verdicts `check` prints (passed, not attempted, wrong with expected/got/hint, crashed, strict)."""
import math

import numpy as np
import pytest

from nnfs import exercises as ex_mod
from nnfs.exercises import Wrong, check, exercise, exercises, expect_close, expect_equal, random_cases


@pytest.fixture
def registry(monkeypatch):
    "A private copy of the registry, so that test exercises do not leak into the real one."
    reg = dict(ex_mod._EXERCISES)
    monkeypatch.setattr(ex_mod, "_EXERCISES", reg)
    return reg


# ---------------------------------------------------------------- registration and listing


def test_exercise_decorator_registers_and_returns_the_checker(registry):
    def checker(answer):
        return None

    assert exercise("zz.1", "a test", hint="h")(checker) is checker
    assert registry["zz.1"].title == "a test"
    assert registry["zz.1"].hint == "h"
    assert registry["zz.1"].checker is checker


def test_registering_a_key_twice_raises_naming_it(registry):
    exercise("zz.1", "first")(lambda a: None)
    with pytest.raises(ValueError, match=r"'zz\.1' is registered twice"):
        exercise("zz.1", "second")(lambda a: None)
    assert registry["zz.1"].title == "first"


def test_exercises_of_one_lesson_in_order():
    assert exercises("04") == ["04.1", "04.2", "04.3", "04.4"]
    assert exercises("nope") == []
    everything = exercises()
    assert everything == sorted(everything)
    assert "90.1" in everything and "04.2" in everything


# ---------------------------------------------------------------- _fmt


def test_fmt_short_array_in_full():
    assert ex_mod._fmt(np.arange(20.0)) == (
        "array of shape (20,): [ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13., 14.,\n"
        " 15., 16., 17., 18., 19.]"
    )


def test_fmt_long_array_is_cut_to_three_items_each_end():
    assert ex_mod._fmt(np.arange(21)) == "array of shape (21,): [ 0,  1,  2, ..., 18, 19, 20]"


def test_fmt_array_four_digits_no_scientific_notation():
    got = ex_mod._fmt(np.array([0.123456, 1e-10, 100.0]))
    assert got == "array of shape (3,): [  0.1235,   0.    , 100.    ]"


def test_fmt_scalars():
    assert ex_mod._fmt(0.1234567891) == "0.123457"
    assert ex_mod._fmt(np.float32(2.5)) == "2.5"
    assert ex_mod._fmt(np.int64(3)) == "3"
    assert ex_mod._fmt(np.bool_(True)) == "True"
    assert ex_mod._fmt("a") == "'a'"
    assert ex_mod._fmt([1, 2]) == "[1, 2]"


@pytest.mark.parametrize(
    "x, shown",
    [(28901376.0, "28901376"), (-3.0, "-3"), (0.0, "0"), (1e15, "1e+15"), (2.5e7 + 0.5, "2.5e+07")],
)
def test_fmt_whole_floats_in_full_below_1e15(x, shown):
    assert ex_mod._fmt(x) == shown


# ---------------------------------------------------------------- expect_equal


def test_expect_equal_list_against_array_passes():
    assert expect_equal([1, 2], np.array([1, 2])) is None  # no Wrong raised
    assert expect_equal(np.array([1, 2]), [1, 2]) is None


def test_expect_equal_shape_mismatch_names_the_shapes():
    with pytest.raises(Wrong, match=r"the result has shape \(3,\), expected shape \(3, 1\)"):
        expect_equal(np.zeros(3), np.zeros((3, 1)))


def test_expect_equal_wrong_values():
    with pytest.raises(Wrong, match=r"x is array of shape \(2,\): \[1, 3\], expected array of shape"):
        expect_equal(np.array([1, 3]), np.array([1, 2]), "x")
    with pytest.raises(Wrong, match=r"^the result is 'a', expected 'b'$"):
        expect_equal("a", "b")


# ---------------------------------------------------------------- expect_close


def test_expect_close_absolute_tolerance_boundary():
    expect_close(1e-8, 0.0)  # exactly atol: accepted
    with pytest.raises(Wrong, match=r"the result is 1\.5e-08, expected 0$"):
        expect_close(1.5e-8, 0.0)


def test_expect_close_relative_tolerance_boundary():
    expect_close(1e6 + 10.0, 1e6)  # exactly rtol * 1e6 (+ atol): accepted
    with pytest.raises(Wrong, match=r"the result is 1000015, expected 1000000$"):  # whole numbers in full
        expect_close(1e6 + 15.0, 1e6)


def test_expect_close_shows_every_digit_when_six_cannot_tell_the_numbers_apart():
    with pytest.raises(Wrong, match=r"^the result is 0\.1234567, expected 0\.1234568$"):
        expect_close(0.1234567, 0.1234568, rtol=1e-9)
    with pytest.raises(Wrong, match=r"^the result is 0\.1235, expected 0\.123457$"):
        expect_close(0.1235, 0.1234568)


def test_expect_close_none_says_forgot_return():
    with pytest.raises(Wrong, match=r"^y is None: did you forget to return it\?$"):
        expect_close(None, 1.0, "y")


def test_expect_close_not_a_number():
    with pytest.raises(Wrong, match=r"^the result is \['abc'\], which is not a number or an array of"):
        expect_close(["abc"], 1.0)


@pytest.mark.parametrize("text", ["abc", "1.0", b"1.0"])
def test_expect_close_text_is_not_a_number_even_when_it_reads_as_one(text):
    with pytest.raises(Wrong, match=r"^the result is the text .*1?, not a number: leave out the quotes$"):
        expect_close(text, 1.0)


def test_expect_close_nan_is_not_close_to_nan():
    with pytest.raises(Wrong, match="is nan, expected nan"):
        expect_close(math.nan, math.nan)


def test_expect_close_shape_mismatch():
    with pytest.raises(Wrong, match=r"has shape \(2,\), expected shape \(2, 1\)"):
        expect_close([1.0, 2.0], [[1.0], [2.0]])


def test_expect_close_names_the_index_of_largest_difference():
    with pytest.raises(Wrong, match=r"\(largest difference at index \(1,\)\)$"):
        expect_close([10.0, 1.5], [10.0, 1.0])
    with pytest.raises(Wrong, match=r"\(largest difference at index \(0, 1\)\)$"):
        expect_close([[5.0, -3.0], [5.0, 5.0]], [[5.0, 0.0], [5.0, 5.0]])


# ---------------------------------------------------------------- random_cases


def test_random_cases_defaults_twenty_from_seed_zero():
    default = [r.random() for r in random_cases()]
    assert len(default) == 20
    assert default == [r.random() for r in random_cases(20, 0)]
    assert default != [r.random() for r in random_cases(20, 1)]


def test_random_cases_reproducible_and_independent():
    a = [r.random() for r in random_cases(3, seed=5)]
    assert a == [r.random() for r in random_cases(3, seed=5)]
    assert len(set(a)) == 3
    assert list(random_cases(0)) == []


# ---------------------------------------------------------------- check


def test_check_unknown_key_lists_the_known_ones():
    with pytest.raises(KeyError, match=r"no exercise 'zz\.9'; known exercises: .*90\.1"):
        check("zz.9", 1)


def test_check_unknown_key_with_empty_registry(monkeypatch):
    monkeypatch.setattr(ex_mod, "_EXERCISES", {})
    with pytest.raises(KeyError, match=r"no exercise 'zz\.9'; known exercises: none"):
        check("zz.9", 1)


@pytest.mark.parametrize("answer", [None, ...])
def test_check_placeholder_is_not_attempted(answer, capsys):
    assert check("90.1", answer) is False
    assert capsys.readouterr().out == (
        "Exercise 90.1 (square a number): not attempted yet. "
        "Fill in the cell above, then run this check again.\n"
    )


def _dots(x):
    ...  # the learner's cell as it is given


def _docstring_and_pass(x):
    "Square x."
    pass


def _returns_none(x):
    return None


def _returns_zero(x):
    return 0


def _returns_text(x):
    return "..."


class _Blank:
    def forward(self, x):
        ...

    def backward(self, d):
        ...


class _HalfDone:
    def forward(self, x):
        return x

    def backward(self, d):
        ...


class _NoMethods:
    pass


class _Done:
    def __init__(self, slope=0.01):
        self.slope = slope

    def forward(self, x):
        return x


class _OnlyAnAttribute:
    alpha = 0.01


@pytest.mark.parametrize(
    "answer", [_dots, _docstring_and_pass, _returns_none, _Blank, _NoMethods, _HalfDone]
)
def test_an_untouched_cell_is_not_attempted_and_the_checker_does_not_run(answer, registry, capsys):
    "A function whose body is `...` (or a class with such a method) is the cell as given: not 'not yet'."
    calls = []
    exercise("zz.1", "blank", hint="h")(lambda a: calls.append(a))
    assert check("zz.1", answer) is False
    assert calls == []
    assert capsys.readouterr().out == (
        "Exercise zz.1 (blank): not attempted yet. Fill in the cell above, then run this check again.\n"
    )


@pytest.mark.parametrize("answer", [_returns_zero, _returns_text, _Done, _OnlyAnAttribute, len, abs])
def test_an_answer_with_a_body_is_graded(answer, registry, capsys):
    calls = []
    exercise("zz.1", "graded")(lambda a: calls.append(a))
    assert check("zz.1", answer) is True
    assert calls == [answer]


def test_the_untouched_lesson_18_cells_are_not_attempted(capsys):
    def array_headers(path):
        ...  # return {name: (dtype, shape)} for each array in the .npz file

    assert check("18.1", array_headers) is False
    assert "18.1 (read the headers of an .npz file): not attempted yet." in capsys.readouterr().out

    from nnfs.layers import Layer

    class LeakyReLU(Layer):
        ...  # your code here

    assert check("18.2", LeakyReLU) is False
    assert "18.2 (a saveable LeakyReLU layer): not attempted yet." in capsys.readouterr().out


def test_check_function_returning_none_is_not_attempted(capsys):
    assert check("04.4", lambda x: None) is False
    assert "Exercise 04.4 (sigmoid from tanh): not attempted yet." in capsys.readouterr().out


def test_check_not_a_function(capsys):
    assert check("04.4", 3) is False
    assert "not yet. expected a function, got 3\nHint: " in capsys.readouterr().out


def test_check_not_implemented_is_not_attempted(capsys):
    def square(x):
        raise NotImplementedError

    assert check("90.1", square) is False
    assert "90.1 (square a number): not attempted yet." in capsys.readouterr().out


def test_check_right_answer_prints_the_number_of_cases(capsys):
    assert check("90.1", lambda x: x * x) is True
    assert capsys.readouterr().out == "\u2713 Exercise 90.1 (square a number): passed (10 cases).\n"


@pytest.mark.parametrize("bad_x", [0.0, 1.0, -2.0, 0.5])
def test_check_wrong_at_one_point_fails_with_expected_got_and_hint(bad_x, capsys):
    def square(x):
        return x * x + (1.0 if x == bad_x else 0.0)

    assert check("90.1", square) is False
    out = capsys.readouterr().out
    assert out == (
        f"\u2717 Exercise 90.1 (square a number): not yet. your function at x={bad_x:g} is "
        f"{bad_x * bad_x + 1:g}, expected {bad_x * bad_x:g}\n"
        "Hint: multiply the number by itself: x * x\n"
    )


def test_check_strict_raises_with_the_verdict(capsys):
    with pytest.raises(AssertionError, match=r"not yet\. your function at x=0 is 1, expected 0"):
        check("90.1", lambda x: x * x + 1, strict=True)
    assert check("90.1", lambda x: x * x, strict=True) is True


def test_check_crashing_code_is_reported_not_raised(capsys):
    def square(x):
        raise ZeroDivisionError("boom")

    assert check("90.1", square) is False
    assert capsys.readouterr().out.startswith(
        "\u2717 Exercise 90.1 (square a number): your code raised ZeroDivisionError: boom\nHint: multiply"
    )


def test_check_without_hint_prints_no_hint_line(registry, capsys):
    @exercise("zz.1", "no hint")
    def _checker(answer):
        expect_equal(answer, 2)

    assert check("zz.1", 3) is False
    assert capsys.readouterr().out == "\u2717 Exercise zz.1 (no hint): not yet. the result is 3, expected 2\n"
    assert check("zz.1", 2) is True
    assert capsys.readouterr().out == "\u2713 Exercise zz.1 (no hint): passed.\n"


# ---------------------------------------------------------------- a forgotten return is not "not attempted"


def forgot(*args):
    "A body that does something but never returns: the learner forgot `return`."
    args  # noqa: B018


@pytest.mark.parametrize("key", ["00.3", "09.1", "11.1", "15.1", "16.1", "17.1", "22.2"])
def test_a_function_that_forgets_return_is_told_so(key, capsys):
    assert check(key, forgot) is False
    out = capsys.readouterr().out
    assert "not yet. forgot returned None: did you forget to return?" in out and "not attempted" not in out


def test_a_layer_whose_forward_forgets_return_is_told_so(capsys):
    from nnfs.layers import Layer

    class Tanh:
        def forward(self, inputs, training=True):
            self.output = np.tanh(inputs)

        def backward(self, dvalues):
            return dvalues * (1 - self.output**2)

    class LeakyReLU(Layer):
        def __init__(self, slope=0.01):
            self.slope = slope

        def config(self):
            return {"slope": self.slope}

        def forward(self, inputs, training=True):
            self.inputs = inputs

        def backward(self, dvalues):
            return np.where(self.inputs > 0, dvalues, self.slope * dvalues)

    for key, answer in (("07.3", Tanh), ("08.1", LeakyReLU)):
        assert check(key, answer) is False
        out = capsys.readouterr().out
        assert "not yet. forward returned None: did you forget to return the output?" in out


def test_a_layer_without_weights_is_told_so(capsys):
    from nnfs.layers import Dense

    class NoWeights(Dense):
        def __init__(self, n_inputs, n_neurons, rng=None):
            self.rng = rng

    assert check("03.2", NoWeights) is False
    assert "not yet. NoWeights(...) has no weights: set self.weights in __init__" in capsys.readouterr().out


def test_21_2_called_directly_on_an_untouched_cell_is_not_implemented():
    "`check` never hands an untouched cell to a checker; called directly, 21.2 still says it is not done."

    def momentum_step(p, g, v, scratch, lr, mu):
        ...

    with pytest.raises(NotImplementedError):
        ex_mod._EXERCISES["21.2"].checker(momentum_step)
