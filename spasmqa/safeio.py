"""Bounded, validating readers for files of a saved index (untrusted input).

A saved index may have been edited by someone who also re-signed every
checksum, so nothing read from it is trusted: every reader here checks sizes
before reading, types and shapes before allocating, and turns every problem
into :class:`~spasmqa.errors.IndexFormatError` naming the file and the problem
(never a raw numpy/scipy/json traceback, a segfault, an unbounded allocation
or a hang).

* :func:`read_bytes` / :func:`read_json` / :func:`parse_json` /
  :func:`parse_jsonl` -- JSON with a
  size bound, a nesting-depth bound checked by a linear scan before parsing,
  and no NaN, Infinity or overflowing numbers.
* :func:`read_npy` / :func:`parse_npy` -- ``.npy`` arrays whose header is
  parsed and checked (exact dtype, shape, item bound, exact file size) before
  any data is read; optionally memory-mapped.
* :func:`read_npz` -- members of a legacy ``.npz`` (zip) file, with each
  member's declared size and compression ratio checked before decompressing.
* :func:`check_csr` / :func:`csr_from_arrays` -- vectorised validation of
  CSR arrays before scipy sees them (scipy segfaults on some invalid ones).
* :func:`check_finite_number` -- numeric settings from an index or a user.
"""

from __future__ import annotations

import errno
import io
import json
import math
import os
import re
import stat
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib import format as npformat

from .errors import IndexFormatError

__all__ = ["ArraySpec", "check_csr", "check_finite_number", "csr_from_arrays", "json_depth", "parse_json",
           "parse_jsonl", "parse_npy", "read_bytes", "read_json", "read_npy", "read_npz"]

#: Upper bound on a ``.npy`` header (numpy's own default limit).
MAX_NPY_HEADER = 10_000
#: Default maximum compression ratio accepted for a compressed ``.npz`` member.
MAX_COMPRESSION_RATIO = 200


def _fail(name: object, problem: str) -> IndexFormatError:
    return IndexFormatError(f"{name}: {problem}")


# --------------------------------------------------------------------------- raw bytes

