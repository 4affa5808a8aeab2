"""The on-disk format of a sharded index: writing shards and the top manifest.

A sharded index is a directory:

==========================  ===================================================
``manifest.json``           format ``spasmqa-sharded-index`` version 1, spasmqa
                            version, settings, sizes (documents, passages,
                            units, terms, shards), the collection statistics
                            (``n_units``, ``total_length``, their fingerprint),
                            the SHA-256 of the (shared) vocabulary, per shard
                            its directory, the SHA-256 of its ``manifest.json``,
                            its document range and counts; checksums of the
                            top-level files and of the manifest itself
``stats_doc_freq.npy``      int64, the collection's document frequency of each
                            global term
``shard-00000/`` ...        one format-3 index each (:mod:`spasmqa.storage`) over
                            the shard's documents, with *global* term ids (every
                            shard carries the global vocabulary), and besides it
                            ``unit_global.npy`` (int64, local unit -> global
                            unit), ``unit_global_fragment.npy`` and
                            ``unit_global_heading.npy`` (bool, flags of the
                            global unit's first occurrence in the corpus),
                            ``unit_owned.npy`` (bool, this shard holds the
                            global unit's first occurrence); their checksums and
                            ``{index, count, doc_offset, stats_fingerprint}`` are
                            the ``shard`` section of the shard's manifest
==========================  ===================================================

Global unit ids and term ids are those of an unsharded build of the same
documents. The statistics fingerprint ties every shard to the build that
wrote it: a shard from another build is refused on load.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._version import __version__ as _version
from .atomicdir import sync_tree
from .build import Segment
from .expansion import Tables
from .index import CollectionStats
from .passages import SentenceSplitter
from .safearrays import ArraySpec
from .settings import Settings
from .storage import FORMAT_NAME as INDEX_FORMAT_NAME
from .storage import _manifest_digest, _sha256, _write_npy, write_index_files

__all__ = ["SHARDED_FORMAT_NAME", "SHARDED_FORMAT_VERSION", "SHARD_ARRAYS", "ShardRecord", "shard_dir_name",
           "stats_fingerprint", "write_shard", "write_top"]

SHARDED_FORMAT_NAME = "spasmqa-sharded-index"
SHARDED_FORMAT_VERSION = 1
#: The arrays a shard carries besides those of a format-3 index (one entry per local unit).
SHARD_ARRAYS: dict[str, ArraySpec] = {
    "unit_global": ArraySpec(np.int64),
    "unit_global_fragment": ArraySpec(np.bool_),
    "unit_global_heading": ArraySpec(np.bool_),
    "unit_owned": ArraySpec(np.bool_),
}
STATS_FILE = "stats_doc_freq.npy"
STATS_SPEC = ArraySpec(np.int64)
INDEX_FORMATS = (INDEX_FORMAT_NAME, SHARDED_FORMAT_NAME)


def shard_dir_name(i: int) -> str:
    return f"shard-{i:05d}"


def stats_fingerprint(stats: CollectionStats, n_terms: int) -> str:
    """SHA-256 over the canonical bytes of the statistics: ``n_units``, ``total_length``
    (int64, float64 and int64 little-endian), then ``doc_freq`` as little-endian int64."""
    h = hashlib.sha256(b"spasmqa-stats-1\0")
    h.update(struct.pack("<qdq", int(stats.n_units), float(stats.total_length), int(n_terms)))
    h.update(np.ascontiguousarray(stats.doc_freq, dtype="<i8").tobytes())
    return h.hexdigest()


@dataclass(frozen=True)
class ShardRecord:
    """What the top manifest records of one written shard."""

    index: int
    directory: str
    manifest_sha256: str
    doc_lo: int
    doc_hi: int
    passages: int
    units: int
    vocabulary_sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {"directory": self.directory, "manifest_sha256": self.manifest_sha256,
                "documents": [self.doc_lo, self.doc_hi], "passages": self.passages, "units": self.units}


def write_shard(root: str | os.PathLike, *, index: int, count: int, doc_offset: int, fingerprint: str,
                segment: Segment, arrays: dict[str, np.ndarray], settings: Settings, splitter: SentenceSplitter,
                tables: Tables) -> ShardRecord:
    """Write shard ``index`` of ``count`` into ``root/shard-NNNNN`` (replacing a partial one of a
    failed attempt); ``arrays`` are :data:`SHARD_ARRAYS`. Runs on a worker; ``root`` must be
    visible to it (a local path of a local cluster, or a file system every worker shares)."""
    root = Path(root)
    name = shard_dir_name(index)
    work = root / f".{name}.partial-{os.getpid()}-{os.urandom(4).hex()}"
    work.mkdir()
    try:
        files = {}
        n_units = segment.table.n_units
        for key, spec in SHARD_ARRAYS.items():
            arr = np.asarray(arrays[key], dtype=spec.dtype)
            if arr.shape != (n_units,):
                raise ValueError(f"shard array {key} has shape {arr.shape}, expected ({n_units},)")
            _write_npy(work / f"{key}.npy", arr)
            data = (work / f"{key}.npy").read_bytes()
            files[f"{key}.npy"] = {"sha256": _sha256(data), "bytes": len(data)}
        section = {"index": index, "count": count, "doc_offset": doc_offset, "stats_fingerprint": fingerprint,
                   "files": files}
        manifest = write_index_files(work, settings=settings, segment=segment, splitter=splitter, tables=tables,
                                     extra={"shard": section}, with_sections=False)
        sync_tree(work)
        target = root / name
        if target.exists():  # left by an attempt that died after renaming
            shutil.rmtree(target)
        os.rename(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return ShardRecord(index=index, directory=name, manifest_sha256=_sha256((target / "manifest.json").read_bytes()),
                       doc_lo=doc_offset, doc_hi=doc_offset + len(segment.table.documents),
                       passages=segment.table.n_passages, units=n_units,
                       vocabulary_sha256=manifest["files"]["vocabulary.json"]["sha256"])


def write_top(tmp: Path, *, settings: Settings, stats: CollectionStats, vocabulary_sha256: str,
              records: list[ShardRecord]) -> dict[str, Any]:
    """Write ``stats_doc_freq.npy`` and ``manifest.json`` (last) into ``tmp``, which holds the shards."""
    n_terms = len(stats.doc_freq)
    _write_npy(tmp / STATS_FILE, np.asarray(stats.doc_freq, dtype=np.int64))
    data = (tmp / STATS_FILE).read_bytes()
    records = sorted(records, key=lambda r: r.index)
    manifest: dict[str, Any] = {
        "format": SHARDED_FORMAT_NAME, "format_version": SHARDED_FORMAT_VERSION, "spasmqa_version": _version,
        "settings": settings.as_dict(),
        "sizes": {"documents": records[-1].doc_hi if records else 0, "passages": sum(r.passages for r in records),
                  "units": int(stats.n_units), "terms": n_terms, "shards": len(records)},
        "stats": {"n_units": int(stats.n_units), "total_length": float(stats.total_length),
                  "fingerprint": stats_fingerprint(stats, n_terms)},
        "vocabulary_sha256": vocabulary_sha256,
        "shards": [r.as_dict() for r in records],
        "files": {STATS_FILE: {"sha256": _sha256(data), "bytes": len(data)}},
    }
    manifest["manifest_sha256"] = _manifest_digest(manifest)
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest

