"""Loading a sharded index (see :mod:`spasmqa.shard_format`), with the checks of untrusted input.

:func:`read_top` reads and checks the top manifest and the collection
statistics; :func:`load_shard` loads one shard (a pure function, fit to run
on a Dask worker), through every check :mod:`spasmqa.storage` makes, and
weighs it with the global statistics; :func:`load_sharded` loads them all,
checks that they belong together (same build, same vocabulary, documents in
order, every global unit held, the statistics they add up to) and computes
the collection's mean unit norm (TF-IDF pivot). Any failure is an
:class:`~spasmqa.errors.IndexFormatError` naming the shard and the problem.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from .atomicdir import is_index_dir, recover
from .build import Segment
from .corpus import Corpus
from .errors import IndexFormatError, InputError
from .expansion import Tables
from .index import CollectionStats, TermIndex
from .passages import SentenceSplitter
from .safearrays import parse_npy
from .safeio import parse_json
from .settings import Settings
from .shard_format import (
    SHARD_ARRAYS,
    SHARDED_FORMAT_NAME,
    SHARDED_FORMAT_VERSION,
    STATS_FILE,
    STATS_SPEC,
    shard_dir_name,
    stats_fingerprint,
)
from .snapshot import Snapshot, _Replaced, read_snapshot
from .storage import (
    MAX_MANIFEST_BYTES,
    LoadedIndex,
    _manifest_digest,
    read_checked,
    read_index_snapshot,
    read_manifest_bytes,
    recovered,
)

__all__ = ["Shard", "ShardedIndex", "TopManifest", "global_pivot", "is_sharded_index", "load_shard",
           "load_sharded", "pivot_parts", "read_top", "with_global_pivot"]


def is_sharded_index(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a directory whose manifest says it is a sharded spasmqa index (reads nothing else)."""
    return is_index_dir(path, format_name=SHARDED_FORMAT_NAME)


@dataclass
class TopManifest:
    """The checked top manifest of a sharded index and its collection statistics."""

    root: Path
    settings: Settings
    stats: CollectionStats
    fingerprint: str
    n_terms: int
    shards: list[dict[str, Any]]  # directory, manifest_sha256, documents [lo, hi), passages, units
    sizes: dict[str, int]
    vocabulary_sha256: str  # of every shard's vocabulary.json


@dataclass
class Shard:
    """One loaded shard: its segment (local unit numbers, global term ids, weighted with the
    global statistics) and how its units map to the collection's."""

    index: int
    segment: Segment
    corpus: Corpus  # the shard's documents
    doc_offset: int  # global number of its first document
    unit_global: np.ndarray  # int64, local unit -> global unit
    unit_global_fragment: np.ndarray  # bool, flags of the global unit's first occurrence
    unit_global_heading: np.ndarray
    unit_owned: np.ndarray  # bool, this shard holds the global unit's first occurrence


@dataclass
class ShardedIndex:
    """The parts of a sharded index."""

    settings: Settings
    splitter: SentenceSplitter
    tables: Tables
    stats: CollectionStats
    vocabulary: dict[str, int]
    shards: list[Shard]
    root: Path

    @property
    def corpus(self) -> Corpus:
        """All documents, in corpus order (shard by shard)."""
        corpus = Corpus()
        for shard in self.shards:
            for doc in shard.corpus.values():
                corpus.add(doc)
        return corpus


def _fail(where: Any, problem: str) -> IndexFormatError:
    return IndexFormatError(f"{where}: {problem}")


def _count(value: Any, limit: int = 2**40) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < limit


