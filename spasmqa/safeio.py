"""Bounded, validating readers for files of a saved index (untrusted input): bytes, JSON, numbers.

A saved index may have been edited by someone who also re-signed every
checksum, so nothing read from it is trusted: every reader here checks sizes
before reading and turns every problem into
:class:`~spasmqa.errors.IndexFormatError` naming the file and the problem
(never a raw traceback, an unbounded allocation or a hang).

* :func:`read_bytes` -- a regular file of bounded size (``/dev/zero``, FIFOs,
  directories refused without blocking).
* :func:`read_json` / :func:`parse_json` / :func:`parse_jsonl` -- JSON with a
  size bound, a nesting-depth bound checked by a linear scan before
  parsing, and no NaN, Infinity or overflowing numbers.
* :func:`check_finite_number` -- numeric settings from an index or a user.

Arrays (``.npy``, legacy ``.npz``, CSR) are in :mod:`spasmqa.safearrays`.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import stat
from typing import Any

import numpy as np

from .errors import IndexFormatError

__all__ = ["check_finite_number", "json_depth", "parse_json", "parse_jsonl", "read_bytes", "read_json"]


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

_ESCAPE_PAIR = re.compile(rb"\\.", re.DOTALL)
_OPEN = np.frombuffer(b"[{", dtype=np.uint8)
_CLOSE = np.frombuffer(b"]}", dtype=np.uint8)


def json_depth(data: bytes) -> int:
    """Maximum nesting depth of brackets outside strings, in linear time."""
    return _depth_outside(outside_strings(data))


def outside_strings(data: bytes) -> bytes:
    """The bytes of ``data`` outside its JSON string literals.

    For valid JSON the same as removing every string literal (a quote, then
    anything but an unescaped quote, then a quote) with one regular expression,
    twice as fast on large files: escape pairs are dropped first, after which
    every quote delimits a string. Where the two differ, ``data`` has a
    backslash outside a string, which is not JSON: the parser refuses it at
    or before that point, so nothing past it is ever parsed.
    """
    if b"\\" in data:
        data = _ESCAPE_PAIR.sub(b"", data)
    return b"".join(data.split(b'"')[::2])


def _depth_outside(outside: bytes) -> int:
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

    return {"parse_constant": bad_constant, "parse_float": parse_float}


def _long_integer(max_digits: int) -> re.Pattern[bytes]:
    """An integer literal (not part of a float) of more than ``max_digits`` digits, outside strings."""
    return re.compile(rb"(?<![0-9.eE+-])-?[0-9]{%d,}(?![0-9.eE])" % (max_digits + 1))


def _checked_text(raw: bytes, name: object, max_depth: int, max_int_digits: int) -> str:
    """``raw`` as text, once its JSON nesting depth is known to be within ``max_depth`` and it has
    no integer of more than ``max_int_digits`` digits (linear scans of the bytes outside strings;
    the parser then needs no per-number hook)."""
    outside = outside_strings(raw)
    depth = _depth_outside(outside)
    if depth > max_depth:
        raise _fail(name, f"JSON nested {depth} levels deep, more than the limit of {max_depth}")
    long = _long_integer(max_int_digits).search(outside)
    if long:
        raise _fail(name, f"JSON integer with {len(long.group().lstrip(b'-'))} digits is too large")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(name, f"is not valid UTF-8 ({exc.reason} at byte {exc.start})") from None


def parse_jsonl(data: bytes, *, name: object, max_depth: int = 64, max_lines: int | None = None,
                max_int_digits: int = 30) -> list[Any]:
    """Parse JSON Lines (one JSON value per line; blank lines skipped) from untrusted bytes.

    Same checks as :func:`parse_json`, with one linear depth scan for the
    whole file; errors name the file and the line number. ``max_lines``
    bounds the number of values.
    """
    text = _checked_text(bytes(data), name, max_depth, max_int_digits)
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
    text = _checked_text(raw, name, max_depth, max_int_digits)

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
