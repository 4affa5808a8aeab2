"""The front of a sharded index: scatter questions to the shards, merge what they return.

Because a unit's score is the maximum of the shards' scores of it
(:mod:`spasmqa.shardserve`):

* each shard's top ``n`` (ties broken by *global* unit number) contains
  every unit of the collection's top ``n`` whose best place it holds, so the
  merged top ``n`` equals the unsharded top ``n``, ties included;
* selection (near-duplicates, MMR, penalties) then runs on the merged
  candidates with their flags and vectors, exactly as on one segment;
* each answer passage is shown at its first place in corpus order (the
  lowest shard that has it), with every source from every shard;
* a run's documents live in one shard each, so per-document scores are
  the shard's, and the merged top ``k`` is exact.

Pseudo-relevance feedback (off by default) needs the collection's top
passages before scoring and is not available on a sharded index.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from .analysis import Analyzer
from .answer import Answer, Passage, Source
from .compose import Composer, candidate_count, select, similarities
from .errors import InputError, InputTypeError
from .expansion import Tables
from .fields import section_keys, shared_sections
from .index import CollectionStats, TermIndex, mean_norm
from .parts import analyzer_for, expander_for, field_analyzer
from .runs import queries_table
from .settings import Settings
from .shard_load import Shard
from .shardserve import Candidates, ShardServer
from .topk import top_k

__all__ = ["ShardedParts", "Terms", "owned_norms", "pivot_of"]


def _merge(cands: Sequence[Candidates], n: int) -> Candidates:
    """The collection's top ``n`` from the shards' (a unit's score: its best shard's)."""
    units = np.concatenate([c.units for c in cands])
    scores = np.concatenate([c.scores for c in cands])
    src = np.concatenate([np.full(len(c.units), i) for i, c in enumerate(cands)])
    row = np.concatenate([np.arange(len(c.units)) for c in cands])
    order = np.lexsort((-scores, units))
    first = np.r_[True, units[order][1:] != units[order][:-1]] if len(units) else np.zeros(0, bool)
    best = order[first]
    top_units, _ = top_k(units[best], scores[best], n)
    # In global unit order: selection breaks ties by position, which then is corpus order.
    pick = best[np.searchsorted(units[best], np.sort(top_units))]
    top_units, top_scores = units[pick], scores[pick]
    # Vectors and flags are the same in every shard holding a unit: take any.
    ptrs, terms, vals = [0], [], []
    for i in pick.tolist():
        c, r = cands[src[i]], row[i]
        lo, hi = c.vec_ptr[r], c.vec_ptr[r + 1]
        terms.append(c.vec_terms[lo:hi])
        vals.append(c.vec_vals[lo:hi])
        ptrs.append(ptrs[-1] + hi - lo)
    flags = [np.asarray([cands[src[i]].fragment[row[i]] for i in pick.tolist()], dtype=bool),
             np.asarray([cands[src[i]].heading[row[i]] for i in pick.tolist()], dtype=bool)]
    empty_t = np.zeros(0, np.int32)
    texts = None
    if any(c.texts is not None for c in cands):
        texts = [cands[src[i]].texts[row[i]] for i in pick.tolist()]
    return Candidates(top_units, top_scores, flags[0], flags[1], np.asarray(ptrs, dtype=np.int64),
                      np.concatenate(terms) if terms else empty_t,
                      np.concatenate(vals) if vals else np.zeros(0, np.float32), texts)


def _similarities(c: Candidates) -> Callable[[np.ndarray], np.ndarray]:
    """Pairwise cosine similarities of candidates given by position (as Composer._similarities)."""

    return lambda positions: similarities(c.vec_ptr, c.vec_terms, c.vec_vals, positions)


class Terms:
    """The collection's vocabulary and idf: what the front needs to summarise an answer."""

    def __init__(self, index: TermIndex) -> None:
        self.vocabulary_ = index.vocabulary_
        self.idf_ = index.idf_


