"""The bounded, validating readers of spasmqa.safeio and spasmqa.safearrays (hostile index files)."""

import io
import json
import os
import re
import struct
import time
import zipfile
from itertools import pairwise

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from spasmqa.errors import IndexFormatError, SpasmqaError
from spasmqa.safearrays import ArraySpec, check_csr, csr_from_arrays, parse_npy, read_npy, read_npz
from spasmqa.safeio import check_finite_number, json_depth, parse_json, parse_jsonl, read_bytes, read_json


def test_error_classes():
    assert issubclass(IndexFormatError, SpasmqaError) and issubclass(IndexFormatError, ValueError)


# ---------------------------------------------------------------- JSON

def test_read_json_ok(tmp_path):
    p = tmp_path / "m.json"
    p.write_text(json.dumps({"a": [1, 2.5, {"b": None}], "s": "[[[[{{"}))
    assert read_json(p, max_bytes=1000) == {"a": [1, 2.5, {"b": None}], "s": "[[[[{{"}


def test_read_json_too_big_is_refused_before_reading(tmp_path):
    p = tmp_path / "m.json"
    p.write_text("[" + "1," * 1000 + "1]")
    with pytest.raises(IndexFormatError, match=r"m\.json.*more than the limit"):
        read_json(p, max_bytes=100)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_read_json_refuses_devices_and_fifos(tmp_path):
    with pytest.raises(IndexFormatError, match="not a regular file"):
        read_json("/dev/zero", max_bytes=100)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(IndexFormatError, match="not a regular file"):  # and does not block
        read_json(fifo, max_bytes=100)
    with pytest.raises(IndexFormatError, match="not a regular file"):
        read_json(tmp_path, max_bytes=100)


def test_read_json_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_json(tmp_path / "nope.json", max_bytes=100)


def test_read_bytes_symlinks(tmp_path):
    (tmp_path / "real").write_bytes(b"{}")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert read_bytes(tmp_path / "link", max_bytes=10) == b"{}"
    with pytest.raises(IndexFormatError):
        read_bytes(tmp_path / "link", max_bytes=10, follow_symlinks=False)


@pytest.mark.parametrize("text, problem", [
    ("[" * 100_000 + "]" * 100_000, "nested 100000 levels"),
    ('{"a": ' * 70 + "1" + "}" * 70, "nested 70 levels"),
    ('{"x": NaN}', "NaN"),
    ('{"x": -Infinity}', "-Infinity"),
    ('{"x": 1e999}', "out of range"),
    ('{"x": ' + "9" * 5000 + "}", "too large"),
    ('{"x": 1', "not valid JSON"),
    ("\ufeff{}", "not valid JSON"),
])
def test_parse_json_refuses(text, problem):
    with pytest.raises(IndexFormatError, match=problem) as info:
        parse_json(text.encode("utf-8"), name="manifest.json")
    assert str(info.value).startswith("manifest.json: ")


def test_parse_json_invalid_utf8_and_depth_outside_strings():
    with pytest.raises(IndexFormatError, match="UTF-8"):
        parse_json(b'{"a": "\xff"}', name="x")
    # brackets and escaped quotes inside strings do not count
    doc = json.dumps({"a": "[" * 1000 + '\\"' + "{" * 100})
    assert parse_json(doc, name="x", max_depth=2) == json.loads(doc)
    assert json_depth(b'[[1], {"a": "]]]]"}, [[[2]]]]') == 4


@given(st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=5)
                    | st.floats(allow_nan=False, allow_infinity=False),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3),
                    max_leaves=20))
@settings(max_examples=100, deadline=None)
def test_parse_json_round_trips_valid_documents(value):
    assert parse_json(json.dumps(value), name="x", max_depth=1000) == value

    def depth(v):
        if isinstance(v, list):
            return 1 + max(map(depth, v), default=0)
        if isinstance(v, dict):
            return 1 + max(map(depth, v.values()), default=0)
        return 0

    assert json_depth(json.dumps(value).encode()) == depth(value)


@pytest.mark.parametrize("doc", [b'"' + b'\\"' * 1_000_000, b'"' * 1_000_001, b'"\\' * 1_000_000,
                                 b'["' + b"[" * 1_000_000])
