"""Tests of `nnfs.evaluation` (lesson 17): the confusion matrix, per-class accuracy, the most confused pairs,
and the two plots."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from nnfs.core import NNFSError  # noqa: E402
from nnfs.datasets import IMAGE_SIZE  # noqa: E402
from nnfs.evaluation import (
    confusion_matrix,
    most_confused,
    per_class_accuracy,  # noqa: E402
    plot_confusion_matrix,
    plot_misclassified,
)

# ---- confusion_matrix --------------------------------------------------------------------------------------


def test_confusion_matrix_counts():
    cm = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 3)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert cm.shape == (3, 3) and cm.dtype.kind == "i"


def test_confusion_matrix_matches_a_loop():
    rng = np.random.default_rng(0)
    t, p = rng.integers(0, 7, 500), rng.integers(0, 7, 500)
    loop = np.zeros((7, 7), int)
    for a, b in zip(t, p):
        loop[a, b] += 1
    np.testing.assert_array_equal(confusion_matrix(t, p, 7), loop)
    np.testing.assert_array_equal(confusion_matrix(t, p, 9)[:7, :7], loop)  # unused classes: zero rows
    assert confusion_matrix(t, p, 9)[7:].sum() == 0


def test_confusion_matrix_accepts_one_hot_and_probability_rows():
    t, p = np.array([2, 0, 1]), np.array([2, 1, 1])
    probs = np.eye(3)[p] * 0.6 + 0.1
    np.testing.assert_array_equal(confusion_matrix(np.eye(3)[t], probs, 3), confusion_matrix(t, p, 3))


def test_confusion_matrix_sizes_zero_and_one():
    np.testing.assert_array_equal(confusion_matrix([], [], 2), np.zeros((2, 2), int))
    np.testing.assert_array_equal(confusion_matrix([1], [0], 2), [[0, 0], [1, 0]])
    np.testing.assert_array_equal(confusion_matrix([0], [0], 1), [[1]])


@pytest.mark.parametrize(
    "t,p,n,match",
    [
        ([0, 1], [0], 2, "y_true has 2 labels but y_pred has 1"),
        ([0, 3], [0, 1], 3, r"y_true holds classes from 0 to 3, expected 0..2"),
        ([0, 1], [-1, 1], 3, r"y_pred holds classes from -1 to 1"),
        ([0.0, 1.0], [0, 1], 2, "y_true must be a 1-D array of integer class indices"),
        ([[[0]]], [0], 2, "y_true must be a 1-D array"),
        ([0], [0], 0, "n_classes must be >= 1"),
    ],
)
def test_confusion_matrix_errors(t, p, n, match):
    with pytest.raises(NNFSError, match=match):
        confusion_matrix(np.asarray(t), np.asarray(p), n)


# ---- per_class_accuracy, most_confused --------------------------------------------------------------------


def test_per_class_accuracy():
    cm = np.array([[3, 1, 0], [0, 0, 0], [2, 2, 4]])
    acc = per_class_accuracy(cm)
    np.testing.assert_allclose(acc[[0, 2]], [0.75, 0.5])
    assert np.isnan(acc[1]) and acc.shape == (3,)
    np.testing.assert_allclose(per_class_accuracy([[5]]), [1.0])
    for bad in (np.zeros((2, 3)), np.zeros(3), np.zeros((2, 2, 2))):
        with pytest.raises(NNFSError, match="per_class_accuracy: expected a square confusion matrix"):
            per_class_accuracy(bad)


def test_most_confused_order_names_and_k():
    cm = np.array([[9, 4, 1], [4, 9, 0], [7, 0, 9]])
    assert most_confused(cm) == [(2, 0, 7), (0, 1, 4), (1, 0, 4), (0, 2, 1)]  # ties in row-major order
    assert most_confused(cm, k=2) == [(2, 0, 7), (0, 1, 4)]
    assert most_confused(cm, ["a", "b", "c"], k=1) == [("c", "a", 7)]
    assert most_confused(np.diag([3, 4])) == []  # no mistakes, no pairs
    assert all(isinstance(c, int) for _, _, c in most_confused(cm))
    with pytest.raises(NNFSError, match="k must be >= 1"):
        most_confused(cm, k=0)
    with pytest.raises(NNFSError, match="2 class names for 3 classes"):
        most_confused(cm, ["a", "b"])
    with pytest.raises(NNFSError, match="most_confused: expected a square"):
        most_confused(np.zeros((2, 3)))


# ---- plots -------------------------------------------------------------------------------------------------


def test_plot_confusion_matrix_normalized_and_counts():
    import matplotlib.pyplot as plt

    cm = np.array([[8, 2], [0, 10]])
    ax = plot_confusion_matrix(cm, ["x", "y"])
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == ["0.20", "0.80", "1.00"]  # the 0 cell is not labeled
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y"]
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"
    ax2 = plot_confusion_matrix(cm, normalize=False)
    assert sorted(t.get_text() for t in ax2.texts) == ["10", "2", "8"]
    assert [t.get_text() for t in ax2.get_yticklabels()] == ["0", "1"]
    _, ax3 = plt.subplots()
    assert plot_confusion_matrix(cm, ax=ax3) is ax3
    with pytest.raises(NNFSError, match="plot_confusion_matrix: expected a square"):
        plot_confusion_matrix(np.ones(3))
    plt.close("all")


def test_plot_misclassified():
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    n = 12
    images = rng.random((n, IMAGE_SIZE * IMAGE_SIZE))  # flattened rows are reshaped
    y = np.arange(n) % 3
    probs = np.full((n, 3), 0.1)
    probs[np.arange(n), (y + 1) % 3] = 0.8  # every image wrong ...
    probs[:4] = np.eye(3)[y[:4]]  # ... except the first four
    probs[5, (y[5] + 1) % 3] = 0.9  # the most confident mistake
    fig = plot_misclassified(images, y, probs, ["a", "b", "c"], n=3, cols=2)
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert len(titled) == 3 and titled[0].get_title() == f"{'abc'[y[5]]}\n-> {'abc'[(y[5] + 1) % 3]} (0.90)"
    assert titled[0].images[0].get_array().shape == (IMAGE_SIZE, IMAGE_SIZE)
    fig = plot_misclassified(images.reshape(n, IMAGE_SIZE, IMAGE_SIZE), y, probs, n=16, true_class=1)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert len(titles) == sum((y == 1) & (np.arange(n) >= 4)) and all(t.startswith("1\n-> 2") for t in titles)
    a = plot_misclassified(images, y, probs, n=4, rng=np.random.default_rng(1))
    b = plot_misclassified(images, y, probs, n=4, rng=np.random.default_rng(1))
    assert [x.get_title() for x in a.axes] == [x.get_title() for x in b.axes]
    assert len(plot_misclassified(images[:4], y[:4], probs[:4]).axes) == 8  # no mistakes: one empty row
    with pytest.raises(NNFSError, match="12 images, 11 labels and 12 rows of probabilities"):
        plot_misclassified(images, y[:-1], probs)
    with pytest.raises(NNFSError, match="n must be >= 1"):
        plot_misclassified(images, y, probs, n=0)
    plt.close("all")


def test_per_class_accuracy_of_a_class_with_one_sample():
    acc = per_class_accuracy(np.array([[1, 0], [0, 0]]))
    assert acc[0] == 1.0 and np.isnan(acc[1])


def test_most_confused_default_k_is_five():
    cm = np.arange(1, 17).reshape(4, 4)
    got = most_confused(cm)
    assert len(got) == 5 and [c for _, _, c in got] == [15, 14, 13, 12, 10]


def _texts(ax) -> dict:
    "Cell (row, column) -> (text, color) of the labels drawn on a confusion matrix."
    return {
        (round(t.get_position()[1]), round(t.get_position()[0])): (t.get_text(), t.get_color())
        for t in ax.texts
    }


def test_plot_confusion_matrix_normalizes_rows_and_labels_cells():
    import matplotlib.pyplot as plt

    texts = _texts(plot_confusion_matrix(np.array([[8, 2, 0], [0, 5, 0], [0, 0, 1]])))
    assert texts == {
        (0, 0): ("0.80", "white"),
        (0, 1): ("0.20", "black"),
        (1, 1): ("1.00", "white"),
        (2, 2): ("1.00", "white"),
    }
    texts = _texts(plot_confusion_matrix(np.array([[3, 2], [0, 5]])))
    assert texts[(0, 0)] == ("0.60", "black") and texts[(1, 1)] == ("1.00", "white")  # white above 0.6 only
    texts = _texts(plot_confusion_matrix(np.array([[199, 1], [0, 200]])))
    assert texts[(0, 1)] == ("0.01", "black")  # 1/200 = 0.005: labeled from 0.005 on
    assert (1, 0) not in texts
    texts = _texts(plot_confusion_matrix(np.array([[6, 4], [0, 10]]), normalize=False))
    assert texts == {(0, 0): ("6", "black"), (0, 1): ("4", "black"), (1, 1): ("10", "white")}
    texts = _texts(plot_confusion_matrix(np.array([[1000, 4], [5, 1000]]), normalize=False))
    assert set(texts) == {(0, 0), (1, 0), (1, 1)}  # counts below 0.5% of the largest are left out
    plt.close("all")


def test_plot_misclassified_shows_sixteen_by_default():
    import matplotlib.pyplot as plt

    y = np.zeros(20, dtype=int)
    probs = np.tile([0.2, 0.8], (20, 1))
    fig = plot_misclassified(np.zeros((20, IMAGE_SIZE, IMAGE_SIZE)), y, probs)
    assert sum(1 for ax in fig.axes if ax.get_title()) == 16 and len(fig.axes) == 16
    plt.close("all")


def test_plot_confusion_matrix_figure_and_colour_scale():
    "A new figure is 6 x 5 inches with a colorbar; the colour scale starts at 0 (an empty cell is lightest)."
    import matplotlib.pyplot as plt

    ax = plot_confusion_matrix(np.array([[5, 1], [2, 7]]))
    np.testing.assert_allclose(ax.figure.get_size_inches(), [6, 5])
    assert len(ax.figure.axes) == 2  # the matrix and its colorbar
    assert ax.images[0].get_clim() == (0, 5 / 6)  # rows normalized: the largest share is 5/6
    counts = plot_confusion_matrix(np.array([[5, 1], [2, 7]]), normalize=False)
    assert counts.images[0].get_clim() == (0, 7)  # from 0 even though every count is positive
    _, own = plt.subplots(figsize=(3, 2))
    plot_confusion_matrix(np.eye(3, dtype=int), ax=own)
    np.testing.assert_allclose(own.figure.get_size_inches(), [3, 2])  # a given axes keeps its figure
    plt.close("all")


@pytest.mark.parametrize("n,cols,grid", [(3, 2, (2, 2)), (16, 8, (2, 8)), (5, 8, (1, 8)), (1, 1, (1, 1))])
def test_plot_misclassified_grid_and_figure_size(n, cols, grid):
    "The gallery is a grid of `cols` columns, each panel 1.1 inches wide and 1.35 inches tall."
    import matplotlib.pyplot as plt

    y = np.zeros(20, dtype=int)
    probs = np.tile([0.3, 0.7], (20, 1))
    fig = plot_misclassified(np.zeros((20, IMAGE_SIZE, IMAGE_SIZE)), y, probs, n=n, cols=cols)
    rows, c = grid
    assert len(fig.axes) == rows * c and sum(1 for ax in fig.axes if ax.get_title()) == n
    np.testing.assert_allclose(fig.get_size_inches(), [c * 1.1, rows * 1.35])
    assert fig.axes[0].get_title() == "0\n-> 1 (0.70)"
    plt.close("all")


def test_plot_misclassified_titles_do_not_cover_other_panels():
    "With the longest Fashion-MNIST names, no title runs into another panel's image or title."
    import matplotlib.pyplot as plt

    from nnfs.datasets import FASHION_MNIST_CLASSES

    y = np.array([0, 9, 2, 8, 4, 7, 6, 5] * 2)
    probs = np.full((16, 10), 0.01)
    probs[np.arange(16), 9 - y] = 0.91
    fig = plot_misclassified(np.zeros((16, IMAGE_SIZE, IMAGE_SIZE)), y, probs, list(FASHION_MNIST_CLASSES))
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    titles = [ax.title.get_window_extent(renderer) for ax in fig.axes]
    panels = [ax.get_window_extent(renderer) for ax in fig.axes]
    assert len(titles) == 16 and "T-shirt/top\n-> Ankle boot (0.91)" in [ax.get_title() for ax in fig.axes]
    for i, title in enumerate(titles):
        for j in range(16):
            if j != i:
                assert not title.overlaps(panels[j]) and not title.overlaps(titles[j]), (i, j)
    plt.close("all")


def test_confusion_matrix_refuses_nan_rows_and_huge_class_counts():
    "A NaN probability row would count as class 0 (argmax of NaN); a huge n_classes, n**2 counts."
    from nnfs.evaluation import MAX_CLASSES

    probs = np.array([[0.9, 0.1], [np.nan, np.nan], [0.2, 0.8]])
    with pytest.raises(NNFSError, match="y_pred has rows that are not finite"):
        confusion_matrix(np.array([0, 1, 1]), probs, 2)
    with pytest.raises(NNFSError, match="y_true has rows that are not finite"):
        confusion_matrix(probs, np.array([0, 1, 1]), 2)
    with pytest.raises(NNFSError, match=f"at most {MAX_CLASSES}"):
        confusion_matrix(np.array([0]), np.array([0]), 10**6)
    assert confusion_matrix(np.array([0]), np.array([0]), MAX_CLASSES).shape == (MAX_CLASSES, MAX_CLASSES)
