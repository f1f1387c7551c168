"""The Model (lesson 16): training, the fused softmax/cross-entropy backward, history, batched
evaluate/predict, reproducibility, and the errors users can cause."""

import io
import sys
import time
import warnings

import numpy as np
import pytest
from helpers import Scale
from hypothesis import given, settings
from hypothesis import strategies as st

import nnfs
from nnfs import NNFSError
from nnfs.activations import Linear, ReLU, Sigmoid, Softmax
from nnfs.datasets import sine_data, spiral_data
from nnfs.layers import Dense, Dropout
from nnfs.losses import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    MeanSquaredError,
    SoftmaxCategoricalCrossentropy,
)
from nnfs.metrics import BinaryAccuracy, CategoricalAccuracy, RegressionAccuracy
from nnfs.model import History, Model, TrainingDivergedError
from nnfs.optimizers import SGD, Adam


def spiral_model(hidden=128, lr=0.02, accuracy=True):
    m = Model([Dense(2, hidden), ReLU(), Dense(hidden, 3), Softmax()])
    return m.set(
        loss=CategoricalCrossentropy(),
        optimizer=Adam(learning_rate=lr, decay=5e-7),
        accuracy=CategoricalAccuracy() if accuracy else None,
    ).finalize()


def params(m):
    return [p.copy() for l in m.trainable_layers for p in (l.weights, l.biases)]


def test_spiral_trains_to_good_accuracy():
    X, y = spiral_data(100, 3)
    m = spiral_model()
    h = m.train(X, y, epochs=1000, progress=False)
    assert h["accuracy"][-1] > 0.85 and h["loss"][-1] < 0.4
    assert h["loss"][-1] < h["loss"][0] / 2
    res = m.evaluate(X, y)
    assert res["accuracy"] > 0.85
    X_test, y_test = spiral_data(100, 3, rng=np.random.default_rng(99))
    assert m.evaluate(X_test, y_test)["accuracy"] > 0.75
    assert m.layers[0].weights.dtype == np.float32 and m.predict(X).dtype == np.float32


def test_finalize_wiring():
    layers = [Dropout(0.1), Dense(2, 8), ReLU(), Dense(8, 3), Softmax()]
    m = Model(layers).set(loss=CategoricalCrossentropy(), optimizer=SGD()).finalize()
    assert m.layers == layers and m.trainable_layers == [layers[1], layers[3]]
    assert not any(hasattr(l, "prev") or hasattr(l, "next") for l in layers)  # no wiring between layers
    assert layers[1].need_dinputs is False and layers[3].need_dinputs is True
    # backward stops at the first trainable layer: the leading Dropout is never asked for a gradient
    m.train(*spiral_data(10, 3), epochs=2, batch_size=8, progress=False)
    assert not hasattr(layers[0], "dinputs") and layers[1].dinputs is None


def test_fused_softmax_crossentropy_is_used(monkeypatch):
    X, y = spiral_data(20, 3)
    m = spiral_model(hidden=16)
    assert isinstance(m.softmax_ce, SoftmaxCategoricalCrossentropy)

    def fail(*a, **k):
        raise AssertionError("the slow path was used")

    monkeypatch.setattr(Softmax, "backward", fail)
    monkeypatch.setattr(CategoricalCrossentropy, "backward", fail)
    before = params(m)
    m.train(X, y, epochs=1, shuffle=False, progress=False)
    # the gradient it used is the analytic (softmax - onehot)/N, backpropagated by hand here
    d_logits = m.layers[-1].output.copy()
    d_logits[np.arange(len(y)), y] -= 1
    d_logits /= len(y)
    np.testing.assert_allclose(m.layers[2].dweights, m.layers[2].inputs.T @ d_logits, rtol=1e-5, atol=1e-7)
    assert any(not np.array_equal(a, b) for a, b in zip(before, params(m)))
    # no fusion when the loss is not cross-entropy
    m2 = Model([Dense(2, 1), Sigmoid()]).set(loss=BinaryCrossentropy()).finalize()
    assert m2.softmax_ce is None


def test_softmax_crossentropy_as_the_loss_equals_categorical_crossentropy():
    "With a Softmax output, loss=SoftmaxCategoricalCrossentropy() means CategoricalCrossentropy() (fused)."
    X, y = spiral_data(30, 3)
    runs = []
    for loss in (CategoricalCrossentropy(), SoftmaxCategoricalCrossentropy()):
        nnfs.init(1)
        m = (
            Model([Dense(2, 16), ReLU(), Dense(16, 3), Softmax()])
            .set(loss=loss, optimizer=Adam(0.01))
            .finalize()
        )
        assert isinstance(m.softmax_ce, SoftmaxCategoricalCrossentropy)
        h = m.train(X, y, epochs=5, batch_size=32, progress=False)
        runs.append((h["loss"], m.evaluate(X, y)["loss"], params(m)))
    assert runs[0][0] == runs[1][0] and runs[0][1] == runs[1][1]
    assert all(np.array_equal(a, b) for a, b in zip(runs[0][2], runs[1][2]))


