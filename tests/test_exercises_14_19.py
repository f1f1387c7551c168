"""Tests of the exercise checkers of lessons 14-19 (`nnfs.exercises_14_19`): each reference answer and the
other right answers the exercises allow pass, every plausible wrong answer is rejected (a split that ignores
its generator, a layer that was never registered, counts of the wrong kind), and the verdicts name the
mistake without giving the answer away."""

import struct
import zipfile

import numpy as np
import pytest
from exercise_helpers import AlwaysEqual, message, mutating, passes, returning

from nnfs.exercises import exercises, grade
from nnfs.layers import Layer
from nnfs.serialization import load_model, register_layer

# ---------------------------------------------------------------- lesson 14


def n_parameters(model):
    return sum(p.size for layer in model.layers for p in layer.parameters().values())


# ---------------------------------------------------------------- lesson 15


def idx_header(data):
    return data[2], struct.unpack(f">{data[3]}I", data[4 : 4 + 4 * data[3]])


def idx_header_with(fmt, start=4, code_at=2):
    return lambda data: (
        data[code_at],
        struct.unpack(f"{fmt}{data[3]}I" if fmt else "", data[start : start + 4 * data[3]]),
    )


def idx_encode(a, values=">f4", header=">", code=0x0D):
    return (
        bytes([0, 0, code, a.ndim])
        + struct.pack(f"{header}{a.ndim}I", *a.shape)
        + a.astype(values).tobytes()
    )


def scale_stats(images):
    x = np.asarray(images, dtype=np.float64)
    return float(np.mean(x / 255)), float(np.mean((x - 127.5) / 127.5)), float(np.mean(x == 0))


def stratified_split(y, per_class, rng):
    y = np.asarray(y)
    val = np.concatenate(
        [rng.choice(np.flatnonzero(y == c), per_class, replace=False) for c in np.unique(y)]
    )
    return np.setdiff1d(np.arange(len(y)), val), val


def stratified_permutation(y, per_class, rng):  # right: another way to draw
    val = [
        np.flatnonzero(y == c)[rng.permutation(int(np.sum(y == c)))[:per_class]] for c in np.unique(y)
    ]
    val = np.concatenate(val).astype(int)
    return np.setdiff1d(np.arange(len(y)), val), val


def stratified_global(y, per_class, rng):  # the review's answer: NumPy's global generator, rng unused
    val = np.concatenate(
        [np.random.choice(np.flatnonzero(y == c), per_class, replace=False) for c in np.unique(y)]
    )
    return np.setdiff1d(np.arange(len(y)), val), val


def stratified_first(y, per_class, rng):  # not random
    val = np.concatenate([np.flatnonzero(y == c)[:per_class] for c in np.unique(y)])
    return np.setdiff1d(np.arange(len(y)), val), val


def stratified_total(y, per_class, rng):  # per_class samples in total, not per class
    val = rng.choice(len(y), per_class, replace=False)
    return np.setdiff1d(np.arange(len(y)), val), val


def stratified_overlap(y, per_class, rng):  # the training part keeps every index
    return np.arange(len(y)), stratified_split(y, per_class, rng)[1]


# ---------------------------------------------------------------- lesson 16


def epoch_batches(n, batch_size, rng):
    perm = rng.permutation(n)
    return [perm[i : i + batch_size] for i in range(0, n, batch_size)]


def epoch_batches_unshuffled(n, batch_size, rng):
    return [np.arange(n)[i : i + batch_size] for i in range(0, n, batch_size)]


def epoch_batches_drop_last(n, batch_size, rng):
    perm = rng.permutation(n)
    return [perm[i : i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]


def epoch_batches_global_rng(n, batch_size, rng):
    perm = np.random.permutation(n)
    return [perm[i : i + batch_size] for i in range(0, n, batch_size)]


def epoch_batches_shuffled_inside(n, batch_size, rng):  # consecutive indices, shuffled within a batch
    return [rng.permutation(np.arange(n)[i : i + batch_size]) for i in range(0, n, batch_size)]


# ---------------------------------------------------------------- lesson 17


def precision(cm):
    cols = cm.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cols > 0, np.diag(cm) / cols, np.nan)


def top_k_accuracy(probs, y, k):
    return float(np.mean((np.argsort(probs, axis=1)[:, -k:] == np.asarray(y)[:, None]).any(axis=1)))


