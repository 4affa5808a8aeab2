"""The fast path: one question at a time, from the index's own arrays.

:class:`Scorer` computes exactly what the reference
(:class:`~spasmqa.sparse_scorer.SparseScorer`) computes, in the same order
of floating-point operations, but without building a sparse matrix per
question: postings are gathered and accumulated into per-thread dense
buffers, and only the units a question touches are read back and reset.
Costs grow with the postings of the question's terms, not with the corpus.

Pseudo-relevance feedback (off by default) is delegated to the reference.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

import numpy as np

from .build import Segment
from .counts import row_positions
from .expansion import Expander
from .settings import Settings
from .sparse_scorer import SparseScorer
from .topk import top_k

__all__ = ["Scorer"]

_EMPTY_UNITS = np.zeros(0, dtype=np.int64)


def _sorted_sum(units: np.ndarray, vals: np.ndarray, reduce: np.ufunc) -> tuple[np.ndarray, np.ndarray]:
    """Reduce values per unit (stable: equal units keep their order)."""
    if len(units) == 0:
        return units, vals
    order = np.argsort(units, kind="stable")
    units, vals = units[order], vals[order]
    starts = np.flatnonzero(np.r_[True, units[1:] != units[:-1]])
    return units[starts], reduce.reduceat(vals, starts)


class Scorer:
    """Scores one analysed question at a time against a segment (see the module docstring)."""

    def __init__(self, segment: Segment, settings: Settings, expander: Expander | None) -> None:
        self.reference = SparseScorer(segment, settings, expander)
        self.segment = segment
        self.settings = settings
        self.expander = expander
        index = self.index = segment.index
        postings = index.postings_
        self._ptr, self._units, self._weights = postings.indptr, postings.indices, postings.data
        self._dtype = postings.dtype.type
        self._n = index.n_units
        h, a = self.reference.heading_matrix, self.reference.anaphora_matrix
        self._heading = None if h is None else (h.indptr, h.indices, h.data)
        self._anaphora = None if a is None else (a.indptr, a.indices, a.data, self.reference._anaphora_in)
        # Which units have links leaving them (headings, antecedents).
        self._has_heading = None if h is None else np.diff(h.indptr) > 0
        self._has_anaphora = None if a is None else np.diff(a.indptr) > 0
        self._local = threading.local()

    @property
    def heading_matrix(self):
        return self.reference.heading_matrix

    @property
    def anaphora_matrix(self):
        return self.reference.anaphora_matrix

    def _buffers(self) -> tuple[np.ndarray, ...]:
        """Per-thread dense buffers, all zero (False) between questions."""
        b = getattr(self._local, "buffers", None)
        if b is None:
            n = self._n
            b = (np.zeros(n, self._dtype), np.zeros(n, self._dtype), np.zeros(n, bool), np.zeros(n), np.zeros(n))
            self._local.buffers = b
        return b

    # -- stages ----------------------------------------------------------
    def _accumulate(self, tids: np.ndarray, weights: np.ndarray, acc: np.ndarray, seen: np.ndarray,
                    touched: list[np.ndarray] | None) -> None:
        """``acc[u] += w_t * posting(t, u)`` term by term (ascending term ids, as
        a sparse product does); new units are appended to ``touched`` unless
        it is None (the caller then finds them in ``acc``)."""
        ptr, units, postings = self._ptr, self._units, self._weights
        for t, w in zip(tids.tolist(), weights):
            lo, hi = ptr[t], ptr[t + 1]
            u = units[lo:hi]
            acc[u] += w * postings[lo:hi]
            if touched is not None:
                new = u[~seen[u]]
                if len(new):
                    seen[new] = True
                    touched.append(new)

    def _extra_weights(self, extra: Mapping[str, float], norm: float) -> tuple[np.ndarray, np.ndarray]:
        """Term ids and weights of expansion terms, as the reference weighs them."""
        index = self.index
        pairs = sorted((index.vocabulary_[t], w) for t, w in extra.items() if t in index.vocabulary_ and w > 0)
        tids = np.asarray([p[0] for p in pairs], dtype=np.int64)
        w = np.asarray([p[1] for p in pairs], dtype=np.float64)
        if index.weighting == "tfidf" and len(w):
            w = (1.0 / norm) * (w * index.idf_[tids])
        return tids, w.astype(self._dtype)

    def _expansion_norm(self, own_norm: float, extra: Mapping[str, float]) -> float:
        """The reference's norm for expansion terms: the question's own, else the expansion's."""
        if self.index.weighting != "tfidf":
            return 1.0
        if own_norm > 0:
            return own_norm
        tids, w = self._extra_weights(extra, 1.0)
        e = float(np.sqrt(np.sum(w.astype(np.float64) ** 2)))
        return e if e > 0 else 1.0

    def _member_scores(self, tids: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ptr, units, postings = self._ptr, self._units, self._weights
        us = [units[ptr[t]:ptr[t + 1]] for t in tids.tolist()]
        vs = [wt * postings[ptr[t]:ptr[t + 1]] for t, wt in zip(tids.tolist(), w)]
        if len(us) == 1:
            return us[0], vs[0]
        return _sorted_sum(np.concatenate(us), np.concatenate(vs), np.add)

    def _synonyms(self, groups: Sequence[Sequence[Mapping[str, float]]], own_norm: float
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Per group, the best member a unit matches; summed over groups."""
        union: dict[str, float] = {}
        for g in groups:
            for m in g:
                for t, w in m.items():
                    union[t] = max(union.get(t, 0.0), w)
        norm = self._expansion_norm(own_norm, union)
        gu, gv = [], []
        for g in groups:
            parts = [self._member_scores(*self._extra_weights(m, norm)) for m in g]
            parts = [p for p in parts if len(p[0])]
            if parts:
                u, v = _sorted_sum(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                                   np.maximum)
                gu.append(u)
                gv.append(v)
        if not gu:
            return _EMPTY_UNITS, np.zeros(0, self._dtype)
        return _sorted_sum(np.concatenate(gu), np.concatenate(gv), np.add)

    @staticmethod
    def _links(links: tuple, has_links: np.ndarray, units: np.ndarray, scores: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
        """(target, contribution) of every link leaving a scored unit, sources ascending."""
        ptr, cols, vals = links[0], links[1], links[2]
        m = has_links[units]
        src, s = units[m], scores[m]
        if len(src) == 0:
            return _EMPTY_UNITS, np.zeros(0)
        pos, counts = row_positions(ptr, src)
        return cols[pos].astype(np.int64), np.repeat(s, counts) * vals[pos]

    def _context(self, units: np.ndarray, scores: np.ndarray, acc32: np.ndarray, cue32: np.ndarray | None,
                 hs64: np.ndarray, lead64: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Heading and reference-back flow: ``s + hs + max(0, lead - s * a_in)``.

        ``units`` are sorted. Only the targets of links from scored units
        change (a unit with no scored antecedent has ``lead = 0`` and gains
        nothing), so only they are computed, from the dense buffers that
        still hold every unit's own score.
        """
        # The ``_has_*`` masks are set exactly when the matching links are.
        h_units, h_vals = (self._links(self._heading, self._has_heading, units, scores)
                           if self._heading is not None and self._has_heading is not None
                           else (_EMPTY_UNITS, np.zeros(0)))
        a_units, a_vals = (self._links(self._anaphora, self._has_anaphora, units, scores)
                           if self._anaphora is not None and self._has_anaphora is not None
                           else (_EMPTY_UNITS, np.zeros(0)))
        if len(h_units) == 0 and len(a_units) == 0:
            return units, scores
        try:
            np.add.at(hs64, h_units, h_vals)
            np.add.at(lead64, a_units, a_vals)
            targets = np.unique(np.concatenate([h_units, a_units]))
            own = acc32[targets].astype(np.float64)
            if cue32 is not None:
                own += cue32[targets]
            out = own + hs64[targets]
            if self._anaphora is not None:
                anaphora_in = self._anaphora[3]
                assert anaphora_in is not None  # computed whenever there are anaphora links
                lead = lead64[targets] - own * anaphora_in[targets]
                np.maximum(lead, 0.0, out=lead)
                out += lead
        finally:
            hs64[h_units] = 0.0
            lead64[a_units] = 0.0
        pos = np.searchsorted(units, targets)
        found = pos < len(units)
        found[found] = units[pos[found]] == targets[found]
        scores[pos[found]] = out[found]
        if found.all():
            return units, scores
        return np.concatenate([units, targets[~found]]), np.concatenate([scores, out[~found]])

    @staticmethod
    def _mark(units: np.ndarray, seen: np.ndarray, touched: list[np.ndarray]) -> None:
        new = np.unique(units[~seen[units]])
        if len(new):
            seen[new] = True
            touched.append(new)

    # -- public ------------------------------------------------------------
    def score_one(self, terms: Sequence[str], question: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(units, scores) of every unit with a non-zero score, units ascending."""
        if self.settings.prf:
            scores = self.reference.score([terms], None if question is None else [question])
            return scores.indices.astype(np.int64), scores.data.astype(np.float64)
        index = self.index
        tids, w64, own_norm = index.question_terms(terms)
        groups: Sequence = ()
        cues: Mapping[str, float] = {}
        if self.expander is not None and question is not None:
            groups, cues = self.expander.extra_terms(question, terms, index.vocabulary_)
        acc32, cue32, seen, hs64, lead64 = self._buffers()
        ptr = self._ptr
        # Where the question's postings cover a good part of the units, a
        # scan of the buffer finds them faster than tracking each one.
        dense = int((ptr[tids + 1] - ptr[tids]).sum()) * 8 >= self._n
        touched: list[np.ndarray] | None = None if dense else []
        try:
            self._accumulate(tids, w64.astype(self._dtype), acc32, seen, touched)
            if groups:
                su, sv = self._synonyms(groups, own_norm)
                acc32[su] += sv
                if touched is not None:
                    self._mark(su, seen, touched)
            units = self._units_in(acc32, touched)
            if len(units) == 0:
                return _EMPTY_UNITS, np.zeros(0)
            if cues:
                # Only for questions that matched something (checked above).
                ctids, cw = self._extra_weights(cues, self._expansion_norm(own_norm, cues))
                self._accumulate(ctids, cw, cue32, seen, touched)
                units = self._units_in(acc32, touched, cue32)
                scores = acc32[units].astype(np.float64) + cue32[units]
            else:
                scores = acc32[units].astype(np.float64)
            if self._heading is not None or self._anaphora is not None:
                return self._context(units, scores, acc32, cue32 if cues else None, hs64, lead64)
            return units, scores
        finally:
            if dense:
                acc32.fill(0)
                if cues:
                    cue32.fill(0)
            elif touched:
                every = np.concatenate(touched)
                acc32[every] = 0
                cue32[every] = 0
                seen[every] = False

    @staticmethod
    def _units_in(acc: np.ndarray, touched: list[np.ndarray] | None, cues: np.ndarray | None = None) -> np.ndarray:
        """The units scored so far, ascending."""
        if touched is None:
            return np.flatnonzero(acc) if cues is None else np.flatnonzero((acc != 0) | (cues != 0))
        return np.sort(np.concatenate(touched)) if touched else _EMPTY_UNITS

    def top(self, terms: Sequence[str], question: str | None, k: int, unit_mask: np.ndarray | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
        """The top ``k`` (units, scores) of one question: score descending, then unit.

        ``unit_mask`` (a metadata filter) removes units before the top ``k``
        are chosen, so a filter never shortens an answer that has matches.
        """
        units, scores = self.score_one(terms, question)
        if unit_mask is not None:
            keep = unit_mask[units]
            units, scores = units[keep], scores[keep]
        return top_k(units, scores, k)

    def retrieve(self, terms: Sequence[Sequence[str]], questions: Sequence[str], k: int,
                 unit_mask: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """Top ``k`` (units, scores) per question."""
        return [self.top(t, q, k, unit_mask) for t, q in zip(terms, questions)]