def test_json_depth_scan_is_linear_on_unterminated_strings(doc):
    # a backtracking string regex re-scanned the rest from each quote: 23 s for 40k escaped quotes
    t0 = time.perf_counter()
    with pytest.raises(IndexFormatError):
        parse_json(doc, name="x")
    assert time.perf_counter() - t0 < 10


def test_parse_jsonl():
    docs = [{"doc_id": "a", "text": "x\ny"}, {"doc_id": "b", "text": "[[[{"}]
    raw = ("\n".join(json.dumps(d) for d in docs) + "\n\n").encode()
    assert parse_jsonl(raw, name="documents.jsonl") == docs
    with pytest.raises(IndexFormatError, match="documents.jsonl: line 2 is not valid JSON"):
        parse_jsonl(b'{"a": 1}\n{"a": \n', name="documents.jsonl")
    with pytest.raises(IndexFormatError, match="documents.jsonl: line 3: JSON contains NaN"):
        parse_jsonl(b'{}\n{}\n{"a": NaN}\n', name="documents.jsonl")
    with pytest.raises(IndexFormatError, match="more than 2 lines"):
        parse_jsonl(b"1\n2\n3\n", name="d", max_lines=2)
    with pytest.raises(IndexFormatError, match="nested"):
        parse_jsonl(b"[" * 100 + b"]" * 100, name="d")


# ---------------------------------------------------------------- .npy

def _npy_bytes(arr):
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


@pytest.mark.parametrize("mmap", [False, True])
def test_read_npy_ok(tmp_path, mmap):
    arr = np.arange(10, dtype=np.int32)
    np.save(tmp_path / "a.npy", arr)
    got = read_npy(tmp_path / "a.npy", dtype=np.int32, max_items=10, mmap=mmap)
    assert np.array_equal(got, arr) and got.dtype == np.int32
    assert np.array_equal(read_npy(tmp_path / "a.npy", ArraySpec(np.int32, shape=(10,))), arr)
    assert np.array_equal(parse_npy((tmp_path / "a.npy").read_bytes(), ArraySpec(np.int32), name="a"), arr)
    np.save(tmp_path / "e.npy", np.zeros(0, np.int64))
    assert read_npy(tmp_path / "e.npy", dtype=np.int64, mmap=mmap).shape == (0,)


