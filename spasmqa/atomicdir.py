"""Replacing an index directory atomically, recovering from killed saves, and consistent reads.

Saving protocol (for the saver)
-------------------------------
1. ``tmp = make_temp_dir(target)`` -- a hidden sibling of ``target``
   (``.{name}.spasmqa-tmp-{pid}-{random}``), so the final rename stays on
   one file system; write every file into it (manifest last).
2. ``replace_directory(tmp, target, is_ours=...)`` -- if ``target`` does not
   exist, ``tmp`` is renamed to it (never over an existing directory). If it
   exists it is replaced only when ``is_ours(target)`` says it is a spasmqa
   index (never a plain file, a symbolic link or any other directory). On
   Linux the two directories are swapped in one atomic ``renameat2(...,
   RENAME_EXCHANGE)``, so ``target`` always names a complete index, old or
   new; elsewhere ``target`` is renamed aside (``.{name}.spasmqa-old-...``)
   and ``tmp`` renamed into place, leaving a gap of two system calls in
   which ``target`` is missing. The old directory is then deleted.
3. On failure of the saver itself, ``shutil.rmtree(tmp)``.

A process killed at any moment leaves ``target`` complete (old or new) or, in
the fallback's gap, missing with its old copy aside; :func:`recover` (called
by the saver before saving and by the loader when ``target`` is missing)
moves the aside copy back and deletes the hidden siblings left by processes
that are no longer running.

Reading protocol (for the loader)
---------------------------------
A reader must never see a mix of two saves. :class:`Snapshot` opens the
directory once and every file relative to that open directory, so all files
come from one directory even if it is replaced meanwhile; :func:`read_snapshot`
retries when the directory was replaced and deleted while being read. The
loader reads ``manifest.json`` and each file's bytes once, through one
snapshot, verifies the checksums on those bytes and parses those same bytes
(:func:`spasmqa.safeio.parse_json`, :func:`spasmqa.safearrays.parse_npy`).
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import secrets
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from .safeio import _open_regular, _read_fd, parse_json

__all__ = ["is_index_dir", "make_temp_dir", "recover", "replace_directory", "sync_tree"]

_TMP, _OLD = "spasmqa-tmp", "spasmqa-old"
#: Set to False to force the portable two-rename replacement (used by tests).
USE_RENAME_EXCHANGE = sys.platform.startswith("linux")


# --------------------------------------------------------------------------- renames

def _renameat2(src: Path, dst: Path, flags: int) -> bool:
    """``renameat2`` with ``flags``; False when the system or file system does not support it."""
    if not USE_RENAME_EXCHANGE:
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    rc = fn(at_fdcwd, os.fsencode(src), at_fdcwd, os.fsencode(dst), ctypes.c_uint(flags))
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, getattr(errno, "EOPNOTSUPP", errno.ENOTSUP)):
        return False
    raise OSError(err, os.strerror(err), str(src), None, str(dst))


_RENAME_NOREPLACE, _RENAME_EXCHANGE = 1, 2


def _sibling(target: Path, kind: str) -> Path:
    return target.parent / f".{target.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}"


def make_temp_dir(target: str | os.PathLike) -> Path:
    """Create and return an empty hidden directory beside ``target`` to build a new version in."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _sibling(target, _TMP)
    tmp.mkdir()
    return tmp


def is_index_dir(path: str | os.PathLike, *, format_name: str, manifest: str = "manifest.json",
                 max_bytes: int = 16 * 1024 * 1024) -> bool:
    """Whether ``path`` is a real directory whose manifest says ``"format": format_name``.

    Suitable as ``is_ours`` for :func:`replace_directory`. Never raises for
    hostile content: anything unreadable is "not ours".
    """
    path = Path(path)
    try:
        if path.is_symlink() or not path.is_dir():
            return False
        fd = _open_regular(path / manifest, follow_symlinks=False)
        try:
            data = parse_json(_read_fd(fd, path / manifest, max_bytes), name=path / manifest)
        finally:
            os.close(fd)
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("format") == format_name


def _fsync_path(path: Path, directory: bool = False) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def sync_tree(path: str | os.PathLike) -> None:
    """``fsync`` every regular file directly in ``path``, then ``path`` itself (best effort)."""
    path = Path(path)
    for entry in os.scandir(path):
        if entry.is_file(follow_symlinks=False):
            _fsync_path(Path(entry.path))
    _fsync_path(path, directory=True)


