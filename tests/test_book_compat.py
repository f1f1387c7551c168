"""The NNFS book's code, run on nnfs-course, prints the book's numbers.

The book's chapter scripts start with `nnfs.init()` and take their data from `nnfs.datasets`; everything else
they write themselves with NumPy (`0.01 * np.random.randn(...)` weights, forward passes, a loss). The short
scripts below are written in that style, with the same calls in the same order, and assert the numbers that
the book's own helper package prints: the layer outputs of chapter 3, the softmax outputs of chapter 4, the
loss of chapter 5, the loss, accuracy and gradients of chapter 9, and the first epoch's line of the training
chapters 10, 14, 16 and 17. They also pin the data byte for byte and the rules of the book's way (`init`'s
seed "book"): the lessons' `nnfs.init(0)` and an explicit `rng=` keep the package's generator.

Where the expected numbers come from (run outside the project, not in CI): a separate virtual environment
with the book's helper, `python -m venv bookvenv && bookvenv/bin/pip install nnfs==0.5.1 numpy==2.4.6`, ran
the book's scripts `Chapter_N/ChN_Final.py` of the public repository Sentdex/nnfs_book unchanged; the numbers
they print are copied below. For the training chapters the first epoch's numbers were printed in full by the
same scripts run for one epoch, with `:.3f` replaced by `!r` in their print calls:

    sed 's/range(10001)/range(1)/; s/:\\.3f}/!r}/g' Chapter_10/Ch10_Final.py > probe10.py

The data hashes are SHA-256 of the arrays' bytes, made by the helper after `nnfs.init()` with the calls in
`BOOK_DATA`.

Tolerances: the helper computes in float32 (it casts `np.random.randn` to float32 and rounds every `np.dot`
to float32), nnfs-course in float64, so printed numbers agree to float32 precision: `rtol=1e-6` (observed:
below 1e-7). The one exception is chapter 9's gradients: each is a sum of 300 float32 terms of about 1e-3,
whose rounding in the helper reaches about 1e-7 absolute (observed: 8e-8 for the second layer's biases)."""

import hashlib

import numpy as np
import pytest

import nnfs
from nnfs.core import get_seed
from nnfs.datasets import sine_data, spiral_data, vertical_data

RTOL = 1e-6
GRAD_ATOL = 2e-7

# ------------------------------------------------------------------ the numbers the book's helper prints

CH3_OUTPUT = [[0.0000000e00, 0.0000000e00, 0.0000000e00],
              [-1.0475188e-04, 1.1395361e-04, -4.7983500e-05],
              [-2.7414842e-04, 3.1729150e-04, -8.6921798e-05],
              [-4.2188365e-04, 5.2666257e-04, -5.5912682e-05],
              [-5.7707680e-04, 7.1401405e-04, -8.9430439e-05]]
CH4_SOFTMAX = [[0.33333334, 0.33333334, 0.33333334],
               [0.3333332, 0.3333332, 0.33333364],
               [0.3333329, 0.33333293, 0.3333342],
               [0.3333326, 0.33333263, 0.33333477],
               [0.33333233, 0.3333324, 0.33333528]]
CH5_LOSS = 1.0986104
CH9_ACCURACY = 0.34
CH9_DWEIGHTS1 = [[1.5766357e-04, 7.8368583e-05, 4.7324400e-05],
                 [1.8161038e-04, 1.1045573e-05, -3.3096312e-05]]
CH9_DBIASES1 = [[-3.60553473e-04, 9.66117223e-05, -1.03671395e-04]]
CH9_DWEIGHTS2 = [[5.44109462e-05, 1.07411419e-04, -1.61822361e-04],
                 [-4.07913431e-05, -7.16780924e-05, 1.12469446e-04],
                 [-5.30112993e-05, 8.58172934e-05, -3.28059905e-05]]
CH9_DBIASES2 = [[-1.0729185e-05, -9.4610732e-06, 2.0027859e-05]]

