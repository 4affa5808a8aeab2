"""Indexes at fsspec URLs (``s3://``, ``gs://``, ``abfs://``, ...): copied, then checked locally.

A saved index is untrusted input, and its checks (one snapshot of the
directory, bounded reads, memory-mapped arrays) need a local file system.
So an index at a remote URL is *copied* to a local directory and loaded from
there with every check; a sharded index on Dask copies each shard on the
worker that serves it. Writing goes the other way: an index is written
locally and uploaded, its manifest last, so a reader never takes a
half-uploaded index for one (an object store has no atomic rename; with
``overwrite=True`` the old manifest is removed first, so an interrupted
upload leaves no index rather than a mixed one).

``file://`` URLs and plain paths are local and never copied. fsspec is
imported only for a remote URL (it comes with Dask, or ``pip install fsspec``
and the protocol's package, such as ``s3fs``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from .errors import IndexFormatError, InputError, require
from .safeio import parse_json
from .shard_format import INDEX_FORMATS

__all__ = ["download", "is_remote", "local_or_remote", "remote_exists", "remote_index_format", "remove_remote_index",
           "clear_remote_target", "replace_remote", "upload", "url_join"]

MAX_MANIFEST_BYTES = 1 << 20
#: At most this many files are copied from a remote index (an index has a few dozen per shard).
MAX_REMOTE_FILES = 1_000_000


def is_remote(path: Any) -> bool:
    """Whether ``path`` is a URL of a protocol other than ``file://``."""
    text = os.fsdecode(path) if isinstance(path, (bytes, os.PathLike)) else path
    if not isinstance(text, str) or "://" not in text:
        return False
    return text.split("://", 1)[0].lower() not in ("file", "local")


def local_or_remote(path: Any) -> Path | str:
    """A local ``Path`` (``file://`` stripped), or the remote URL as it is."""
    text = os.fsdecode(path) if isinstance(path, (bytes, os.PathLike)) else path
    if not isinstance(text, str):
        raise InputError(f"an index location must be a path or a URL, got {type(path).__name__}")
    if is_remote(text):
        return text
    return Path(text[len("file://"):]) if text.startswith("file://") else Path(text)


def _fs(url: str) -> tuple[Any, str]:
    fsspec = require("fsspec", "distributed", f"an index at {url.split('://')[0]}:// URLs")
    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:  # unknown protocol, or its package is missing
        raise InputError(f"cannot open {url}: {exc}") from None


def url_join(url: str, name: str) -> str:
    return url.rstrip("/") + "/" + name


def download(url: str, *, name: str = "index", top_only: bool = False) -> Path:
    """Copy the index directory at ``url`` to a new local directory ``<tmp>/<name>``
    (returned; the caller removes its parent): every file, or with ``top_only``
    only those directly in it (a sharded index's top manifest and statistics)."""
    fs, root = _fs(url)
    if not fs.isdir(root):
        raise FileNotFoundError(f"index path does not exist: {url}")
    files = fs.find(root, maxdepth=1) if top_only else fs.find(root)
    if len(files) > MAX_REMOTE_FILES:
        raise IndexFormatError(f"{url} holds {len(files)} files; a spasmqa index has far fewer")
    local = Path(tempfile.mkdtemp(prefix="spasmqa-index-")) / name
    local.mkdir()
    base = root.rstrip("/") + "/"
    for f in files:
        rel = f[len(base):] if f.startswith(base) else None
        # Only plain relative names: nothing is written outside the copy.
        if not rel or rel.startswith("/") or any(p in ("", ".", "..") for p in rel.split("/")):
            shutil.rmtree(local.parent, ignore_errors=True)
            raise IndexFormatError(f"{url}: unexpected file name {f!r}")
        dest = local.joinpath(*rel.split("/"))
        dest.parent.mkdir(parents=True, exist_ok=True)
        fs.get_file(f, str(dest))
    return local


def remote_exists(url: str) -> bool:
    fs, root = _fs(url)
    return bool(fs.exists(root))


def remote_index_format(url: str) -> str | None:
    """The format name the manifest at ``url`` states (None: no readable manifest)."""
    fs, root = _fs(url)
    name = url_join(root, "manifest.json")
    try:
        if not fs.isfile(name) or fs.size(name) > MAX_MANIFEST_BYTES:
            return None
        with fs.open(name, "rb") as f:
            data = parse_json(f.read(MAX_MANIFEST_BYTES + 1), name=url_join(url, "manifest.json"))
    except (OSError, IndexFormatError):
        return None
    fmt = data.get("format") if isinstance(data, dict) else None
    return fmt if isinstance(fmt, str) else None


def remove_remote_index(url: str, *, is_index: bool) -> None:
    """Remove an old index at ``url`` before an upload replaces it: its manifest first."""
    fs, root = _fs(url)
    if not fs.exists(root):
        return
    if not is_index:
        raise FileExistsError(f"{url} is not a spasmqa index (no manifest saying so); refusing to replace it")
    fs.rm(url_join(root, "manifest.json"))
    fs.rm(root, recursive=True)


def upload(local: Path, url: str, *, manifest_last: bool = True) -> None:
    """Copy the local directory ``local`` to ``url``; ``manifest.json`` files last
    (shards' before the top one), so the copy is an index only once complete."""
    fs, root = _fs(url)
    files = sorted(p for p in local.rglob("*") if p.is_file())
    manifests = [p for p in files if p.name == "manifest.json"]
    others = [p for p in files if p.name != "manifest.json"]
    # Deeper manifests (shards) before the top one.
    manifests.sort(key=lambda p: -len(p.relative_to(local).parts))
    for p in (others + manifests) if manifest_last else files:
        dest = url_join(root, "/".join(p.relative_to(local).parts))
        fs.makedirs(dest.rsplit("/", 1)[0], exist_ok=True)
        fs.put_file(str(p), dest)


def clear_remote_target(url: str, *, overwrite: bool) -> None:
    """Make way for a new index at ``url``: nothing there, or (with ``overwrite``)
    a spasmqa index, removed manifest first. Anything else is refused."""
    fmt = remote_index_format(url)
    if fmt is not None or remote_exists(url):
        if not overwrite:
            raise FileExistsError(f"{url} already exists; pass overwrite=True (CLI: --overwrite) to replace it")
        remove_remote_index(url, is_index=fmt in INDEX_FORMATS)


def replace_remote(local: Path, url: str, *, overwrite: bool) -> None:
    """Upload the local index ``local`` to ``url``, replacing an index there only with ``overwrite``."""
    clear_remote_target(url, overwrite=overwrite)
    upload(local, url)