def replace_directory(new_dir: str | os.PathLike, target: str | os.PathLike, *,
                      is_ours: Callable[[Path], bool], durable: bool = True) -> None:
    """Move the complete directory ``new_dir`` to ``target``, replacing an old index atomically.

    Parameters
    ----------
    new_dir : path-like
        A complete new version, in the same directory as ``target`` (see
        :func:`make_temp_dir`). It is consumed.
    target : path-like
        Where the index lives.
    is_ours : callable
        ``is_ours(target) -> bool``: whether an existing ``target`` is a
        spasmqa index that may be replaced (e.g. a partial of
        :func:`is_index_dir`).
    durable : bool, default=True
        ``fsync`` the new files and directory before the rename and the
        parent directory after it, so the new index also survives a power
        failure (a killed process needs no ``fsync``).

    Raises
    ------
    FileExistsError
        If ``target`` exists and is a file, a symbolic link, or a directory
        that ``is_ours`` rejects; ``new_dir`` is left in place for the caller
        to delete.
    ValueError
        If ``new_dir`` is not a directory beside ``target``.
    """
    new_dir, target = Path(new_dir), Path(target)
    if new_dir.is_symlink() or not new_dir.is_dir():
        raise ValueError(f"{new_dir} is not a directory")
    if new_dir.parent.resolve() != target.parent.resolve():
        raise ValueError(f"{new_dir} must be in the same directory as {target}")
    if new_dir.name == target.name:
        raise ValueError(f"{new_dir} is {target} itself")
    if durable:
        sync_tree(new_dir)
    _move(new_dir, target, is_ours)
    if durable:
        _fsync_path(target.parent, directory=True)


def _move(new_dir: Path, target: Path, is_ours: Callable[[Path], bool]) -> None:
    if not os.path.lexists(target):
        try:
            if _renameat2(new_dir, target, _RENAME_NOREPLACE):
                return
            os.rename(new_dir, target)  # fails on a non-empty directory created meanwhile
            return
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            # created meanwhile: fall through to the checks below
    if target.is_symlink():
        raise FileExistsError(f"{target} is a symbolic link; refusing to replace it")
    if not target.is_dir():
        raise FileExistsError(f"{target} exists and is not a directory; refusing to replace it")
    if not is_ours(target):
        raise FileExistsError(f"{target} exists and is not a spasmqa index; refusing to replace it")
    if _renameat2(new_dir, target, _RENAME_EXCHANGE):
        shutil.rmtree(new_dir, ignore_errors=True)  # now holds the old version
        return
    aside = _sibling(target, _OLD)
    os.rename(target, aside)
    try:
        os.rename(new_dir, target)
    except BaseException:
        os.rename(aside, target)
        raise
    shutil.rmtree(aside, ignore_errors=True)


# --------------------------------------------------------------------------- recovery

def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _process_start(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch), where ``/proc`` tells; else None."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
        ticks = int(stat_line.rsplit(")", 1)[1].split()[19])
        btime = next(int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                     if line.startswith("btime "))
        return btime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _is_stale(path: Path, pid: int) -> bool:
    """Whether the save that made ``path`` is over: its process is gone, or ``pid`` now names a newer process."""
    if pid == os.getpid():
        return False
    if not _pid_alive(pid):
        return True
    started = _process_start(pid)
    try:
        made = path.lstat().st_mtime
    except OSError:
        return False
    return started is not None and started > made + 2  # pid reused by a process started after the save


def _leftovers(target: Path) -> list[tuple[Path, str, int]]:
    rx = re.compile(rf"\.{re.escape(target.name)}\.({_TMP}|{_OLD})-(\d+)-[0-9a-f]+")
    out: list[tuple[Path, str, int]] = []
    try:
        entries = list(os.scandir(target.parent))
    except FileNotFoundError:
        return out
    for entry in entries:
        m = rx.fullmatch(entry.name)
        if m:
            out.append((Path(entry.path), m.group(1), int(m.group(2))))
    return out


def recover(target: str | os.PathLike, *, is_ours: Callable[[Path], bool] | None = None) -> list[str]:
    """Repair what killed saves of ``target`` left behind; return what was done.

    * If ``target`` is missing and an old copy set aside by a save whose
      process is no longer running exists (a kill between the two renames of
      the portable replacement), the copy is moved back (the newest one that
      ``is_ours`` accepts, when given).
    * Hidden ``.{name}.spasmqa-tmp-*`` and ``.{name}.spasmqa-old-*`` siblings
      of processes that are no longer running are deleted (also when their
      process id now names a process started after the sibling was last
      written: the id was reused). Those of running saves, this process's
      included, are left alone.

    Safe to call concurrently and at any time.
    """
    target = Path(target)
    done: list[str] = []
    stale = [(p, kind) for p, kind, pid in _leftovers(target) if _is_stale(p, pid)]
    if not os.path.lexists(target):
        def mtime(p: Path) -> float:
            try:
                return p.stat().st_mtime
            except OSError:
                return 0.0

        asides = sorted((p for p, kind in stale if kind == _OLD), key=mtime, reverse=True)
        for p in asides:
            if is_ours is not None and not is_ours(p):
                continue
            try:
                os.rename(p, target)
            except OSError:
                continue
            done.append(f"restored {target} from {p.name}")
            stale = [(q, k) for q, k in stale if q != p]
            break
    for p, _kind in stale:
        if os.path.lexists(p):
            shutil.rmtree(p, ignore_errors=True)
            done.append(f"deleted {p.name}")
    return done