def test_one_step_matches_a_hand_written_step():
    X, y = spiral_data(30, 3)
    nnfs.init(5)
    m = spiral_model(hidden=8, lr=0.01)
    nnfs.init(5)
    d1, d2 = Dense(2, 8), Dense(8, 3)
    act, sce, opt = ReLU(), SoftmaxCategoricalCrossentropy(), Adam(learning_rate=0.01, decay=5e-7)
    h = m.train(X, y, epochs=1, shuffle=False, progress=False)
    losses = sce.forward(d2.forward(act.forward(d1.forward(X))), y)
    d1.backward(act.backward(d2.backward(sce.backward(sce.output, y))))
    opt.step([d1, d2])
    np.testing.assert_allclose(h["loss"][0], losses.mean(), rtol=1e-6)
    for a, b in zip(params(m), [d1.weights, d1.biases, d2.weights, d2.biases]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_history_contents():
    X, y = spiral_data(50, 3)
    Xv, yv = spiral_data(20, 3, rng=np.random.default_rng(1))
    m = spiral_model(hidden=16)
    h = m.train(X, y, epochs=5, batch_size=32, validation_data=(Xv, yv), progress=False)
    assert isinstance(h, History) and isinstance(h, dict) and h.epochs == 5
    assert set(h) >= {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "reg_loss"}
    assert all(
        len(h[k]) == 5 for k in ("loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "reg_loss")
    )
    assert all(0 <= a <= 1 for a in h["accuracy"] + h["val_accuracy"])
    lr = h["learning_rate"]
    assert all(a > b for a, b in zip(lr, lr[1:]))  # decay lowers it each epoch
    np.testing.assert_allclose(lr[-1], 0.02 / (1 + 5e-7 * (5 * 5 - 1)))  # 5 steps per epoch (150 / 32)
    assert m.optimizer.iterations == 25
    res = m.evaluate(Xv, yv)
    np.testing.assert_allclose(
        [h["val_loss"][-1], h["val_accuracy"][-1]], [res["loss"], res["accuracy"]], rtol=1e-6
    )
    h2 = m.train(X, y, epochs=2, progress=False)  # a new History per call
    assert h2.epochs == 2 and h2["val_loss"] == [] and h.epochs == 5
    h3 = spiral_model(accuracy=False).train(X, y, epochs=1, progress=False)
    assert h3["accuracy"] == [] and len(h3["loss"]) == 1


def test_training_loss_is_the_mean_over_the_epoch_batches():
    X, y = spiral_data(20, 3)
    m = spiral_model(hidden=8, lr=1e-9)  # weights barely move: epoch loss == loss of the start weights
    start = m.evaluate(X, y)
    h = m.train(X, y, epochs=1, batch_size=7, progress=False)
    np.testing.assert_allclose(h["loss"][0], start["loss"], rtol=1e-5)
    np.testing.assert_allclose(h["accuracy"][0], start["accuracy"])


@pytest.mark.parametrize("batch_size", [1, 7, 64, 299, 300, 1000])
def test_batched_evaluate_and_predict_equal_full_batch(batch_size):
    X, y = spiral_data(100, 3)
    m = spiral_model(hidden=16)
    m.train(X, y, epochs=20, progress=False)
    full, batched = m.predict(X), m.predict(X, batch_size=batch_size)
    assert batched.shape == full.shape == (300, 3)
    np.testing.assert_allclose(batched, full, rtol=1e-5, atol=1e-7)
    e_full, e_b = m.evaluate(X, y), m.evaluate(X, y, batch_size=batch_size)
    np.testing.assert_allclose(e_b["loss"], e_full["loss"], rtol=1e-5)
    assert e_b["accuracy"] == e_full["accuracy"]


def test_predict_needs_no_loss_and_converts_inputs():
    m = Model([Dense(3, 2), Softmax()]).finalize()
    out = m.predict(np.ones((4, 3), dtype=np.uint8))
    assert out.dtype == np.float32 and out.shape == (4, 2)
    np.testing.assert_allclose(out.sum(axis=1), 1, rtol=1e-6)


def test_reproducible_with_same_seed():
    def run(seed, rng_seed=None):
        nnfs.init(seed)
        X, y = spiral_data(50, 3)
        m = Model([Dense(2, 16), ReLU(), Dropout(0.1), Dense(16, 3), Softmax()])
        m.set(loss=CategoricalCrossentropy(), optimizer=Adam(0.02), accuracy=CategoricalAccuracy()).finalize()
        h = m.train(
            X,
            y,
            epochs=3,
            batch_size=16,
            progress=False,
            rng=None if rng_seed is None else np.random.default_rng(rng_seed),
        )
        return dict(h), params(m)

    (h1, p1), (h2, p2), (h3, _) = run(1), run(1), run(2)
    assert h1 == h2 and all(np.array_equal(a, b) for a, b in zip(p1, p2))
    assert h1 != h3
    (h4, _), (h5, _), (h6, _) = run(1, 7), run(1, 7), run(1, 8)  # shuffling from an explicit rng
    assert h4 == h5 and h4 != h6


def test_binary_and_regression_models():
    X, y = spiral_data(100, 2)
    m = Model([Dense(2, 64), ReLU(), Dense(64, 1), Sigmoid()])
    m.set(loss=BinaryCrossentropy(), optimizer=Adam(0.01, decay=5e-7), accuracy=BinaryAccuracy()).finalize()
    assert m.softmax_ce is None
    h = m.train(X, y, epochs=300, progress=False)  # 1-D labels are reshaped to (n, 1)
    assert h["accuracy"][-1] > 0.8
    Xs, ys = sine_data(200)
    r = Model([Dense(1, 32), ReLU(), Dense(32, 32), ReLU(), Dense(32, 1), Linear()])
    r.layers[0].weights[:] = np.random.default_rng(0).standard_normal((1, 32)) * 0.1
    r.set(
        loss=MeanSquaredError(), optimizer=Adam(0.005, decay=1e-3), accuracy=RegressionAccuracy()
    ).finalize()
    h = r.train(Xs, ys, epochs=300, progress=False)
    assert h["loss"][-1] < 0.2 * h["loss"][0]
    assert r.predict(Xs).shape == (200, 1)


# ---- errors ---------------------------------------------------------------------------------------------


def test_errors_before_finalize_and_missing_parts():
    X, y = spiral_data(10, 3)
    m = Model([Dense(2, 3), Softmax()]).set(loss=CategoricalCrossentropy(), optimizer=SGD())
    for call in (lambda: m.train(X, y, progress=False), lambda: m.evaluate(X, y), lambda: m.predict(X)):
        with pytest.raises(NNFSError, match=r"finalize\(\) first"):
            call()
    m.finalize().add(ReLU())  # changed after finalize: must finalize again
    with pytest.raises(NNFSError, match=r"finalize\(\) first"):
        m.predict(X)
    with pytest.raises(NNFSError, match="no layers"):
        Model().finalize()
    with pytest.raises(NNFSError, match="forward"):
        Model().add(np.zeros(3))
    with pytest.raises(NNFSError, match="step"):
        Model().set(optimizer=object())
    no_opt = Model([Dense(2, 3), Softmax()]).set(loss=CategoricalCrossentropy()).finalize()
    with pytest.raises(NNFSError, match="no optimizer"):
        no_opt.train(X, y, progress=False)
    no_loss = Model([Dense(2, 3), Softmax()]).set(optimizer=SGD()).finalize()
    with pytest.raises(NNFSError, match="no loss"):
        no_loss.train(X, y, progress=False)
    with pytest.raises(NNFSError, match="no loss"):
        no_loss.evaluate(X, y)


def test_wrong_inputs_and_labels():
    X, y = spiral_data(10, 3)
    m = spiral_model(hidden=4)
    with pytest.raises(NNFSError, match=r"expected X of shape \(samples, 2\), got \(30, 3\)"):
        m.train(np.ones((30, 3)), y, progress=False)
    with pytest.raises(NNFSError, match=r"got \(30, 1, 2\); flatten it"):
        m.predict(X.reshape(30, 1, 2))
    with pytest.raises(NNFSError, match="must hold numbers"):
        m.predict(np.array([["a", "b"]]))
    with pytest.raises(NNFSError, match="one label per sample: expected 30, got 29"):
        m.train(X, y[:-1], progress=False)
    with pytest.raises(NNFSError, match="one label per sample: expected 30, got 31"):
        m.evaluate(X, np.r_[y, 0])
    with pytest.raises(NNFSError, match=r"X_val of shape \(samples, 2\)"):
        m.train(X, y, validation_data=(np.ones((5, 4)), y[:5]), progress=False)
    with pytest.raises(NNFSError, match="y_val must have one label per sample: expected 5, got 6"):
        m.train(X, y, validation_data=(X[:5], y[:6]), progress=False)
    with pytest.raises(NNFSError, match="validation_data must be a pair"):
        m.train(X, y, validation_data=X, progress=False)
    with pytest.raises(NNFSError, match=r"class indices must be in 0\.\.2"):
        m.train(X, y + 1, progress=False)
    with pytest.raises(NNFSError, match="batch_size must be >= 1"):
        m.train(X, y, batch_size=0, progress=False)
    with pytest.raises(NNFSError, match="epochs must be >= 1"):
        m.train(X, y, epochs=0, progress=False)
    r = Model([Dense(2, 2), Linear()]).set(loss=MeanSquaredError(), optimizer=SGD()).finalize()
    with pytest.raises(NNFSError, match=r"Model.train: y: .*shape \(30, 2\).*got \(30,\)"):
        r.train(X, y, progress=False)


@pytest.mark.parametrize(
    "out,loss,acc,match",
    [
        (
            Sigmoid,
            CategoricalCrossentropy,
            None,
            "CategoricalCrossentropy needs a Softmax output layer, but the last layer is Sigmoid",
        ),
        (
            Linear,
            SoftmaxCategoricalCrossentropy,
            None,
            "SoftmaxCategoricalCrossentropy needs a Softmax output layer, but the last layer is Linear",
        ),
        (
            Softmax,
            BinaryCrossentropy,
            None,
            "BinaryCrossentropy needs a Sigmoid output layer, but the last layer is Softmax",
        ),
        (
            Softmax,
            CategoricalCrossentropy,
            RegressionAccuracy,
            "RegressionAccuracy needs a regression output.*last layer is Softmax",
        ),
        (
            Sigmoid,
            BinaryCrossentropy,
            CategoricalAccuracy,
            "CategoricalAccuracy needs a Softmax output layer, but the last layer is Sigmoid",
        ),
        (
            Linear,
            MeanSquaredError,
            BinaryAccuracy,
            "BinaryAccuracy needs a Sigmoid output layer, but the last layer is Linear",
        ),
    ],
)
def test_loss_and_accuracy_must_fit_the_output_layer(out, loss, acc, match):
    m = Model([Dense(2, 3), out()]).set(loss=loss(), optimizer=SGD(), accuracy=acc() if acc else None)
    with pytest.raises(NNFSError, match=match):
        m.finalize()


@pytest.mark.filterwarnings(
    "ignore:overflow encountered:RuntimeWarning", "ignore:invalid value encountered:RuntimeWarning"
)
def test_nan_loss_stops_training():
    X, y = spiral_data(10, 3)
    X[25, 0] = np.nan  # in the third batch of 10 when not shuffled
    m = spiral_model(hidden=4)
    with pytest.raises(
        TrainingDivergedError,
        match=r"diverged at epoch 1, step 3 of 3: the loss became nan.*learning rate.*scaled",
    ):
        m.train(X, y, batch_size=10, shuffle=False, progress=False)
    assert issubclass(TrainingDivergedError, NNFSError)
    X, y = spiral_data(50, 3)  # a learning rate far too high blows the weights up
    m = Model([Dense(2, 64), ReLU(), Dense(64, 64), ReLU(), Dense(64, 3), Softmax()])
    m.set(loss=CategoricalCrossentropy(), optimizer=SGD(learning_rate=1e12)).finalize()
    with pytest.raises(NNFSError, match=r"diverged at epoch \d+, step \d+ of \d+: the loss became (nan|inf)"):
        m.train(X, y, epochs=50, progress=False)


def test_progress_lines_and_bar(capsys, monkeypatch):
    import nnfs.model

    monkeypatch.setattr(nnfs.model, "_live", lambda: True)  # as if a terminal watched
    X, y = spiral_data(10, 3)
    h = spiral_model(hidden=4).train(X, y, epochs=2, batch_size=8, validation_data=(X, y), progress=True)
    out, err = capsys.readouterr()
    # what a terminal shows once the bars (rewritten in place with \r, then erased) are gone
    lines = [seg for ln in out.split("\n") if (seg := ln.split("\r")[-1].strip())]
    assert len(lines) == 2 and lines == [h.line(1, 2), h.line(2, 2)]  # one line per epoch that stays
    assert (
        lines[1].startswith("epoch 2/2  ")
        and "val_acc" in lines[1]
        and f"loss {h['loss'][1]:.4f}" in lines[1]
    )
    assert "epoch 2/2" in err + out and "/4 " in err + out  # the live bar, 4 steps per epoch
    spiral_model(hidden=4).train(X, y, epochs=2, batch_size=8, progress=False)
    assert capsys.readouterr() == ("", "")


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 60), batch_size=st.integers(1, 70), n_in=st.integers(1, 5), n_out=st.integers(2, 4))
def test_batched_predict_any_shape(n, batch_size, n_in, n_out):
    nnfs.init(0)
    X = np.random.default_rng(n).standard_normal((n, n_in)).astype(np.float32)
    m = Model([Dense(n_in, 8, weight_scale=0.5), ReLU(), Dense(8, n_out, weight_scale=0.5), Softmax()])
    m.set(loss=CategoricalCrossentropy(), accuracy=CategoricalAccuracy()).finalize()
    full = m.predict(X)
    np.testing.assert_allclose(m.predict(X, batch_size=batch_size), full, rtol=1e-5, atol=1e-7)
    y = np.arange(n) % n_out
    a, b = m.evaluate(X, y), m.evaluate(X, y, batch_size=batch_size)
    np.testing.assert_allclose(a["loss"], b["loss"], rtol=1e-5)
    assert a["accuracy"] == b["accuracy"] == np.mean(full.argmax(axis=1) == y)


