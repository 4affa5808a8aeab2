"""Building a segment as a map over partitions and a reduce of their results.

The map (:func:`map_partition`) is a pure function of a partition of
documents and the index-time options: it splits, de-duplicates within the
partition, analyses and counts. The reduce (:func:`reduce_partitions`)
merges partitions in corpus order: passages with the same text become one
unit across partitions (the first occurrence wins, as in a serial build),
terms get numbers in order of first occurrence, and occurrence arrays are
renumbered. The result is identical to a serial build, array for array.

:func:`build_parallel` runs the map on the standard library's process pool;
the scale-out module runs the same two functions on Dask.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .analysis import Analyzer
from .build import Segment, _Occurrences
from .corpus import Document
from .counts import count_rows, stack_rows
from .errors import InputError
from .index import TermIndex
from .passages import SentenceSplitter
from .table import OCCURRENCE_SCHEMA, PassageTable

__all__ = ["IndexOptions", "Partition", "build_parallel", "map_partition", "partitions", "reduce_partitions"]


@dataclass(frozen=True)
class IndexOptions:
    """What the map needs to know: the index-time options and a (possibly trained) splitter."""

    unit: str
    title_boost: int
    stop_words: str | None
    stem: bool | str
    splitter: SentenceSplitter
    language: str = "english"
    tokenizer: str = "words"


@dataclass
class Partition:
    """What one partition contributes: its units (by normalised text, in
    order of first occurrence), their term counts over the partition's own
    vocabulary, and occurrence arrays with partition-local numbers."""

    n_docs: int
    keys: list[str]
    vocabulary: list[str]
    counts: sp.csr_matrix  # (local units x local terms)
    occurrences: dict[str, np.ndarray]
    first_occ: np.ndarray


def map_partition(docs: Sequence[Document], options: IndexOptions) -> Partition:
    """Split, de-duplicate, analyse and count one partition (a pure function)."""
    analyzer = Analyzer(stop_words=options.stop_words, stem=options.stem, language=options.language,
                        tokenizer=options.tokenizer)
    occ = _Occurrences({})
    vocabulary: dict[str, int] = {}
    counts = count_rows(occ.collect(docs, unit=options.unit, title_boost=options.title_boost,
                                    splitter=options.splitter, analyzer=analyzer, progress=False),
                        vocabulary, grow=True)
    arrays: dict[str, np.ndarray] = {name: np.asarray(occ.columns[name], dtype=dtype)
                                     for name, dtype in OCCURRENCE_SCHEMA.items()}
    return Partition(n_docs=len(docs), keys=list(occ.key_to_unit), vocabulary=list(vocabulary),
                     counts=sp.csr_matrix(counts, shape=(len(occ.key_to_unit), len(vocabulary))),
                     occurrences=arrays, first_occ=np.asarray(occ.first_occ, dtype=np.int64))


def reduce_partitions(parts: Sequence[Partition], docs: Sequence[Document], index: TermIndex) -> Segment:
    """Merge partitions (in corpus order) into one segment; ``index`` is fitted in place."""
    key_to_unit: dict[str, int] = {}
    vocabulary: dict[str, int] = {}
    occ_blocks: dict[str, list[np.ndarray]] = {name: [] for name in OCCURRENCE_SCHEMA}
    first_occ: list[np.ndarray] = []
    count_blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    n_docs = n_occ = 0
    for part in parts:
        local_unit = np.empty(len(part.keys), dtype=np.int64)
        new = []
        for i, key in enumerate(part.keys):
            u = key_to_unit.get(key)
            if u is None:
                u = key_to_unit[key] = len(key_to_unit)
                new.append(i)
            local_unit[i] = u
        new_units = np.asarray(new, dtype=np.int64)
        # Terms of units already seen in an earlier partition are known, so
        # numbering the partition's terms in its own order of first
        # occurrence numbers new terms exactly as a serial build would.
        local_term = np.asarray([vocabulary.setdefault(t, len(vocabulary)) for t in part.vocabulary], dtype=np.int32)
        rows = part.counts[new_units] if len(new_units) < len(part.keys) else part.counts
        count_blocks.append((rows.data, local_term[rows.indices], rows.indptr))
        for name in OCCURRENCE_SCHEMA:
            a = part.occurrences[name]
            if name == "doc":
                a = a + n_docs
            elif name == "unit":
                a = local_unit[a]
            occ_blocks[name].append(a)
        first_occ.append(part.first_occ[new_units] + n_occ)
        n_docs += part.n_docs
        n_occ += len(part.occurrences["doc"])
    if not key_to_unit:
        raise InputError("the corpus is empty: no document contains any text"
                         if len(docs) else "the corpus is empty: no documents were loaded")
    n_terms = len(vocabulary)
    forward = stack_rows([sp.csr_matrix(b, shape=(len(b[2]) - 1, n_terms)) for b in count_blocks], n_terms)
    inverted = forward.tocsc()
    index.set_counts(vocabulary, sp.csr_matrix((inverted.data, inverted.indices, inverted.indptr),
                                               shape=(n_terms, inverted.shape[0])))
    occurrences = {name: np.concatenate(blocks) for name, blocks in occ_blocks.items()}
    return Segment(PassageTable(docs, occurrences, np.concatenate(first_occ)), index)


def partitions(docs: Sequence[Document], n: int) -> Iterator[Sequence[Document]]:
    """``docs`` in ``n`` contiguous partitions of about equal text size."""
    lo = 0
    for hi in partition_ends(np.fromiter((len(d.text) for d in docs), dtype=np.int64, count=len(docs)), n):
        yield docs[lo:hi]
        lo = hi


def partition_ends(lengths: np.ndarray, n: int) -> list[int]:
    """The end of each of at most ``n`` non-empty contiguous partitions of about equal total ``lengths``."""
    sizes = np.cumsum(lengths)
    total = int(sizes[-1]) if len(sizes) else 0
    bounds: np.ndarray | list[int] = (np.searchsorted(sizes, [total * i / n for i in range(1, n)], side="right")
                                      if total else [])
    ends: list[int] = []
    lo = 0
    for hi in [*map(int, bounds), len(lengths)]:
        if hi > lo:
            ends.append(hi)
            lo = hi
    return ends


# Documents of the build in progress, inherited by forked workers (copy on
# write) instead of being serialised to them; set only while a pool runs.
_FORKED: tuple[Sequence[Document], IndexOptions] | None = None


def _map_range(bounds: tuple[int, int]) -> Partition:
    """:func:`map_partition` on a slice of the documents a forked worker inherited."""
    assert _FORKED is not None
    docs, options = _FORKED
    return map_partition(docs[bounds[0]:bounds[1]], options)


def build_parallel(docs: Sequence[Document], options: IndexOptions, index: TermIndex, workers: int,
                   partitions_per_worker: int = 4) -> Segment:
    """:func:`map_partition` on ``workers`` processes, then :func:`reduce_partitions`.

    Where processes fork, workers inherit the parent's documents and
    imported modules (nltk takes a second to import) and receive only the
    bounds of their partitions; elsewhere (spawn) partitions are serialised to them.
    """
    global _FORKED
    options.splitter.tokenizer_  # noqa: B018  (load Punkt once, before the workers are made)
    chunks = list(partitions(docs, workers * partitions_per_worker))
    if "fork" in mp.get_all_start_methods():
        bounds, lo = [], 0
        for chunk in chunks:
            bounds.append((lo, lo + len(chunk)))
            lo += len(chunk)
        _FORKED = (docs, options)
        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork")) as pool:
                parts = list(pool.map(_map_range, bounds))
        finally:
            _FORKED = None
    else:
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
            parts = list(pool.map(map_partition, chunks, [options] * len(chunks)))
    return reduce_partitions(parts, docs, index)