def group_confusion(cm, group, n_groups):
    G = np.zeros((n_groups, n_groups), dtype=np.int64)
    np.add.at(G, (group[:, None].repeat(len(cm), 1), group[None, :].repeat(len(cm), 0)), cm)
    return G


def group_confusion_rows_only(cm, group, n_groups):
    G = np.zeros((n_groups, n_groups), dtype=np.int64)
    for i in range(len(cm)):
        G[group[i], group[i]] += cm[i].sum()
    return G


# ---------------------------------------------------------------- lesson 18


def headers(path):
    found = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            with zf.open(info) as f:
                np.lib.format.read_magic(f)
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            found[info.filename[:-4]] = (str(dtype), shape)
    return found


def leaky(
    forward_alpha=True, backward_alpha=True, config=True, default=0.01, at_zero=None, register=True
):
    "A learner's LeakyReLU; `registered` registers it (they share a name: the last one registered wins)."

    class LeakyReLU(Layer):
        def __init__(self, alpha: float = default):
            self.alpha = alpha

        def forward(self, inputs, training=True):
            self.inputs = inputs
            self.output = np.where(inputs > 0, inputs, (self.alpha if forward_alpha else 0) * inputs)
            return self.output

        def backward(self, dvalues):
            slope = np.where(self.inputs > 0, 1.0, self.alpha if backward_alpha else 1.0)
            if at_zero is not None:
                slope = np.where(self.inputs == 0, at_zero, slope)
            self.dinputs = slope * dvalues
            return self.dinputs

        def config(self):
            return {"alpha": self.alpha} if config else {}

    LeakyReLU._register = register
    return LeakyReLU


def registered(answer):
    "Register a learner's class that means to be registered, right before it is graded."
    if isinstance(answer, type) and getattr(answer, "_register", False):
        register_layer(answer)
    return answer


def resume(path, X, y, epochs):
    m = load_model(path)
    m.train(X, y, epochs=epochs, batch_size=32, progress=False, rng=np.random.default_rng(0))
    return m


def resume_fresh_optimizer(path, X, y, epochs):
    from nnfs.optimizers import Adam

    m = load_model(path).set(optimizer=Adam(0.01, decay=0.01)).finalize()
    m.train(X, y, epochs=epochs, batch_size=32, progress=False, rng=np.random.default_rng(0))
    return m


# ---------------------------------------------------------------- lesson 19


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


def shift(images, k):
    out = np.zeros_like(images)
    out[:, :, k:] = images[:, :, : images.shape[2] - k]
    return out