def test_accuracy_counts_every_output_of_a_multi_output_binary_model():
    "Several sigmoid outputs: accuracy is the fraction of right outputs (at most 1), in train and evaluate."
    from nnfs.activations import Sigmoid
    from nnfs.layers import Dense
    from nnfs.losses import BinaryCrossentropy
    from nnfs.metrics import BinaryAccuracy
    from nnfs.model import Model
    from nnfs.optimizers import Adam

    rng = np.random.default_rng(1)
    X = rng.standard_normal((64, 3)).astype(np.float32)
    y = np.c_[X[:, 0] > 0, X[:, 1] > 0].astype(np.float32)
    model = Model([Dense(3, 8), Sigmoid(), Dense(8, 2), Sigmoid()])
    model.set(
        loss=BinaryCrossentropy(), optimizer=Adam(learning_rate=0.01), accuracy=BinaryAccuracy()
    ).finalize()
    history = model.train(X, y, epochs=3, batch_size=16, progress=False)
    assert all(0 <= a <= 1 for a in history["accuracy"])
    expected = float(np.mean(Sigmoid().predictions(model.predict(X)) == y))
    assert model.evaluate(X, y, batch_size=10)["accuracy"] == pytest.approx(expected)


# ---- the pieces: minibatches, patch_to, History.line ------------------------------------------------------