class ShardedParts:
    """The front of a sharded index: scatters questions to shard servers and merges.

    ``servers`` are :class:`ShardServer` objects in this process, or Dask
    actors of them (each on the worker that holds its shard); ``gather``
    turns what a server method returned into its value (identity here,
    ``.result()`` for an actor's future).
    """

    def __init__(self, servers: Sequence[Any], settings: Settings, tables: Tables, terms: Any, n_units: int,
                 n_passages: int, gather: Callable[[Any], Any] = lambda x: x, owner: Any = None) -> None:
        if settings.prf:
            raise InputError("prf (pseudo-relevance feedback) is not available on a sharded index")
        self.servers = list(servers)
        self.settings = settings
        self.tables = tables
        self.n_units = n_units
        self.n_passages = n_passages
        self._gather = gather
        self._fields: list[str] | None = None
        self.owner = owner  # keeps a cluster this index started alive
        analyzer = analyzer_for(settings)
        self.front = Composer(None, terms, settings, analyzer, expander_for(settings, analyzer, tables))  # type: ignore[arg-type]

    def check_where(self, where: Mapping[str, Any] | None) -> None:
        """A filter field that no document of any shard has is an error, as on one segment."""
        if not where:
            return
        if self._fields is None:
            self._fields = sorted({f for fs in self._each("fields") for f in fs})
        for name in where:
            if not isinstance(name, str):
                raise InputTypeError(f"filter field names must be strings, got {name!r}")
            if name not in self._fields:
                known = ", ".join(self._fields) or "none: no document has metadata"
                raise InputError(f"unknown metadata field {name!r} in filter; known fields: {known}")

    def _each(self, method: str, *args: Any) -> list[Any]:
        """``method(*args)`` on every server (scattered first, then gathered, in shard order)."""
        pending = [getattr(s, method)(*args) for s in self.servers]
        return [self._gather(p) for p in pending]

    def answer_many(self, questions: Sequence[str], terms: Sequence[Sequence[str]], k: int,
                    where: Mapping[str, Any] | None) -> list[Answer]:
        self.check_where(where)
        n = candidate_count(self.settings, k)
        per_shard = self._each("top", terms, questions, n, where)
        picks = []
        for qi in range(len(questions)):
            c = _merge([shard[qi] for shard in per_shard], n)
            scores = c.scores
            if c.texts is not None:
                scores = scores + self.front.proximity(terms[qi], c.texts)
            chosen = select(self.settings, np.arange(len(c.units)), scores, k, c.fragment, c.heading,
                            _similarities(c))
            picks.append([(int(c.units[p]), score, [int(c.units[d]) for d in dups]) for p, score, dups in chosen])
        requests = [([u for p in pick for u in [p[0], *p[2]]], pick[0][0] if pick else None) for pick in picks]
        found = self._each("passages", requests, where)
        answers = []
        for qi, (question, pick) in enumerate(zip(questions, picks)):
            held = [shard[qi] for shard in found]
            passages: list[Passage] = []
            seen: set[str] = set()
            for rank, (u, score, dups) in enumerate(pick, start=1):
                shown = next(h[u] for h in held if u in h and h[u][0] is not None)
                sources = tuple(src for h in held if u in h for src in h[u][1])
                near = tuple(next(h[d][1][0] for h in held if d in h) for d in dups)
                assert shown[0] is not None
                passages.append(replace(shown[0], rank=rank, score=score, sources=sources, near_duplicates=near))
                if rank == 1:
                    seen = shown[2] or set()
            answers.append(self.front.compose(question, terms[qi], passages, seen))
        return answers

    def search(self, terms: Sequence[Sequence[str]], texts: Sequence[str], unit_kind: str, k: int, level: str,
               aggregate: str, where: Mapping[str, Any] | None) -> list[tuple[np.ndarray, np.ndarray, list[str]]]:
        """Per query, the collection's top ``k`` (key, score, docno), merged from the shards'."""
        self.check_where(where)
        per_shard = self._each("run", terms, texts, unit_kind, k, level, aggregate, where)
        out = []
        for qi in range(len(texts)):
            keys = np.concatenate([s[qi][0] for s in per_shard]).astype(np.int64)
            scores = np.concatenate([s[qi][1] for s in per_shard])
            docnos = [d for s in per_shard for d in s[qi][2]]
            order = np.lexsort((-scores, keys))  # per key (a unit in several shards): its best score
            first = order[np.r_[True, keys[order][1:] != keys[order][:-1]]] if len(keys) else order
            top, vals = top_k(keys[first], scores[first], k)
            where_ = first[np.searchsorted(keys[first], top)]
            out.append((top, vals, [docnos[i] for i in where_.tolist()]))
        return out

    # -- construction ---------------------------------------------------------
    @classmethod
    def in_process(cls, shards: Sequence[Shard], settings: Settings, tables: Tables, stats: CollectionStats
                   ) -> ShardedParts:
        """Shard servers in this process (what ``QA.load`` of a sharded index does without a client)."""
        stats = _with_pivot(shards, settings, stats)
        maps, labels, index = shared_sections([section_keys(s.segment.table) for s in shards], field_analyzer(settings))
        servers = [ShardServer(s, settings, tables, stats, (m, labels, index)) for s, m in zip(shards, maps)]
        parts = cls(servers, settings, tables, Terms(servers[0].index_), stats.n_units,
                    sum(s.segment.table.n_passages for s in shards))
        parts._rebuild = lambda new, t: cls.in_process(shards, new, t, stats)
        return parts

    def with_settings(self, settings: Settings, tables: Tables) -> ShardedParts:
        """The same shards under other query-time settings."""
        return self._rebuild(settings, tables)

    _rebuild: Callable[[Settings, Tables], ShardedParts]

    @property
    def n_terms(self) -> int:
        return len(self.front.index.vocabulary_)

    # -- runs, explanations, views --------------------------------------------
    def search_frame(self, queries: Any, analyzer: Analyzer, unit_kind: str, k: int, level: str, aggregate: str,
                     where: Mapping[str, Any] | None) -> Any:
        """:meth:`spasmqa.QA.search` over the shards (``qid, docno, score, rank``)."""
        import pandas as pd

        qids, texts = queries_table(queries)
        merged = self.search([analyzer(t) for t in texts], texts, unit_kind, k, level, aggregate, where)
        return pd.DataFrame({
            "qid": [qids[i] for i, (keys, _, _) in enumerate(merged) for _ in range(len(keys))],
            "docno": [d for _, _, docnos in merged for d in docnos],
            "score": np.concatenate([m[1] for m in merged]) if merged else np.zeros(0),
            "rank": np.concatenate([np.arange(1, len(m[0]) + 1) for m in merged]) if merged else np.zeros(0, int),
        })

    def explain(self, question: str, passage: Passage | Source) -> Any:
        """The explanation from the shard where the passage's unit scores best."""
        place = passage if isinstance(passage, Source) else Source(passage.doc_id, passage.start, passage.end)
        units = [u for u in self._each("unit_at", place) if u >= 0]
        if not units:
            raise InputError(f"no passage at {place.doc_id} [{place.start}:{place.end}] in this index")
        found = [e for e in self._each("explain", question, units[0]) if e is not None]
        best = max(found, key=lambda e: e.score)  # max: the first of equals, the lowest shard
        near = passage.near_duplicates if isinstance(passage, Passage) else ()
        return replace(best, passage=place, near_duplicates=tuple(near))

    def in_context(self, passage: Passage | Source, sentences: int) -> Any:
        views = [v for v in self._each("in_context", passage, sentences) if v is not None]
        if not views:
            raise InputError(f"no document with doc_id {passage.doc_id!r} in this index")
        return views[0]