# first epoch: (the printed line, then accuracy, loss, data loss and regularization loss in full)
FIRST_EPOCH = {
    10: ("epoch: 0, acc: 0.360, loss: 1.099, lr: 0.05", 0.36, 1.0985943, 1.0985943, 0.0),
    14: ("epoch: 0, acc: 0.360, loss: 1.099 (data_loss: 1.099, reg_loss: 0.000), lr: 0.02",
         0.36, 1.0986005, 1.0985943, 6.1487176e-06),
    16: ("epoch: 0, acc: 0.500, loss: 0.693 (data_loss: 0.693, reg_loss: 0.000), lr: 0.001",
         0.5, 0.693155, 0.6931494, 5.625688e-06),
    17: ("epoch: 0, acc: 0.003, loss: 0.496 (data_loss: 0.496, reg_loss: 0.000), lr: 0.005",
         0.003, 0.4964391091498977, 0.4964391091498977, 0.0),
}

# the data, byte for byte: (SHA-256 prefix, dtype) of X and of y
BOOK_DATA = {
    "spiral_data(samples=100, classes=3)": (("ce93f1d0d63e477e04d5e149c49fa550", "float32"),
                                            ("7508b74b341a363668da8a71cce509b8", "uint8")),
    "spiral_data(samples=100, classes=2)": (("3f4e8c54699527a43c599fc09a2784e2", "float32"),
                                            ("6e6d24a65acd5935c0220407efadb384", "uint8")),
    "vertical_data(samples=100, classes=3)": (("223606dae4955350e468b87347f0672b", "float32"),
                                              ("7508b74b341a363668da8a71cce509b8", "uint8")),
    "sine_data()": (("01ee92da61cd90712f1172ec47e93dfb", "float64"),
                    ("42bd923beeb646080ad6957de6dd3a08", "float64")),
}


BOOK_CALLS = {
    "spiral_data(samples=100, classes=3)": lambda: spiral_data(samples=100, classes=3),
    "spiral_data(samples=100, classes=2)": lambda: spiral_data(samples=100, classes=2),
    "vertical_data(samples=100, classes=3)": lambda: vertical_data(samples=100, classes=3),
    "sine_data()": lambda: sine_data(),
}


def _fingerprint(a: np.ndarray) -> tuple[str, str]:
    return hashlib.sha256(a.tobytes()).hexdigest()[:32], str(a.dtype)


@pytest.mark.parametrize("call", BOOK_DATA)
def test_book_data_byte_for_byte(call):
    "After `nnfs.init()`, each toy data set returns the helper's arrays: the same bytes and dtypes."
    nnfs.init()
    X, y = BOOK_CALLS[call]()
    assert (_fingerprint(X), _fingerprint(y)) == BOOK_DATA[call]


# ------------------------------------------------------------------ chapters 3-9, in the book's style

def _dense(n_inputs, n_neurons, scale=0.01):
    "A layer's parameters the book's way: weights drawn with NumPy's global generator, biases zero."
    return scale * np.random.randn(n_inputs, n_neurons), np.zeros((1, n_neurons))


def _softmax(z):
    exp = np.exp(z - np.max(z, axis=1, keepdims=True))
    return exp / np.sum(exp, axis=1, keepdims=True)


def _crossentropy(probs, y):
    return np.mean(-np.log(np.clip(probs, 1e-7, 1 - 1e-7)[range(len(probs)), y]))


def _chapter_4_network():
    "Chapters 4-9: spiral data, Dense(2, 3), ReLU, Dense(3, 3), softmax."
    nnfs.init()
    X, y = spiral_data(samples=100, classes=3)
    (w1, b1), (w2, b2) = _dense(2, 3), _dense(3, 3)
    z1 = np.dot(X, w1) + b1
    a1 = np.maximum(0, z1)
    probs = _softmax(np.dot(a1, w2) + b2)
    return X, y, (w1, w2), (z1, a1), probs