CASES = {
    "14.1": (
        n_parameters,
        [
            lambda m: sum(layer.weights.size for layer in m.trainable_layers),
            lambda m: sum(len(layer.parameters()) for layer in m.layers),
            lambda m: sum(
                layer.weights.shape[0] * layer.weights.shape[1] + layer.weights.shape[0]
                for layer in m.trainable_layers
            ),
            returning(AlwaysEqual()),
        ],
    ),
    "14.2": ("b", ["a", "c", AlwaysEqual()]),
    "14.3": ("a", ["b", "c"]),
    "15.1": (
        idx_header,
        [
            idx_header_with("<"),
            idx_header_with(">", start=5),
            idx_header_with(">", code_at=3),
            lambda d: (d[2], struct.unpack(f">{d[3]}i", d[4 : 4 + 4 * d[3]])),
            returning(AlwaysEqual()),
        ],
    ),
    "15.2": (
        idx_encode,
        [
            lambda a: idx_encode(a, values="<f4"),
            lambda a: idx_encode(a, header="<"),
            lambda a: idx_encode(a, code=0x0E),
            lambda a: idx_encode(a, values=">f8"),
            mutating(idx_encode),
        ],
    ),
    "15.3": (
        scale_stats,
        [
            lambda x: (np.mean(x / 255), np.mean((x - 127) / 127.5), np.mean(x == 0)),
            lambda x: (np.mean(x / 256), np.mean((x - 128) / 128), np.mean(x == 0)),
            lambda x: scale_stats(x)[::-1],
            lambda x: (*scale_stats(x)[:2], np.mean(x == 255)),
            mutating(scale_stats),
        ],
    ),
    "15.4": (
        stratified_split,
        [
            stratified_first,
            stratified_total,
            stratified_overlap,
            stratified_global,
            mutating(stratified_split),
        ],
    ),
    "16.1": (
        lambda n, b: 1 if b is None else -(-n // b),
        [
            lambda n, b: n // (b or n),
            lambda n, b: n // (b or n) + 1,
            lambda n, b: round(n / b) if b else 1,
            lambda n, b: -(-n // b),
            returning(AlwaysEqual()),
        ],
    ),
    "16.2": (
        epoch_batches,
        [
            epoch_batches_unshuffled,
            epoch_batches_drop_last,
            epoch_batches_global_rng,
            epoch_batches_shuffled_inside,
        ],
    ),
    "16.3": (1000, [999, 1001, 500, 2000, AlwaysEqual()]),
    "16.4": ("b", ["a", "c", "final"]),
    "17.1": (
        precision,
        [
            lambda cm: np.diag(cm) / cm.sum(axis=1),
            lambda cm: np.nan_to_num(precision(cm)),
            lambda cm: np.diag(cm) / cm.sum(),
            mutating(precision),
        ],
    ),
    "17.2": (
        top_k_accuracy,
        [
            lambda p, y, k: top_k_accuracy(p, y, k - 1) if k > 1 else 0.0,
            lambda p, y, k: float(np.mean((np.argsort(p, axis=1)[:, :k] == y[:, None]).any(1))),
            lambda p, y, k: top_k_accuracy(p, y, 1),
        ],
    ),
    "17.3": (
        group_confusion,
        [
            lambda cm, g, n: group_confusion(cm, g, n).T,
            group_confusion_rows_only,
            lambda cm, g, n: np.asarray(cm)[:n, :n],
            mutating(group_confusion),
        ],
    ),
    "18.1": (
        headers,
        [
            lambda p: {k + ".npy": v for k, v in headers(p).items()},
            lambda p: {k: (str(np.dtype(d).newbyteorder("=")), s) for k, (d, s) in headers(p).items()},
            lambda p: {k: (str(s), d) for k, (d, s) in headers(p).items()},
            returning(AlwaysEqual()),
        ],
    ),
    "18.2": (
        leaky(),
        [
            leaky(forward_alpha=False),
            leaky(backward_alpha=False),
            leaky(config=False),
            leaky(default=0.1),
            leaky(register=False),
        ],
    ),
    "18.3": (resume, [resume_fresh_optimizer, lambda p, X, y, e: resume(p, X, y, e - 1)]),
    "18.4": ("b", ["a", "c", "d", "e", 2]),
    "19.1": (abstain, [abstain_strict, abstain_largest, returning(AlwaysEqual())]),
    "19.2": (center, [center_round_up, lambda c, s: center(c.T, s), mutating(center)]),
    "19.3": (
        shift,
        [
            lambda im, k: np.roll(im, k, axis=2),
            lambda im, k: shift(im.transpose(0, 2, 1), k).transpose(0, 2, 1),
            mutating(shift),
        ],
    ),
}


def test_every_exercise_of_lessons_14_to_19_has_cases():
    keys = [k for lesson in ("14", "15", "16", "17", "18", "19") for k in exercises(lesson)]
    assert sorted(CASES) == keys and len(keys) == 21


@pytest.mark.parametrize("key", sorted(CASES))
def test_reference_passes(key):
    assert passes(key, registered(CASES[key][0]))


@pytest.mark.parametrize("key,i", [(k, i) for k in sorted(CASES) for i in range(len(CASES[k][1]))])
def test_wrong_answer_rejected(key, i):
    verdict = grade(key, registered(CASES[key][1][i]))
    assert verdict.status == "wrong", verdict.text()
    assert "Expected" not in verdict.text()


# ---------------------------------------------------------------- right answers in other forms


@pytest.mark.parametrize(
    "key, answer",
    [
        ("15.1", lambda d: [int(d[2]), list(struct.unpack(f">{d[3]}I", d[4 : 4 + 4 * d[3]]))]),
        ("15.1", lambda d: (d[2], np.array(struct.unpack(f">{d[3]}I", d[4 : 4 + 4 * d[3]])))),
        ("15.2", lambda a: bytearray(idx_encode(a))),
        ("15.3", lambda x: np.array(scale_stats(x))),
        ("15.4", stratified_permutation),
        ("15.4", lambda y, k, rng: tuple(a.tolist() for a in stratified_split(y, k, rng))),
        ("16.1", lambda n, b: float(-(-n // b)) if b else 1.0),
        ("16.2", lambda n, b, rng: [p.tolist() for p in epoch_batches(n, b, rng)]),
        ("16.3", 1000.0),
        ("16.4", "B"),
        ("17.2", lambda p, y, k: np.float32(top_k_accuracy(p, y, k))),
        ("17.3", lambda cm, g, n: group_confusion(cm, g, n).astype(float)),
        ("18.1", lambda p: {k: (np.dtype(d), list(s)) for k, (d, s) in headers(p).items()}),
        ("18.2", leaky(at_zero=1.0)),
        ("19.2", lambda c, s: center(c, s).astype(float)),
        ("19.3", lambda im, k: shift(im, k).astype(np.int64)),
    ],
)
def test_right_answers_in_other_forms_pass(key, answer):
    assert passes(key, registered(answer))


# ---------------------------------------------------------------- the review's findings


def test_15_4_rejects_a_split_that_ignores_rng():
    "Review finding 1: a split drawn from NumPy's global generator passed."
    assert "drew from NumPy's global generator" in message("15.4", stratified_global)


def test_18_2_rejects_a_layer_that_was_never_registered():
    "Review finding 2: the checker registered the class itself, so a forgotten @register_layer passed."
    assert message("18.2", leaky(register=False)) == (
        "save_model refuses LeakyReLU: it is not registered (decorate the class with @register_layer)"
    )


def test_18_2_accepts_either_slope_at_zero():
    "Review finding 2: the exercise states only the forward's x > 0; at 0 either slope is a derivative."
    assert passes("18.2", registered(leaky(at_zero=1.0))) and passes("18.2", registered(leaky()))
    assert "backward with alpha=" in message("18.2", registered(leaky(at_zero=5.0)))


def test_16_4_does_not_name_the_right_letter():
    "Review: '\"a\" is the larger one' gave the answer away."
    text = message("16.4", "a")
    assert "larger" not in text and "(b)" not in text and "'b'" not in text


def test_an_object_equal_to_everything_does_not_pass_16_1_or_14_1():
    "Red team L12: objects whose == is always true passed 11.2, 14.1 and 16.1."
    assert grade("16.1", returning(AlwaysEqual())).status == "wrong"
    assert grade("14.1", returning(AlwaysEqual())).status == "wrong"


@pytest.mark.parametrize(
    "key, answer, text",
    [
        (
            "14.1",
            lambda m: sum(layer.weights.size for layer in m.trainable_layers),
            "the biases are parameters too",
        ),
        ("15.1", idx_header_with("<"), "item 0 of item 1 of your answer for the header 00 00 08 03"),
        ("15.1", returning(5), "expected a pair (type code, shape), got 5"),
        ("15.1", lambda d: (d[2], 60000), "the shape should be a tuple of sizes, got 60000"),
        ("15.2", lambda a: idx_encode(a, values="<f4"), "the values must be big-endian ('>f4')"),
        ("15.2", lambda a: idx_encode(a).hex(), "expected bytes, got str"),
        ("15.3", lambda x: scale_stats(x)[::-1], "the three numbers are in the other order"),
        ("15.4", stratified_total, "your validation set has these counts per class"),
        ("15.4", stratified_overlap, "every index must be in exactly one of the two parts"),
        ("15.4", stratified_first, "four different generators gave the same validation set"),
        ("15.4", mutating(stratified_split), "changed its argument `y`"),
        ("16.1", lambda n, b: n // (b or n), "the last, smaller batch is a step too: round up"),
        ("16.2", epoch_batches_unshuffled, "the order does not change with the generator"),
        (
            "16.2",
            epoch_batches_drop_last,
            "gave batches of sizes [3, 3, 3], not pieces of 3 with a shorter last one",
        ),
        ("16.2", epoch_batches_global_rng, "drew from NumPy's global generator"),
        ("16.2", epoch_batches_shuffled_inside, "each batch holds consecutive indices"),
        ("16.3", 1001, "t counts the steps already taken, from 0"),
        ("17.1", lambda cm: np.diag(cm) / cm.sum(axis=1), "that reads the matrix by rows"),
        ("17.1", lambda cm: np.nan_to_num(precision(cm)), "which is not right"),
        ("17.2", lambda p, y, k: top_k_accuracy(-p, y, k), "those are the k least probable classes"),
        ("17.3", lambda cm, g, n: group_confusion(cm, g, n).T, "rows and columns are swapped"),
        (
            "18.1",
            lambda p: {k + ".npy": v for k, v in headers(p).items()},
            "of the names of a file holding ['a0.part2', 'a1.part0'] is 'a0.part2.npy'",
        ),
        (
            "18.1",
            lambda p: {k: (str(s), d) for k, (d, s) in headers(p).items()},
            "the dtype of 'a0.part2' is '()', not what the file holds",
        ),
        ("18.2", leaky(config=False), "config() returned {}, not {'alpha': alpha}"),
        ("18.2", leaky(default=0.1), "the default alpha is 0.1, which is not right"),
        ("18.2", lambda alpha=0.01: 1, "expected the class LeakyReLU"),
        (
            "18.3",
            resume_fresh_optimizer,
            "the optimizer made 6 steps in total, the uninterrupted run 12",
        ),
        ("18.4", "d", "(d) is not right: save_model never writes into the file at the path"),
        ("18.4", "e", "answer with one letter out of 'a', 'b', 'c', 'd'; got 'e'"),
        ("19.1", abstain_strict, "the threshold for confidences"),
        (
            "19.1",
            lambda c, k, t: abstain(c, k, t) or float(c.max()),
            "but no threshold reaches the target",
        ),
        ("19.1", returning(None), "is None, but a threshold reaches the target"),
        ("19.2", center_round_up, "the extra pixel of an odd margin goes below and to the right"),
        ("19.3", lambda im, k: np.roll(im, k, axis=2), "np.roll wraps the right edge around"),
    ],
)
def test_messages_name_the_mistake(key, answer, text):
    assert text in message(key, registered(answer))


@pytest.mark.parametrize(
    "key, n",
    [
        ("14.1", 4),
        ("15.1", 15),
        ("15.2", 10),
        ("15.3", 11),
        ("15.4", 10),
        ("16.1", 16),
        ("16.2", 7),
        ("17.1", 11),
        ("17.2", 27),
        ("17.3", 11),
        ("18.1", 12),
        ("18.2", 6),
        ("18.3", 3),
        ("19.1", 19),
        ("19.2", 16),
        ("19.3", 24),
    ],
)
def test_verdict_counts_the_cases(key, n):
    assert grade(key, registered(CASES[key][0])).cases == n


def test_the_untouched_lesson_18_cells_are_not_attempted():
    def array_headers(path): ...  # return {name: (dtype, shape)} for each array in the .npz file

    class LeakyReLU(Layer): ...  # your code here

    assert grade("18.1", array_headers).status == "not attempted"
    assert grade("18.2", LeakyReLU).status == "not attempted"


def epoch_batches_generator(n, batch_size, rng):  # right: yields the batches one by one
    perm = rng.permutation(n)
    for i in range(0, n, batch_size):
        yield perm[i : i + batch_size]


def test_16_2_accepts_a_generator_of_batches():
    assert passes("16.2", epoch_batches_generator)


def test_18_2_accepts_a_layer_registered_by_the_lessons_own_register_layer():
    "Lesson 18 defines register_layer (and its _REGISTRY) in the notebook: registering there counts."
    namespace = {"np": np, "Layer": Layer}
    exec(
        "_REGISTRY = {}\n"
        "def register_layer(cls):\n"
        "    _REGISTRY[cls.__name__] = cls\n"
        "    return cls\n"
        "@register_layer\n"
        "class LeakyReLU(Layer):\n"
        "    def __init__(self, alpha=0.01):\n"
        "        self.alpha = alpha\n"
        "    def forward(self, inputs, training=True):\n"
        "        self.inputs = inputs\n"
        "        return np.where(inputs > 0, inputs, self.alpha * inputs)\n"
        "    def backward(self, dvalues):\n"
        "        return np.where(self.inputs > 0, dvalues, self.alpha * dvalues)\n"
        "    def config(self):\n"
        "        return {'alpha': self.alpha}\n",
        namespace,
    )
    assert passes("18.2", namespace["LeakyReLU"])
    unregistered = dict(namespace)
    subclass = "class LeakyReLU(LeakyReLU):\n    def config(self):\n        return {'alpha': self.alpha}\n"
    exec(subclass, unregistered)
    assert "it is not registered" in message("18.2", unregistered["LeakyReLU"])
