"""A sharded build on Dask: a map over partitions, a reduce of what they share, a map that writes shards.

1. **Map** (on workers): :func:`~spasmqa.parallel.map_partition` of each
   contiguous partition of the documents. Its result stays on the worker;
   only a summary travels (:func:`summarize`): a 16-byte hash of each unit's
   normalised text, the partition's vocabulary, each unit's length and the
   flags of its first occurrence.
2. **Reduce** (here): :func:`reduce_summaries` numbers units and terms exactly
   as :func:`~spasmqa.parallel.reduce_partitions` does (so global ids equal
   those of an unsharded build); the document frequencies of the units each
   partition sees first come back from the workers (:func:`new_unit_doc_freq`)
   and add up to the collection statistics.
3. **Map** (on workers): each partition becomes a shard segment with global
   term ids, weighted with the global statistics, written with its id maps
   (:func:`~spasmqa.shard_format.write_shard`).

The shards are written into a hidden directory beside ``out``; the top
manifest is written last and the directory swapped in atomically
(:mod:`spasmqa.atomicdir`), so a failed build leaves nothing that looks like
an index. ``out`` is a local path (or ``file://`` URL); with a remote
scheduler it must be a file system every worker mounts at the same path.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .atomicdir import is_index_dir, make_temp_dir, replace_directory
from .build import Segment
from .cluster import DaskRunner, SerialRunner, dask_client
from .corpus import Corpus, Document
from .errors import InputError, InputTypeError
from .expansion import Tables, load_tables
from .index import CollectionStats, TermIndex
from .parallel import IndexOptions, Partition, map_partition, partition_ends
from .parts import index_options, refuse_expansion, resolve_settings, weighting_of
from .passages import SentenceSplitter
from .remote import clear_remote_target, local_or_remote, upload, url_join
from .settings import Settings
from .shard_format import INDEX_FORMATS, ShardRecord, stats_fingerprint, write_shard, write_top
from .storage import make_way
from .table import PassageTable

__all__ = [
    "MapResult", "Plan", "PartitionSummary", "build_corpus_sharded", "build_sharded", "build_sharded_serial",
    "chunk_bounds", "map_documents", "is_ours", "local_path", "new_unit_doc_freq", "reduce_summaries", "shard_segment",
    "summarize", "write_sharded",
]


def is_ours(path: Path) -> bool:
    """Whether ``path`` is a spasmqa index (sharded or not) that a build may replace."""
    return any(is_index_dir(path, format_name=name) for name in INDEX_FORMATS)


def local_path(out: str | os.PathLike) -> Path:
    """``out`` as a local path (``file://`` stripped); a remote URL is an error here."""
    where = local_or_remote(out)
    if not isinstance(where, Path):
        raise InputError(f"expected a local path, got the URL {where!r}")
    return where


@dataclass
class _Mapped:
    """A partition's documents and what the map made of them (kept on the worker)."""

    docs: list[Document]
    part: Partition


def _map_task(docs: Sequence[Document], options: IndexOptions, map_fn: Callable[..., Partition]) -> _Mapped:
    return _Mapped(list(docs), map_fn(docs, options))


@dataclass
class PartitionSummary:
    """What the reduce needs of one partition (small: no counts, no texts)."""

    hashes: bytes  # 16 bytes per unit, in the partition's unit order
    vocabulary: list[str]
    lengths: np.ndarray  # int64, each unit's number of terms
    fragment: np.ndarray  # bool, flags of each unit's first occurrence in the partition
    heading: np.ndarray


def summarize(mapped: _Mapped | Partition) -> PartitionSummary:
    part = mapped.part if isinstance(mapped, _Mapped) else mapped
    hashes = b"".join(hashlib.blake2b(k.encode("utf-8", "surrogatepass"), digest_size=16).digest()
                      for k in part.keys)
    first = part.first_occ
    return PartitionSummary(hashes=hashes, vocabulary=part.vocabulary,
                            lengths=np.asarray(part.counts.sum(axis=1), dtype=np.int64).ravel(),
                            fragment=np.asarray(part.occurrences["fragment"][first], dtype=bool),
                            heading=np.asarray(part.occurrences["heading"][first], dtype=bool))


@dataclass
class Plan:
    """The reduce's result: global numbering and what each partition needs to become a shard."""

    vocabulary: list[str]
    n_units: int
    total_length: float
    unit_maps: list[np.ndarray]  # per partition: local unit -> global unit (int64)
    term_maps: list[np.ndarray]  # per partition: local term -> global term (int64)
    new_units: list[np.ndarray]  # per partition: bool, units whose first occurrence it holds
    fragment: np.ndarray  # per global unit: flag of its first occurrence in the corpus
    heading: np.ndarray


def number_units(hashes: Sequence[bytes]) -> tuple[list[np.ndarray], list[np.ndarray], int]:
    """Global unit numbers of the units of each partition (16-byte hashes, in order): distinct hashes
    numbered in order of first occurrence. Returns each partition's numbers, its mask of first
    occurrences, and the number of units. Vectorised: a stable sort groups equal hashes, the group's
    first (lowest) position is its first occurrence."""
    sizes = [len(h) // 16 for h in hashes]
    n = sum(sizes)
    if n == 0:
        return [np.zeros(0, dtype=np.int64) for _ in sizes], [np.zeros(0, dtype=bool) for _ in sizes], 0
    keys = np.frombuffer(b"".join(hashes), dtype=np.uint64).reshape(n, 2)
    order = np.argsort(keys[:, 0], kind="stable")  # stable: equal hashes keep corpus order
    ordered = keys[order]
    if np.any((ordered[1:, 0] == ordered[:-1, 0]) & (ordered[1:, 1] != ordered[:-1, 1])):
        order = np.lexsort((keys[:, 1], keys[:, 0]))  # two hashes share their first 8 bytes: sort by all 16
        ordered = keys[order]
    starts = np.ones(n, dtype=bool)
    starts[1:] = np.any(ordered[1:] != ordered[:-1], axis=1)
    group = np.cumsum(starts) - 1
    first = order[starts]  # each group's first occurrence, groups in hash order
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first), dtype=np.int64)
    unit = np.empty(n, dtype=np.int64)
    unit[order] = rank[group]
    new = np.zeros(n, dtype=bool)
    new[first] = True
    cuts = np.cumsum(sizes)[:-1]
    return np.split(unit, cuts), np.split(new, cuts), len(first)


