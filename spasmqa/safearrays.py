"""Bounded, validating readers for the arrays of a saved index (untrusted input).

* :func:`read_npy` / :func:`parse_npy` -- ``.npy`` arrays whose header is
  parsed and checked (exact dtype, no Python object arrays, C order, shape,
  item bound, exact file size) before any data is read; optionally
  memory-mapped.
* :func:`read_npz` -- members of a legacy ``.npz`` (zip) file, with each
  member's declared size and compression ratio and its ``.npy`` header
  checked before decompressing.
* :func:`check_csr` / :func:`csr_from_arrays` -- vectorised validation of
  CSR arrays before scipy sees them (scipy segfaults on some invalid ones).

Every problem raises :class:`~spasmqa.errors.IndexFormatError` naming the
file (or array) and the problem.
"""

from __future__ import annotations

import io
import math
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib import format as npformat

from .errors import IndexFormatError
from .safeio import _fail, _open_regular

__all__ = ["ArraySpec", "check_csr", "csr_from_arrays", "parse_npy",
    "parse_npz", "read_npy", "read_npz"]

#: Upper bound on a ``.npy`` header (numpy's own default limit).
MAX_NPY_HEADER = 10_000
#: Default maximum compression ratio accepted for a compressed ``.npz`` member.
MAX_COMPRESSION_RATIO = 200


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


def _check_header(name: object, version: tuple[int, int], header: tuple,
                  spec: ArraySpec) -> tuple[tuple[int, ...], np.dtype, int]:
    shape, fortran, dtype = header
    want = np.dtype(spec.dtype)
    if want.hasobject:
        raise ValueError("object arrays are never read from an index")
    if dtype.hasobject:
        raise _fail(name, "holds Python objects (an object dtype), which are never loaded")
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
        return _npz_members(f, path, specs, max_ratio, allow_missing)


def parse_npz(data: bytes, specs: Mapping[str, ArraySpec], *, name: object,
              max_ratio: float = MAX_COMPRESSION_RATIO, allow_missing: bool = False) -> dict[str, np.ndarray]:
    """:func:`read_npz` on the bytes of a whole ``.npz`` file (e.g. from a snapshot)."""
    return _npz_members(io.BytesIO(bytes(data)), name, specs, max_ratio, allow_missing)


def _npz_members(f: Any, path: object, specs: Mapping[str, ArraySpec], max_ratio: float,
                 allow_missing: bool) -> dict[str, np.ndarray]:
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


# --------------------------------------------------------------------------- CSR

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
            or not all(isinstance(d, (int, np.integer)) and not isinstance(d, (bool, np.bool_)) and d >= 0
                       for d in shape)):
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