def test_read_npy_refusals(tmp_path):
    p = tmp_path / "a.npy"
    np.save(p, np.arange(10, dtype=np.int64))
    with pytest.raises(IndexFormatError, match="dtype <i8, expected <i4"):
        read_npy(p, dtype=np.int32)
    with pytest.raises(IndexFormatError, match="more than the limit of 5"):
        read_npy(p, dtype=np.int64, max_items=5)
    with pytest.raises(IndexFormatError, match="expected 2"):
        read_npy(p, dtype=np.int64, ndim=2)
    with pytest.raises(IndexFormatError, match=r"shape \(10,\), expected \(11,\)"):
        read_npy(p, dtype=np.int64, shape=(11,))
    np.save(p, np.arange(10, dtype=">i8"))
    with pytest.raises(IndexFormatError, match="dtype >i8"):
        read_npy(p, dtype=np.int64)
    np.save(p, np.asfortranarray(np.zeros((3, 2))))
    with pytest.raises(IndexFormatError, match="Fortran"):
        read_npy(p, dtype=np.float64, ndim=2)
    np.save(p, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(IndexFormatError, match="object dtype"):
        read_npy(p, dtype=np.int64)
    p.write_bytes(b"not an npy file at all")
    with pytest.raises(IndexFormatError, match="no valid .npy header"):
        read_npy(p, dtype=np.int64)


def test_read_npy_huge_declared_shape_is_refused_without_allocating(tmp_path):
    p = tmp_path / "a.npy"
    raw = _npy_bytes(np.zeros(1, dtype=np.int64)).replace(b"(1,)", b"(10**12,)".replace(b"10**12", b"1000000000000"))
    p.write_bytes(raw)
    with pytest.raises(IndexFormatError, match="more than the limit"):
        read_npy(p, dtype=np.int64)
    with pytest.raises(IndexFormatError, match="truncated"):
        read_npy(p, dtype=np.int64, max_items=10**13)


@given(arr=st.lists(st.integers(-2**31, 2**31 - 1), max_size=30).map(lambda v: np.array(v, dtype=np.int32)),
       cut=st.integers(1, 200), extra=st.binary(min_size=1, max_size=20))
@settings(max_examples=60, deadline=None)
def test_npy_any_truncation_or_extension_is_refused(tmp_path_factory, arr, cut, extra):
    raw = _npy_bytes(arr)
    d = tmp_path_factory.mktemp("npy")
    spec = ArraySpec(np.int32)
    assert np.array_equal(parse_npy(raw, spec, name="a"), arr)
    for bad in (raw[:max(0, len(raw) - cut)], raw + extra):
        (d / "a.npy").write_bytes(bad)
        with pytest.raises(IndexFormatError):
            read_npy(d / "a.npy", spec)
        with pytest.raises(IndexFormatError):
            parse_npy(bad, spec, name="a")


# ---------------------------------------------------------------- .npz

def test_read_npz_ok_and_scipy_files(tmp_path):
    m = sp.random(20, 30, density=0.2, format="csr", random_state=0, dtype=np.float64)
    for compressed in (False, True):
        sp.save_npz(tmp_path / "c.npz", m, compressed=compressed)
        got = read_npz(tmp_path / "c.npz", {
            "indptr": ArraySpec(np.int32, max_items=21), "indices": ArraySpec(np.int32, max_items=600),
            "data": ArraySpec(np.float64, max_items=600), "shape": ArraySpec(np.int64, shape=(2,)),
            "format": ArraySpec("S3", ndim=0)}, max_bytes=10**6)
        assert np.array_equal(got["indices"], m.indices) and tuple(got["shape"]) == (20, 30)
        check_csr(got["indptr"], got["indices"], got["data"], tuple(int(x) for x in got["shape"]), what="c.npz")
    with pytest.raises(IndexFormatError, match="unexpected members"):
        read_npz(tmp_path / "c.npz", {"data": ArraySpec(np.float64)}, max_bytes=10**6)
    with pytest.raises(IndexFormatError, match="no member nothere.npy"):
        read_npz(tmp_path / "c.npz", {k: ArraySpec(np.float64) for k in
                                      ("data", "format", "indices", "indptr", "shape", "nothere")}, max_bytes=10**6)


def test_read_npz_refuses_a_zip_bomb_without_inflating(tmp_path):
    p = tmp_path / "bomb.npz"
    np.savez_compressed(p, a=np.zeros(5_000_000, dtype=np.int64))  # 40 MB -> about 40 kB
    assert p.stat().st_size < 200_000
    with pytest.raises(IndexFormatError, match="compression ratio"):
        read_npz(p, {"a": ArraySpec(np.int64, max_items=10**8)}, max_bytes=10**6)
    with pytest.raises(IndexFormatError, match="more than the limit"):
        read_npz(p, {"a": ArraySpec(np.int64, max_items=1000)}, max_bytes=10**6)


def test_read_npz_member_with_huge_header_shape(tmp_path):
    p = tmp_path / "h.npz"
    raw = _npy_bytes(np.zeros(1, dtype=np.int64)).replace(b"(1,)", b"(1000000000000,)")
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("a.npy", raw)
    with pytest.raises(IndexFormatError, match=r"h\.npz\[a\].*more than the limit"):
        read_npz(p, {"a": ArraySpec(np.int64)}, max_bytes=10**6)
    with pytest.raises(IndexFormatError, match="declares"):
        read_npz(p, {"a": ArraySpec(np.int64, max_items=10**13)}, max_bytes=10**6)


def test_read_npz_lying_sizes_and_garbage(tmp_path):
    p = tmp_path / "g.npz"
    p.write_bytes(b"PK\x03\x04 garbage")
    with pytest.raises(IndexFormatError, match="not a valid .npz"):
        read_npz(p, {"a": ArraySpec(np.int64)}, max_bytes=10**6)
    np.savez(p, a=np.arange(100, dtype=np.int64))
    raw = bytearray(p.read_bytes())
    # declare a smaller uncompressed size in the central directory: the data no longer fits the header
    cd = raw.rfind(b"PK\x01\x02")
    struct.pack_into("<I", raw, cd + 24, 200)
    p.write_bytes(bytes(raw))
    with pytest.raises(IndexFormatError):
        read_npz(p, {"a": ArraySpec(np.int64)}, max_bytes=10**6)


# ---------------------------------------------------------------- CSR

def _csr(m):
    return m.indptr, m.indices, m.data, m.shape


@st.composite
def csr_matrices(draw):
    rows, cols = draw(st.integers(0, 8)), draw(st.integers(1, 8))
    dense = draw(st.lists(st.lists(st.integers(0, 3), min_size=cols, max_size=cols), min_size=rows, max_size=rows))
    m = sp.csr_matrix(np.array(dense, dtype=np.int32).reshape(rows, cols))
    m.sort_indices()
    return m


@given(csr_matrices())
@settings(max_examples=100, deadline=None)
def test_check_csr_accepts_every_valid_matrix(m):
    check_csr(*_csr(m), what="counts")
    check_csr(m.indptr.astype(np.int64), m.indices.astype(np.uint64), m.data.astype(np.float32), m.shape,
              what="counts")


@given(csr_matrices(), st.data())
@settings(max_examples=200, deadline=None)
def test_check_csr_rejects_random_corruptions(m, data):
    indptr, indices, values, shape = (m.indptr.astype(np.int64), m.indices.astype(np.int64),
                                      m.data.astype(np.int64), m.shape)
    kinds = ["indptr0", "indptr_end", "col_high", "col_neg", "shape_rows"]
    if m.nnz:
        kinds += ["value_zero"]
    if m.nnz > 1 and any(b - a > 1 for a, b in pairwise(indptr)):
        kinds += ["unsorted"]
    if m.shape[0] >= 2 and m.nnz:
        kinds += ["decreasing"]
    kind = data.draw(st.sampled_from(kinds))
    indptr, indices, values = indptr.copy(), indices.copy(), values.copy()
    if kind == "indptr0":
        indptr[0] = data.draw(st.integers(1, 5))
    elif kind == "indptr_end":
        indptr[-1] += data.draw(st.sampled_from([-1, 1, 2**40]))
    elif kind == "col_high":
        if not m.nnz:
            indices, values, indptr[-1] = np.array([0]), np.array([1]), 1
        indices[data.draw(st.integers(0, indices.size - 1))] = shape[1] + data.draw(st.sampled_from([0, 1, 2**32]))
    elif kind == "col_neg":
        if not m.nnz:
            indices, values, indptr[-1] = np.array([0]), np.array([1]), 1
        indices[data.draw(st.integers(0, indices.size - 1))] = -data.draw(st.sampled_from([1, 2**32]))
    elif kind == "shape_rows":
        shape = (shape[0] + data.draw(st.sampled_from([-1, 1])), shape[1]) if shape[0] else (1, shape[1])
    elif kind == "value_zero":
        values[data.draw(st.integers(0, values.size - 1))] = data.draw(st.sampled_from([0, -1]))
    elif kind == "unsorted":
        row = next(i for i in range(len(indptr) - 1) if indptr[i + 1] - indptr[i] > 1)
        a = indptr[row]
        indices[a], indices[a + 1] = indices[a + 1], data.draw(st.sampled_from([indices[a], indices[a + 1]]))
    elif kind == "decreasing":
        nz = next(i for i in range(1, len(indptr)) if indptr[i] > 0)
        if nz < len(indptr) - 1:
            indptr[nz] = indptr[-1] + 1
        else:
            indptr[nz - 1] = indptr[-1] + 1
    with pytest.raises(IndexFormatError, match="counts"):
        check_csr(indptr, indices, values, shape, what="counts")


def test_check_csr_specific_attacks():
    good = (np.array([0, 1, 2]), np.array([0, 1]), np.array([1.0, 2.0]), (2, 3))
    check_csr(*good, what="c")
    with pytest.raises(IndexFormatError, match="does not fit int32"):  # would wrap when converted to int32
        check_csr(np.array([0, 1]), np.array([2**32 + 1]), np.array([1]), (1, 2**32 + 5), what="c")
    with pytest.raises(IndexFormatError, match="outside"):
        check_csr(np.array([0, 1]), np.array([2**32 + 1], dtype=np.int64), np.array([1]), (1, 5), what="c")
    with pytest.raises(IndexFormatError, match="64-bit"):
        check_csr(np.array([0, 1], dtype=np.uint64), np.array([2**64 - 1], dtype=np.uint64), np.array([1]), (1, 5),
                  what="c")
    with pytest.raises(IndexFormatError, match="not finite"):
        check_csr(good[0], good[1], np.array([1.0, np.inf]), good[3], what="c")
    with pytest.raises(IndexFormatError, match="expected integers"):
        check_csr(good[0].astype(float), *good[1:], what="c")
    with pytest.raises(IndexFormatError, match="invalid shape"):
        check_csr(*good[:3], (True, 3), what="c")
    with pytest.raises(IndexFormatError, match="numeric"):
        check_csr(*good[:2], np.array(["a", "b"]), good[3], what="c")


def test_csr_from_arrays():
    m = sp.random(30, 40, density=0.1, format="csr", random_state=1)
    m.data[:] = np.arange(1, m.nnz + 1)
    got = csr_from_arrays(m.indptr.astype(np.int64), m.indices.astype(np.int64), m.data, m.shape, what="c",
                          data_dtype=np.int32)
    assert got.indices.dtype == np.int32 and got.data.dtype == np.int32 and got.has_sorted_indices
    assert (got != m).nnz == 0
    with pytest.raises(IndexFormatError, match="do not fit int32"):
        csr_from_arrays(np.array([0, 1]), np.array([0]), np.array([2.0**40]), (1, 1), what="c", data_dtype=np.int32)
    with pytest.raises(IndexFormatError, match="outside"):
        csr_from_arrays(np.array([0, 1]), np.array([5]), np.array([1]), (1, 2), what="c")


def test_check_csr_is_linear():
    n = 2_000_000
    indptr = np.arange(n + 1, dtype=np.int64)
    check_csr(indptr, np.zeros(n, np.int32), np.ones(n, np.int32), (n, 1), what="c")  # fast, vectorised


# ---------------------------------------------------------------- numbers

def test_check_finite_number():
    assert check_finite_number("k", 5, 1, 100, integer=True) == 5
    assert check_finite_number("k", np.int64(5), 1, 100, integer=True) == 5
    assert check_finite_number("w", 0.5, 0, 1) == 0.5
    for bad in (True, float("nan"), float("inf"), -1.0, 1e18, "3", None, [1]):
        with pytest.raises(ValueError, match="w must"):
            check_finite_number("w", bad, 0, 100)
    with pytest.raises(ValueError, match="integer"):
        check_finite_number("k", 2.0, 1, 100, integer=True)
    with pytest.raises(IndexFormatError, match="candidates"):
        check_finite_number("candidates", 10**18, 1, 10**6, integer=True, error=IndexFormatError)


# The former scan, as the reference: a JSON string literal, or an unterminated one up to the end
# (possessive quantifiers: no backtracking).
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)', re.DOTALL)

_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(alphabet='ab"\\[]{}\n é\u2028'),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(alphabet='k"\\[{', max_size=3), inner,
                                                                 max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(_JSON_VALUES, min_size=1, max_size=4), ascii_only=st.booleans())
def test_outside_strings_equals_removing_each_literal_on_json(values, ascii_only):
    """The fast scan (escape pairs dropped, then quotes split) leaves exactly what the
    string-literal regex leaves, for JSON and JSON Lines with quotes and backslashes in strings."""
    from spasmqa.safeio import outside_strings

    data = "\n".join(json.dumps(v, ensure_ascii=ascii_only) for v in values).encode("utf-8")
    assert outside_strings(data) == _JSON_STRING.sub(b"", data)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=200).map(lambda b: b.replace(b"\\", b"")))
def test_outside_strings_equals_the_regex_without_backslashes(data):
    """Without backslashes (even unbalanced quotes, unterminated strings) the two agree on any bytes."""
    from spasmqa.safeio import outside_strings

    assert outside_strings(data) == _JSON_STRING.sub(b"", data)