def reduce_summaries(summaries: Sequence[PartitionSummary]) -> Plan:
    """Units by hash in corpus order (the first occurrence wins), terms in order of first occurrence."""
    unit_maps, new_masks, n_units = number_units([s.hashes for s in summaries])
    vocabulary: dict[str, int] = {}
    term_maps = [np.asarray([vocabulary.setdefault(t, len(vocabulary)) for t in s.vocabulary], dtype=np.int64)
                 for s in summaries]
    total = sum(int(s.lengths[new].sum()) for s, new in zip(summaries, new_masks))
    fragment, heading = np.zeros(n_units, dtype=bool), np.zeros(n_units, dtype=bool)
    for s, local, new in zip(summaries, unit_maps, new_masks):
        fragment[local[new]] = s.fragment[new]
        heading[local[new]] = s.heading[new]
    return Plan(vocabulary=list(vocabulary), n_units=n_units, total_length=float(total), unit_maps=unit_maps,
                term_maps=term_maps, new_units=new_masks, fragment=fragment, heading=heading)


def new_unit_doc_freq(mapped: _Mapped | Partition, new: np.ndarray) -> np.ndarray:
    """Document frequency (per local term) over the units whose first occurrence the partition holds."""
    part = mapped.part if isinstance(mapped, _Mapped) else mapped
    rows = part.counts[np.flatnonzero(new)]
    return np.bincount(rows.indices, minlength=len(part.vocabulary)).astype(np.int64)


def global_stats(plan: Plan, doc_freqs: Sequence[np.ndarray]) -> CollectionStats:
    df = np.zeros(len(plan.vocabulary), dtype=np.int64)
    for term_map, local in zip(plan.term_maps, doc_freqs):
        df[term_map] += local  # a partition's terms map to distinct global terms
    return CollectionStats(n_units=plan.n_units, doc_freq=df, total_length=plan.total_length)


