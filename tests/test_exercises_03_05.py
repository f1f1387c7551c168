"""More tests of the exercise checkers of lessons 03-05 (`nnfs.exercises`): the answer-validation messages,
placeholders inside an answer, other valid ways to write an answer, the special messages for plausible
mistakes, and the number of cases a passing verdict reports."""
import numpy as np
import pytest
from exercise_helpers import check

import nnfs
from nnfs.activations import sigmoid, softmax
from nnfs.exercises import _REGISTRY as _EXERCISES
from nnfs.exercises import Wrong


def run(key, answer):
    "Call the checker of `key` directly (a `Wrong` propagates instead of being turned into a verdict)."
    return _EXERCISES[key].checker(answer)


def verdict(key, answer, capsys):
    "Grade `answer` with `check`; return (passed, printed verdict)."
    passed = check(key, answer)
    return passed, capsys.readouterr().out


# ---------------------------------------------------------- reference answers


class LayerDenseRng:
    def __init__(self, n_inputs, n_neurons, rng=None):
        dtype = nnfs.get_dtype()
        self.weights = (0.01 * nnfs.get_rng(rng).standard_normal((n_inputs, n_neurons))).astype(dtype)
        self.biases = np.zeros((1, n_neurons), dtype=dtype)

    def forward(self, inputs):
        self.output = np.asarray(inputs, dtype=self.weights.dtype) @ self.weights + self.biases
        return self.output


class LayerNoWeightsYet:   # the learner's __init__ still holds `pass`
    def __init__(self, n_inputs, n_neurons, rng=None):
        pass


def spiral_points(k, samples, noise):
    r = np.linspace(0, 1, samples)
    t = np.linspace(4 * k, 4 * (k + 1), samples) + 0.2 * noise
    return np.c_[r * np.sin(2.5 * t), r * np.cos(2.5 * t)]


def leaky_relu(x, alpha=0.01):
    return np.where(np.asarray(x) > 0, x, alpha * np.asarray(x))


BUMP = ([[1.0, 1.0, 1.0]], [[0.0, -1.0, -2.0]], [[1.0], [-2.0], [1.0]], [[0.0]])


# ---------------------------------------------------------- 03.1 shapes through two layers


@pytest.mark.parametrize("answer", [((200, 64), (200, 4), (200, 4)), 200, "200, 64"])
def test_03_1_asks_for_a_pair_of_shapes(answer):
    with pytest.raises(Wrong, match=r"expected a pair of shapes \(after the first layer, after the second\)"):
        run("03.1", answer)


@pytest.mark.parametrize("answer", [(..., (200, 4)), ((200, 64), ...), (..., ...)])
def test_03_1_a_placeholder_shape_is_not_attempted(answer, capsys):
    passed, out = verdict("03.1", answer, capsys)
    assert not passed and "not attempted yet" in out


def test_03_1_points_per_class_mistake_is_named():
    with pytest.raises(Wrong, match="makes 50 points for each of the 4 classes: how many samples in all"):
        run("03.1", ((50, 64), (50, 4)))


def test_03_1_accepts_lists_and_arrays_for_shapes():
    assert check("03.1", [[200, 64], [200, 4]], strict=True)
    assert check("03.1", (np.array([200, 64]), np.array([200, 4])), strict=True)


def test_03_1_a_single_shape_gets_a_verdict_not_a_crash(capsys):
    "Regression: (200, 64) crashed the checker on tuple(200) ('your code raised TypeError')."
    passed, out = verdict("03.1", (200, 64), capsys)
    assert not passed
    assert "not yet. expected two shapes, each a tuple such as (2, 3)" in out
    assert "your code raised" not in out


def test_03_1_shapes_as_arrays_are_accepted(capsys):
    assert verdict("03.1", (np.array([200, 64]), [200, 4]), capsys)[0]


# ---------------------------------------------------------- 03.2 a layer with its own generator


@pytest.mark.parametrize("answer", [LayerDenseRng(2, 3),                        # an instance, not the class
                                    lambda n_in, n_out, rng=None: LayerDenseRng(n_in, n_out)])
def test_03_2_asks_for_a_class(answer, capsys):
    with pytest.raises(Wrong, match="expected a class, got"):
        run("03.2", answer)
    passed, out = verdict("03.2", answer, capsys)
    assert not passed and "not yet. expected a class" in out