def _check_top(m: Any, where: Path) -> dict[str, Any]:
    if not isinstance(m, dict) or m.get("format") != SHARDED_FORMAT_NAME:
        raise _fail(where, f"does not say format '{SHARDED_FORMAT_NAME}'")
    if m.get("format_version") != SHARDED_FORMAT_VERSION:
        raise _fail(where, f"format_version {m.get('format_version')!r} is not {SHARDED_FORMAT_VERSION}, the "
                           f"version this spasmqa reads; upgrade spasmqa or rebuild the index")
    if m.get("manifest_sha256") != _manifest_digest(m):
        raise _fail(where, "its own checksum (manifest_sha256) does not match its content")
    sizes, stats, shards = m.get("sizes"), m.get("stats"), m.get("shards")
    if not isinstance(sizes, dict) or not all(_count(sizes.get(k), 2**31) for k in
                                              ("documents", "passages", "units", "terms", "shards")):
        raise _fail(where, "'sizes' is missing or out of range")
    if not (isinstance(stats, dict) and stats.get("n_units") == sizes["units"] and sizes["units"] > 0
            and isinstance(stats.get("total_length"), (int, float)) and not isinstance(stats["total_length"], bool)
            and math.isfinite(stats["total_length"]) and stats["total_length"] >= 0
            and isinstance(stats.get("fingerprint"), str)):
        raise _fail(where, "'stats' is missing or malformed")
    if not isinstance(shards, list) or len(shards) != sizes["shards"] or not shards:
        raise _fail(where, "'shards' is missing or does not list sizes.shards shards")
    hi = 0
    for i, s in enumerate(shards):
        ok = (isinstance(s, dict) and s.get("directory") == shard_dir_name(i)
              and isinstance(s.get("manifest_sha256"), str) and isinstance(s.get("documents"), list)
              and len(s["documents"]) == 2 and all(_count(x, 2**31) for x in s["documents"])
              and s["documents"][0] == hi and s["documents"][1] >= hi
              and _count(s.get("passages"), 2**31) and _count(s.get("units"), 2**31))
        if not ok:
            raise _fail(where, f"the record of shard {i} is malformed (directory, checksum, document range)")
        hi = s["documents"][1]
    if hi != sizes["documents"]:
        raise _fail(where, "the shards' document ranges do not add up to sizes.documents")
    files = m.get("files")
    if not (isinstance(files, dict) and set(files) == {STATS_FILE} and isinstance(files[STATS_FILE], dict)
            and isinstance(files[STATS_FILE].get("sha256"), str) and _count(files[STATS_FILE].get("bytes"))):
        raise _fail(where, "the 'files' table is missing or malformed")
    if not isinstance(m.get("vocabulary_sha256"), str):
        raise _fail(where, "'vocabulary_sha256' is missing")
    return m


def _read_top(snap: Snapshot, root: Path) -> tuple[TopManifest, dict[str, Any]]:
    where = root / "manifest.json"
    raw = read_manifest_bytes(snap, root)
    m = _check_top(parse_json(raw, name=where, max_depth=16), where)
    try:
        settings = Settings.from_options(m.get("settings", {}))
    except (TypeError, ValueError) as exc:
        raise _fail(where, f"invalid settings: {exc}") from None
    sizes = m["sizes"]
    df = parse_npy(read_checked(snap, root, STATS_FILE, m["files"][STATS_FILE]), STATS_SPEC, name=root / STATS_FILE)
    if df.ndim != 1 or len(df) != sizes["terms"]:
        raise _fail(root / STATS_FILE, f"has {df.size} values, the manifest's sizes call for {sizes['terms']}")
    if len(df) and (int(df.min()) < 1 or int(df.max()) > sizes["units"]):
        raise _fail(root / STATS_FILE, "a document frequency is outside 1..n_units")
    stats = CollectionStats(n_units=sizes["units"], doc_freq=np.array(df),
                            total_length=float(m["stats"]["total_length"]))
    fingerprint = stats_fingerprint(stats, sizes["terms"])
    if fingerprint != m["stats"]["fingerprint"]:
        raise _fail(where, "the statistics do not match their fingerprint")
    return TopManifest(root=root, settings=settings, stats=stats, fingerprint=fingerprint, n_terms=sizes["terms"],
                       shards=m["shards"], sizes=sizes, vocabulary_sha256=m["vocabulary_sha256"]), m