def shard_segment(mapped: _Mapped | Partition, docs: Sequence[Document], term_map: np.ndarray,
                  vocabulary: list[str], stats: CollectionStats, settings: Settings) -> Segment:
    """A partition as a segment: its own units (local numbers), global term ids, global statistics."""
    part = mapped.part if isinstance(mapped, _Mapped) else mapped
    n_terms = len(vocabulary)
    c = part.counts
    forward = sp.csr_matrix((c.data, term_map[c.indices], c.indptr), shape=(c.shape[0], n_terms))
    inverted = forward.tocsc()
    counts = sp.csr_matrix((inverted.data, inverted.indices, inverted.indptr), shape=(n_terms, c.shape[0]))
    index = TermIndex(**weighting_of(settings)).set_counts({t: i for i, t in enumerate(vocabulary)}, counts, stats)
    return Segment(PassageTable(docs, part.occurrences, part.first_occ), index)


def _write_task(mapped: _Mapped, root: str, index: int, count: int, doc_offset: int, plan_part: dict[str, Any],
                vocabulary: _Vocabulary, stats: CollectionStats, settings: Settings, options: IndexOptions,
                tables: Tables, upload_to: str | None = None) -> ShardRecord:
    """Write one shard into ``root``; with ``upload_to`` (a remote index URL), into a
    directory local to the worker, then upload it there (its manifest last)."""
    segment = shard_segment(mapped, mapped.docs, plan_part["term_map"], vocabulary.terms, stats, settings)
    arrays = {k: plan_part[k] for k in ("unit_global", "unit_global_fragment", "unit_global_heading", "unit_owned")}
    local = tempfile.mkdtemp(prefix="spasmqa-shard-") if upload_to is not None else root
    try:
        record = write_shard(local, index=index, count=count, doc_offset=doc_offset,
                             fingerprint=stats_fingerprint(stats, len(vocabulary.terms)), segment=segment,
                             arrays=arrays, settings=settings, splitter=options.splitter, tables=tables)
        if upload_to is not None:
            upload(Path(local) / record.directory, url_join(upload_to, record.directory))
        return record
    finally:
        if upload_to is not None:
            shutil.rmtree(local, ignore_errors=True)


@dataclass
class _Vocabulary:
    """The global vocabulary, boxed (Dask does not walk a box's contents looking for futures)."""

    terms: list[str]


def _identity(x: Any) -> Any:
    return x


def _check_shards(shards: object) -> int:
    if isinstance(shards, bool) or not isinstance(shards, (int, np.integer)):
        raise InputTypeError(f"shards must be a positive integer, got {type(shards).__name__} {shards!r}")
    if not 1 <= shards <= 100_000:
        raise InputError(f"shards must be between 1 and 100000, got {shards}")
    return int(shards)


def chunk_bounds(lengths: np.ndarray, has_text: np.ndarray, shards: int) -> list[tuple[int, int]]:
    """Contiguous partitions (document ranges) of about equal text length; one holding only blank
    documents joins the previous (or next) one. ``lengths``/``has_text``: each document's."""
    merged: list[tuple[int, int]] = []
    lo = 0
    for hi in partition_ends(lengths, shards):
        if merged and (not has_text[lo:hi].any() or not has_text[merged[-1][0]:merged[-1][1]].any()):
            merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
        lo = hi
    return merged


def _chunks(docs: Sequence[Document], shards: int) -> list[Sequence[Document]]:
    lengths = np.fromiter((len(d.text) for d in docs), dtype=np.int64, count=len(docs))
    has_text = np.fromiter((bool(d.text.strip()) for d in docs), dtype=bool, count=len(docs))
    return [docs[lo:hi] for lo, hi in chunk_bounds(lengths, has_text, shards)]


@dataclass
class MapResult:
    """The map's results on the workers (handles to :class:`_Mapped`) and each partition's number of documents."""

    handles: list[Any]
    doc_counts: list[int]