def _open_regular(path: str | os.PathLike, *, follow_symlinks: bool, dir_fd: int | None = None) -> int:
    """Open ``path`` read-only without blocking and return the fd of a regular file."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, dir_fd=dir_fd)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_symlinks:
            raise _fail(path, "is a symbolic link, which is not followed") from None
        raise _fail(path, f"cannot be opened ({exc.strerror or exc})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _fail(path, "is not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return fd


def _read_fd(fd: int, name: object, max_bytes: int) -> bytes:
    size = os.fstat(fd).st_size
    if size > max_bytes:
        raise _fail(name, f"is {size} bytes, more than the limit of {max_bytes}")
    chunks = []
    total = 0
    while True:
        chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            raise _fail(name, f"grew past the limit of {max_bytes} bytes while being read")
    return b"".join(chunks)


def read_bytes(path: str | os.PathLike, *, max_bytes: int, follow_symlinks: bool = True,
               dir_fd: int | None = None) -> bytes:
    """Read a whole regular file of at most ``max_bytes`` bytes.

    The size is checked with ``fstat`` before reading and the read itself is
    bounded, so ``/dev/zero``, a FIFO (opened non-blocking, then refused) or a
    file that grows while being read cannot exhaust memory or hang.

    Parameters
    ----------
    path : path-like
        The file (relative to ``dir_fd`` when given).
    max_bytes : int
        Largest accepted size.
    follow_symlinks : bool, default=True
        With ``False`` a symbolic link is refused.
    dir_fd : int, optional
        Directory file descriptor ``path`` is relative to (see :class:`os.open`).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    IndexFormatError
        If it is not a regular file, cannot be opened, or is too big.
    """
    fd = _open_regular(path, follow_symlinks=follow_symlinks, dir_fd=dir_fd)
    try:
        return _read_fd(fd, path, max_bytes)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- JSON

# A JSON string literal, or an unterminated one up to the end. Possessive quantifiers: no
# backtracking, and a string that never ends is consumed once (not re-scanned from each quote).
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_OPEN = np.frombuffer(b"[{", dtype=np.uint8)
_CLOSE = np.frombuffer(b"]}", dtype=np.uint8)


def json_depth(data: bytes) -> int:
    """Maximum nesting depth of brackets outside strings, in linear time."""
    outside = _JSON_STRING.sub(b"", data)
    b = np.frombuffer(outside, dtype=np.uint8)
    step = np.isin(b, _OPEN).astype(np.int64) - np.isin(b, _CLOSE).astype(np.int64)
    return int(np.cumsum(step).max()) if step.size else 0


def _json_hooks(name: object, max_int_digits: int) -> dict[str, Any]:
    def bad_constant(word: str) -> Any:
        raise _fail(name, f"JSON contains {word}, which is not a finite number")

    def parse_float(s: str) -> float:
        value = float(s)
        if not math.isfinite(value):
            raise _fail(name, f"JSON number {s[:40]!r} is out of range")
        return value

    def parse_int(s: str) -> int:
        if len(s.lstrip("-")) > max_int_digits:
            raise _fail(name, f"JSON integer with {len(s)} digits is too large")
        return int(s)

    return {"parse_constant": bad_constant, "parse_float": parse_float, "parse_int": parse_int}


def parse_jsonl(data: bytes, *, name: object, max_depth: int = 64, max_lines: int | None = None,
                max_int_digits: int = 30) -> list[Any]:
    """Parse JSON Lines (one JSON value per line; blank lines skipped) from untrusted bytes.

    Same checks as :func:`parse_json`, with one linear depth scan for the
    whole file; errors name the file and the line number. ``max_lines``
    bounds the number of values.
    """
    raw = bytes(data)
    depth = json_depth(raw)
    if depth > max_depth:
        raise _fail(name, f"JSON nested {depth} levels deep, more than the limit of {max_depth}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(name, f"is not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    out: list[Any] = []
    decoder = json.JSONDecoder(**_json_hooks(name, max_int_digits))
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        if max_lines is not None and len(out) >= max_lines:
            raise _fail(name, f"has more than {max_lines} lines")
        try:
            out.append(decoder.decode(line))
        except IndexFormatError as exc:
            raise _fail(name, f"line {lineno}: {str(exc).removeprefix(f'{name}: ')}") from None
        except (ValueError, RecursionError, OverflowError) as exc:
            raise _fail(name, f"line {lineno} is not valid JSON ({exc})") from None
    return out


def parse_json(data: bytes | str, *, name: object, max_depth: int = 64, max_int_digits: int = 30) -> Any:
    """Parse JSON from untrusted bytes.

    Parameters
    ----------
    data : bytes or str
        The document (UTF-8 when bytes).
    name : object
        What to call it in error messages (usually the file path).
    max_depth : int, default=64
        Deepest accepted nesting of arrays/objects, checked by a linear scan
        before parsing (so deep nesting cannot raise ``RecursionError``).
    max_int_digits : int, default=30
        Longest accepted integer literal.

    Raises
    ------
    IndexFormatError
        For invalid UTF-8 or JSON, nesting deeper than ``max_depth``,
        ``NaN``/``Infinity``, floats that overflow (``1e999``) and integers
        with more than ``max_int_digits`` digits.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    depth = json_depth(raw)
    if depth > max_depth:
        raise _fail(name, f"JSON nested {depth} levels deep, more than the limit of {max_depth}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(name, f"is not valid UTF-8 ({exc.reason} at byte {exc.start})") from None

    try:
        return json.loads(text, **_json_hooks(name, max_int_digits))
    except IndexFormatError:
        raise
    except (ValueError, RecursionError, OverflowError) as exc:
        raise _fail(name, f"is not valid JSON ({exc})") from None


def read_json(path: str | os.PathLike, *, max_bytes: int, max_depth: int = 64,
              follow_symlinks: bool = True) -> Any:
    """Read and parse a JSON file with :func:`read_bytes` then :func:`parse_json`."""
    return parse_json(read_bytes(path, max_bytes=max_bytes, follow_symlinks=follow_symlinks),
                      name=path, max_depth=max_depth)


# --------------------------------------------------------------------------- .npy

@dataclass(frozen=True)
class ArraySpec:
    """What an array in an index must look like.

    Parameters
    ----------
    dtype : numpy dtype-like
        The exact dtype (byte order included; ``np.int32`` means native order).
    ndim : int, default=1
        Number of dimensions.
    shape : tuple, optional
        Exact shape; ``None`` entries are free.
    max_items : int, default=2**31 - 1
        Largest accepted number of elements.
    """

    dtype: Any
    ndim: int = 1
    shape: tuple[int | None, ...] | None = None
    max_items: int = 2**31 - 1


def _check_header(name: object, version: tuple[int, int], header: tuple, spec: ArraySpec) -> tuple[tuple[int, ...], np.dtype, int]:
    shape, fortran, dtype = header
    want = np.dtype(spec.dtype)
    if want.hasobject:
        raise ValueError("object arrays are never read from an index")
    if dtype.hasobject:
        raise _fail(name, "holds Python objects (pickle), which are never loaded")
    if dtype != want:
        raise _fail(name, f"has dtype {dtype.str}, expected {want.str}")
    if fortran:
        raise _fail(name, "is stored in Fortran order; expected C order")
    if not isinstance(shape, tuple) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise _fail(name, f"has an invalid shape {shape!r}")
    if len(shape) != spec.ndim:
        raise _fail(name, f"has {len(shape)} dimensions, expected {spec.ndim}")
    if spec.shape is not None:
        for got, exp in zip(shape, spec.shape):
            if exp is not None and got != exp:
                raise _fail(name, f"has shape {shape}, expected {tuple(spec.shape)}")
    items = math.prod(shape)
    if items > spec.max_items:
        raise _fail(name, f"declares {items} elements, more than the limit of {spec.max_items}")
    return shape, dtype, items * dtype.itemsize


def _read_header(fp: Any, name: object, spec: ArraySpec) -> tuple[tuple[int, ...], np.dtype, int]:
    try:
        version = npformat.read_magic(fp)
        if version == (1, 0):
            header = npformat.read_array_header_1_0(fp, max_header_size=MAX_NPY_HEADER)
        elif version == (2, 0):
            header = npformat.read_array_header_2_0(fp, max_header_size=MAX_NPY_HEADER)
        else:
            raise _fail(name, f"uses .npy format version {version}, which is not supported")
    except IndexFormatError:
        raise
    except (ValueError, TypeError, SyntaxError, EOFError, OSError) as exc:
        raise _fail(name, f"has no valid .npy header ({exc})") from None
    return _check_header(name, version, header, spec)


def parse_npy(buffer: Any, spec: ArraySpec, *, name: object) -> np.ndarray:
    """An array from the bytes (or ``mmap``) of a whole ``.npy`` file, without copying.

    The header is checked against ``spec`` and the buffer's length must be
    exactly header + data. The result is a read-only view of ``buffer``.
    """
    view = memoryview(buffer).cast("B")
    fp = io.BytesIO(view[:MAX_NPY_HEADER + 64].tobytes())
    shape, dtype, nbytes = _read_header(fp, name, spec)
    offset = fp.tell()
    if len(view) != offset + nbytes:
        raise _fail(name, f"is {len(view)} bytes; its header ({offset} bytes) declares {nbytes} bytes of data"
                          f" ({'truncated' if len(view) < offset + nbytes else 'trailing data'})")
    arr = np.frombuffer(view, dtype=dtype, count=math.prod(shape), offset=offset).reshape(shape)
    arr.flags.writeable = False
    return arr


def read_npy(path: str | os.PathLike, spec: ArraySpec | None = None, *, dtype: Any = None, ndim: int = 1,
             shape: tuple[int | None, ...] | None = None, max_items: int = 2**31 - 1,
             mmap: bool = False, follow_symlinks: bool = True) -> np.ndarray:
    """Read a ``.npy`` file whose header is validated before any data is read.

    Parameters
    ----------
    path : path-like
        The file.
    spec : ArraySpec, optional
        Expected dtype/ndim/shape/max_items; or give them as keywords.
    mmap : bool, default=False
        Memory-map the data read-only instead of reading it.

    Returns
    -------
    numpy.ndarray
        Read-only when memory-mapped, writable otherwise.

    Raises
    ------
    IndexFormatError
        Not a regular file, bad magic or header, object dtype, wrong dtype,
        Fortran order, wrong shape or dimensions, more than ``max_items``
        elements, or a file size different from header + data.
    """
    if spec is None:
        if dtype is None:
            raise TypeError("read_npy needs a spec or a dtype")
        spec = ArraySpec(dtype, ndim, shape, max_items)
    fd = _open_regular(path, follow_symlinks=follow_symlinks)
    with os.fdopen(fd, "rb") as f:
        shape_, dtype_, nbytes = _read_header(f, path, spec)
        offset = f.tell()
        size = os.fstat(f.fileno()).st_size
        if size != offset + nbytes:
            raise _fail(path, f"is {size} bytes; its header ({offset} bytes) declares {nbytes} bytes of data"
                              f" ({'truncated' if size < offset + nbytes else 'trailing data'})")
        count = math.prod(shape_)
        if mmap and nbytes:
            return np.memmap(f, dtype=dtype_, mode="r", offset=offset, shape=shape_)
        arr = np.fromfile(f, dtype=dtype_, count=count)
        if arr.size != count:
            raise _fail(path, "changed while being read (truncated)")
        return arr.reshape(shape_)


# --------------------------------------------------------------------------- .npz

def read_npz(path: str | os.PathLike, specs: Mapping[str, ArraySpec], *, max_bytes: int,
             max_ratio: float = MAX_COMPRESSION_RATIO, allow_missing: bool = False) -> dict[str, np.ndarray]:
    """Read the arrays of a legacy ``.npz`` (zip) file in bounded memory and time.

    For each member ``name.npy``, before decompressing it: its declared
    uncompressed size must not exceed the header bound plus
    ``max_items * itemsize``, its compression ratio must not exceed
    ``max_ratio``, and the ``.npy`` header read from the member stream must
    match its :class:`ArraySpec` with header + data equal to the declared
    size. Decompression stops at the declared size (and zip's CRC check then
    catches lies), so a member claiming shape ``(10**12,)`` or a zip bomb is
    refused without allocating or inflating it.

    Parameters
    ----------
    path : path-like
        The ``.npz`` file (at most ``max_bytes`` bytes).
    specs : mapping of str to ArraySpec
        Member name (without ``.npy``) -> what it must be. Other members are refused.
    allow_missing : bool, default=False
        Whether members of ``specs`` may be absent.
    """
    fd = _open_regular(path, follow_symlinks=True)
    with os.fdopen(fd, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > max_bytes:
            raise _fail(path, f"is {size} bytes, more than the limit of {max_bytes}")
        try:
            zf = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise _fail(path, f"is not a valid .npz (zip) file ({exc})") from None
        with zf:
            infos = zf.infolist()
            names = [i.filename for i in infos]
            if len(names) != len(set(names)):
                raise _fail(path, "has duplicate members")
            extra = sorted(set(names) - {f"{k}.npy" for k in specs})
            if extra:
                raise _fail(path, f"has unexpected members {extra[:5]}")
            missing = [f"{k}.npy" for k in specs if f"{k}.npy" not in names]
            if missing and not allow_missing:
                raise _fail(path, f"has no member {missing[0]}")
            return {key: _read_member(zf, zf.getinfo(f"{key}.npy"), f"{path}[{key}]", spec, max_ratio)
                    for key, spec in specs.items() if f"{key}.npy" in names}


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, spec: ArraySpec,
                 max_ratio: float) -> np.ndarray:
    limit = MAX_NPY_HEADER + 64 + spec.max_items * np.dtype(spec.dtype).itemsize
    if info.file_size > limit:
        raise _fail(name, f"declares {info.file_size} bytes uncompressed, more than the limit of {limit}")
    if info.compress_type != zipfile.ZIP_STORED and info.file_size > max(info.compress_size, 1) * max_ratio:
        raise _fail(name, f"compression ratio {info.file_size / max(info.compress_size, 1):.0f} exceeds {max_ratio}")
    try:
        with zf.open(info) as stream:
            shape, dtype, nbytes = _read_header(stream, name, spec)
            header_len = info.file_size - nbytes
            if header_len < 10 or header_len > MAX_NPY_HEADER + 64:
                raise _fail(name, f"declares {info.file_size} bytes, not its header plus {nbytes} bytes of data")
            data = stream.read(nbytes + 1)
    except IndexFormatError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
        raise _fail(name, f"cannot be decompressed ({exc})") from None
    if len(data) != nbytes:
        raise _fail(name, f"holds {len(data)} bytes of data, its header declares {nbytes}")
    arr = np.frombuffer(data, dtype=dtype).reshape(shape)
    return arr


# --------------------------------------------------------------------------- CSR and numbers

def _int64(a: np.ndarray, what: str, label: str) -> np.ndarray:
    if not isinstance(a, np.ndarray) or a.ndim != 1:
        raise _fail(what, f"{label} must be a one-dimensional array")
    if a.dtype.kind not in "iu" or a.dtype.itemsize > 8:
        raise _fail(what, f"{label} has dtype {a.dtype}, expected integers")
    if a.dtype == np.uint64 and a.size and a.max() > np.iinfo(np.int64).max:
        raise _fail(what, f"{label} holds values beyond the 64-bit range")
    return a.astype(np.int64, copy=False)


def check_csr(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, shape: Any, *, what: str,
              index_dtype: Any = np.int32, sorted_unique: bool = True, positive: bool = True) -> None:
    """Validate the arrays of a CSR matrix before scipy touches them.

    Time and extra memory are linear in the sizes (all checks are vectorised).

    Parameters
    ----------
    indptr, indices, data : numpy.ndarray
        The CSR arrays (as stored).
    shape : (int, int)
        ``(n_rows, n_cols)``.
    what : str
        Name used in error messages (e.g. ``"counts.npy"``).
    index_dtype : numpy dtype, default=int32
        The integer dtype the caller will convert ``indices`` and ``indptr`` to:
        every value (and ``n_cols``, ``nnz``) must fit it, so nothing wraps.
    sorted_unique : bool, default=True
        Require strictly increasing column indices within each row.
    positive : bool, default=True
        Require ``data > 0`` (counts); data must be finite in any case.

    Raises
    ------
    IndexFormatError
        Naming ``what`` and the first problem found: integer dtypes,
        ``len(indptr) == n_rows + 1``, ``indptr[0] == 0``, non-decreasing
        ``indptr``, ``indptr[-1] == len(indices) == len(data)``,
        ``0 <= indices < n_cols``, fit in ``index_dtype``, sorted and unique
        columns, finite (and positive) data.
    """
    if (not isinstance(shape, (tuple, list)) or len(shape) != 2
            or not all(isinstance(d, (int, np.integer)) and not isinstance(d, (bool, np.bool_)) and d >= 0 for d in shape)):
        raise _fail(what, f"has an invalid shape {shape!r}")
    n_rows, n_cols = int(shape[0]), int(shape[1])
    limit = int(np.iinfo(index_dtype).max)
    if n_rows > limit or n_cols > limit:
        raise _fail(what, f"shape {n_rows} x {n_cols} does not fit {np.dtype(index_dtype)} indices")
    ip = _int64(indptr, what, "indptr")
    ix = _int64(indices, what, "indices")
    if not isinstance(data, np.ndarray) or data.ndim != 1 or data.dtype.kind not in "iuf":
        raise _fail(what, f"data must be a one-dimensional numeric array, got {getattr(data, 'dtype', type(data))}")
    if ip.size != n_rows + 1:
        raise _fail(what, f"indptr has {ip.size} entries, expected n_rows + 1 = {n_rows + 1}")
    if ip[0] != 0:
        raise _fail(what, f"indptr starts at {ip[0]}, expected 0")
    if ip.size > 1 and (np.diff(ip) < 0).any():
        raise _fail(what, "indptr decreases")
    nnz = int(ip[-1])
    if nnz != ix.size or nnz != data.size:
        raise _fail(what, f"indptr ends at {nnz} but there are {ix.size} indices and {data.size} values")
    if nnz > limit:
        raise _fail(what, f"{nnz} stored values do not fit {np.dtype(index_dtype)} indices")
    if nnz:
        lo, hi = int(ix.min()), int(ix.max())
        if lo < 0 or hi >= n_cols:
            raise _fail(what, f"column index {lo if lo < 0 else hi} is outside 0..{n_cols - 1}")
        if sorted_unique and nnz > 1:
            same_row = np.ones(nnz - 1, dtype=bool)
            starts = ip[1:-1]
            starts = starts[(starts > 0) & (starts < nnz)]
            same_row[starts - 1] = False
            if (np.diff(ix)[same_row] <= 0).any():
                raise _fail(what, "column indices are not sorted and unique within each row")
        if data.dtype.kind == "f" and not np.isfinite(data).all():
            raise _fail(what, "holds values that are not finite")
        if positive and (data <= 0).any():
            raise _fail(what, "holds values that are not positive")


def csr_from_arrays(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, shape: Any, *, what: str,
                    index_dtype: Any = np.int32, data_dtype: Any = None, sorted_unique: bool = True,
                    positive: bool = True) -> Any:
    """A ``scipy.sparse.csr_matrix`` from untrusted arrays, after :func:`check_csr`.

    ``indices`` and ``indptr`` are converted to ``index_dtype`` (their values
    were checked to fit, so nothing wraps) and ``data`` to ``data_dtype``
    when given. The matrix is flagged as having sorted indices when
    ``sorted_unique`` was checked. Raises :class:`IndexFormatError` naming ``what``.
    """
    import scipy.sparse as sp

    check_csr(indptr, indices, data, shape, what=what, index_dtype=index_dtype, sorted_unique=sorted_unique,
              positive=positive)
    idx_dtype = np.dtype(index_dtype)
    values = data
    if data_dtype is not None:
        target = np.dtype(data_dtype)
        if target.kind in "iu" and data.size:
            info = np.iinfo(target)
            if (int(data.min()) < info.min or int(data.max()) > info.max
                    or (data.dtype.kind == "f" and (np.floor(data) != data).any())):
                raise _fail(what, f"values do not fit {target}")
        values = data.astype(target)
    m = sp.csr_matrix((values, indices.astype(idx_dtype), indptr.astype(idx_dtype)),
                      shape=(int(shape[0]), int(shape[1])), copy=False)
    if sorted_unique:
        m.has_sorted_indices = True
        m.has_canonical_format = True
    return m


def check_finite_number(name: str, value: Any, lo: float, hi: float, integer: bool = False, *,
                        error: type[Exception] = ValueError) -> int | float:
    """Validate a numeric setting from an index or a user; return it as int or float.

    Parameters
    ----------
    name : str
        Setting name used in the message.
    value : object
        The value: an ``int`` (or numpy integer); with ``integer=False`` also a
        ``float``. ``bool`` is refused (``True`` is not a number of results).
    lo, hi : float
        Inclusive bounds.
    integer : bool, default=False
        Require an integer.
    error : exception class, default=ValueError
        Raised on failure (pass :class:`IndexFormatError` for manifest settings).
    """
    if isinstance(value, (bool, np.bool_)):
        raise error(f"{name} must be a number, got {value!r}")
    if isinstance(value, (int, np.integer)):
        number: int | float = int(value)
    elif not integer and isinstance(value, (float, np.floating)):
        number = float(value)
        if not math.isfinite(number):
            raise error(f"{name} must be a finite number, got {value!r}")
    else:
        kind = "an integer" if integer else "a number"
        raise error(f"{name} must be {kind}, got {type(value).__name__} {str(value)[:40]!r}")
    if not lo <= number <= hi:
        raise error(f"{name} must be between {lo} and {hi}, got {number!r}")
    return number