def test_03_2_a_layer_without_weights_is_not_attempted(capsys):
    passed, out = verdict("03.2", LayerNoWeightsYet, capsys)
    assert not passed and "not attempted yet" in out


def test_03_2_reports_its_case_count(capsys):
    passed, out = verdict("03.2", LayerDenseRng, capsys)
    assert passed and "passed (5 cases)." in out


# ---------------------------------------------------------- 03.3 the spiral formula


def test_03_3_reports_its_case_count(capsys):
    passed, out = verdict("03.3", spiral_points, capsys)
    assert passed and "passed (9 cases)." in out


# ---------------------------------------------------------- 03.4 which dtypes follow the package default


@pytest.mark.parametrize("answer", [(..., np.float64, np.float64, np.uint8, np.float64),
                                    (np.float64, np.float64, np.float64, ..., np.float64)])
def test_03_4_a_placeholder_dtype_is_not_attempted(answer, capsys):
    passed, out = verdict("03.4", answer, capsys)
    assert not passed and "not attempted yet" in out


def test_03_4_accepts_dtype_names_and_python_float():
    assert check("03.4", ["float64", "f8", float, "uint8", np.dtype("float64")], strict=True)


def test_03_4_rejects_none_for_a_dtype(capsys):
    "Regression: np.dtype(None) is float64, so None in the float slots passed."
    assert check("03.4", (None, None, None, np.uint8, None)) is False
    assert "spiral_data features: None is not a dtype" in capsys.readouterr().out


# ---------------------------------------------------------- 04.1 leaky ReLU


def test_04_1_reports_its_case_count(capsys):
    passed, out = verdict("04.1", leaky_relu, capsys)
    assert passed and "passed (12 cases)." in out


# ---------------------------------------------------------- 04.2 a bump from three ReLU neurons


@pytest.mark.parametrize("answer", [BUMP[:3], BUMP + ([[0.0]],), 1.0, "W1, b1, W2, b2"])
def test_04_2_asks_for_four_arrays(answer):
    with pytest.raises(Wrong, match=r"expected four arrays \(W1, b1, W2, b2\)"):
        run("04.2", answer)


@pytest.mark.parametrize("i", range(4))
def test_04_2_a_placeholder_array_is_not_attempted(i, capsys):
    answer = list(BUMP)
    answer[i] = ...
    passed, out = verdict("04.2", tuple(answer), capsys)
    assert not passed and "not attempted yet" in out


@pytest.mark.parametrize("W1,W2", [([1.0, 1.0, 1.0], BUMP[2]),                 # W1 flat, W2 right
                                   ([[1.0], [1.0], [1.0]], BUMP[2]),          # W1 transposed
                                   (BUMP[0], [[1.0, -2.0, 1.0]])])            # W2 transposed
def test_04_2_names_a_wrong_weight_shape(W1, W2):
    message = r"W1 should have shape \(1, 3\) \(1 input, 3 neurons\) and W2 shape \(3, 1\)"
    with pytest.raises(Wrong, match=message):
        run("04.2", (W1, BUMP[1], W2, BUMP[3]))


def test_04_2_accepts_flat_biases():
    assert check("04.2", (BUMP[0], [0.0, -1.0, -2.0], BUMP[2], 0.0), strict=True)


def test_04_2_reports_its_case_count(capsys):
    passed, out = verdict("04.2", BUMP, capsys)
    assert passed and "passed (68 cases)." in out


# ---------------------------------------------------------- 04.3 fitting the output layer by least squares


@pytest.mark.parametrize("answer", [0.0048, (0.0048,), (0.0048, 0.001, 0.001), "0.0048, 0.001"])
def test_04_3_asks_for_a_pair_of_mses(answer):
    with pytest.raises(Wrong, match=r"expected a pair \(hand-set MSE, fitted MSE\)"):
        run("04.3", answer)


@pytest.mark.parametrize("answer", [(..., 0.001), (0.0048, ...)])
def test_04_3_a_placeholder_mse_is_not_attempted(answer, capsys):
    passed, out = verdict("04.3", answer, capsys)
    assert not passed and "not attempted yet" in out