def map_documents(runner: Any, docs: Sequence[Document], options: IndexOptions, shards: int,
                  map_fn: Callable[..., Partition] = map_partition) -> MapResult:
    """The map of documents held here: each contiguous partition travels to a worker with its task."""
    chunks = _chunks(docs, shards)
    if not chunks:
        raise InputError("the corpus is empty: no documents were loaded" if not len(docs)
                         else "the corpus is empty: no document contains any text")
    return MapResult([runner.submit(_map_task, chunk, options, map_fn) for chunk in chunks], [len(c) for c in chunks])


def write_sharded(runner: Any, docs: Sequence[Document] | Callable[[], MapResult], options: IndexOptions,
                  settings: Settings | Callable[[], Settings], out: str | os.PathLike, *, shards: int,
                  overwrite: bool = False, tables: Tables | None = None,
                  map_fn: Callable[..., Partition] = map_partition, upload_to: str | None = None) -> Any:
    """The sharded build on ``runner`` (:class:`~spasmqa.cluster.DaskRunner` or
    :class:`~spasmqa.cluster.SerialRunner`); see :func:`build_sharded`.

    ``docs`` is the documents, or a callable that submits the map itself and
    returns :class:`MapResult` (:mod:`spasmqa.shard_read`: workers read their own
    partitions); ``settings`` may then be a callable called after it (what the
    corpus implies is known only once it is read). With ``upload_to`` (used for
    a remote ``out``), shards and then the top manifest are uploaded there
    instead of swapped in at ``out``."""
    where = local_or_remote(out)
    shards = _check_shards(shards)
    if not callable(settings):
        refuse_expansion(settings.neighbours)
    if not isinstance(where, Path):
        return _write_remote(runner, docs, options, settings, where, shards=shards, overwrite=overwrite,
                             tables=tables, map_fn=map_fn)
    target = where
    make_way(target, overwrite=overwrite, is_ours=is_ours)
    if callable(docs):
        mapped = docs()  # it loads Punkt itself, while the workers read
    else:
        options.splitter.tokenizer_  # noqa: B018  (load Punkt here, once, rather than fail on a worker)
        mapped = map_documents(runner, docs, options, shards, map_fn)
    if callable(settings):
        settings = settings()
        refuse_expansion(settings.neighbours)
    if tables is None:
        tables = load_tables(settings)
    plan = reduce_summaries(runner.gather([runner.submit(summarize, m) for m in mapped.handles], what="the map"))
    if plan.n_units == 0:
        raise InputError("the corpus is empty: no document contains any text")
    for i, unit_map in enumerate(plan.unit_maps):
        if len(unit_map) == 0:
            raise InputError(f"shard {i} of {len(plan.unit_maps)} would hold no passages (its documents have no "
                             f"text that splits into passages); build with fewer shards")
    dfs = runner.gather([runner.submit(new_unit_doc_freq, m, new) for m, new in zip(mapped.handles, plan.new_units)],
                        what="counting document frequencies")
    stats = global_stats(plan, dfs)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_temp_dir(target)
    handles: list[Any] = []
    try:
        vocabulary = runner.submit(_identity, _Vocabulary(plan.vocabulary))
        offset = 0
        for i, (m, count) in enumerate(zip(mapped.handles, mapped.doc_counts)):
            unit_map = plan.unit_maps[i]
            part = {"term_map": plan.term_maps[i], "unit_global": unit_map,
                    "unit_global_fragment": plan.fragment[unit_map], "unit_global_heading": plan.heading[unit_map],
                    "unit_owned": plan.new_units[i]}
            handles.append(runner.submit(_write_task, m, str(tmp), i, len(mapped.handles), offset, part, vocabulary,
                                         stats, settings, options, tables, upload_to))
            offset += count
        records = runner.gather(handles, what="writing the shards")
        vocab_shas = {r.vocabulary_sha256 for r in records}
        if len(vocab_shas) != 1:  # a bug guard: every shard writes the same global vocabulary
            raise RuntimeError("shards were written with different vocabularies")
        keep = {r.directory for r in records}
        for leftover in tmp.iterdir():  # partial shard directories of attempts whose worker died
            if leftover.name not in keep:
                shutil.rmtree(leftover, ignore_errors=True)
        write_top(tmp, settings=settings, stats=stats, vocabulary_sha256=vocab_shas.pop(), records=records)
        if upload_to is not None:
            upload(tmp, upload_to)  # the top manifest last: only now is it an index
            shutil.rmtree(tmp, ignore_errors=True)
            return upload_to
        replace_directory(tmp, target, is_ours=is_ours)
    except BaseException:
        runner.cancel(handles)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def build_sharded(docs: Sequence[Document], options: IndexOptions, settings: Settings, out: str | os.PathLike, *,
                  shards: int, client: Any = None, workers: int | None = None, scheduler: str | None = None,
                  overwrite: bool = False, tables: Tables | None = None, retries: int = 2,
                  timeout: float = 10.0, map_fn: Callable[..., Partition] = map_partition) -> Path:
    """Build a sharded index of ``docs`` on Dask and write it to ``out`` (see :mod:`spasmqa.shard_format`).

    Parameters
    ----------
    docs, options, settings
        The documents, the map's index-time options (with a fitted splitter)
        and the settings (``"auto"`` already resolved, see
        :func:`spasmqa.parts.resolve_settings`).
    out : path or ``file://`` URL
        The index directory; replaced atomically.
    shards : int
        Number of shards (contiguous partitions; a document is never split).
    client, workers, scheduler
        Where to run: a ``distributed.Client``; else the scheduler at this
        address (connecting within ``timeout`` seconds); else a local cluster
        of ``workers`` processes (default: ``shards``, at most the number of
        CPUs), closed afterwards.
    overwrite : bool
        Replace an existing spasmqa index at ``out`` (anything else is refused).
    tables : Tables, optional
        Expansion tables the index carries (default: those ``settings`` name).
    retries : int
        Times a task that raises is retried before the build fails
        (:class:`~spasmqa.errors.ClusterError`).
    map_fn
        The map (default :func:`~spasmqa.parallel.map_partition`); for instrumentation and tests.
    """
    if workers is None:
        workers = max(1, min(_check_shards(shards), os.cpu_count() or 1))
    with dask_client(client, workers=workers,
                     scheduler=scheduler, timeout=timeout) as c:
        return write_sharded(DaskRunner(c, retries=retries), docs, options, settings, out, shards=shards,
                             overwrite=overwrite, tables=tables, map_fn=map_fn)


