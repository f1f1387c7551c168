"""Lessons 23 and 24's exercise checkers: each reference answer passes, each plausible wrong answer is
rejected, and the typical mistakes are named in the verdict."""

import numpy as np
import pytest
from exercise_helpers import check

from nnfs.autodiff import Tensor
from nnfs.exercises import exercises


# 23.1: the backward rule of tanh
def _tanh(x):
    out = np.tanh(x.data)
    return Tensor(out, (x,), lambda g: (g * (1 - out**2),), "tanh")


def _tanh_no_square(x):
    out = np.tanh(x.data)
    return Tensor(out, (x,), lambda g: (g * (1 - out),), "tanh")


def _tanh_of_input(x):
    out = np.tanh(x.data)
    return Tensor(out, (x,), lambda g: (g * (1 - x.data**2),), "tanh")


def _tanh_ignores_g(x):
    out = np.tanh(x.data)
    return Tensor(out, (x,), lambda g: (1 - out**2,), "tanh")


def _tanh_no_tuple(x):
    out = np.tanh(x.data)
    return Tensor(out, (x,), lambda g: g * (1 - out**2), "tanh")


def _tanh_no_parents(x):
    out = np.tanh(x.data)
    return Tensor(out, (), lambda g: (g * (1 - out**2),), "tanh")


def _tanh_no_rule(x):
    return Tensor(np.tanh(x.data), (x,))


def _tanh_array(x):
    return np.tanh(x.data)


def _tanh_composed(x):  # right too: the engine differentiates the composition by itself
    e, f = x.exp(), (-x).exp()
    return (e - f) / (e + f)


def _tanh_composed_sign_slip(x):
    e, f = x.exp(), (-x).exp()
    return (f - e) / (e + f)