def _existing_dir(path: str | os.PathLike) -> Path:
    root = Path(path)
    if not root.exists():
        raise FileNotFoundError(f"index path does not exist: {root}")
    if not root.is_dir():
        raise IndexFormatError(f"{root} is not a spasmqa index (an index is a directory with a manifest.json)")
    return root


def read_top(path: str | os.PathLike) -> TopManifest:
    """The checked top manifest and statistics of the sharded index at ``path``."""
    root = _existing_dir(path)
    return read_snapshot(root, lambda snap: _read_top(snap, root)[0])


def _load_shard(root: Path, stats: CollectionStats, *, fingerprint: str, index: int | None, count: int | None,
                manifest_sha256: str | None, mmap: bool, vocabulary_sha256: str | None = None,
                ) -> tuple[Shard, LoadedIndex, str]:
    name = root.name
    if not root.is_dir() or root.is_symlink():
        raise IndexFormatError(f"shard {name} is missing from {root.parent} (or is not a directory)")

    def read(snap: Snapshot) -> tuple[Shard, LoadedIndex, str]:
        where = root / "manifest.json"
        m = parse_json(snap.read("manifest.json", max_bytes=MAX_MANIFEST_BYTES), name=where, max_depth=16)
        section = m.get("shard") if isinstance(m, dict) else None
        sizes = m.get("sizes") if isinstance(m, dict) else None
        if not isinstance(section, dict) or not isinstance(sizes, dict):
            raise _fail(where, "is not the manifest of a shard (no 'shard' section)")
        if section.get("stats_fingerprint") != fingerprint:
            raise _fail(where, "belongs to another build: its statistics fingerprint differs from the index's")
        if ((index is not None and section.get("index") != index)
                or (count is not None and section.get("count") != count)):
            raise _fail(where, f"says it is shard {section.get('index')!r} of {section.get('count')!r}, "
                               f"expected {index} of {count}")
        if sizes.get("terms") != len(stats.doc_freq) or not all(
                _count(section.get(k), 2**31) for k in ("doc_offset", "index", "count")):
            raise _fail(where, "its vocabulary size, document offset, index or count does not fit the index")
        files = section.get("files")
        if not (isinstance(files, dict) and set(files) == {f"{k}.npy" for k in SHARD_ARRAYS} and all(
                isinstance(v, dict) and isinstance(v.get("sha256"), str) and _count(v.get("bytes"))
                for v in files.values())):
            raise _fail(where, "the shard's 'files' table is missing or malformed")
        loaded, manifest, sha = read_index_snapshot(snap, root, mmap=mmap, stats=stats)
        if manifest != m:
            raise _Replaced() if not snap._still_root() else _fail(where, "changed while being read")
        if manifest_sha256 is not None and sha != manifest_sha256:
            raise _fail(where, "its SHA-256 does not match the top manifest's record (changed, or another build)")
        if vocabulary_sha256 is not None and manifest["files"]["vocabulary.json"]["sha256"] != vocabulary_sha256:
            raise _fail(root / "vocabulary.json", "differs from the index's global vocabulary")
        n_units = loaded.segment.table.n_units
        arrays = {}
        for key, spec in SHARD_ARRAYS.items():
            arr = parse_npy(read_checked(snap, root, f"{key}.npy", files[f"{key}.npy"], as_mmap=mmap), spec,
                            name=root / f"{key}.npy")
            if arr.ndim != 1 or len(arr) != n_units:
                raise _fail(root / f"{key}.npy", f"has {arr.size} values, the shard has {n_units} units")
            if arr.dtype == np.bool_ and len(arr) and int(arr.view(np.uint8).max()) > 1:
                raise _fail(root / f"{key}.npy", "a flag holds a byte other than 0 or 1")
            arrays[key] = arr
        ug = arrays["unit_global"]
        if len(ug) and (int(ug.min()) < 0 or int(ug.max()) >= stats.n_units):
            raise _fail(root / "unit_global.npy", f"a global unit id is outside 0..{stats.n_units - 1}")
        if len(np.unique(ug)) != len(ug):
            raise _fail(root / "unit_global.npy", "two units of the shard map to the same global unit")
        shard = Shard(index=section["index"], segment=loaded.segment, corpus=loaded.corpus,
                      doc_offset=section["doc_offset"], **arrays)
        return shard, loaded, sha

    try:
        return read_snapshot(root, read)
    except FileNotFoundError:
        raise IndexFormatError(f"shard {name} is missing from {root.parent}") from None
    except IndexFormatError as exc:
        text = str(exc)
        raise IndexFormatError(text if name in text else f"shard {name}: {text}") from None