def test_minibatches():
    from nnfs.model import minibatches

    assert [(s.start, s.stop) for s in minibatches(10, 4)] == [(0, 4), (4, 8), (8, 12)]
    assert [(s.start, s.stop) for s in minibatches(10, 5)] == [(0, 5), (5, 10)]
    assert [(s.start, s.stop) for s in minibatches(3, 10)] == [(0, 10)]
    assert [(s.start, s.stop) for s in minibatches(1, 1)] == [(0, 1)]
    assert [(s.start, s.stop) for s in minibatches(7, None)] == [(0, 7)]
    assert list(minibatches(0, 4)) == []
    order = np.array([4, 2, 0, 1, 3])
    assert [b.tolist() for b in minibatches(5, 2, order)] == [[4, 2], [0, 1], [3]]
    assert [b.tolist() for b in minibatches(5, None, order)] == [[4, 2, 0, 1, 3]]
    with pytest.raises(NNFSError, match="batch_size must be >= 1"):
        list(minibatches(5, 0))


def test_patch_to_attaches_a_method():
    from nnfs.model import patch_to

    class A:
        pass

    @patch_to(A)
    def double(self, x):
        return 2 * x

    assert A().double(3) == 6 and double(None, 4) == 8 and A.double is double


def test_history_line_format():
    h = History()
    for k, v in dict(
        loss=[0.5, 0.25], accuracy=[0.75, 0.875], val_loss=[0.625, 0.375], val_accuracy=[0.5, 0.8125]
    ).items():
        h[k] += v
    h.times += [1.25, 0.5]
    assert h.line() == "epoch 2    0.5s  loss 0.2500  acc 0.8750  val_loss 0.3750  val_acc 0.8125"
    assert h.line(1, 10) == "epoch  1/10    1.2s  loss 0.5000  acc 0.7500  val_loss 0.6250  val_acc 0.5000"
    h.times[0] = 35.25   # a CNN epoch: the columns stay where they were
    assert h.line(1, 10) == "epoch  1/10   35.2s  loss 0.5000  acc 0.7500  val_loss 0.6250  val_acc 0.5000"
    h2 = History()
    h2["loss"].append(1.0)
    assert h2.line() == "epoch 1  loss 1.0000" and h2.epochs == 1 and History().epochs == 0


def test_no_method_longer_than_a_screen():
    import inspect

    sizes = {name: len(inspect.getsource(f).splitlines()) for name, f in vars(Model).items() if callable(f)}
    assert {"train", "evaluate", "predict", "finalize", "_fit", "_one_epoch", "_one_batch"} <= set(sizes)
    assert max(sizes.values()) <= 60, sizes


# ---- the Layer protocol and the loss contracts -------------------------------------------------------------


def test_custom_layer_by_subclassing_layer_trains():
    X, y = spiral_data(20, 3)
    scale = Scale(2, name="scale", dtype=np.float32)
    m = Model([scale, Dense(2, 16), ReLU(), Dense(16, 3), Softmax()])
    m.set(loss=CategoricalCrossentropy(), optimizer=SGD(learning_rate=0.5)).finalize()
    assert m.trainable_layers == [scale, m.layers[1], m.layers[3]]
    assert m.layers[1].need_dinputs is True  # the first trainable layer is Scale now
    m.train(X, y, epochs=3, progress=False)
    assert not np.array_equal(scale.scale, np.ones((1, 2)))


def test_labels_are_checked_once_per_call(monkeypatch):
    calls = []
    original = CategoricalCrossentropy.check_targets

    def counting(self, *a):
        calls.append(a[1:])
        return original(self, *a)

    monkeypatch.setattr(CategoricalCrossentropy, "check_targets", counting)
    X, y = spiral_data(40, 3)
    m = spiral_model(hidden=8)
    m.train(X, y, epochs=3, batch_size=10, validation_data=(X[:30], y[:30]), progress=False)
    assert calls == [(120, 3), (30, 3)]  # y and y_val, once each: not for each of the 36 batches
    m.evaluate(X, y, batch_size=7)
    assert len(calls) == 3


def test_a_loss_without_validated_still_works():
    class PlainMSE:  # no base class, no output_activation, no `validated`: fits any output, checked per batch
        def forward(self, y_pred, y_true):
            return np.mean((y_pred - y_true) ** 2, axis=1)

        def backward(self, dvalues, y_true):
            self.dinputs = 2 * (dvalues - y_true) / dvalues.size
            return self.dinputs

    X, y = sine_data(50)
    m = (
        Model([Dense(1, 8), ReLU(), Dense(8, 1), Softmax()])
        .set(loss=PlainMSE(), optimizer=Adam(0.01))
        .finalize()
    )
    assert m._validated is False
    h = m.train(X, y, epochs=2, batch_size=16, progress=False)
    assert h.epochs == 2 and np.isfinite(h["loss"]).all()


