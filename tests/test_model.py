"""The Model (lesson 16): training, the fused softmax/cross-entropy backward, history, batched
evaluate/predict, reproducibility, and the errors users can cause."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import nnfs
from nnfs import NNFSError
from nnfs.activations import Linear, ReLU, Sigmoid, Softmax
from nnfs.datasets import sine_data, spiral_data
from nnfs.layers import Dense, Dropout
from nnfs.losses import BinaryCrossentropy, CategoricalCrossentropy, MeanSquaredError, SoftmaxCrossEntropy
from nnfs.metrics import BinaryAccuracy, CategoricalAccuracy, RegressionAccuracy
from nnfs.model import History, Input, Model, NonFiniteLossError
from nnfs.optimizers import SGD, Adam


def spiral_model(hidden=128, lr=0.02, accuracy=True):
    m = Model([Dense(2, hidden), ReLU(), Dense(hidden, 3), Softmax()])
    return m.set(loss=CategoricalCrossentropy(), optimizer=Adam(learning_rate=lr, decay=5e-7),
                 accuracy=CategoricalAccuracy() if accuracy else None).finalize()


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
    assert isinstance(m.input_layer, Input) and layers[0].prev is m.input_layer
    for a, b in zip(layers, layers[1:]):
        assert a.next is b and b.prev is a
    assert layers[-1].next is m.loss and m.output_activation is layers[-1]
    assert m.trainable_layers == [layers[1], layers[3]]
    assert layers[1].need_dinputs is False and layers[3].need_dinputs is True
    # backward stops at the first trainable layer: the leading Dropout is never asked for a gradient
    m.train(*spiral_data(10, 3), epochs=2, batch_size=8, progress=False)
    assert not hasattr(layers[0], "dinputs") and layers[1].dinputs is None


def test_fused_softmax_crossentropy_is_used(monkeypatch):
    X, y = spiral_data(20, 3)
    m = spiral_model(hidden=16)
    assert isinstance(m.softmax_ce, SoftmaxCrossEntropy)
    def fail(*a, **k): raise AssertionError("the slow path was used")
    monkeypatch.setattr(Softmax, "backward", fail)
    monkeypatch.setattr(CategoricalCrossentropy, "backward", fail)
    before = params(m)
    m.train(X, y, epochs=1, shuffle=False, progress=False)
    # the gradient it used is the analytic (softmax - onehot)/N, backpropagated by hand here
    d_logits = m.layers[-1].output.copy(); d_logits[np.arange(len(y)), y] -= 1; d_logits /= len(y)
    np.testing.assert_allclose(m.layers[2].dweights, m.layers[2].inputs.T @ d_logits, rtol=1e-5, atol=1e-7)
    assert any(not np.array_equal(a, b) for a, b in zip(before, params(m)))
    # no fusion when the loss is not cross-entropy
    m2 = Model([Dense(2, 3), Softmax()]).set(loss=MeanSquaredError()).finalize()
    assert m2.softmax_ce is None


def test_softmax_crossentropy_as_the_loss_equals_categorical_crossentropy():
    "With a Softmax output, loss=SoftmaxCrossEntropy() means the same as CategoricalCrossentropy() (fused either way)."
    X, y = spiral_data(30, 3)
    runs = []
    for loss in (CategoricalCrossentropy(), SoftmaxCrossEntropy()):
        nnfs.init(1)
        m = Model([Dense(2, 16), ReLU(), Dense(16, 3), Softmax()]).set(loss=loss, optimizer=Adam(0.01)).finalize()
        assert isinstance(m.softmax_ce, SoftmaxCrossEntropy)
        h = m.train(X, y, epochs=5, batch_size=32, progress=False)
        runs.append((h["loss"], m.evaluate(X, y)["loss"], params(m)))
    assert runs[0][0] == runs[1][0] and runs[0][1] == runs[1][1]
    assert all(np.array_equal(a, b) for a, b in zip(runs[0][2], runs[1][2]))


def test_one_step_matches_a_hand_written_step():
    X, y = spiral_data(30, 3)
    nnfs.init(5); m = spiral_model(hidden=8, lr=0.01)
    nnfs.init(5); d1, d2 = Dense(2, 8), Dense(8, 3)
    act, sce, opt = ReLU(), SoftmaxCrossEntropy(), Adam(learning_rate=0.01, decay=5e-7)
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
    assert all(len(h[k]) == 5 for k in ("loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "reg_loss"))
    assert all(0 <= a <= 1 for a in h["accuracy"] + h["val_accuracy"])
    lr = h["learning_rate"]
    assert all(a > b for a, b in zip(lr, lr[1:]))                       # decay lowers it each epoch
    np.testing.assert_allclose(lr[-1], 0.02 / (1 + 5e-7 * (5 * 5 - 1)))   # 5 steps per epoch (150 / 32)
    assert m.optimizer.iterations == 25
    res = m.evaluate(Xv, yv)
    np.testing.assert_allclose([h["val_loss"][-1], h["val_accuracy"][-1]], [res["loss"], res["accuracy"]], rtol=1e-6)
    h2 = m.train(X, y, epochs=2, progress=False)                        # a new History per call
    assert h2.epochs == 2 and h2["val_loss"] == [] and h.epochs == 5
    h3 = spiral_model(accuracy=False).train(X, y, epochs=1, progress=False)
    assert h3["accuracy"] == [] and len(h3["loss"]) == 1


def test_training_loss_is_the_mean_over_the_epoch_batches():
    X, y = spiral_data(20, 3)
    m = spiral_model(hidden=8, lr=1e-9)   # weights barely move: epoch loss == loss of the start weights
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
        h = m.train(X, y, epochs=3, batch_size=16, progress=False,
                    rng=None if rng_seed is None else np.random.default_rng(rng_seed))
        return dict(h), params(m)
    (h1, p1), (h2, p2), (h3, p3) = run(1), run(1), run(2)
    assert h1 == h2 and all(np.array_equal(a, b) for a, b in zip(p1, p2))
    assert h1 != h3
    (h4, _), (h5, _), (h6, _) = run(1, 7), run(1, 7), run(1, 8)    # shuffling from an explicit rng
    assert h4 == h5 and h4 != h6


def test_binary_and_regression_models():
    X, y = spiral_data(100, 2)
    m = Model([Dense(2, 64), ReLU(), Dense(64, 1), Sigmoid()])
    m.set(loss=BinaryCrossentropy(), optimizer=Adam(0.01, decay=5e-7), accuracy=BinaryAccuracy()).finalize()
    assert m.softmax_ce is None
    h = m.train(X, y, epochs=300, progress=False)      # 1-D labels are reshaped to (n, 1)
    assert h["accuracy"][-1] > 0.8
    Xs, ys = sine_data(200)
    r = Model([Dense(1, 32), ReLU(), Dense(32, 32), ReLU(), Dense(32, 1), Linear()])
    r.layers[0].weights[:] = np.random.default_rng(0).standard_normal((1, 32)) * 0.1
    r.set(loss=MeanSquaredError(), optimizer=Adam(0.005, decay=1e-3), accuracy=RegressionAccuracy()).finalize()
    h = r.train(Xs, ys, epochs=300, progress=False)
    assert h["loss"][-1] < 0.2 * h["loss"][0]
    assert r.predict(Xs).shape == (200, 1)


# ---- errors ---------------------------------------------------------------------------------------------

def test_errors_before_finalize_and_missing_parts():
    X, y = spiral_data(10, 3)
    m = Model([Dense(2, 3), Softmax()]).set(loss=CategoricalCrossentropy(), optimizer=SGD())
    for call in (lambda: m.train(X, y, progress=False), lambda: m.evaluate(X, y), lambda: m.predict(X)):
        with pytest.raises(NNFSError, match=r"finalize\(\) first"): call()
    m.finalize().add(ReLU())   # changed after finalize: must finalize again
    with pytest.raises(NNFSError, match=r"finalize\(\) first"): m.predict(X)
    with pytest.raises(NNFSError, match="no layers"): Model().finalize()
    with pytest.raises(NNFSError, match="forward"): Model().add(np.zeros(3))
    with pytest.raises(NNFSError, match="step"): Model().set(optimizer=object())
    no_opt = Model([Dense(2, 3), Softmax()]).set(loss=CategoricalCrossentropy()).finalize()
    with pytest.raises(NNFSError, match="no optimizer"): no_opt.train(X, y, progress=False)
    no_loss = Model([Dense(2, 3), Softmax()]).set(optimizer=SGD()).finalize()
    with pytest.raises(NNFSError, match="no loss"): no_loss.train(X, y, progress=False)
    with pytest.raises(NNFSError, match="no loss"): no_loss.evaluate(X, y)


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
    with pytest.raises(NNFSError, match="batch_size must be >= 1"): m.train(X, y, batch_size=0, progress=False)
    with pytest.raises(NNFSError, match="epochs must be >= 1"): m.train(X, y, epochs=0, progress=False)
    r = Model([Dense(2, 2), Linear()]).set(loss=MeanSquaredError(), optimizer=SGD()).finalize()
    with pytest.raises(NNFSError, match=r"expected y of shape \(30, 2\).*got \(30,\)"):
        r.train(X, y, progress=False)


@pytest.mark.parametrize("out,loss,acc,match", [
    (Sigmoid, CategoricalCrossentropy, None, "CategoricalCrossentropy needs a Softmax output layer, but the last layer is Sigmoid"),
    (Linear, SoftmaxCrossEntropy, None, "SoftmaxCrossEntropy needs a Softmax output layer, but the last layer is Linear"),
    (Softmax, BinaryCrossentropy, None, "BinaryCrossentropy needs a Sigmoid output layer, but the last layer is Softmax"),
    (Softmax, CategoricalCrossentropy, RegressionAccuracy, "RegressionAccuracy needs a regression output.*last layer is Softmax"),
    (Sigmoid, BinaryCrossentropy, CategoricalAccuracy, "CategoricalAccuracy needs a Softmax output layer, but the last layer is Sigmoid"),
    (Linear, MeanSquaredError, BinaryAccuracy, "BinaryAccuracy needs a Sigmoid output layer, but the last layer is Linear"),
])
def test_loss_and_accuracy_must_fit_the_output_layer(out, loss, acc, match):
    m = Model([Dense(2, 3), out()]).set(loss=loss(), optimizer=SGD(), accuracy=acc() if acc else None)
    with pytest.raises(NNFSError, match=match): m.finalize()


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning", "ignore:invalid value encountered:RuntimeWarning")
def test_nan_loss_stops_training():
    X, y = spiral_data(10, 3)
    X[25, 0] = np.nan      # in the third batch of 10 when not shuffled
    m = spiral_model(hidden=4)
    with pytest.raises(NonFiniteLossError, match=r"loss became nan at epoch 1, step 3 of 3.*learning rate.*scaled"):
        m.train(X, y, batch_size=10, shuffle=False, progress=False)
    assert issubclass(NonFiniteLossError, NNFSError)
    X, y = spiral_data(50, 3)   # a learning rate far too high blows the weights up
    m = Model([Dense(2, 64), ReLU(), Dense(64, 64), ReLU(), Dense(64, 3), Softmax()])
    m.set(loss=CategoricalCrossentropy(), optimizer=SGD(learning_rate=1e12)).finalize()
    with pytest.raises(NNFSError, match=r"loss became (nan|inf) at epoch \d+, step"):
        m.train(X, y, epochs=50, progress=False)


def test_progress_bar(capsys):
    X, y = spiral_data(10, 3)
    spiral_model(hidden=4).train(X, y, epochs=2, batch_size=8, progress=True)
    err = capsys.readouterr().err
    assert "epoch 2/2" in err and "8/8" in err



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
    "With several sigmoid outputs, accuracy is the fraction of right outputs (never above 1), in train and evaluate."
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
    model.set(loss=BinaryCrossentropy(), optimizer=Adam(learning_rate=0.01), accuracy=BinaryAccuracy()).finalize()
    history = model.train(X, y, epochs=3, batch_size=16, progress=False)
    assert all(0 <= a <= 1 for a in history["accuracy"])
    expected = float(np.mean(Sigmoid().predictions(model.predict(X)) == y))
    assert model.evaluate(X, y, batch_size=10)["accuracy"] == pytest.approx(expected)