def load_shard(path: str | os.PathLike, stats: CollectionStats, *, fingerprint: str | None = None,
               manifest_sha256: str | None = None, index: int | None = None, count: int | None = None,
               vocabulary_sha256: str | None = None, mmap: bool = True) -> Shard:
    """Load and check the shard directory ``path``, weighted with the global ``stats``.

    A pure function of its arguments (runs on a Dask worker): ``stats`` come
    from :func:`read_top`; the shard must carry their fingerprint (default:
    computed from ``stats``), and, when given, the SHA-256 of its manifest,
    its index and count and the vocabulary's SHA-256 as recorded in the top
    manifest (:class:`TopManifest`). The weights use
    ``stats.norm_pivot`` when set (see :func:`global_pivot`).
    """
    fp = fingerprint if fingerprint is not None else stats_fingerprint(stats, len(stats.doc_freq))
    return _load_shard(Path(path), stats, fingerprint=fp, index=index, count=count,
                       manifest_sha256=manifest_sha256, mmap=mmap, vocabulary_sha256=vocabulary_sha256)[0]


def pivot_parts(shard: Shard) -> tuple[float, int]:
    """(sum of unit norms, number of units) over the units with terms that ``shard`` owns, under its
    current TF-IDF weights: the shard's part of :func:`global_pivot` (add them up over shards, divide)."""
    index = shard.segment.index
    norms = getattr(index, "unit_norm_", None)
    if norms is None:
        raise InputError("the TF-IDF pivot needs TF-IDF weights")
    mask = np.asarray(shard.unit_owned) & (index.unit_length_ > 0)
    return float(norms[mask].sum(dtype=np.float64)), int(mask.sum())


def global_pivot(shards: list[Shard]) -> float:
    """The collection's mean unit norm under the shards' current TF-IDF weights (each global unit once,
    from the shard that owns it): what an unsharded index pivots its length normalisation on."""
    parts = [pivot_parts(s) for s in shards]
    n = sum(c for _, c in parts)
    return sum(t for t, _ in parts) / n if n else 1.0


def with_global_pivot(shards: list[Shard], stats: CollectionStats) -> tuple[list[Shard], CollectionStats]:
    """The shards re-weighted on the collection's pivot (TF-IDF with ``pivot_slope < 1``; else unchanged)."""
    index = shards[0].segment.index
    if index.weighting != "tfidf" or index.pivot_slope >= 1.0:
        return shards, stats
    stats = replace(stats, norm_pivot=global_pivot(shards))
    out = []
    for s in shards:
        old = s.segment.index
        new = TermIndex(**old.get_params()).set_counts(old.vocabulary_, old.counts_, stats)
        out.append(replace(s, segment=Segment(s.segment.table, new)))
    return out, stats