def test_regularization_loss_is_the_library_function(monkeypatch):
    from nnfs import regularization
    from nnfs.regularization import L1L2

    layers = [
        Dense(2, 4, regularizer=L1L2(weight_l2=0.5)),
        ReLU(),
        Dense(4, 3, regularizer=L1L2(bias_l1=2.0)),
        Softmax(),
    ]
    layers[2].biases[:] = [[1.0, -2.0, 0.5]]
    m = Model(layers).set(loss=CategoricalCrossentropy(), optimizer=SGD()).finalize()
    expected = 0.5 * float(np.sum(layers[0].weights ** 2)) + 2.0 * 3.5
    assert m.regularization_loss() == pytest.approx(expected, rel=1e-6)
    monkeypatch.setattr(regularization, "regularization_loss", lambda ls: ("called", len(list(ls))))
    assert m.regularization_loss() == ("called", 4)


# ---- divergence -------------------------------------------------------------------------------------------


def fashion_like(n, seed=0):
    "Small synthetic images like Fashion-MNIST's: a blurred bright blob whose place and size give the class."
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:28, 0:28]
    y = rng.integers(0, 10, n)
    cy, cx, w = 8 + 12 * (y % 5) / 4, 8 + 12 * (y // 5), 3 + y % 3
    img = 255 * np.exp(
        -(((yy - cy[:, None, None]) / w[:, None, None]) ** 2 + ((xx - cx[:, None, None]) / 4) ** 2)
    )
    img = np.clip(img + rng.normal(0, 60, img.shape), 0, 255)
    return ((img.reshape(n, -1) - 127.5) / 127.5).astype(np.float32), y


def small_classifier(lr):
    nnfs.init(0)
    return (
        Model([Dense(784, 32), ReLU(), Dense(32, 32), ReLU(), Dense(32, 10), Softmax()])
        .set(loss=CategoricalCrossentropy(), optimizer=Adam(learning_rate=lr), accuracy=CategoricalAccuracy())
        .finalize()
    )


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("lr", [1e2, 1e4, 1e6, 1e8, 1e10])
def test_learning_rates_far_too_high_stop_training(lr):
    X, y = fashion_like(640)
    m = small_classifier(lr)
    with pytest.raises(TrainingDivergedError) as e:
        m.train(X, y, epochs=30, batch_size=64, progress=False)
    msg = str(e.value)
    assert "diverged at epoch 3: the loss grew from" in msg and "above 3 times its start for 3 epochs" in msg
    assert "learning rate that is too high" in msg and "not scaled" in msg


def test_a_good_learning_rate_does_not_stop():
    X, y = fashion_like(640)
    h = small_classifier(1e-2).train(X, y, epochs=6, batch_size=64, progress=False)
    assert h.epochs == 6 and h["accuracy"][-1] > 0.7 and h["loss"][-1] < h["loss"][0] / 3


def test_loss_growth_rule_boundaries():
    m = small_classifier(1e-3)
    m._epoch = 7

    def grows(losses, start):
        h = History()
        h["loss"] += losses
        try:
            m._check_loss_growth(h, start)
        except TrainingDivergedError as e:
            assert "at epoch 7:" in str(e) and f"{losses[-1]:.4g}" in str(e)
            return True
        return False

    assert grows([6.1, 6.1, 6.1], 2.0)
    assert grows([1.0, 6.1, 6.1, 6.1], 2.0)  # only the last three epochs count
    assert not grows([6.0, 6.1, 6.1], 2.0)  # exactly 3x is not above
    assert not grows([6.1, 6.1, 5.9], 2.0)
    assert not grows([6.1, 6.1], 2.0)  # fewer than three epochs
    assert not grows([6.1, 6.1, 6.1], 0.0)  # a perfect start: no ratio


def test_weights_that_become_nan_in_the_last_step_stop_training():
    class Poison(SGD):
        "SGD whose step number `bad` writes NaN into the first weight."

        bad = 4

        def step(self, layers):
            super().step(layers)
            if self.iterations == self.bad:
                layers[0].weights[0, 0] = np.nan

    X, y = spiral_data(10, 3)
    m = Model([Dense(2, 4), ReLU(), Dense(4, 3), Softmax()]).set(
        loss=CategoricalCrossentropy(), optimizer=Poison()
    )
    m.finalize()
    with pytest.raises(
        TrainingDivergedError, match=r"diverged at epoch 2, step 2 of 2: the weights became NaN or infinite"
    ):
        m.train(X, y, epochs=2, batch_size=15, progress=False)
    Poison.bad = 3  # in the middle of an epoch: caught after that very step, not at the epoch's end
    m = Model([Dense(2, 4), ReLU(), Dense(4, 3), Softmax()]).set(
        loss=CategoricalCrossentropy(), optimizer=Poison()
    )
    with pytest.raises(
        TrainingDivergedError, match=r"diverged at epoch 2, step 1 of 2: the weights became NaN"
    ):
        m.finalize().train(X, y, epochs=2, batch_size=15, progress=False)


def test_weights_that_are_nan_before_training_are_named():
    "Weights broken before `train` (set by hand, or loaded) are reported as such, not blamed on a step."
    X, y = spiral_data(10, 3)
    m = Model([Dense(2, 4), ReLU(), Dense(4, 3), Softmax()]).set(
        loss=CategoricalCrossentropy(), optimizer=SGD()
    )
    m.finalize()
    m.trainable_layers[1].biases[0, 2] = np.inf
    with (
        np.errstate(all="ignore"),
        pytest.raises(
            TrainingDivergedError,
            match=r"diverged at epoch 1: the weights were NaN or infinite "
            r"before the first step",
        ),
    ):
        m.train(X, y, epochs=2, batch_size=15, progress=False)


def test_a_loss_that_overflows_with_finite_weights_is_named():
    "Finite weights whose loss overflows: the loss is blamed, at the step where it happened."
    X = np.full((4, 1), 1e200)
    m = Model([Dense(1, 1), Linear()]).set(loss=MeanSquaredError(), optimizer=SGD(1e-300))
    m.finalize()
    m.trainable_layers[0].weights[...] = 1.0
    with (
        np.errstate(all="ignore"),
        pytest.raises(TrainingDivergedError, match=r"epoch 1, step 1 of 2: the loss became inf"),
    ):
        m.train(X, np.zeros(4), batch_size=2, progress=False, shuffle=False)


def test_batch_size_is_checked_everywhere():
    X, y = spiral_data(5, 3)
    m = spiral_model(hidden=4)
    for call in (
        lambda: m.evaluate(X, y, batch_size=0),
        lambda: m.predict(X, batch_size=0),
        lambda: m.train(X, y, batch_size=1.5, progress=False),
    ):
        with pytest.raises(NNFSError, match="batch_size must be"):
            call()


def test_weights_finite_check_sees_every_array():
    m = spiral_model(hidden=4)
    assert m._weights_finite()
    for layer in m.trainable_layers:
        for p in layer.parameters().values():
            p.flat[-1] = np.inf
            assert not m._weights_finite()
            p.flat[-1] = 0.0
    assert m._weights_finite()


# ---- inputs: range warning, one sample --------------------------------------------------------------------


def test_predict_warns_about_inputs_far_outside_the_training_range():
    import warnings

    X, y = fashion_like(200)
    m = small_classifier(1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.predict(X * 255)  # never trained: no range known, no warning
    assert m.input_range is None
    m.train(X, y, epochs=1, progress=False)
    lo, hi = m.input_range
    assert lo == float(X.min()) and hi == float(X.max())
    raw = np.round(X * 127.5 + 127.5)
    with pytest.warns(UserWarning, match=r"Model.predict: the inputs range from 0 to 255.*prepare_images"):
        m.predict(raw)
    with pytest.warns(UserWarning, match="Model.evaluate"):
        m.evaluate(raw, y)
    w = hi - lo
    edge = X.copy()
    edge[0, 0], edge[0, 1] = hi + w, lo - w
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.predict(edge)  # within one width of the range: fine
        m.predict(X[:1])
    for value in (hi + 1.01 * w, lo - 1.01 * w):
        edge[0, 0] = value
        with pytest.warns(UserWarning, match="trained on inputs from"):
            m.predict(edge)
    m.train(X * 2, y, epochs=1, progress=False)  # a second call widens the range
    assert m.input_range == (float(2 * X.min()), float(2 * X.max()))


def test_one_sample_as_a_vector_gets_a_reshape_hint():
    X, y = fashion_like(20)
    m = small_classifier(1e-3)
    with pytest.raises(NNFSError, match=r"one sample of shape \(784,\).*X.reshape\(1, -1\)"):
        m.predict(X[0])
    with pytest.raises(NNFSError, match=r"expected X of shape \(samples, 784\), got \(783,\)"):
        m.predict(X[0, 1:])
    assert m.predict(X[0].reshape(1, -1)).shape == (1, 10)
    with pytest.raises(NNFSError, match="no samples"):
        m.predict(X[:0])


def test_sizes_one():
    X, y = spiral_data(1, 3)
    m = spiral_model(hidden=4)
    h = m.train(X[:1], y[:1], epochs=2, batch_size=1, validation_data=(X[:1], y[:1]), progress=False)
    assert h.epochs == 2 and h["accuracy"][0] in (0.0, 1.0) and m.optimizer.iterations == 2
    res = m.evaluate(X[:1], y[:1])
    assert res["accuracy"] in (0.0, 1.0) and res["loss"] > 0
    assert m.predict(X[:1], batch_size=1).shape == (1, 3)


# ---------------------------------------------------------------- defaults, edge cases, the progress display
def test_a_new_model_is_not_finalized_and_add_chains():
    m = Model()
    assert m.finalized is False
    with pytest.raises(NNFSError, match=r"finalize\(\) first"):
        m.predict(np.ones((2, 2)))
    dense, soft = Dense(2, 3), Softmax()
    assert m.add(dense).add(soft) is m and m.layers == [dense, soft]
    m.set(loss=CategoricalCrossentropy())
    assert repr(m) == "Model([Dense(n_inputs=2, n_neurons=3), Softmax()], loss=CategoricalCrossentropy)"
    assert repr(Model()) == "Model([], loss=None)"


def test_a_model_without_trainable_layers_predicts_but_cannot_train():
    m = Model([ReLU()]).finalize()
    out = m.predict(np.array([[1.0, -2.0]]))  # float64 inputs: converted to the package dtype once
    assert out.dtype == np.float32 and out.tolist() == [[1.0, 0.0]]
    with pytest.raises(NNFSError, match="Model.predict: X has no samples"):
        m.predict(np.float64(2.0))
    m.set(loss=MeanSquaredError(), optimizer=SGD()).finalize()
    with pytest.raises(NNFSError, match="no trainable layers"):
        m.train(np.ones((3, 1)), np.ones(3), progress=False)


def test_wrong_column_count_gets_no_flatten_hint():
    m = spiral_model(hidden=4)
    with pytest.raises(NNFSError, match=r"expected X of shape \(samples, 2\), got \(30, 3\)$"):
        m.predict(np.ones((30, 3)))


def test_float64_inputs_train_like_float32_inputs():
    "Inputs are converted to the layers' dtype before the first layer: a leading Dropout draws the same mask."
    X, y = spiral_data(20, 3)

    def run(X):
        nnfs.init(3)
        m = Model([Dropout(0.5), Dense(2, 3), Softmax()]).set(loss=CategoricalCrossentropy(), optimizer=SGD())
        h = m.finalize().train(X, y, epochs=2, batch_size=16, progress=False)
        return h["loss"], params(m)

    (l64, p64), (l32, p32) = run(X.astype(np.float64)), run(X.astype(np.float32))
    assert l64 == l32 and all(np.array_equal(a, b) for a, b in zip(p64, p32))


def test_float64_targets_are_compared_in_the_model_dtype():
    "A float32 model that outputs float32(y) exactly scores full accuracy, however tight the tolerance."
    nnfs.init(0)
    m = Model([Dense(1, 1, init="zeros"), Linear()])
    m.set(loss=MeanSquaredError(), accuracy=RegressionAccuracy(precision_divisor=1e9)).finalize()
    m.layers[0].weights[:] = 1
    y = np.array([0.1, 0.2, 0.3, 0.7])
    assert m.evaluate(y.reshape(-1, 1), y) == {"loss": 0.0, "accuracy": 1.0}


def test_a_loss_whose_signature_cannot_be_read_gets_no_validated_argument():
    class Opaque:
        "A callable whose signature inspect cannot read (as for some functions written in C)."
        __signature__ = "unreadable"

        def __init__(self, fn):
            self.fn = fn

        def __call__(self, *args):
            return self.fn(*args)

    loss = MeanSquaredError()
    loss.forward = Opaque(lambda y_pred, y_true: MeanSquaredError.forward(loss, y_pred, y_true))
    loss.backward = Opaque(lambda dvalues, y_true: MeanSquaredError.backward(loss, dvalues, y_true))
    X, y = sine_data(20)
    nnfs.init(0)
    m = Model([Dense(1, 4), ReLU(), Dense(4, 1), Linear()]).set(loss=loss, optimizer=SGD()).finalize()
    h = m.train(X, y, epochs=2, progress=False)
    assert h.epochs == 2 and np.isfinite(h["loss"]).all()
    np.testing.assert_allclose(m.evaluate(X, y)["loss"], MeanSquaredError().calculate(m.predict(X), y))


def test_forward_defaults_to_training_mode():
    nnfs.init(0)
    m = Model([Dropout(0.5)]).finalize()
    X = np.ones((4, 50), dtype=np.float32)
    out = m.forward(X)
    assert m.layers[0].mask is not None and set(np.unique(out)) == {0.0, 2.0}
    assert np.array_equal(m.forward(X, training=False), X) and m.layers[0].mask is None


def test_train_defaults_one_epoch_with_progress_lines(capsys):
    X, y = spiral_data(10, 3)
    h = spiral_model(hidden=4).train(X, y)
    assert h.epochs == 1
    assert capsys.readouterr().out == h.line(1, 1) + "\n"


def test_each_epoch_line_is_flushed_at_once(monkeypatch):
    class Recorder(io.StringIO):
        "Records how many lines had been written at each flush."
        def __init__(self):
            super().__init__()
            self.flushed_at = []

        def flush(self):
            self.flushed_at.append(self.getvalue().count("\n"))
            super().flush()

    out = Recorder()
    monkeypatch.setattr(sys, "stdout", out)
    X, y = spiral_data(10, 3)
    spiral_model(hidden=4).train(X, y, epochs=2, progress=True)
    assert out.getvalue().count("\n") == 2 and {1, 2} <= set(out.flushed_at)


def test_epoch_times_are_within_the_call():
    X, y = spiral_data(10, 3)
    t0 = time.perf_counter()
    h = spiral_model(hidden=4).train(X, y, epochs=3, progress=False)
    total = time.perf_counter() - t0
    assert len(h.times) == 3 and min(h.times) >= 0 and sum(h.times) <= total


def test_evaluate_on_one_sample_is_its_loss():
    X, y = spiral_data(1, 3)
    m = spiral_model(hidden=4)
    res = m.evaluate(X[:1], y[:1])
    np.testing.assert_allclose(res["loss"], CategoricalCrossentropy().calculate(m.predict(X[:1]), y[:1]),
                               rtol=1e-6)


def test_an_accuracy_that_compares_nothing_gives_none():
    class PositivesOnly:
        "Accuracy over the samples whose target is positive (none here)."
        def init(self, y):
            pass

        def compare(self, predictions, y):
            y = np.asarray(y).reshape(predictions.shape)
            return (np.abs(predictions - y) < 0.5)[y > 0]

    nnfs.init(0)
    m = Model([Dense(1, 1), Linear()]).set(loss=MeanSquaredError(), optimizer=SGD(), accuracy=PositivesOnly())
    m.finalize()
    X, y = np.ones((4, 1)), np.zeros(4)
    assert m.evaluate(X, y)["accuracy"] is None
    h = m.train(X, y, epochs=1, progress=False)
    assert h["accuracy"] == [] and len(h["loss"]) == 1


def test_loss_growth_rule_with_a_start_below_one():
    m = Model([ReLU()]).finalize()
    m._epoch = 4
    h = History()
    h["loss"] += [1.6, 1.7, 1.8]
    with pytest.raises(TrainingDivergedError, match="epoch 4: the loss grew from 0.5 at the start to 1.8 "):
        m._check_loss_growth(h, 0.5)


def test_validation_data_of_three_items_is_refused():
    X, y = spiral_data(10, 3)
    with pytest.raises(NNFSError, match=r"validation_data must be a pair \(X_val, y_val\)"):
        spiral_model(hidden=4).train(X, y, validation_data=(X, y, None), progress=False)


def test_input_range_spans_every_training_call():
    nnfs.init(0)
    m = Model([Dense(1, 1), Linear()]).set(loss=MeanSquaredError(), optimizer=SGD(1e-3)).finalize()
    m.train(np.array([[0.0], [1.0]]), np.zeros(2), progress=False)
    m.train(np.array([[2.0], [3.0]]), np.zeros(2), progress=False)
    assert m.input_range == (0.0, 3.0)


def test_a_constant_training_input_gets_a_tiny_range():
    "With every training input equal the width is taken as 1e-12: anything beyond that warns."
    nnfs.init(0)
    m = Model([Dense(1, 1), Linear()]).set(loss=MeanSquaredError(), optimizer=SGD()).finalize()
    m.train(np.zeros((3, 1)), np.zeros(3), progress=False)
    assert m.input_range == (0.0, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.predict(np.array([[0.5e-12]]))
    with pytest.warns(UserWarning, match="trained on inputs from 0 to 0"):
        m.predict(np.array([[1.5e-12]]))


def test_the_range_warning_points_at_the_callers_line():
    nnfs.init(0)
    m = Model([Dense(1, 1), Linear()]).set(loss=MeanSquaredError(), optimizer=SGD()).finalize()
    m.train(np.array([[0.0], [1.0]]), np.zeros(2), progress=False)
    with pytest.warns(UserWarning, match="Model.predict") as rec:
        m.predict(np.array([[10.0]]))
    with pytest.warns(UserWarning, match="Model.evaluate") as rec2:
        m.evaluate(np.array([[10.0]]), np.zeros(1))
    assert rec[0].filename == rec2[0].filename == __file__


class _FakeBar:
    "Stands in for the tqdm bar: records its settings, its steps, its postfixes and whether it was closed."
    def __init__(self, total, enabled=True, **kwargs):
        self.total, self.enabled, self.kwargs = total, enabled, kwargs
        self.steps, self.closed, self.container, self.postfixes = [], False, object(), []

    def set_postfix_str(self, s, refresh=True):
        self.postfixes.append(s)

    def update(self, k):
        self.steps.append(k)

    def close(self):
        self.closed = True


def _fake_bars(monkeypatch, live=True):
    "Record the bars `train` makes instead of drawing them; `live`: whether the output is watched."
    import nnfs.model

    bars = []

    def progress_bar(*args, **kwargs):
        bars.append(_FakeBar(*args, **kwargs))
        return bars[-1]

    monkeypatch.setattr(nnfs.model, "progress_bar", progress_bar)
    monkeypatch.setattr(nnfs.model, "_live", lambda: live)
    return bars


def test_text_bar_advances_one_per_step_with_the_running_loss_and_accuracy(monkeypatch, capsys):
    bars = _fake_bars(monkeypatch)
    X, y = spiral_data(10, 3)
    m = spiral_model(hidden=4)
    h = m.train(X, y, epochs=2, batch_size=8, progress=True)
    assert [b.kwargs["desc"] for b in bars] == ["epoch 1/2", "epoch 2/2"]
    assert all(b.kwargs["leave"] is False and "{postfix}" in b.kwargs["bar_format"] for b in bars)
    assert all(b.total == 4 and b.enabled and b.steps == [1, 1, 1, 1] and b.closed for b in bars)
    # after the last step the bar shows the epoch's mean loss and accuracy, as the history records them
    for e, bar in enumerate(bars):
        assert len(bar.postfixes) == 4
        assert bar.postfixes[-1] == f"loss {h['loss'][e]:.4f} acc {h['accuracy'][e]:.4f}"
    assert capsys.readouterr().out.splitlines() == [h.line(1, 2), h.line(2, 2)]


def test_no_bar_when_nobody_watches_only_the_lines(monkeypatch, capsys):
    "Output to a file, or a notebook run by a test: no bar (its states would stay as clutter), just lines."
    bars = _fake_bars(monkeypatch, live=False)
    X, y = spiral_data(10, 3)
    h = spiral_model(hidden=4).train(X, y, epochs=2, batch_size=8, progress=True)
    assert bars == []
    assert capsys.readouterr().out.splitlines() == [h.line(1, 2), h.line(2, 2)]


def test_live_means_a_terminal_or_a_jupyter_kernel(monkeypatch):
    import io
    import sys
    import types

    import nnfs.model

    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stdout", Tty())
    assert nnfs.model._live()
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    ipython = types.SimpleNamespace(get_ipython=lambda: None)
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    assert not nnfs.model._live()  # plain Python, output redirected
    kernel_shell = type("ZMQInteractiveShell", (), {"__module__": "ipykernel.zmqshell"})()
    ipython.get_ipython = lambda: kernel_shell
    assert nnfs.model._live()  # JupyterLab
    capture_shell = type("CaptureShell", (), {"__module__": "execnb.shell"})()
    ipython.get_ipython = lambda: capture_shell
    assert not nnfs.model._live()  # nbdev-test running a notebook


def test_epoch_numbers_are_padded_so_the_columns_do_not_move(monkeypatch):
    bars = _fake_bars(monkeypatch)
    X, y = spiral_data(10, 3)
    h = spiral_model(hidden=4).train(X, y, epochs=10, batch_size=30, progress=True)
    assert bars[0].kwargs["desc"] == "epoch  1/10" and bars[-1].kwargs["desc"] == "epoch 10/10"
    lines = [h.line(e, 10) for e in range(1, 11)]
    assert lines[0].startswith("epoch  1/10  ") and lines[-1].startswith("epoch 10/10  ")
    h.times[:] = [0.5] * 10
    assert len({len(h.line(e, 10)) for e in range(1, 11)}) == 1  # fixed-width values: same length
    assert max(len(h.line(e, 100)) for e in range(1, 11)) <= 80


def test_history_plot_draws_loss_and_accuracy_per_epoch():
    import matplotlib.pyplot as plt

    h = History()
    h["loss"] += [1.0, 0.5, 0.25]
    h["val_loss"] += [1.1, 0.6, 0.3]
    h["accuracy"] += [0.2, 0.4, 0.6]
    axes = h.plot()
    try:
        assert len(axes) == 2 and list(axes[0].figure.get_size_inches()) == [8.0, 3.0]
        (l_ax, a_ax) = axes
        assert [l_ax.get_title(), a_ax.get_title()] == ["loss", "accuracy"]
        assert [ln.get_label() for ln in l_ax.lines] == ["training", "validation"]
        assert [ln.get_label() for ln in a_ax.lines] == ["training"]  # no validation accuracy recorded
        assert all(list(ln.get_xdata()) == [1, 2, 3] for ln in l_ax.lines + a_ax.lines)
        assert list(l_ax.lines[1].get_ydata()) == [1.1, 0.6, 0.3] and l_ax.get_xlabel() == "epoch"
        fig, own = plt.subplots(1, 2)
        assert h.plot(own) is own and len(own[1].lines) == 1  # draws into the axes it is given
    finally:
        plt.close("all")


def test_a_ragged_list_is_refused_with_a_clear_error():
    X, y = spiral_data(10, 3)
    m = spiral_model(hidden=4)
    with pytest.raises(NNFSError, match="Model.predict: X is not an array of numbers"):
        m.predict([[1.0, 2.0], [3.0]])


def test_a_classification_loss_that_subclasses_loss_fits_a_softmax_output():
    "The base class's `output_activation = None` means any output layer; regression is declared."
    from nnfs.losses import REGRESSION, Loss

    class MyCrossEntropy(Loss):
        def forward(self, y_pred, y_true):
            return -np.log(np.clip(y_pred[np.arange(len(y_pred)), y_true], 1e-7, 1))

        def backward(self, y_pred, y_true):
            d = np.zeros_like(y_pred)
            d[np.arange(len(y_pred)), y_true] = -1 / np.clip(y_pred[np.arange(len(y_pred)), y_true], 1e-7, 1)
            self.dinputs = d / len(y_pred)
            return self.dinputs

    X, y = spiral_data(20, 3)
    m = Model([Dense(2, 8), ReLU(), Dense(8, 3), Softmax()]).set(loss=MyCrossEntropy(), optimizer=Adam(0.01))
    m.finalize()  # not refused: a Loss subclass fits any output unless it declares one
    assert np.isfinite(m.train(X, y, epochs=2, progress=False)["loss"]).all()
    assert MeanSquaredError.output_activation == REGRESSION
    with pytest.raises(NNFSError, match="MeanSquaredError needs a regression output"):
        Model([Dense(2, 3), Softmax()]).set(loss=MeanSquaredError()).finalize()
    with pytest.raises(NNFSError, match="needs a regression output"):
        Model([Dense(2, 1), Sigmoid()]).set(loss=MeanSquaredError()).finalize()