def test_chapter_3_layer_outputs():
    nnfs.init()
    X, y = spiral_data(samples=100, classes=3)
    weights, biases = _dense(2, 3)
    output = np.dot(X, weights) + biases
    np.testing.assert_allclose(output[:5], CH3_OUTPUT, rtol=RTOL, atol=0)


def test_chapters_4_and_5_softmax_and_loss():
    _, y, _, _, probs = _chapter_4_network()
    np.testing.assert_allclose(probs[:5], CH4_SOFTMAX, rtol=RTOL, atol=0)
    assert _crossentropy(probs, y) == pytest.approx(CH5_LOSS, rel=RTOL)


def test_chapter_9_loss_accuracy_and_gradients():
    X, y, (w1, w2), (z1, a1), probs = _chapter_4_network()
    assert _crossentropy(probs, y) == pytest.approx(CH5_LOSS, rel=RTOL)
    assert np.mean(np.argmax(probs, axis=1) == y) == CH9_ACCURACY
    dz2 = probs.copy()                       # softmax and cross-entropy together: (probs - one-hot) / N
    dz2[range(len(y)), y] -= 1
    dz2 /= len(y)
    da1 = np.dot(dz2, w2.T)
    dz1 = np.where(z1 > 0, da1, 0.0)        # ReLU passes the gradient where its input was positive
    for got, book in [(np.dot(X.T, dz1), CH9_DWEIGHTS1), (dz1.sum(axis=0, keepdims=True), CH9_DBIASES1),
                      (np.dot(a1.T, dz2), CH9_DWEIGHTS2), (dz2.sum(axis=0, keepdims=True), CH9_DBIASES2)]:
        np.testing.assert_allclose(got, book, rtol=RTOL, atol=GRAD_ATOL)


# ------------------------------------------------------------------ the training chapters' first epoch

def _l2(weights, l2=5e-4):
    "Chapters 14 and 16: L2 on the first layer's weights and biases (the biases are still zero)."
    return l2 * np.sum(weights * weights)


def _first_epoch(chapter):
    "Accuracy, data loss, regularization loss and learning rate before the first update, the book's way."
    nnfs.init()
    if chapter in (10, 14):                  # three spiral classes, Dense(2, 64), ReLU, Dense(64, 3), softmax
        X, y = spiral_data(samples=100, classes=3)
        (w1, b1), (w2, b2) = _dense(2, 64), _dense(64, 3)
        probs = _softmax(np.dot(np.maximum(0, np.dot(X, w1) + b1), w2) + b2)
        accuracy, data_loss = np.mean(np.argmax(probs, axis=1) == y), _crossentropy(probs, y)
        return accuracy, data_loss, (_l2(w1) if chapter == 14 else 0.0), (0.05 if chapter == 10 else 0.02)
    if chapter == 16:                        # two spiral classes, one sigmoid output, binary cross-entropy
        X, y = spiral_data(samples=100, classes=2)
        y = y.reshape(-1, 1)
        (w1, b1), (w2, b2) = _dense(2, 64), _dense(64, 1)
        p = 1 / (1 + np.exp(-(np.dot(np.maximum(0, np.dot(X, w1) + b1), w2) + b2)))
        p = np.clip(p, 1e-7, 1 - 1e-7)
        data_loss = np.mean(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)), axis=-1))
        return np.mean((p > 0.5) * 1 == y), data_loss, _l2(w1), 0.001
    X, y = sine_data()                       # chapter 17: regression, weights 0.1 * randn, three layers
    (w1, b1), (w2, b2), (w3, b3) = _dense(1, 64, 0.1), _dense(64, 64, 0.1), _dense(64, 1, 0.1)
    a2 = np.maximum(0, np.dot(np.maximum(0, np.dot(X, w1) + b1), w2) + b2)
    predictions = np.dot(a2, w3) + b3
    data_loss = np.mean(np.mean((y - predictions) ** 2, axis=-1))
    accuracy = np.mean(np.absolute(predictions - y) < np.std(y) / 250)
    return accuracy, data_loss, 0, 0.005