def _check_together(top: TopManifest, shards: list[Shard]) -> None:
    """Every global unit held and owned once, by the first shard holding it; the statistics add up."""
    stats, n_units = top.stats, top.stats.n_units
    seen = np.zeros(n_units, dtype=bool)
    df = np.zeros(top.n_terms, dtype=np.int64)
    total = 0.0
    for shard in shards:
        name, ug, owned = shard_dir_name(shard.index), shard.unit_global, np.asarray(shard.unit_owned)
        if np.any(owned != ~seen[ug]):
            raise IndexFormatError(f"shard {name}: unit_owned.npy disagrees with the shards before it "
                                   f"(a global unit is owned twice, or by a later shard)")
        seen[ug] = True
        index = shard.segment.index
        counts = index.counts_
        mask = np.concatenate([[0], np.cumsum(owned[counts.indices], dtype=np.int64)])
        df += mask[counts.indptr[1:]] - mask[counts.indptr[:-1]]
        total += float(index.unit_length_[owned].sum())
    if not seen.all():
        raise IndexFormatError(f"{top.root}: global unit {int(np.flatnonzero(~seen)[0])} is in no shard")
    # Global ids are given in corpus order: the units each shard holds first are numbered after those of
    # the shards before it, in the shard's own order.
    owned_ids = np.concatenate([s.unit_global[np.asarray(s.unit_owned)] for s in shards])
    if not np.array_equal(owned_ids, np.arange(n_units)):
        bad = next((s for s in shards if not np.all(np.diff(s.unit_global[np.asarray(s.unit_owned)]) == 1)), None)
        where = f"shard {shard_dir_name(bad.index)}" if bad is not None else str(top.root)
        raise IndexFormatError(f"{where}: unit_global.npy does not number units in corpus order")
    if not np.array_equal(df, stats.doc_freq) or total != stats.total_length:
        raise IndexFormatError(f"{top.root}: the collection statistics do not match the shards' counts")


def _load_all(snap: Snapshot, root: Path, mmap: bool) -> ShardedIndex:
    top, _ = _read_top(snap, root)
    shards: list[Shard] = []
    first: LoadedIndex | None = None
    try:
        for i, rec in enumerate(top.shards):
            shard, loaded, _sha = _load_shard(root / rec["directory"], top.stats, fingerprint=top.fingerprint,
                                              index=i, count=len(top.shards), manifest_sha256=rec["manifest_sha256"],
                                              mmap=mmap, vocabulary_sha256=top.vocabulary_sha256)
            name = rec["directory"]
            lo, hi = rec["documents"]
            if (shard.doc_offset != lo or len(shard.corpus) != hi - lo or shard.segment.table.n_units != rec["units"]
                    or shard.segment.table.n_passages != rec["passages"]):
                raise IndexFormatError(f"shard {name}: its documents, passages or units differ from the top "
                                       f"manifest's record")
            if loaded.settings != top.settings:
                raise IndexFormatError(f"shard {name}: its settings differ from the index's")
            first = first or loaded
            shards.append(shard)
    except IndexFormatError:
        if not snap._still_root():
            raise _Replaced() from None  # the index was replaced meanwhile: read it again
        raise
    _check_together(top, shards)
    assert first is not None
    seen: set[str] = set()
    for shard in shards:
        for doc_id in shard.corpus.documents:
            if doc_id in seen:
                raise IndexFormatError(f"shard {shard_dir_name(shard.index)}: repeats doc_id {doc_id!r}")
            seen.add(doc_id)
    vocabulary, terms = first.segment.index.vocabulary_, first.segment.index.terms_
    for shard in shards:  # equal (same checksum): share one copy
        shard.segment.index.vocabulary_, shard.segment.index.terms_ = vocabulary, terms
    shards, stats = with_global_pivot(shards, top.stats)
    return ShardedIndex(settings=top.settings, splitter=first.splitter, tables=first.tables, stats=stats,
                        vocabulary=first.segment.index.vocabulary_, shards=shards, root=root)


def load_sharded(path: str | os.PathLike, *, mmap: bool = False) -> ShardedIndex:
    """Load and check the sharded index at ``path`` (see the module docstring).

    Raises FileNotFoundError if ``path`` does not exist and
    :class:`~spasmqa.errors.IndexFormatError` naming the shard and the
    problem for anything missing, truncated, changed or from another build.
    """
    root = _existing_dir(recovered(Path(path), is_sharded_index))
    try:
        recover(root, is_ours=is_sharded_index)
    except OSError:
        pass
    return read_snapshot(root, lambda snap: _load_all(snap, root, mmap))
