"""The exercise checkers of lessons 18-20 accept the reference answers and reject plausible wrong ones."""

import zipfile

import numpy as np
import pytest

from nnfs.exercises import check
from nnfs.layers import Layer
from nnfs.serialization import load_model


# ---- 18.1 --------------------------------------------------------------------------------------------------
def headers(path):
    found = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            with zf.open(info) as f:
                np.lib.format.read_magic(f)
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            found[info.filename[:-4]] = (str(dtype), shape)
    return found


def headers_keep_suffix(path):
    return {k + ".npy": v for k, v in headers(path).items()}


def headers_native_dtype(path):
    return {k: (str(np.dtype(d).newbyteorder("=")), s) for k, (d, s) in headers(path).items()}


def headers_swapped(path):
    return {k: (str(s), d) for k, (d, s) in headers(path).items()}


# ---- 18.2 --------------------------------------------------------------------------------------------------
def leaky(forward_alpha=True, backward_alpha=True, config=True, default=0.01):
    class LeakyReLU(Layer):
        def __init__(self, alpha: float = default):
            self.alpha = alpha

        def forward(self, inputs, training=True):
            self.inputs = inputs
            self.output = np.where(inputs > 0, inputs, (self.alpha if forward_alpha else 0) * inputs)
            return self.output

        def backward(self, dvalues):
            self.dinputs = np.where(self.inputs > 0, dvalues, (self.alpha if backward_alpha else 1) * dvalues)
            return self.dinputs

        def config(self):
            return {"alpha": self.alpha} if config else {}

    return LeakyReLU


# ---- 18.3 --------------------------------------------------------------------------------------------------
def resume(path, X, y, epochs):
    m = load_model(path)
    m.train(X, y, epochs=epochs, batch_size=32, progress=False, rng=np.random.default_rng(0))
    return m


def resume_fresh_optimizer(path, X, y, epochs):
    from nnfs.optimizers import Adam

    m = load_model(path).set(optimizer=Adam(0.01, decay=0.01)).finalize()
    m.train(X, y, epochs=epochs, batch_size=32, progress=False, rng=np.random.default_rng(0))
    return m


def resume_one_epoch_short(path, X, y, epochs):
    return resume(path, X, y, epochs - 1)


def resume_other_batches(path, X, y, epochs):
    m = load_model(path)
    m.train(X, y, epochs=epochs, batch_size=16, progress=False, rng=np.random.default_rng(0))
    return m


# ---- 19 ----------------------------------------------------------------------------------------------------
def abstain(confidence, correct, target):
    for t in np.sort(np.unique(confidence)):
        if correct[confidence >= t].mean() >= target:
            return float(t)
    return None


def abstain_strict(confidence, correct, target):
    for t in np.sort(np.unique(confidence)):
        kept = confidence > t
        if kept.any() and correct[kept].mean() >= target:
            return float(t)
    return None


def abstain_largest(confidence, correct, target):
    ok = [t for t in np.unique(confidence) if correct[confidence >= t].mean() >= target]
    return float(max(ok)) if ok else None


def center(crop, size):
    out = np.zeros((size, size), dtype=crop.dtype)
    h, w = crop.shape
    top, left = (size - h) // 2, (size - w) // 2
    out[top : top + h, left : left + w] = crop
    return out


def center_round_up(crop, size):
    out = np.zeros((size, size), dtype=crop.dtype)
    h, w = crop.shape
    top, left = (size - h + 1) // 2, (size - w + 1) // 2
    out[top : top + h, left : left + w] = crop
    return out


def center_swapped(crop, size):
    out = np.zeros((size, size), dtype=crop.dtype)
    h, w = crop.shape
    top, left = (size - w) // 2, (size - h) // 2
    out[top : top + h, left : left + w] = crop
    return out


def shift(images, k):
    out = np.zeros_like(images)
    out[:, :, k:] = images[:, :, : images.shape[2] - k]
    return out


def shift_roll(images, k):
    return np.roll(images, k, axis=2)


def shift_down(images, k):
    out = np.zeros_like(images)
    out[:, k:, :] = images[:, : images.shape[1] - k, :]
    return out


def shift_broken_zero(images, k):
    out = np.zeros_like(images)
    out[:, :, k:] = images[:, :, :-k] if k else 0
    return out


# ---- 20 ----------------------------------------------------------------------------------------------------
def tie(a, b):
    spread = max(max(a) - min(a), max(b) - min(b))
    return abs(float(np.mean(a)) - float(np.mean(b))) <= spread


def tie_strict(a, b):
    spread = max(max(a) - min(a), max(b) - min(b))
    return abs(float(np.mean(a)) - float(np.mean(b))) < spread


def tie_std(a, b):
    return abs(float(np.mean(a)) - float(np.mean(b))) <= max(np.std(a), np.std(b))


def best_epoch(accs):
    return int(np.argmax(accs)) + 1


def best_epoch_zero_based(accs):
    return int(np.argmax(accs))


def best_epoch_last_on_ties(accs):
    return len(accs) - int(np.argmax(accs[::-1]))


def gain(runs, hidden):
    best = lambda rate: [
        max(r["val_accuracy"])
        for r in runs
        if r["hidden"] == hidden and r["dropout"] == rate and r["decay"] == 5e-4
    ]
    return float(np.mean(best(0.1)) - np.mean(best(0.0)))


def gain_last_epoch(runs, hidden):
    last = lambda rate: [
        r["val_accuracy"][-1]
        for r in runs
        if r["hidden"] == hidden and r["dropout"] == rate and r["decay"] == 5e-4
    ]
    return float(np.mean(last(0.1)) - np.mean(last(0.0)))


def gain_any_decay(runs, hidden):
    best = lambda rate: [
        max(r["val_accuracy"]) for r in runs if r["hidden"] == hidden and r["dropout"] == rate
    ]
    return float(np.mean(best(0.1)) - np.mean(best(0.0)))


def gain_wrong_sign(runs, hidden):
    return -gain(runs, hidden)


CASES = {
    "18.1": (headers, [headers_keep_suffix, headers_native_dtype, headers_swapped]),
    "18.2": (
        leaky(),
        [leaky(forward_alpha=False), leaky(backward_alpha=False), leaky(config=False), leaky(default=0.1)],
    ),
    "18.3": (resume, [resume_fresh_optimizer, resume_one_epoch_short, resume_other_batches]),
    "18.4": ("b", ["a", "c", "d", "e", 2]),
    "19.1": (abstain, [abstain_strict, abstain_largest]),
    "19.2": (center, [center_round_up, center_swapped]),
    "19.3": (shift, [shift_roll, shift_down, shift_broken_zero]),
    "20.1": (tie, [tie_strict, tie_std]),
    "20.2": (best_epoch, [best_epoch_zero_based, best_epoch_last_on_ties]),
    "20.3": (gain, [gain_last_epoch, gain_any_decay, gain_wrong_sign]),
}


@pytest.mark.parametrize("key", sorted(CASES))
def test_reference_passes(key):
    assert check(key, CASES[key][0], strict=True)


@pytest.mark.parametrize(
    "key, i", [(k, i) for k, (_, wrong) in sorted(CASES.items()) for i in range(len(wrong))]
)
def test_wrong_answer_rejected(key, i):
    assert check(key, CASES[key][1][i]) is False


def test_every_exercise_of_lessons_18_to_20_is_covered():
    from nnfs.exercises import exercises

    assert sorted(CASES) == exercises("18") + exercises("19") + exercises("20")
