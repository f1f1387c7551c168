"""The exercise checkers of lessons 18-20 accept the reference answers and reject plausible wrong ones."""

import zipfile

import numpy as np
import pytest
from exercise_helpers import check

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


def tie_without_abs(a, b):
    "How much b is ahead of a, compared with the spread: a b far behind a counts as a tie."
    spread = max(max(a) - min(a), max(b) - min(b))
    return float(np.mean(b)) - float(np.mean(a)) <= spread


def tie_pooled_range(a, b):
    return abs(float(np.mean(a)) - float(np.mean(b))) <= max(a + b) - min(a + b)


def tie_summed_spreads(a, b):
    spread = (max(a) - min(a)) + (max(b) - min(b))
    return abs(float(np.mean(a)) - float(np.mean(b))) <= spread


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
    "20.1": (tie, [tie_strict, tie_std, tie_without_abs, tie_pooled_range, tie_summed_spreads]),
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


# ---- the verdicts: messages of the validation paths, the number of cases -----------------------------------
def _title(key):
    from nnfs.exercises import _REGISTRY as _EXERCISES

    return _EXERCISES[key].title


def _verdict(capsys, key, answer):
    "Run check(key, answer); return whether it passed and the verdict's first line."
    ok = check(key, answer)
    return ok, capsys.readouterr().out.splitlines()[0]


@pytest.mark.parametrize(
    "key, answer, n",
    [
        ("18.1", headers, 12),
        ("18.2", leaky(), 6),
        ("18.4", "b", 1),
        ("19.1", abstain, 19),
        ("19.2", center, 16),
        ("19.3", shift, 24),
        ("20.1", tie, 26),
        ("20.2", best_epoch, 19),
        ("20.3", gain, 20),
    ],
)
def test_verdict_counts_the_cases(capsys, key, answer, n):
    passed = f"\u2713 Exercise {key} ({_title(key)}): passed ({n} cases)."
    assert _verdict(capsys, key, answer) == (True, passed)


def test_18_3_verdict_is_one_line_without_training_output(capsys):
    # the checker trains its own models silently: only the verdict is printed
    assert check("18.3", resume)
    assert capsys.readouterr().out.splitlines() == [
        f"\u2713 Exercise 18.3 ({_title('18.3')}): passed (3 cases)."
    ]


# 18.1
def headers_as_pairs(path):
    return sorted(headers(path).items())


def headers_with_fortran_order(path):
    return {k: (d, s, False) for k, (d, s) in headers(path).items()}


def headers_as_lists(path):
    return {k: [d, s] for k, (d, s) in headers(path).items()}


def test_18_1_rejects_a_list_instead_of_a_dict(capsys):
    ok, line = _verdict(capsys, "18.1", headers_as_pairs)
    assert not ok and "array_headers returned [(" in line and line.endswith("expected a dict")


@pytest.mark.parametrize("answer", [headers_with_fortran_order, headers_as_lists])
def test_18_1_rejects_entries_that_are_not_dtype_shape_pairs(capsys, answer):
    ok, line = _verdict(capsys, "18.1", answer)
    assert not ok and line.endswith("expected a (dtype, shape) pair")
    assert "not yet. the entry for 'a" in line


# 18.2
def leaky_backward_at_zero(alpha: float = 0.01):
    "The gradient at exactly 0 taken from the positive side (x >= 0)."
    base = leaky()

    class LeakyReLU(base):
        def backward(self, dvalues):
            self.dinputs = np.where(self.inputs >= 0, dvalues, self.alpha * dvalues)
            return self.dinputs

    return LeakyReLU


def test_18_2_rejects_an_instance_instead_of_the_class(capsys):
    ok, line = _verdict(capsys, "18.2", leaky()(0.1))
    assert not ok and line.endswith("not yet. expected the class LeakyReLU, got LeakyReLU(alpha=0.1)")


def test_18_2_rejects_a_gradient_of_one_at_zero(capsys):
    ok, line = _verdict(capsys, "18.2", leaky_backward_at_zero())
    assert not ok and "not yet. backward with alpha=" in line


# 18.3
def resume_no_return(path, X, y, epochs):
    resume(path, X, y, epochs)


def resume_other_shuffle(path, X, y, epochs):
    m = load_model(path)
    m.train(X, y, epochs=epochs, batch_size=32, progress=False, rng=np.random.default_rng(1))
    return m


def test_18_3_says_when_the_model_is_not_returned(capsys):
    ok, line = _verdict(capsys, "18.3", resume_no_return)
    assert not ok and line.endswith(
        "not yet. resume_no_return returned None: did you forget to `return` the result?")


def test_18_3_counts_the_optimizer_steps_of_a_fresh_optimizer(capsys):
    ok, line = _verdict(capsys, "18.3", resume_fresh_optimizer)
    assert not ok and "the optimizer made 6 steps in total, the uninterrupted run 12: was its state" in line


def test_18_3_compares_the_weights_exactly(capsys):
    # the same number of steps, another shuffle: the weights differ a little
    ok, line = _verdict(capsys, "18.3", resume_other_shuffle)
    assert not ok and "not yet. the first layer's weights is array" in line


# 18.4
@pytest.mark.parametrize("answer, shown", [("e", "'e'"), (2, "2"), ("bc", "'bc'")])
def test_18_4_asks_for_one_of_the_letters(capsys, answer, shown):
    ok, line = _verdict(capsys, "18.4", answer)
    assert not ok and line.endswith(f"not yet. answer with one letter, a, b, c or d; got {shown}")


# 19.1
def abstain_max_when_unreachable(confidence, correct, target):
    t = abstain(confidence, correct, target)
    return float(confidence.max()) if t is None else t


def test_19_1_rejects_a_threshold_when_none_reaches_the_target(capsys):
    ok, line = _verdict(capsys, "19.1", abstain_max_when_unreachable)
    assert not ok and line.endswith("expected None (no threshold reaches it)")


# 19.2 and 19.3
def center_no_return(crop, size):
    center(crop, size)


def shift_no_return(images, k):
    shift(images, k)


def test_19_2_says_when_the_canvas_is_not_returned(capsys):
    ok, line = _verdict(capsys, "19.2", center_no_return)
    assert not ok and line.endswith("center_no_return returned None: did you forget to `return` the result?")


def test_19_2_names_the_crop_by_height_and_width(capsys):
    ok, line = _verdict(capsys, "19.2", center_round_up)
    assert not ok and "not yet. a 2x3 crop centered on 5x5 is array" in line


def test_19_3_says_when_the_images_are_not_returned(capsys):
    ok, line = _verdict(capsys, "19.3", shift_no_return)
    assert not ok and line.endswith("shift_no_return returned None: did you forget to `return` the result?")


# 20.1
def tie_as_int(a, b):
    return int(tie(a, b))


def test_20_1_wants_a_bool(capsys):
    ok, line = _verdict(capsys, "20.1", tie_as_int)
    assert not ok and line.endswith("not yet. is_tie returned 1, expected True or False")