# 23.2: a topological sort
def _sort(root):
    order, seen = [], set()

    def visit(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        for p in node.parents:
            visit(p)
        order.append(node)

    visit(root)
    return order


def _sort_without_seen(node):
    order = []
    for p in node.parents:
        order += _sort_without_seen(p)
    return order + [node]


def _sort_preorder(root):
    order, seen = [], set()

    def visit(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        order.append(node)  # before its parents
        for p in node.parents:
            visit(p)

    visit(root)
    return order


def _sort_no_leaves(root):
    return [t for t in _sort(root) if t.parents]


def _sort_reversed(root):
    return _sort(root)[::-1]


def _sort_parents_only(root):
    return list(root.parents) + [root]


# 23.3: a weight used twice
def _tied(X, W):
    Z = X @ W
    H = np.maximum(Z, 0)
    R = H @ W.T - X
    dR = 2 * R / R.size
    return X.T @ ((dR @ W) * (Z > 0)) + dR.T @ H


def _tied_encoder_only(X, W):
    Z = X @ W
    dR = 2 * (np.maximum(Z, 0) @ W.T - X) / X.size
    return X.T @ ((dR @ W) * (Z > 0))


def _tied_decoder_only(X, W):
    H = np.maximum(X @ W, 0)
    return (2 * (H @ W.T - X) / X.size).T @ H


def _tied_mean_over_samples(X, W):
    return _tied(X, W) * X.shape[1]


def _tied_no_relu_mask(X, W):
    Z = X @ W
    H = np.maximum(Z, 0)
    dR = 2 * (H @ W.T - X) / X.size
    return X.T @ (dR @ W) + dR.T @ H


# 23.4: layer normalization
def _layer_norm(x, eps=1e-5):
    c = x - x.mean(axis=1, keepdims=True)
    return c / ((c**2).mean(axis=1, keepdims=True) + eps) ** 0.5


def _layer_norm_detached_mean(x, eps=1e-5):
    c = x - x.data.mean(axis=1, keepdims=True)
    return c / ((c**2).mean(axis=1, keepdims=True) + eps) ** 0.5


def _layer_norm_numpy(x, eps=1e-5):
    c = x.data - x.data.mean(axis=1, keepdims=True)
    return Tensor(c / np.sqrt((c**2).mean(axis=1, keepdims=True) + eps))


def _layer_norm_no_eps(x, eps=1e-5):
    c = x - x.mean(axis=1, keepdims=True)
    return c / ((c**2).mean(axis=1, keepdims=True)) ** 0.5


def _layer_norm_columns(x, eps=1e-5):
    c = x - x.mean(axis=0, keepdims=True)
    return c / ((c**2).mean(axis=0, keepdims=True) + eps) ** 0.5


def _layer_norm_std_outside(x, eps=1e-5):
    c = x - x.mean(axis=1, keepdims=True)
    return c / ((c**2).mean(axis=1, keepdims=True) ** 0.5 + eps)


# 24.1 and 24.2
def _chw(X, h, w, c):
    return X.reshape(len(X), h, w, c).transpose(0, 3, 1, 2).reshape(len(X), -1)


def _combined(gradients, sizes):
    return sum(n * g for g, n in zip(gradients, sizes)) / sum(sizes)


CASES = {
    "23.1": (_tanh, [_tanh_no_square, _tanh_of_input, _tanh_ignores_g, _tanh_no_tuple, _tanh_no_parents,
                     _tanh_no_rule, _tanh_array, _tanh_composed_sign_slip]),
    "23.2": (_sort, [_sort_without_seen, _sort_preorder, _sort_no_leaves, _sort_reversed,
                     _sort_parents_only]),
    "23.3": (_tied, [_tied_encoder_only, _tied_decoder_only, _tied_mean_over_samples, _tied_no_relu_mask]),
    "23.4": (_layer_norm, [_layer_norm_detached_mean, _layer_norm_numpy, _layer_norm_no_eps,
                           _layer_norm_columns, _layer_norm_std_outside]),
    "24.1": (_chw, [lambda X, h, w, c: X,
                    lambda X, h, w, c: X.reshape(len(X), h, w, c).transpose(0, 3, 2, 1).reshape(len(X), -1),
                    lambda X, h, w, c: X.reshape(len(X), c, h, w).reshape(len(X), -1),
                    lambda X, h, w, c: X.reshape(len(X), h, w, c).transpose(0, 3, 1, 2)]),
    "24.2": (_combined, [lambda g, n: sum(g) / len(g),
                         lambda g, n: sum(x * k for x, k in zip(g, n)),
                         lambda g, n: sum(g),
                         lambda g, n: _combined(g, n) * len(g)]),
}


def test_every_lesson_23_24_exercise_is_covered():
    assert set(exercises("23")) | set(exercises("24")) == set(CASES)


@pytest.mark.parametrize("key", sorted(CASES))
def test_reference_passes(key):
    assert check(key, CASES[key][0], strict=True)


@pytest.mark.parametrize("key, wrong", [(k, w) for k, (_, ws) in sorted(CASES.items()) for w in ws])
def test_wrong_answers_are_rejected(key, wrong, capsys):
    assert check(key, wrong) is False
    assert "\u2717" in capsys.readouterr().out


@pytest.mark.parametrize("key", sorted(CASES))
def test_not_attempted(key, capsys):
    def stub(*args): ...

    for answer in (..., stub):
        assert check(key, answer) is False
        assert "not attempted" in capsys.readouterr().out


@pytest.mark.parametrize("key, wrong, named", [
    ("23.1", _tanh_no_square, "squared"),
    ("23.1", _tanh_of_input, "uses the output"),
    ("23.1", _tanh_ignores_g, "multiply by g"),
    ("23.1", _tanh_no_tuple, "mind the comma"),
    ("23.1", _tanh_no_parents, "not computed from x"),
    ("23.1", _tanh_no_rule, "no backward rule"),
    ("23.1", _tanh_array, "not a Tensor"),
    ("23.2", _sort_without_seen, "listed 2 times"),
    ("23.2", _sort_preorder, "comes before its parent"),
    ("23.2", _sort_no_leaves, "is missing"),
    ("23.3", _tied_encoder_only, "first use only"),
    ("23.3", _tied_decoder_only, "second use only"),
    ("23.3", _tied_mean_over_samples, "all entries"),
    ("23.4", _layer_norm_detached_mean, "treats the mean as a constant"),
    ("23.4", _layer_norm_numpy, "not computed from x"),
    ("24.1", CASES["24.1"][1][0], "still our rows"),
    ("24.1", CASES["24.1"][1][1], "columns came before the rows"),
    ("24.1", CASES["24.1"][1][2], "a reshape alone moves no number"),
    ("24.2", CASES["24.2"][1][0], "right only for equal shares"),
    ("24.2", CASES["24.2"][1][1], "summed loss"),
    ("24.2", CASES["24.2"][1][2], "weigh it by its size"),
])
def test_typical_mistakes_are_named(key, wrong, named, capsys):
    assert check(key, wrong) is False
    assert named in capsys.readouterr().out


def test_the_checkers_use_the_lessons_own_tensor_class_too(capsys):
    "In the lesson, a learner's Tensor is the notebook's own class (same code, another class object)."
    import types

    import nnfs.autodiff

    notebook = types.ModuleType("notebook")
    exec(compile(open(nnfs.autodiff.__file__).read().replace("from .", "from nnfs."), "nb", "exec"),
         notebook.__dict__)
    Other = notebook.Tensor
    assert Other is not Tensor

    def tanh(x):
        out = np.tanh(x.data)
        return Other(out, (x,), lambda g: (g * (1 - out**2),), "tanh")

    assert check("23.1", tanh, strict=True)


def test_tanh_composed_from_exp_passes_too():
    assert check("23.1", _tanh_composed, strict=True)
