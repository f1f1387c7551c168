"""The exercise checkers of lessons 15-17: each reference answer passes, each plausible wrong answer fails."""

import struct

import numpy as np
import pytest
from exercise_helpers import check

from nnfs.exercises import exercises


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


def _verdict(key, answer, capsys):
    "Grade `answer`; the (passed, printed verdict) pair."
    ok = check(key, answer)
    return ok, capsys.readouterr().out


@pytest.mark.parametrize(
    "key,n",
    [("15.1", 15), ("15.2", 10), ("15.3", 11), ("15.4", 13), ("16.1", 16), ("16.2", 9)]
    + [("17.1", 11), ("17.2", 27), ("17.3", 11)],
)
def test_verdict_counts_the_cases(key, n, capsys):
    ok, out = _verdict(key, CASES[key][0], capsys)
    assert ok and f": passed ({n} cases).\n" in out


@pytest.mark.parametrize(
    "key,answer,message", [("15.1", 8, "8"), ("16.1", 5, "5"), ("17.1", np.eye(2), "array of shape (2, 2)")]
)
def test_a_value_instead_of_a_function(key, answer, message, capsys):
    ok, out = _verdict(key, answer, capsys)
    assert not ok and f"not yet. expected a function, got {message}" in out


# lesson 15: answer validation and messages ------------------------------------------------------------------
def test_15_1_an_answer_checking_the_magic_bytes_passes(capsys):
    def idx_header_checked(data):
        if data[:2] != b"\0\0":
            raise ValueError("not an IDX file")
        return idx_header(data)

    assert _verdict("15.1", idx_header_checked, capsys)[0]


def test_15_1_reading_sizes_past_the_header_fails(capsys):
    # the bytes after the header are not a whole number of 32-bit words, as in a real file of images
    ok, out = _verdict("15.1", lambda d: (d[2], tuple(np.frombuffer(d[4:], ">u4")[: d[3]])), capsys)
    assert not ok and "raised ValueError" in out


@pytest.mark.parametrize(
    "answer,message",
    [
        (lambda d: d[2], "expected a pair (type code, shape), got 8"),
        (lambda d: (d[2], *idx_header(d)[1]), "expected a pair (type code, shape), got (8, 60000, 28, 28)"),
        (lambda d: (d[2], d[3]), "expected a number and a tuple of sizes, got (8, 3)"),
    ],
)
def test_15_1_answers_of_the_wrong_form(answer, message, capsys):
    ok, out = _verdict("15.1", answer, capsys)
    assert not ok and f"not yet. {message}\n" in out


def test_15_1_the_verdict_shows_the_whole_header(capsys):
    out = _verdict("15.1", idx_header_little, capsys)[1]
    assert ("item 0 of item 1 of your answer for the header 00 00 08 03 00 00 ea 60 00 00 00 1c 00 00 00 1c "
            "is 1625948160") in out


def test_15_2_an_array_of_bytes_is_not_bytes(capsys):
    ok, out = _verdict("15.2", lambda a: np.frombuffer(idx_encode(a), np.uint8), capsys)
    assert not ok and "not yet. expected bytes, got ndarray" in out


def test_15_2_the_verdict_points_at_the_first_wrong_byte(capsys):
    out = _verdict("15.2", idx_encode_wrong_code, capsys)[1]
    assert "shape (1,) your 12 bytes differ from the expected 12 (first difference at byte 2;" in out
    assert "; the header has 8 bytes)" in out


def test_15_3_two_numbers_instead_of_three(capsys):
    ok, out = _verdict("15.3", lambda x: scale_stats(x)[:2], capsys)
    assert not ok and "not yet. expected three numbers (mean [0, 1], mean [-1, 1], background" in out
    assert "background fraction), got (0.0, -1.0)\n" in out


def test_15_3_a_single_number(capsys):
    ok, out = _verdict("15.3", lambda x: 0.5, capsys)
    assert not ok and "background fraction), got 0.5" in out


def stratified_unstratified(y, per_class, rng):  # the right size, drawn from all samples at once
    val = rng.choice(len(y), per_class * len(np.unique(y)), replace=False)
    return np.setdiff1d(np.arange(len(y)), val), val


def test_15_4_a_split_of_the_right_size_that_is_not_stratified(capsys):
    ok, out = _verdict("15.4", stratified_unstratified, capsys)
    assert not ok and "your validation set has these counts per class: {0: 2, 1: 1, 2: 3}; expected 2" in out


def test_15_4_an_empty_training_part(capsys):
    ok, out = _verdict("15.4", lambda y, k, rng: (np.array([], int), stratified_split(y, k, rng)[1]), capsys)
    assert not ok and "per_class=1 every index must be in exactly one of the two parts" in out


@pytest.mark.parametrize(
    "answer",
    [lambda y, k, rng: (*stratified_split(y, k, rng), rng), lambda y, k, rng: stratified_split(y, k, rng)[1]],
)
def test_15_4_not_a_pair(answer, capsys):
    ok, out = _verdict("15.4", answer, capsys)
    assert not ok and "not yet. expected a pair (train_idx, val_idx), got" in out


# lesson 16 ------------------------------------------------------------------------------------------------
def test_16_2_the_number_of_batches_instead_of_the_batches(capsys):
    ok, out = _verdict("16.2", lambda n, b, rng: -(-n // b), capsys)
    assert not ok and "not yet. expected a list of index arrays, got 4" in out


def test_16_2_batches_of_equal_sizes(capsys):  # np.array_split: every index once, but the wrong sizes
    ok, out = _verdict("16.2", lambda n, b, rng: np.array_split(rng.permutation(n), -(-n // b)), capsys)
    assert not ok and "(10, 3, rng) gave batches of sizes [3, 3, 2, 2], expected [3, 3, 3, 1]" in out


def test_16_2_batches_drawn_independently(capsys):  # the right sizes, but an index may come twice
    def epoch_batches_independent(n, batch_size, rng):
        return [rng.choice(n, min(batch_size, n - i), replace=False) for i in range(0, n, batch_size)]

    ok, out = _verdict("16.2", epoch_batches_independent, capsys)
    assert not ok and "epoch_batches(10, 3, rng): together the batches must hold each index 0..9 once" in out


def test_16_2_shuffled_with_a_fixed_seed(capsys):
    ok, out = _verdict("16.2", lambda n, b, rng: epoch_batches(n, b, np.random.default_rng(0)), capsys)
    assert not ok and "the order does not change with the generator" in out


@pytest.mark.parametrize("answer", ["c", 1])
def test_16_4_neither_a_nor_b(answer, capsys):
    ok, out = _verdict("16.4", answer, capsys)
    assert not ok and f'not yet. answer "a" or "b", got {answer!r}\n' in out


def test_16_4_case_and_spaces_do_not_matter(capsys):
    assert _verdict("16.4", " B ", capsys)[0]


# lesson 17 ------------------------------------------------------------------------------------------------
def group_confusion_float_transposed(cm, group, n_groups):  # one-hot product: float, and transposed
    onehot = np.eye(n_groups)[group]
    return onehot.T @ cm.T @ onehot


def test_17_3_a_float_answer_is_shown_as_whole_counts(capsys):
    assert _verdict("17.3", lambda cm, g, n: group_confusion_float_transposed(cm.T, g, n), capsys)[0]
    ok, out = _verdict("17.3", group_confusion_float_transposed, capsys)
    assert not ok and "is array of shape (3, 3): [[0, 0, 0],\n [0, 3, 2],\n [0, 1, 4]], which is not right" \
        in out
