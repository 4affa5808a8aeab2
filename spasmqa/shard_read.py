"""A sharded build whose workers read their own partitions of the corpus files.

:func:`spasmqa.shards.build_sharded` takes documents loaded here and sends
each partition to a worker inside its task: the client holds the whole corpus
and its shipping is serial. Given paths instead, this module has the client
only plan (:func:`spasmqa.corpus.pieces.plan_pieces`: walk the paths, cut
large JSONL files into byte ranges at line ends) and settle; each worker reads
its partition, keeps the documents, and maps them where they are:

1. read (workers): :func:`~spasmqa.corpus.pieces.read_partition`; only ids and
   errors come back (:func:`~spasmqa.corpus.pieces.reports`);
2. settle (here): what :func:`~spasmqa.corpus.load_corpus` would have decided
   (skipped files, qualified ids, duplicates, problems, or its error);
3. apply and map (workers): the partition's documents, equal to
   ``load_corpus``'s, go through the map of :mod:`spasmqa.shards`, whose
   reduce and writes follow unchanged.

Shards are cut where a build of the same documents loaded here cuts them,
so the index equals that of ``build_corpus_sharded(load_corpus(paths), ...)``
byte for byte (tested). Files must be at the same paths on every
worker (a shared file system). Settings that need the corpus's text here
(Punkt trained on the corpus: ``punkt="train"`` or a language other than
English) load it here instead.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .cluster import DaskRunner, dask_client
from .corpus import Document, load_corpus, summarize_problems
from .corpus.loading import corpus_paths, normalize_exts, plan_files
from .corpus.pieces import Piece, Settlement, apply_settlement, plan_pieces, read_partition, reports, settle
from .corpus.problems import LoadProblem
from .errors import InputError, InputTypeError
from .parallel import IndexOptions, Partition, map_partition
from .parts import index_options, refuse_expansion, resolve_settings_for
from .passages import SentenceSplitter
from .resources import default_corpus_path
from .settings import Settings
from .shards import (
    MapResult,
    _check_shards,
    _identity,
    _map_task,
    build_corpus_sharded,
    chunk_bounds,
    write_sharded,
)

__all__ = ["build_paths_sharded", "build_sharded_index"]


def _slice(docs: list[Document], lo: int, hi: int) -> list[Document]:
    return docs[lo:hi]


def _read(pieces: Sequence[Piece], split: Any, exts: tuple[str, ...], strict: bool, default: str) -> Any:
    loads = read_partition(pieces, split, exts, strict, default)
    import nltk.tokenize.punkt  # noqa: F401  (the map's splitter needs it: imported now, while the client settles)

    return loads


def _concat(parts: Sequence[list[Document]]) -> list[Document]:
    return [d for part in parts for d in part]


def _ready(docs: list[Document]) -> bool:
    return True


def _concat_and_map(docs: list[Document], ready: Sequence[bool], options: IndexOptions,
                    map_fn: Callable[..., Partition]) -> Any:
    """The map of a shard's documents; ``ready`` holds every shard's :func:`_ready`, so no map starts
    before every shard's documents are where they are mapped (a worker busy mapping serves transfers
    slowly: its map holds the GIL)."""
    return _map_task(docs, options, map_fn)


def build_paths_sharded(paths: Any, out: str | os.PathLike, *, shards: int, settings: Settings,
                        strict: bool = False, text_extensions: Iterable[str] | str = (), client: Any = None,
                        workers: int | None = None, scheduler: str | None = None, overwrite: bool = False,
                        retries: int = 2, timeout: float = 10.0,
                        map_fn: Callable[..., Partition] = map_partition) -> tuple[Any, list[LoadProblem]]:
    """Build a sharded index of the files at ``paths`` (as :func:`~spasmqa.corpus.load_corpus` reads them),
    each worker reading its own partition; returns the index's location and the load problems (also
    warned about, as ``load_corpus`` does)."""
    shards = _check_shards(shards)
    refuse_expansion(settings.neighbours)
    exts = normalize_exts(text_extensions)
    entries = plan_files(corpus_paths(paths), text_extensions=exts)
    built = resolve_settings_for(settings, only_default_corpus=False, building=True)
    if built.punkt == "train":  # Punkt learns from the corpus's text: read it here
        corpus = load_corpus(paths, split=settings.split, strict=strict, text_extensions=exts)
        where = build_corpus_sharded(corpus, settings, out, shards=shards, client=client, workers=workers,
                                     scheduler=scheduler, overwrite=overwrite, retries=retries, timeout=timeout,
                                     map_fn=map_fn)
        return where, list(corpus.problems)
    partitions = plan_pieces(entries, shards)
    if not partitions:
        raise InputError("the corpus is empty: no documents were loaded")
    splitter = SentenceSplitter(punkt=built.punkt, web_rules=built.web_rules)
    options = index_options(built, splitter)
    found: dict[str, Settlement] = {}
    default = str(default_corpus_path())
    # Punkt loads here (once, rather than fail on a worker) while the cluster starts and the workers read.
    loader = ThreadPoolExecutor(1)
    punkt = loader.submit(lambda: options.splitter.tokenizer_)
    loader.shutdown(wait=False)

    def source(runner: Any) -> MapResult:
        loads = [runner.submit(_read, p, settings.split, exts, strict, default) for p in partitions]
        got = runner.gather([runner.submit(reports, x) for x in loads], what="reading the corpus")
        settlement = found["settlement"] = settle(partitions, got, split=settings.split, text_extensions=exts,
                                                  strict=strict)
        if settlement.problems:
            warnings.warn(f"{summarize_problems(settlement.problems)}. See spasmqa.load_corpus(...).problems.",
                          stacklevel=5)
        if not sum(settlement.counts):
            raise InputError("the corpus is empty: no documents were loaded")
        # Shards are cut as for documents loaded here (so the index is the same); a shard takes its
        # documents from the partitions it overlaps, sliced where they were read.
        lengths, has_text = [], []
        for pieces, reps in zip(partitions, got):
            for piece, r in zip(pieces, reps):
                if piece.slot in settlement.kept:
                    lengths.extend(r.lengths)
                    has_text.extend(r.has_text)
        bounds = chunk_bounds(np.asarray(lengths, dtype=np.int64), np.asarray(has_text, dtype=bool), shards)
        shared = runner.submit(_identity, settlement)
        docs = [runner.submit(apply_settlement, p, x, shared) if n else None
                for p, x, n in zip(partitions, loads, settlement.counts)]
        starts = np.concatenate([[0], np.cumsum(settlement.counts)])
        punkt.result()
        shard_docs = []
        for lo, hi in bounds:
            parts = []
            for i, n in enumerate(settlement.counts):
                a, b = max(lo, int(starts[i])), min(hi, int(starts[i]) + n)
                if a < b:
                    whole = a == starts[i] and b == starts[i] + n
                    parts.append(docs[i] if whole else runner.submit(_slice, docs[i], a - int(starts[i]),
                                                                     b - int(starts[i])))
            shard_docs.append(runner.submit(_concat, parts))
        ready = [runner.submit(_ready, x) for x in shard_docs]
        handles = [runner.submit(_concat_and_map, x, ready, options, map_fn) for x in shard_docs]
        return MapResult(handles, [hi - lo for lo, hi in bounds])

    def settled() -> Settings:
        return resolve_settings_for(settings, only_default_corpus=found["settlement"].default_only, building=True)

    if workers is None:
        workers = max(1, min(shards, os.cpu_count() or 1))
    with dask_client(client, workers=workers, scheduler=scheduler, timeout=timeout) as c:
        runner = DaskRunner(c, retries=retries)
        where = write_sharded(runner, lambda: source(runner), options, settled, out, shards=shards,
                              overwrite=overwrite)
    return where, found["settlement"].problems


def build_sharded_index(paths: Any = None, out: str | os.PathLike | None = None, *, shards: int,
                        workers: int | None = None, client: Any = None, scheduler: str | None = None,
                        overwrite: bool = False, strict: bool = False, text_extensions: Any = (),
                        **options: Any) -> Any:
    """Build a sharded index of files on Dask, each worker reading its own part of them (the Python
    side of ``spasmqa index ... --shards M``).

    Parameters
    ----------
    paths : path, list of paths, or None
        As for :func:`spasmqa.load_corpus` (``None``: the default corpus);
        every worker must see them at the same paths.
    out : path or fsspec URL
        The index directory (replaced atomically with ``overwrite=True``).
    shards : int
        Number of shards: contiguous partitions of about equal bytes (a large
        JSONL file is cut at line ends; other files are never cut, so there
        may be fewer shards than asked for).
    workers, client, scheduler
        Where to build: a ``distributed.Client``; else the scheduler at an
        address; else a local cluster of ``workers`` processes, started and
        closed for you.
    strict, text_extensions
        As for :func:`spasmqa.load_corpus`; its problems are warned about the same way.
    **options
        Any field of :class:`~spasmqa.Settings`.

    Examples
    --------
    >>> import spasmqa, tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "idx")
    >>> _ = spasmqa.build_sharded_index(None, out, shards=2, workers=1)   # doctest: +SKIP
    >>> spasmqa.QA.load(out).ask("what causes back spasms").passages[0].text   # doctest: +SKIP
    """
    if out is None:
        raise InputTypeError("out (the index directory) is required")
    where, _ = build_paths_sharded(paths, out, shards=shards, settings=Settings.from_options(options), strict=strict,
                                   text_extensions=text_extensions, client=client, workers=workers,
                                   scheduler=scheduler, overwrite=overwrite)
    return where