# ---------------------------------------------------------- 04.4 sigmoid from tanh


def test_04_4_reports_its_case_count(capsys):
    passed, out = verdict("04.4", lambda x: 0.5 * (1 + np.tanh(x / 2)), capsys)
    assert passed and "passed (8 cases)." in out


# ---------------------------------------------------------- 05.1 what leaves softmax unchanged


@pytest.mark.parametrize("answer", [True, (True,), (True, False, False), "True, False"])
def test_05_1_asks_for_a_pair_of_booleans(answer):
    with pytest.raises(Wrong, match=r"expected a pair \(adding keeps it: True/False, multiplying keeps it"):
        run("05.1", answer)


@pytest.mark.parametrize("answer", [(..., False), (True, ...)])
def test_05_1_a_placeholder_is_not_attempted(answer, capsys):
    passed, out = verdict("05.1", answer, capsys)
    assert not passed and "not attempted yet" in out


def test_05_1_accepts_numpy_booleans():
    assert check("05.1", (np.True_, np.False_), strict=True)


def test_05_1_messages_name_the_mistake():
    with pytest.raises(Wrong, match="adding a constant: answer True or False, got 1"):
        run("05.1", (1, False))
    with pytest.raises(Wrong, match="does leave its softmax unchanged"):
        run("05.1", (False, False))
    with pytest.raises(Wrong, match="multiplying the scores does change the softmax"):
        run("05.1", (True, True))


# ---------------------------------------------------------- 05.2 and 05.3: softmax variants


def test_05_2_reports_its_case_count(capsys):
    passed, out = verdict("05.2", lambda Z: sigmoid(Z[:, 1] - Z[:, 0]), capsys)
    assert passed and "passed (8 cases)." in out


def test_05_3_reports_its_case_count(capsys):
    passed, out = verdict("05.3", lambda z, T: softmax(np.asarray(z) / T), capsys)
    assert passed and "passed (11 cases)." in out


# ---------------------------------------------------------- 05.4 scores that break a min-shifted softmax


@pytest.mark.parametrize("answer", [np.array([0.0, 800.0]), [0.0, 800.0],      # one row as a 1-D array
                                    np.array([[0.0, 1.0, 2.0], [0.0, 400.0, 800.0]]),   # several rows
                                    np.array([[0, 800]]),                             # integer scores
                                    np.array([[0.0, 100.0]], dtype=np.float32)])      # overflows in float32
def test_05_4_accepts_other_scores_that_overflow(answer):
    assert check("05.4", answer, strict=True)


def test_05_4_large_scores_with_a_small_spread_do_not_break_it():
    with pytest.raises(Wrong, match=r"still works for these scores \(largest spread in a row: 1\)"):
        run("05.4", np.array([[0.0, 1.0], [800.0, 801.0]]))


def test_05_4_a_ragged_answer_is_not_an_array_of_scores(capsys):
    with pytest.raises(Wrong, match="expected an array of scores, got"):
        run("05.4", [[0.0, 800.0], [1.0]])
    passed, out = verdict("05.4", [[0.0, 800.0], [1.0]], capsys)
    assert not passed and "not yet. expected an array of scores" in out


@pytest.mark.parametrize("answer", [np.array([["a", "b"]]), np.array([5.0]), [800.0],
                                    np.array([], dtype=float)])
def test_05_4_asks_for_at_least_two_numeric_scores(answer):
    with pytest.raises(Wrong, match="expected a row of at least two numeric scores"):
        run("05.4", answer)


@pytest.mark.parametrize("answer,spread,limit,dtype", [
    (np.array([0.0, 100.0]), "100", "710", "float64"),
    (np.array([[0.0, 100.0], [0.0, 300.0]]), "300", "710", "float64"),
    ([1, 2, 3], "2", "710", "float64"),                                   # integers are checked as float64
    (np.array([[0.0, 50.0]], dtype=np.float32), "50", "89", "float32"),
])
def test_05_4_says_the_spread_and_the_overflow_limit(answer, spread, limit, dtype):
    with pytest.raises(Wrong, match=rf"\(largest spread in a row: {spread}\); "
                                    rf"exp overflows beyond about {limit} in {dtype}$"):
        run("05.4", answer)