def build_corpus_sharded(corpus: Corpus, settings: Settings, out: str | os.PathLike, *, shards: int,
                         **kwargs: Any) -> Path:
    """:func:`build_sharded` of a loaded corpus under (unresolved) ``settings``, as ``QA(corpus, settings)``
    would build it: ``"auto"`` resolved, the splitter fitted on the whole corpus (Punkt trained here when
    ``punkt="train"``), so shards split exactly as an unsharded build does. ``kwargs`` go to :func:`build_sharded`."""
    settings = resolve_settings(settings, corpus, building=True)
    splitter = SentenceSplitter(punkt=settings.punkt, web_rules=settings.web_rules)
    splitter.fit(d.text for d in corpus.values())
    options = index_options(settings, splitter)
    return build_sharded(list(corpus.values()), options, settings, out, shards=shards, **kwargs)


def build_sharded_serial(docs: Sequence[Document], options: IndexOptions, settings: Settings,
                         out: str | os.PathLike, *, shards: int, **kwargs: Any) -> Path:
    """:func:`build_sharded` in this process, without Dask (the same map, reduce and writes)."""
    return write_sharded(SerialRunner(), docs, options, settings, out, shards=shards, **kwargs)


def _write_remote(runner: Any, docs: Sequence[Document] | Callable[[], MapResult], options: IndexOptions,
                  settings: Settings | Callable[[], Settings], url: str, *,
                  shards: int, overwrite: bool, tables: Tables | None, map_fn: Callable[..., Partition]) -> str:
    """The build with its output at a remote fsspec URL (see :mod:`spasmqa.remote`): each
    worker uploads its shard, then the top manifest is uploaded last."""
    clear_remote_target(url, overwrite=overwrite)
    staging = Path(tempfile.mkdtemp(prefix="spasmqa-sharded-"))
    try:
        write_sharded(runner, docs, options, settings, staging / "index", shards=shards, tables=tables,
                      map_fn=map_fn, upload_to=url)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return url
