"""Consistent reads of an index directory that may be replaced meanwhile (see :mod:`spasmqa.atomicdir`)."""

from __future__ import annotations

import mmap as _mmap
import os
import re
import stat
import time
from collections.abc import Callable, Container, Iterable, Mapping
from pathlib import Path
from typing import TypeVar

from .errors import IndexFormatError, SpasmqaError
from .safeio import _open_regular, _read_fd

__all__ = ["Snapshot", "open_snapshot", "read_snapshot"]

T = TypeVar("T")


class _Replaced(SpasmqaError):
    """The snapshot's directory was replaced and deleted while being read."""


_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


class Snapshot:
    """One directory, opened once; files are opened relative to it.

    Use as a context manager. All files read through one snapshot come from
    the same directory, even if ``root`` is replaced meanwhile. Names must
    be plain file names (no ``/``, no ``..``, no leading dot); symbolic links
    and anything that is not a regular file are refused.
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            self.fd = os.open(self.root, flags)
        except NotADirectoryError:
            raise IndexFormatError(f"{self.root} is not a directory") from None
        self._ident = os.fstat(self.fd)[stat.ST_INO], os.fstat(self.fd)[stat.ST_DEV]

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def _still_root(self) -> bool:
        try:
            st = os.stat(self.root)
        except OSError:
            return False
        return (st.st_ino, st.st_dev) == self._ident

    def _open(self, name: str) -> int:
        if not _SAFE_NAME.fullmatch(name):
            raise IndexFormatError(f"{self.root}: {name!r} is not a valid file name in an index")
        try:
            return _open_regular(name, follow_symlinks=False, dir_fd=self.fd)
        except FileNotFoundError:
            if not self._still_root():
                raise _Replaced() from None
            raise IndexFormatError(f"{self.root}: {name} is missing") from None
        except IndexFormatError as exc:
            raise IndexFormatError(f"{self.root}/{exc!s}") from None

    def read(self, name: str, *, max_bytes: int) -> bytes:
        """The bytes of file ``name`` (at most ``max_bytes``)."""
        fd = self._open(name)
        try:
            return _read_fd(fd, self.root / name, max_bytes)
        finally:
            os.close(fd)

    def mmap(self, name: str, *, max_bytes: int) -> _mmap.mmap | bytes:
        """File ``name`` memory-mapped read-only (``b""`` when empty); pass it to ``parse_npy``."""
        fd = self._open(name)
        try:
            size = os.fstat(fd).st_size
            if size > max_bytes:
                raise IndexFormatError(f"{self.root / name}: is {size} bytes, more than the limit of {max_bytes}")
            return _mmap.mmap(fd, 0, access=_mmap.ACCESS_READ) if size else b""
        finally:
            os.close(fd)


def read_snapshot(root: str | os.PathLike, read: Callable[[Snapshot], T], *, attempts: int = 50,
                  wait: float = 0.01) -> T:
    """``read(snapshot)`` on a consistent snapshot of ``root``, retried if ``root`` was replaced meanwhile.

    ``read`` should read everything it needs (manifest first, then the files
    it lists) through the snapshot. When ``root`` is missing (the gap of a
    portable replacement) or was replaced and deleted while being read, the
    whole ``read`` is retried, up to ``attempts`` times ``wait`` seconds apart.

    Raises
    ------
    FileNotFoundError
        If ``root`` stays missing.
    IndexFormatError
        From ``read``, or if ``root`` keeps changing.
    """
    for attempt in range(attempts):
        try:
            snap = Snapshot(root)
        except FileNotFoundError:
            if attempt == attempts - 1:
                raise FileNotFoundError(f"{root} does not exist") from None
        else:
            with snap:
                try:
                    return read(snap)
                except _Replaced:
                    pass
        time.sleep(wait)
    raise IndexFormatError(f"{root} kept changing while being read")


def open_snapshot(root: str | os.PathLike, names: Iterable[str], *, max_bytes: int | Mapping[str, int],
                  mmap: Container[str] = ()) -> dict[str, bytes | _mmap.mmap]:
    """The contents of each of ``names`` in ``root``, all from the same version of the directory.

    Parameters
    ----------
    root : path-like
        The index directory.
    names : iterable of str
        Plain file names in it.
    max_bytes : int or mapping of str to int
        One size limit for every file, or name -> limit.
    mmap : container of str, default=()
        Names to memory-map read-only (for :func:`spasmqa.safearrays.parse_npy`)
        instead of reading into bytes. Keep the map open while arrays made
        from it are alive.

    See :func:`read_snapshot` for retries and errors. To read the manifest
    first and then the files it lists from the same version, use
    :func:`read_snapshot` with a function that does both.
    """
    names = list(names)

    def limit(n: str) -> int:
        return max_bytes if isinstance(max_bytes, int) else max_bytes[n]

    def read(snap: Snapshot) -> dict[str, bytes | _mmap.mmap]:
        return {n: snap.mmap(n, max_bytes=limit(n)) if n in mmap else snap.read(n, max_bytes=limit(n))
                for n in names}

    return read_snapshot(root, read)
