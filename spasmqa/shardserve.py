"""What one shard of a sharded index does: score its own places, show its passages.

A shard is a :class:`~spasmqa.build.Segment` over a contiguous range of the
corpus's documents whose term index uses the collection's term numbers and
statistics (:class:`~spasmqa.index.CollectionStats`), so a unit's own score
is the same in every shard that holds it. Context flows only within a
document, and a unit's score is its own score plus its *best place's*
bonus (:mod:`spasmqa.context`), so the collection's score of a unit is the
maximum of the shards' scores of it. :mod:`spasmqa.shardfront` merges what
the shards return.

:class:`ShardServer` runs in this process, or as a Dask actor on the worker
that holds its shard (its methods take and return plain data).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .answer import Passage, Source
from .build import Segment
from .compose import Composer
from .corpus import Corpus
from .counts import row_positions
from .expansion import Tables
from .fields import Sections, section_keys
from .index import CollectionStats, TermIndex
from .parts import analyzer_for, expander_for, weighting_of
from .runs import search_scores
from .scorer import Scorer
from .settings import Settings
from .shard_load import Shard
from .table import OCCURRENCE_SCHEMA, PassageTable
from .topk import top_k

__all__ = ["Candidates", "ShardServer", "split_segment"]


@dataclass
class Candidates:
    """A shard's best units for one question: global numbers, scores, flags, vectors."""

    units: np.ndarray
    scores: np.ndarray
    fragment: np.ndarray
    heading: np.ndarray
    vec_ptr: np.ndarray
    vec_terms: np.ndarray
    vec_vals: np.ndarray
    texts: list[str] | None = None  # only when the proximity bonus needs them


def split_segment(segment: Segment, n_shards: int) -> list[Shard]:
    """Cut a built segment into ``n_shards`` shards of contiguous documents
    (for tests and re-sharding; a sharded build makes the same shards on workers)."""
    table, index = segment.table, segment.index
    n_docs = len(table.documents)
    bounds = np.linspace(0, n_docs, n_shards + 1).round().astype(int)
    shards: list[Shard] = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        occ = np.flatnonzero((table.occ_doc >= lo) & (table.occ_doc < hi))
        g_units, first = np.unique(table.occ_unit[occ], return_index=True)
        order = np.argsort(first, kind="stable")  # local numbers in order of first local occurrence
        unit_global = g_units[order].astype(np.int64)
        local_of = {int(g): i for i, g in enumerate(unit_global)}
        arrays = {name: getattr(table, f"occ_{name}")[occ] for name in OCCURRENCE_SCHEMA}
        arrays["doc"] = (arrays["doc"] - lo).astype(np.int32)
        arrays["unit"] = np.asarray([local_of[int(u)] for u in arrays["unit"]], dtype=np.int32)
        sub = PassageTable(table.documents[lo:hi], arrays, np.sort(first))
        counts = index.counts_[:, unit_global].tocsr()
        sub_index = TermIndex(**index.get_params()).set_counts(index.vocabulary_, counts, index.stats_)
        corpus = Corpus()
        for d in table.documents[lo:hi]:
            corpus.add(d)
        owned = np.zeros(len(unit_global), bool)
        owned[np.flatnonzero(table.occ_doc[table.unit_first_occ[unit_global]] >= lo)] = True
        shards.append(Shard(index=len(shards), segment=Segment(sub, sub_index), corpus=corpus, doc_offset=int(lo),
                            unit_global=unit_global, unit_global_fragment=table.unit_fragment[unit_global].copy(),
                            unit_global_heading=table.unit_heading[unit_global].copy(), unit_owned=owned))
    return shards