@pytest.mark.parametrize("chapter", sorted(FIRST_EPOCH))
def test_training_chapters_first_epoch(chapter):
    line, book_accuracy, book_loss, book_data_loss, book_reg_loss = FIRST_EPOCH[chapter]
    accuracy, data_loss, reg_loss, lr = _first_epoch(chapter)
    loss = data_loss + reg_loss
    printed = f"epoch: 0, acc: {accuracy:.3f}, loss: {loss:.3f}"
    if chapter != 10:
        printed += f" (data_loss: {data_loss:.3f}, reg_loss: {reg_loss:.3f})"
    assert f"{printed}, lr: {lr}" == line
    assert accuracy == pytest.approx(book_accuracy, abs=1e-12)
    for got, book in [(loss, book_loss), (data_loss, book_data_loss), (reg_loss, book_reg_loss)]:
        assert got == pytest.approx(book, rel=RTOL, abs=1e-12)


# ------------------------------------------------------------------ the book's way and the course's way

def test_book_way_is_init_without_a_seed():
    assert nnfs.init() is nnfs.get_rng() and get_seed() == "book"
    nnfs.init(0)
    assert get_seed() == 0
    nnfs.init("book")
    assert get_seed() == "book"
    nnfs.init(None)
    assert get_seed() is None


def test_book_way_draws_from_numpys_global_generator_in_the_books_order():
    "Each class draws `randn(samples)` in turn (vertical: x, then y); the package generator is not used."
    nnfs.init()
    package_state = nnfs.get_rng().bit_generator.state
    X, _ = vertical_data(samples=10, classes=2)
    np.random.seed(0)
    noise = np.random.randn(40).astype(np.float32).reshape(4, 10)
    np.testing.assert_array_equal(X[:10, 0], noise[0] * np.float32(0.1) + np.float32(0))
    np.testing.assert_array_equal(X[10:, 1], noise[3] * np.float32(0.1) + np.float32(0.5))
    assert nnfs.get_rng().bit_generator.state == package_state


def test_the_lessons_way_is_unchanged_after_the_books():
    "`nnfs.init(0)` (every lesson) draws from the package generator again, whatever came before."
    nnfs.init(0)
    lesson = spiral_data(100, 3)[0], vertical_data(10, 2)[0], sine_data(10)[0]
    nnfs.init()
    spiral_data(100, 3)
    nnfs.init(0)
    again = spiral_data(100, 3)[0], vertical_data(10, 2)[0], sine_data(10)[0]
    for a, b in zip(lesson, again):
        np.testing.assert_array_equal(a, b)
    assert again[2].dtype == np.float32
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(lesson[0][:100, :], spiral_data(100, 1, rng=rng)[0])


def test_explicit_rng_and_dtype_win_over_the_books_way():
    nnfs.init()
    state = np.random.get_state()
    X, _ = spiral_data(50, 3, rng=np.random.default_rng(4))
    assert np.array_equal(X, spiral_data(50, 3, rng=np.random.default_rng(4))[0])
    assert np.random.get_state()[1].tolist() == state[1].tolist()   # NumPy's global generator untouched
    nnfs.init(0)
    np.testing.assert_array_equal(X, spiral_data(50, 3, rng=np.random.default_rng(4))[0])
    nnfs.init()
    assert sine_data(10)[0].dtype == np.float64 and sine_data(10, dtype=np.float32)[0].dtype == np.float32
    X64, _ = spiral_data(20, 2, dtype=np.float64)
    np.random.seed(0)
    t = np.linspace(0, 4, 20) + np.random.randn(20) * 0.2      # the book's formula, noise not rounded
    np.testing.assert_array_equal(X64[:20, 1], np.linspace(0, 1, 20) * np.cos(t * 2.5))


@pytest.mark.parametrize("seed", ["Book", "0", 0.0, True, -1])
def test_bad_seed_names_the_choices(seed):
    with pytest.raises(nnfs.NNFSError, match='non-negative integer, None or "book"'):
        nnfs.init(seed)
