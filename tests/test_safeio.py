"""Tests of nnfs._safeio, the hardened reader under `load_model`: the documented `Limits`, the table of
contents checks of `Archive` (each limit exactly at its value accepted, one byte more refused), every error
path of `Archive.read` with its message (long names cut to 80 characters), and `parse_json`/`json_depth`.
Hostile zip files are built here with `zipfile` and `struct`."""

import dataclasses
import io
import struct
import warnings
import zipfile

import numpy as np
import pytest

from nnfs import _safeio
from nnfs._safeio import Archive, Limits, ModelFileError, json_depth, parse_json
from nnfs.core import NNFSError

F4 = (np.dtype(np.float32),)
LONG = "a" * 80 + "b" * 20  # a member name past the 80 characters an error message shows
CUT = "'" + "a" * 80 + "'"  # how an error message shows it


def npy(arr, version=None) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(arr), version=version, allow_pickle=False)
    return buf.getvalue()


def raw_header(text: str, payload: bytes = b"") -> bytes:
    t = text.encode("latin1")
    t += b" " * ((64 - (10 + len(t) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(t)) + t + payload


def make_zip(path, members: dict[str, bytes], method=zipfile.ZIP_STORED):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are written on purpose
        with zipfile.ZipFile(path, "w") as zf:
            for name, raw in members.items() if isinstance(members, dict) else members:
                zf.writestr(zipfile.ZipInfo(name), raw, compress_type=method)
    return path


def patch_directory(path, index=0, **fields) -> None:
    "Rewrite fields (crc, compress_size, file_size) of the index-th central directory entry."
    offsets = {"crc": 16, "compress_size": 20, "file_size": 24}
    b = bytearray(path.read_bytes())
    at = -1
    for _ in range(index + 1):
        at = b.find(b"PK\x01\x02", at + 1)
    for field, value in fields.items():
        b[at + offsets[field] : at + offsets[field] + 4] = struct.pack("<I", value)
    path.write_bytes(bytes(b))


def refused(path, match: str, limits=None):
    with pytest.raises(ModelFileError, match=match) as e:
        Archive(path, limits or Limits()).zf.close()
    return str(e.value)


def read(path, name, dtypes=F4, shape=None, max_bytes=None, limits=None):
    with Archive(path, limits or Limits()) as a:
        return a.read(name, dtypes, shape, max_bytes=max_bytes)


def read_refused(path, name, match: str, **kw) -> str:
    with pytest.raises(ModelFileError, match=match) as e:
        read(path, name, **kw)
    return str(e.value)


# ---- Limits ----------------------------------------------------------------------------------------------


def test_limits_documented_defaults():
    lim = Limits()
    assert lim.max_json_bytes == 1_000_000
    assert lim.max_json_depth == 32
    assert lim.max_members == 10_000
    assert lim.max_array_bytes == 128 * 2**20 == 134_217_728
    assert lim.max_total_bytes == 256 * 2**20 == 268_435_456
    assert lim.max_header_bytes == 4096
    assert lim.max_abs_param == 1e6


@pytest.mark.parametrize(
    "field, value",
    [("max_members", "x"), ("max_members", 0), ("max_members", True), ("max_members", 2.0),
     ("max_json_depth", -1), ("max_abs_param", float("nan")), ("max_abs_param", float("inf")),
     ("max_abs_param", 0), ("max_abs_param", "1e6")],
)
def test_limits_refuse_values_that_would_disable_a_check(field, value):
    "Limits(max_abs_param=nan) used to switch the magnitude check off; a string broke later comparisons."
    with pytest.raises(NNFSError, match=f"^Limits: {field} must be a positive"):
        Limits(**{field: value})


def test_limits_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Limits().max_members = 1


# ---- opening the file ------------------------------------------------------------------------------------


def test_os_error_is_named(tmp_path):
    (tmp_path / "f").write_bytes(b"x")
    with pytest.raises(ModelFileError, match=r"^cannot read the file \(Not a directory\)$"):
        Archive(tmp_path / "f" / "m.npz", Limits())


def test_permission_denied(tmp_path, monkeypatch):
    p = make_zip(tmp_path / "m.npz", {"w.npy": npy(np.zeros(2, np.float32))})

    def denied(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(_safeio, "open", denied, raising=False)
    refused(p, "^cannot read the file: permission denied$")


# ---- the table of contents -------------------------------------------------------------------------------


def test_max_members_is_inclusive(tmp_path):
    p = make_zip(tmp_path / "m.npz", {"a.npy": npy(np.zeros(1)), "b.npy": npy(np.zeros(1))})
    with Archive(p, Limits(max_members=2)) as a:
        assert sorted(a.members) == ["a", "b"]
    refused(p, r"too many archive members \(2\)", Limits(max_members=1))


def test_long_names_are_cut_to_80_characters(tmp_path):
    p = make_zip(tmp_path / "m.npz", {LONG + ".txt": b"hi"})
    assert CUT + " (only .npy arrays" in refused(p, "unexpected archive member")
    p = make_zip(tmp_path / "m.npz", [(LONG + ".npy", npy(np.zeros(1))), (LONG + ".npy", npy(np.zeros(2)))])
    assert refused(p, "duplicate array") == "duplicate array " + CUT
    p = make_zip(tmp_path / "m.npz", {LONG + ".npy": npy(np.zeros(1))}, method=zipfile.ZIP_BZIP2)
    assert CUT + " uses zip compression method 12" in refused(p, "compression method")
    p = make_zip(tmp_path / "m.npz", {LONG + ".npy": bytes(30)})
    msg = refused(p, "Limits.max_array_bytes", Limits(max_array_bytes=10, max_header_bytes=1))
    assert msg.startswith("array " + CUT + " declares 30 bytes")


def test_duplicate_member_is_refused(tmp_path):
    p = make_zip(tmp_path / "m.npz", [("w.npy", npy(np.zeros(1))), ("w.npy", npy(np.ones(1)))])
    assert refused(p, "duplicate") == "duplicate array 'w'"


def test_declared_member_size_limit_is_array_plus_header_plus_16(tmp_path):
    lim = Limits(max_array_bytes=1000, max_header_bytes=100)
    with Archive(make_zip(tmp_path / "m.npz", {"w.npy": bytes(1116)}), lim) as a:
        assert a.members["w"].file_size == 1116
    p = make_zip(tmp_path / "m.npz", {"w.npy": bytes(1117)})
    assert refused(p, "declares", lim) == (
        "array 'w' declares 1,117 bytes, more than the limit of 1,000 (Limits.max_array_bytes)"
    )


def test_deflate_ratio_limit_at_its_boundary(tmp_path):
    "A deflated member may declare at most 1032 times its compressed size (deflate's limit) plus 1024 bytes."
    p = make_zip(tmp_path / "m.npz", {"w.npy": bytes(5000)}, method=zipfile.ZIP_DEFLATED)
    with Archive(p, Limits()) as a:
        cs = a.members["w"].compress_size
    patch_directory(p, file_size=1032 * cs + 1024)
    Archive(p, Limits()).zf.close()
    patch_directory(p, file_size=1032 * cs + 1025)
    msg = refused(p, "more than deflate can produce")
    assert msg == (
        f"array 'w' declares {1032 * cs + 1025:,} bytes from {cs:,} compressed: more than deflate can produce"
    )


def test_deflate_ratio_with_nothing_compressed(tmp_path):
    "A member declaring 0 compressed bytes is measured as if it had 1."
    p = make_zip(tmp_path / "m.npz", {LONG + ".npy": bytes(5000)}, method=zipfile.ZIP_DEFLATED)
    patch_directory(p, compress_size=0, file_size=2056)
    Archive(p, Limits()).zf.close()
    patch_directory(p, compress_size=0, file_size=2057)
    msg = refused(p, "more than deflate can produce")
    assert msg == f"array {CUT} declares 2,057 bytes from 0 compressed: more than deflate can produce"


def test_total_size_limit_is_inclusive(tmp_path):
    p = make_zip(tmp_path / "m.npz", {"a.npy": bytes(100), "b.npy": bytes(50)})
    Archive(p, Limits(max_total_bytes=150)).zf.close()
    assert refused(p, "in total", Limits(max_total_bytes=149)) == (
        "the arrays declare 150 bytes in total, more than the limit of 149 (Limits.max_total_bytes)"
    )


# ---- reading one array -----------------------------------------------------------------------------------


def test_missing_array_name_is_cut(tmp_path):
    p = make_zip(tmp_path / "m.npz", {"w.npy": npy(np.zeros(1, np.float32))})
    assert read_refused(p, LONG, "missing array") == "missing array " + CUT


def test_errors_name_the_array_cut_to_80_characters(tmp_path):
    p = make_zip(tmp_path / "m.npz", {LONG + ".npy": npy(np.zeros(2, np.float64))})
    msg = read_refused(p, LONG, "wrong dtype")
    assert msg == f"array {CUT}: wrong dtype float64 (only float32 is accepted)"
    p = make_zip(tmp_path / "m.npz", {LONG + ".npy": raw_header("{'descr': '<f4', 'shape': x}")})
    assert read_refused(p, LONG, "corrupt").startswith(f"array {CUT}: corrupt (ValueError: ")


def test_corrupt_reason_is_cut_to_160_characters(tmp_path):
    text = "{'descr': '" + "z" * 300 + "', 'fortran_order': False, 'shape': (2,), }"
    p = make_zip(tmp_path / "m.npz", {"w.npy": raw_header(text)})
    msg = read_refused(p, "w", "corrupt")
    prefix = "array 'w': corrupt (ValueError: "
    assert msg.startswith(prefix + "descr is not a valid dtype descriptor: 'zzz") and msg.endswith("...)")
    assert len(msg) == len(prefix) + 160 + 4


def test_ndim_limit_is_32(tmp_path):
    p = make_zip(tmp_path / "m.npz", {"w.npy": npy(np.zeros((1,) * 32, np.float32))})
    assert read(p, "w").shape == (1,) * 32
    p = make_zip(tmp_path / "m.npz", {"w.npy": npy(np.zeros((1,) * 33, np.float32))})
    msg = read_refused(p, "w", "invalid shape")
    assert msg == "array 'w': invalid shape " + str((1,) * 33)[:80]


@pytest.mark.parametrize("shape", ["(-1, 8)", "(2, -1)", "(True, 8)", "(2, False)"])
def test_negative_or_boolean_dimensions_are_invalid(tmp_path, shape):
    p = make_zip(tmp_path / "m.npz", {"w.npy": raw_header(f"{{'descr': '<f4', 'fortran_order': False, "
                                                          f"'shape': {shape}, }}", bytes(64))})
    assert read_refused(p, "w", "invalid") == f"array 'w': invalid shape {shape}"


@pytest.mark.parametrize("shape", [(0,), (3, 0), (0, 0)])
def test_empty_arrays_are_read(tmp_path, shape):
    p = make_zip(tmp_path / "m.npz", {"w.npy": npy(np.zeros(shape, np.float32))})
    got = read(p, "w")
    assert got.shape == shape and got.dtype == np.float32


def test_max_bytes_is_inclusive(tmp_path):
    p = make_zip(tmp_path / "m.npz", {"w.npy": npy(np.arange(6, dtype=np.float32))})
    assert np.array_equal(read(p, "w", max_bytes=24), np.arange(6, dtype=np.float32))
    msg = read_refused(p, "w", "more than the limit", max_bytes=23)
    assert msg == "array 'w': declares 24 bytes of data, more than the limit of 23"


def test_max_array_bytes_is_the_default_max_bytes(tmp_path):
    p = make_zip(tmp_path / "m.npz", {"w.npy": npy(np.arange(6, dtype=np.float32))})
    read_refused(p, "w", "declares 24 bytes of data, more than the limit of 20",
                 limits=Limits(max_array_bytes=20, max_header_bytes=4096))


def test_npy_format_version_2_is_read(tmp_path):
    p = make_zip(tmp_path / "m.npz", {"w.npy": npy(np.arange(3, dtype=np.float32), version=(2, 0))})
    assert np.array_equal(read(p, "w"), [0, 1, 2])


def test_npy_format_version_3_is_refused(tmp_path):
    raw = npy(np.arange(3, dtype=np.float32))
    p = make_zip(tmp_path / "m.npz", {"w.npy": b"\x93NUMPY\x03\x00" + raw[8:]})
    assert read_refused(p, "w", "unsupported") == "array 'w': unsupported .npy format version 3.0"


def test_size_mismatch_names_both_sizes(tmp_path):
    p = make_zip(tmp_path / "m.npz", {"w.npy": raw_header(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", bytes(10))})
    assert read_refused(p, "w", "size mismatch") == (
        "array 'w': size mismatch: its header needs 24 bytes of data, the archive member holds 10"
    )


def test_truncated_data(tmp_path):
    "A stored member that ends (with a matching CRC) before the size its directory entry declares."
    raw = npy(np.arange(6, dtype=np.float32))
    p = make_zip(tmp_path / "m.npz", {"w.npy": raw[:-4]})
    patch_directory(p, file_size=len(raw))
    assert read_refused(p, "w", "truncated") == "array 'w': truncated data"


# ---- JSON --------------------------------------------------------------------------------------------------


def test_json_depth_counts_closing_brackets():
    assert json_depth("[[], [], []]", 32) == 2
    assert json_depth("[[][[]]]", 32) == 3
    assert json_depth('{"a": [1, {"b": []}], "c": {}}', 32) == 4


def test_json_size_limit_is_inclusive():
    assert parse_json(b"[1, 2, 3 ]", Limits(max_json_bytes=10)) == [1, 2, 3]
    with pytest.raises(ModelFileError) as e:
        parse_json(b"[1, 2, 3  ]", Limits(max_json_bytes=10))
    assert str(e.value) == "the JSON description is 11 bytes, more than the limit of 10"


def test_json_depth_limit_is_inclusive():
    assert parse_json(b"[" * 32 + b"]" * 32, Limits()) is not None
    with pytest.raises(ModelFileError, match="^the JSON description is nested more than 32 levels deep$"):
        parse_json(b"[" * 33 + b"]" * 33, Limits())


def test_json_out_of_range_number_is_cut_to_30_characters():
    numeral = "1." + "0" * 40 + "e999"
    with pytest.raises(ModelFileError) as e:
        parse_json(f'{{"a": {numeral}}}'.encode(), Limits())
    assert str(e.value) == "the JSON description has a number out of range: " + numeral[:30]


def test_invalid_json_names_the_decoder_error():
    with pytest.raises(ModelFileError) as e:
        parse_json(b"{", Limits())
    assert str(e.value) == (
        "the JSON description is not valid JSON (JSONDecodeError: Expecting property name enclosed in double "
        "quotes: line 1 column 2 (char 1))"
    )