class ShardServer:
    """What one shard does for a question (see the module docstring)."""

    def __init__(self, shard: Shard, settings: Settings, tables: Tables, stats: CollectionStats,
                 sections: tuple[np.ndarray, list[tuple[str, ...]], TermIndex | None] | None = None) -> None:
        self.shard = shard
        self.settings = settings
        seg = shard.segment
        index = TermIndex(**{**seg.index.get_params(), **weighting_of(settings)})
        index.set_counts(seg.index.vocabulary_, seg.index.counts_, stats)
        table = seg.table
        # Selection uses the flags of a unit's first place in the collection.
        table.unit_fragment = np.asarray(shard.unit_global_fragment, dtype=bool)
        table.unit_heading = np.asarray(shard.unit_global_heading, dtype=bool)
        self.segment = Segment(table, index)
        self.analyzer_ = analyzer_for(settings)
        expander = expander_for(settings, self.analyzer_, tables)
        self.scorer_ = Scorer(self.segment, settings, expander, self._sections(sections))
        self.composer = Composer(table, index, settings, self.analyzer_, expander)
        self._by_global = np.argsort(shard.unit_global, kind="stable")
        self._u2d: Any = None

    def _sections(self, spec: tuple[np.ndarray, list[tuple[str, ...]], TermIndex | None] | None) -> Sections | None:
        """This shard's places in the collection's sections (the page field), as one segment numbers them."""
        s = self.settings
        if spec is None or s.title_weight <= 0 or s.unit != "passage":
            return None
        mapping, labels, index = spec
        local, _ = section_keys(self.segment.table)
        occ = np.where(local >= 0, mapping[np.maximum(local, 0)] if len(mapping) else -1, -1)
        return Sections(occ, labels, index).weighted(weighting_of(s))

    # -- what the explain module and provenance views use -------------------
    @property
    def table_(self) -> PassageTable:
        return self.segment.table

    @property
    def composer_(self) -> Composer:
        return self.composer

    @property
    def index_(self) -> TermIndex:
        return self.segment.index

    def local(self, units: np.ndarray) -> np.ndarray:
        """Local numbers of global ``units`` (-1: not in this shard)."""
        g = self.shard.unit_global
        pos = np.minimum(np.searchsorted(g, units, sorter=self._by_global), len(g) - 1)
        loc = self._by_global[pos]
        return np.where(g[loc] == units, loc, -1)

    def fields(self) -> tuple[str, ...]:
        """The metadata fields of this shard's documents."""
        from .filters import MetadataTable

        return MetadataTable.from_documents(self.segment.table.documents).fields

    def masks(self, where: Mapping[str, Any] | None) -> tuple[np.ndarray, np.ndarray] | None:
        """A filter's masks here. A field none of this shard's documents has
        (another shard's) is missing from all of them: it passes only ``None``."""
        table = self.segment.table
        if not where:
            return None
        known = set(self.fields())
        local = {f: v for f, v in where.items() if f in known}
        if any(v is not None for f, v in where.items() if f not in known):
            return np.zeros(len(table.documents), bool), np.zeros(table.n_units, bool)
        if not local:
            return np.ones(len(table.documents), bool), np.ones(table.n_units, bool)
        return table.masks(local)

    # -- questions ----------------------------------------------------------
    def top(self, terms: Sequence[Sequence[str]], questions: Sequence[str], n: int,
            where: Mapping[str, Any] | None) -> list[Candidates]:
        """Per question, the shard's top ``n`` units (ties by global number)."""
        masks = self.masks(where)
        ptr, tids, vals = self.segment.index.forward_arrays()
        out = []
        for t, q in zip(terms, questions):
            units, scores = self.scorer_.score_one(t, q, None if masks is None else masks[0])
            if masks is not None:
                keep = masks[1][units]
                units, scores = units[keep], scores[keep]
            g, scores = top_k(self.shard.unit_global[units], scores, n)
            loc = self.local(g)
            pos, counts = row_positions(ptr, loc)
            table = self.segment.table
            texts = ([table.unit_text(int(u)) for u in loc] if self.settings.proximity_weight > 0 else None)
            out.append(Candidates(g, scores, table.unit_fragment[loc], table.unit_heading[loc],
                                  np.r_[0, np.cumsum(counts)], tids[pos], vals[pos], texts))
        return out

    def passages(self, requests: Sequence[tuple[Sequence[int], int | None]], where: Mapping[str, Any] | None
                 ) -> list[dict[int, tuple[Passage | None, tuple[Source, ...], set[str] | None]]]:
        """Per request (global units, ``seen_for``), per unit held here: the
        passage at its first (passing) place here, every place here, and (for
        ``seen_for``) what a reader sees there."""
        masks = self.masks(where)
        return [self._passages(units, masks, seen_for) for units, seen_for in requests]

    def _passages(self, units: Sequence[int], masks: tuple[np.ndarray, np.ndarray] | None, seen_for: int | None
                  ) -> dict[int, tuple[Passage | None, tuple[Source, ...], set[str] | None]]:
        docs = None if masks is None else masks[0]
        table: PassageTable = self.segment.table
        out: dict[int, tuple[Passage | None, tuple[Source, ...], set[str] | None]] = {}
        for g in units:
            u = int(self.local(np.asarray([g]))[0])
            if u < 0:
                continue
            passing = docs is None or bool(masks is not None and masks[1][u])
            p = (self.composer.passage(u, docs, rank=0, score=0.0, near_duplicates=(), sources=())
                 if passing else None)
            seen = (self.composer.seen_terms(table.first_occ_in(u, docs))
                    if g == seen_for and passing else None)
            out[int(g)] = (p, table.sources(u), seen)
        return out

    def run(self, terms: Sequence[Sequence[str]], texts: Sequence[str], unit_kind: str, k: int, level: str,
            aggregate: str, where: Mapping[str, Any] | None) -> list[tuple[np.ndarray, np.ndarray, list[str]]]:
        """Per query, the shard's top ``k`` (global unit or document number, score, docno)."""
        table = self.segment.table
        masks = self.masks(where)
        if level == "document" and self._u2d is None:
            self._u2d = table.unit_doc_matrix()
        out = []
        for t, text in zip(terms, texts):
            keys, scores = search_scores(self.scorer_, table, t, text, unit_kind, level, aggregate, masks, self._u2d)
            if level == "document":
                keys, scores = top_k(keys + self.shard.doc_offset, scores, k)
                docnos = [table.doc_ids[d - self.shard.doc_offset] for d in keys.tolist()]
            else:
                keys, scores = top_k(self.shard.unit_global[keys], scores, k)
                docnos = [table.unit_docno(int(u), unit_kind) for u in self.local(keys).tolist()]
            out.append((keys, scores, docnos))
        return out

    def unit_at(self, place: Source) -> int:
        """The global unit at a place in this shard's documents (-1: not here)."""
        table = self.segment.table
        d = table._doc_number.get(place.doc_id)
        if d is None:
            return -1
        occs = np.flatnonzero(table.occ_doc == d)
        here = occs[(table.occ_start[occs] == place.start) & (table.occ_end[occs] == place.end)]
        return int(self.shard.unit_global[table.occ_unit[here[0]]]) if len(here) else -1

    def in_context(self, passage: Passage | Source, sentences: int) -> Any:
        if passage.doc_id not in self.segment.table._doc_number:
            return None
        return self.segment.table.in_context(passage, sentences)

    def explain(self, question: str, unit: int) -> Any:
        """The explanation of global ``unit`` at its first place here (None if not here)."""
        from .explain import explain

        u = int(self.local(np.asarray([unit]))[0])
        if u < 0:
            return None
        return explain(self, question, self.segment.table.source(int(self.segment.table.unit_first_occ[u])))
