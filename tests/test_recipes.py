"""The course's Fashion-MNIST recipe (`nnfs.recipes`): the chosen settings `BEST`, the network `build_model`
builds, and `train_fashion_mnist`'s defaults, log lines and result. Training runs on small synthetic sets put
in place of the Fashion-MNIST loaders, so these tests need no data and take well under a second; the real
data are exercised by `tests/test_cli.py`."""

import types

import numpy as np
import pytest

from nnfs import recipes
from nnfs.activations import ReLU, Softmax
from nnfs.core import get_threads
from nnfs.inference import FASHION_MNIST_PREPROCESSING
from nnfs.layers import Dense, Dropout
from nnfs.recipes import BEST, build_model, train_fashion_mnist


def test_best_settings_are_the_documented_choice():
    "The settings picked on the validation set (lesson 20's sweep)."
    assert BEST == dict(hidden=(512, 256), dropout=0.1, learning_rate=1e-3, decay=5e-4, batch_size=128,
                        epochs=12)


def test_build_model_default_network():
    "784-512-256-10: Dense + ReLU + Dropout(0.1) per hidden layer, Softmax output, Adam(1e-3, decay 5e-4)."
    m = build_model(rng=np.random.default_rng(0))
    kinds = [type(layer) for layer in m.layers]
    assert kinds == [Dense, ReLU, Dropout, Dense, ReLU, Dropout, Dense, Softmax]
    assert [d.weights.shape for d in m.trainable_layers] == [(784, 512), (512, 256), (256, 10)]
    assert [layer.rate for layer in m.layers if isinstance(layer, Dropout)] == [0.1, 0.1]
    assert m.optimizer.learning_rate == 1e-3 and m.optimizer.decay == 5e-4
    assert m.preprocessing == FASHION_MNIST_PREPROCESSING


def test_build_model_weight_scales():
    "He initialization for the ReLU layers (std sqrt(2 / fan-in)), std sqrt(1 / fan-in) for the output layer."
    m = build_model((400, 300), 0, n_inputs=500, n_classes=200, rng=np.random.default_rng(1))
    stds = [float(d.weights.std()) for d in m.trainable_layers]
    np.testing.assert_allclose(stds, [np.sqrt(2 / 500), np.sqrt(2 / 400), np.sqrt(1 / 300)], rtol=0.02)
    assert all(not np.any(d.biases) for d in m.trainable_layers)


def test_build_model_sizes_and_no_dropout():
    "Custom sizes; `dropout=0` leaves the Dropout layers out; no hidden layer is a softmax regression."
    m = build_model((3,), 0, n_inputs=5, n_classes=2, rng=np.random.default_rng(0))
    assert [type(layer) for layer in m.layers] == [Dense, ReLU, Dense, Softmax]
    assert [d.weights.shape for d in m.trainable_layers] == [(5, 3), (3, 2)]
    m = build_model((), rng=np.random.default_rng(0))
    assert [type(layer) for layer in m.layers] == [Dense, Softmax]
    assert m.trainable_layers[0].weights.shape == (784, 10)


# ---------------------------------------------------------------- train_fashion_mnist on synthetic data
def _synthetic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    "`n` rows of 784 values in [-1, 1] with a label each (3 classes, learnable from the first pixels)."
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = rng.uniform(-1, 1, (n, 784)).astype(np.float32)
    X[np.arange(n), y] = 1.0
    return X, y


@pytest.fixture
def fake_data(monkeypatch):
    "Replace the Fashion-MNIST loaders: 60 training, 30 validation and 20 test images; records `data`."
    calls = []

    def split(data=None):
        calls.append(("split", data))
        return _synthetic(60, 1) + _synthetic(30, 2)

    def test(data=None):
        calls.append(("test", data))
        return _synthetic(20, 3)

    monkeypatch.setattr(recipes, "fashion_mnist_split", split)
    monkeypatch.setattr(recipes, "fashion_mnist_test", test)
    return calls


def _small(rng=None):
    return build_model((8,), 0, n_classes=3, rng=rng)


def _train(**kw):
    lines = []
    model, result = train_fashion_mnist(build=_small, log=lines.append, **{"progress": False, **kw})
    return model, result, lines


def test_train_log_lines_and_result(fake_data, monkeypatch):
    "What it says it trains, the time per epoch, the validation accuracy; the result dict holds the same."
    clock = iter([10.0, 16.0])
    monkeypatch.setattr(recipes, "time", types.SimpleNamespace(perf_counter=lambda: next(clock)))
    model, result, lines = _train(epochs=2, batch_size=16)
    n_params = 784 * 8 + 8 + 8 * 3 + 3
    assert lines == [
        f"training a network of {n_params:,} parameters for 2 epochs",
        "on 60 images (30 for validation)",
        "trained in 6.0 s (3.0 s per epoch)",
        f"validation accuracy: {result['val_accuracy']:.4f}",
    ]
    X_val, y_val = _synthetic(30, 2)
    assert result["val_accuracy"] == model.evaluate(X_val, y_val)["accuracy"]
    assert result["seconds"] == 6.0 and result["test_accuracy"] is None   # no test set by default
    assert len(result["history"]["loss"]) == 2
    assert fake_data == [("split", None)]   # the test set is not even loaded


def test_train_one_epoch_is_singular(fake_data):
    _, _, lines = _train(epochs=1, batch_size=16)
    assert lines[0].endswith(" for 1 epoch") and lines[1] == "on 60 images (30 for validation)"
    assert all(len(line) <= 80 for line in lines)


def test_train_reports_test_accuracy_only_when_asked(fake_data, tmp_path):
    model, result, lines = _train(epochs=1, batch_size=16, test=True, data=tmp_path)
    X_test, y_test = _synthetic(20, 3)
    assert result["test_accuracy"] == model.evaluate(X_test, y_test)["accuracy"]
    assert lines[-1] == f"test accuracy:       {result['test_accuracy']:.4f}"
    assert fake_data == [("split", tmp_path), ("test", tmp_path)]


def test_train_limit_keeps_the_first_images(fake_data, monkeypatch):
    "`limit` cuts every set, the test set too."
    _, result, lines = _train(epochs=1, batch_size=4, limit=10, test=True)
    assert lines[1] == "on 10 images (10 for validation)"
    model, result, _ = _train(epochs=1, batch_size=4, limit=25, test=True)
    X_test, y_test = _synthetic(20, 3)
    assert result["test_accuracy"] == model.evaluate(X_test, y_test)["accuracy"]   # 25 > 20: all of them
    with pytest.raises(Exception, match="limit"):
        _train(epochs=1, limit=0)


def test_train_defaults(fake_data, capsys):
    "Seed 0, one BLAS thread, progress shown (one line per epoch), no test set."
    _, seeded, _ = _train(epochs=1, batch_size=16, seed=0)
    recipes.set_threads(2)
    _, result = train_fashion_mnist(epochs=1, batch_size=16, build=_small, log=lambda s: None)
    assert get_threads() == 1
    assert result["history"]["loss"] == seeded["history"]["loss"]   # the same seed, the same training
    _, other, _ = _train(epochs=1, batch_size=16, seed=1)
    assert other["history"]["loss"] != seeded["history"]["loss"]
    assert result["test_accuracy"] is None
    assert "epoch 1/1" in capsys.readouterr().out   # the progress line
    _train(epochs=1, batch_size=16, threads=None)
    assert get_threads() == 1   # threads=None leaves the setting alone