def _with_pivot(shards: Sequence[Shard], settings: Settings, stats: CollectionStats) -> CollectionStats:
    """``stats`` with the collection's pivot: the mean norm over all distinct units,
    each counted in the first shard that holds it, in global unit order (as one segment would)."""
    if settings.weighting != "tfidf" or settings.pivot_slope >= 1.0:
        return stats
    stats = replace(stats, norm_pivot=None)
    got = [owned_norms(s, settings, stats) for s in shards]
    ids, norms = [g[0] for g in got], [g[1] for g in got]
    return replace(stats, norm_pivot=pivot_of(ids, norms))


def owned_norms(shard: Shard, settings: Settings, stats: CollectionStats) -> tuple[np.ndarray, np.ndarray]:
    """(global unit, norm under ``settings``) of the units with terms ``shard`` owns."""
    idx = shard.segment.index
    keep = np.asarray(shard.unit_owned, dtype=bool) & (idx.unit_length_ > 0)
    return shard.unit_global[keep], idx.unit_norms(stats, settings.sublinear_tf)[keep]


def pivot_of(ids: Sequence[np.ndarray], norms: Sequence[np.ndarray]) -> float:
    """The mean of the owned norms in global unit order: the very sum one segment makes."""
    all_ids, all_norms = np.concatenate(ids), np.concatenate(norms)
    return mean_norm(all_norms[np.argsort(all_ids)], np.ones(len(all_ids), dtype=bool))
