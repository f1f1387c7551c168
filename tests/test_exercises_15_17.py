"""The exercise checkers of lessons 15-17: each reference answer passes, each plausible wrong answer fails."""

import struct

import numpy as np
import pytest

from nnfs.exercises import check, exercises


# lesson 15 ------------------------------------------------------------------------------------------------
def idx_header(data):
    return data[2], struct.unpack(f">{data[3]}I", data[4 : 4 + 4 * data[3]])


def idx_header_little(data):
    return data[2], struct.unpack(f"<{data[3]}I", data[4 : 4 + 4 * data[3]])


def idx_header_signed(data):
    return data[2], struct.unpack(f">{data[3]}i", data[4 : 4 + 4 * data[3]])


def idx_header_off_by_one(data):
    return data[2], struct.unpack(f">{data[3]}I", data[5 : 5 + 4 * data[3]])


def idx_header_ndim_as_type(data):
    return data[3], struct.unpack(f">{data[3]}I", data[4 : 4 + 4 * data[3]])


def idx_encode(a):
    return bytes([0, 0, 0x0D, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape) + a.astype(">f4").tobytes()


def idx_encode_little_values(a):
    return bytes([0, 0, 0x0D, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape) + a.astype("<f4").tobytes()


def idx_encode_little_header(a):
    return bytes([0, 0, 0x0D, a.ndim]) + struct.pack(f"<{a.ndim}I", *a.shape) + a.astype(">f4").tobytes()


def idx_encode_wrong_code(a):
    return bytes([0, 0, 0x0E, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape) + a.astype(">f4").tobytes()


def idx_encode_float64(a):
    return bytes([0, 0, 0x0D, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape) + a.astype(">f8").tobytes()


def scale_stats(images):
    x = np.asarray(images, dtype=np.float64)
    return float(np.mean(x / 255)), float(np.mean((x - 127.5) / 127.5)), float(np.mean(x == 0))


def scale_stats_uint8_wraps(images):  # arithmetic in uint8 wraps around
    return float(np.mean(images / 255)), float(np.mean((images - 127) / 127.5)), float(np.mean(images == 0))


def scale_stats_256(images):
    x = np.asarray(images, dtype=np.float64)
    return float(np.mean(x / 256)), float(np.mean((x - 128) / 128)), float(np.mean(x == 0))


def scale_stats_swapped(images):
    a, b, c = scale_stats(images)
    return b, a, c


def scale_stats_white_background(images):
    a, b, _ = scale_stats(images)
    return a, b, float(np.mean(np.asarray(images) == 255))


def stratified_split(y, per_class, rng):
    y = np.asarray(y)
    val = np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, replace=False) for c in np.unique(y)])
    return np.setdiff1d(np.arange(len(y)), val), val


def stratified_first(y, per_class, rng):  # not random
    y = np.asarray(y)
    val = np.concatenate([np.flatnonzero(y == c)[:per_class] for c in np.unique(y)])
    return np.setdiff1d(np.arange(len(y)), val), val


def stratified_total(y, per_class, rng):  # per_class samples in total, not per class
    val = rng.choice(len(y), per_class, replace=False)
    return np.setdiff1d(np.arange(len(y)), val), val


def stratified_overlap(y, per_class, rng):  # the training part keeps every index
    return np.arange(len(y)), stratified_split(y, per_class, rng)[1]


# lesson 16 ------------------------------------------------------------------------------------------------
def steps_per_epoch(n, batch_size):
    return 1 if batch_size is None else -(-n // batch_size)


def epoch_batches(n, batch_size, rng):
    perm = rng.permutation(n)
    return [perm[i : i + batch_size] for i in range(0, n, batch_size)]


def epoch_batches_unshuffled(n, batch_size, rng):
    return [np.arange(n)[i : i + batch_size] for i in range(0, n, batch_size)]


def epoch_batches_drop_last(n, batch_size, rng):
    perm = rng.permutation(n)
    return [perm[i : i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]


def epoch_batches_overlap(n, batch_size, rng):
    perm = rng.permutation(n)
    return [perm[i : i + batch_size + 1] for i in range(0, n, batch_size)]


def epoch_batches_global_rng(n, batch_size, rng):
    perm = np.random.permutation(n)
    return [perm[i : i + batch_size] for i in range(0, n, batch_size)]


# lesson 17 ------------------------------------------------------------------------------------------------
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


def group_confusion_transposed(cm, group, n_groups):
    return group_confusion(cm, group, n_groups).T


def group_confusion_rows_only(cm, group, n_groups):
    G = np.zeros((n_groups, n_groups), dtype=np.int64)
    for i in range(len(cm)):
        G[group[i], group[i]] += cm[i].sum()
    return G


def group_confusion_by_index(cm, group, n_groups):  # uses the first n_groups classes, not the mapping
    return np.asarray(cm)[:n_groups, :n_groups]


CASES = {
    "15.1": (
        idx_header,
        [idx_header_little, idx_header_signed, idx_header_off_by_one, idx_header_ndim_as_type],
    ),
    "15.2": (
        idx_encode,
        [idx_encode_little_values, idx_encode_little_header, idx_encode_wrong_code, idx_encode_float64],
    ),
    "15.3": (
        scale_stats,
        [scale_stats_uint8_wraps, scale_stats_256, scale_stats_swapped, scale_stats_white_background],
    ),
    "15.4": (stratified_split, [stratified_first, stratified_total, stratified_overlap]),
    "16.1": (
        steps_per_epoch,
        [
            lambda n, b: n // (b or n),
            lambda n, b: n // (b or n) + 1,
            lambda n, b: round(n / b) if b else 1,
            lambda n, b: -(-n // b),
        ],
    ),
    "16.2": (
        epoch_batches,
        [epoch_batches_unshuffled, epoch_batches_drop_last, epoch_batches_overlap, epoch_batches_global_rng],
    ),
    "16.3": (1000, [999, 1001, 500, 2000]),
    "16.4": ("b", ["a", "c", "final"]),
    "17.1": (
        precision,
        [
            lambda cm: np.diag(cm) / cm.sum(axis=1),
            lambda cm: np.nan_to_num(precision(cm)),
            lambda cm: np.diag(cm) / cm.sum(),
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
        [group_confusion_transposed, group_confusion_rows_only, group_confusion_by_index],
    ),
}


def test_every_exercise_of_lessons_15_to_17_has_cases():
    assert sorted(CASES) == exercises("15") + exercises("16") + exercises("17")


@pytest.mark.parametrize("key", sorted(CASES))
def test_reference_passes(key, capsys):
    assert check(key, CASES[key][0], strict=True)
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("key,i", [(k, i) for k in sorted(CASES) for i in range(len(CASES[k][1]))])
def test_wrong_answer_fails(key, i, capsys):
    assert check(key, CASES[key][1][i]) is False
    out = capsys.readouterr().out
    assert "not yet" in out or "raised" in out
    with pytest.raises(AssertionError):
        check(key, CASES[key][1][i], strict=True)


@pytest.mark.parametrize("key", sorted(CASES))
def test_not_attempted(key, capsys):
    stub = (lambda *a: None) if callable(CASES[key][0]) else ...
    assert check(key, stub) is False
    assert "not attempted yet" in capsys.readouterr().out
