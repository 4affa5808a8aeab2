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
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .build import Segment
from .context import NO_PLACES, PlaceScores, best_per_unit
from .expansion import Expander
from .fields import Sections, combine_places
from .settings import Settings
from .sparse_scorer import SparseScorer
from .topk import top_k

__all__ = ["Scorer", "with_context"]

_EMPTY_UNITS = np.zeros(0, dtype=np.int64)


def _sorted_sum(units: np.ndarray, vals: np.ndarray, reduce: np.ufunc) -> tuple[np.ndarray, np.ndarray]:
    """Reduce values per unit (stable: equal units keep their order)."""
    if len(units) == 0:
        return units, vals
    order = np.argsort(units, kind="stable")
    units, vals = units[order], vals[order]
    starts = np.flatnonzero(np.r_[True, units[1:] != units[:-1]])
    return units[starts], reduce.reduceat(vals, starts)


def _parts(units: np.ndarray, scores: np.ndarray, context: PlaceScores, field: PlaceScores,
           is_unit: Any) -> tuple[np.ndarray, np.ndarray, PlaceScores]:
    """(units ascending, their own scores, every place's context plus field bonus)."""
    order = np.argsort(units, kind="stable")
    return units[order], scores[order], combine_places(context, field)


def with_context(units: np.ndarray, scores: np.ndarray, places: PlaceScores) -> tuple[np.ndarray, np.ndarray]:
    """Units' scores with their best place's bonus added (units reached only
    through context are appended)."""
    targets, best = best_per_unit(places.unit, places.bonus)
    if len(targets) == 0:
        return units, scores
    pos = np.searchsorted(units, targets)
    found = pos < len(units)
    found[found] = units[pos[found]] == targets[found]
    scores = scores.copy()
    scores[pos[found]] += best[found]
    if found.all():
        return units, scores
    return np.concatenate([units, targets[~found]]), np.concatenate([scores, best[~found]])


class Scorer:
    """Scores one analysed question at a time against a segment (see the module docstring)."""

    def __init__(self, segment: Segment, settings: Settings, expander: Expander | None,
                 sections: Sections | None = None) -> None:
        self.reference = SparseScorer(segment, settings, expander, sections)
        self.segment = segment
        self.settings = settings
        self.expander = expander
        index = self.index = segment.index
        postings = index.postings_
        self._ptr, self._units, self._weights = postings.indptr, postings.indices, postings.data
        self._dtype = postings.dtype.type
        self._n = index.n_units
        self.places = self.reference.places
        self._local = threading.local()
        self._sections_by_unit: np.ndarray | None = None

    def _buffers(self) -> tuple[np.ndarray, ...]:
        """Per-thread dense buffers, all zero (False) between questions."""
        b = getattr(self._local, "buffers", None)
        if b is None:
            n = self._n
            b = (np.zeros(n, self._dtype), np.zeros(n, self._dtype), np.zeros(n, bool))
            self._local.buffers = b
        return b

    def _unit_sections(self) -> np.ndarray:
        """:meth:`~spasmqa.fields.Sections.unit_sections` of the segment (made on first use)."""
        got = self._sections_by_unit
        if got is None:
            assert self.reference.sections is not None
            got = self._sections_by_unit = self.reference.sections.unit_sections(self.segment.table)
        return got

    def _bonus_buffers(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-thread dense float64 buffers over places (occurrences) and over
        units, all zero between questions (made on first use)."""
        b = getattr(self._local, "bonus_buffers", None)
        if b is None:
            b = (np.zeros(self.segment.table.n_passages), np.zeros(self._n))
            self._local.bonus_buffers = b
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

    def _place_bonuses(self, units: np.ndarray, acc32: np.ndarray, cue32: np.ndarray | None,
                       doc_mask: np.ndarray | None) -> PlaceScores:
        """Bonuses of the places the scored ``units`` reach (:mod:`spasmqa.context`).

        Only places whose heading or antecedent the question scored can
        have a bonus, so only they are computed, from the dense buffers
        that still hold every unit's own score.
        """

        def own(u: np.ndarray) -> np.ndarray:
            v = acc32[u].astype(np.float64)
            return v + cue32[u] if cue32 is not None else v

        places = self.places
        # Places that no scored unit reaches get no bonus (unscored units' own
        # scores are 0 in the buffers), so when the scored units outnumber the
        # places it is cheaper to compute every place than to find the reached ones.
        reached = np.arange(len(places)) if len(units) >= len(places) else places.reachable(units)
        return places.bonuses(reached, own, doc_mask)

    @staticmethod
    def _mark(units: np.ndarray, seen: np.ndarray, touched: list[np.ndarray]) -> None:
        new = np.unique(units[~seen[units]])
        if len(new):
            seen[new] = True
            touched.append(new)

    # -- public ------------------------------------------------------------
    def score_one(self, terms: Sequence[str], question: str | None = None, doc_mask: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
        """(units, scores) of every unit with a non-zero score; context flows only
        from places in documents ``doc_mask`` passes (a filter), if given."""
        if self.settings.prf:
            return with_context(*self.score_parts(terms, question, doc_mask))
        return self._score(terms, question, doc_mask, self._add_places)

    def score_parts(self, terms: Sequence[str], question: str | None = None, doc_mask: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray, PlaceScores]:
        """(units, own scores) of every unit the question's terms score, units
        ascending, and the context bonus of every place that has one."""
        if self.settings.prf:
            base, got = self.reference.place_scores(terms, question, doc_mask)
            units = np.flatnonzero(base)
            return units, base[units], got
        return self._score(terms, question, doc_mask, _parts)

    def _add_places(self, units: np.ndarray, scores: np.ndarray, context: PlaceScores, field: PlaceScores,
                    is_unit: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """:func:`with_context` of :func:`~spasmqa.fields.combine_places`, in dense
        buffers instead of sorts: per place its context plus field bonus, per unit
        its best place's, added to its own score (the same floating-point
        operations, so the same scores). ``is_unit(u)``: is ``u`` among ``units``."""
        if len(field.occ) == 0 and len(context.occ) == 0:
            return units, scores
        if len(field.occ) == 0 or len(context.occ) == 0:
            got = field if len(context.occ) == 0 else context  # places are distinct within each
            unit, bonus = got.unit, got.bonus
        else:
            by_place, _ = self._bonus_buffers()
            occ = np.concatenate([context.occ, field.occ])
            by_place[context.occ] = context.bonus
            by_place[field.occ] += field.bonus  # a place's context bonus, then its field bonus
            unit, bonus = np.concatenate([context.unit, field.unit]), by_place[occ]
            by_place[occ] = 0.0
        _, best = self._bonus_buffers()
        np.maximum.at(best, unit, bonus)
        try:
            scores = scores + best[units]  # + 0.0 where a unit has no place: the same score
            extra = unit[~is_unit(unit)]  # units reached only through context
            if len(extra) == 0:
                return units, scores
            extra = np.sort(extra)  # each once (a sort: faster than np.unique's hashing on short arrays)
            extra = extra[np.r_[True, extra[1:] != extra[:-1]]]
            return np.concatenate([units, extra]), np.concatenate([scores, best[extra]])
        finally:
            best[unit] = 0.0

    def _score(self, terms: Sequence[str], question: str | None, doc_mask: np.ndarray | None,
               finish: Callable[..., Any]) -> Any:
        """The question's own scores and its places' bonuses, handed to
        ``finish(units, scores, context, field, is_unit)`` while the dense
        buffers still hold them (they are cleared on return)."""
        index = self.index
        tids, w64, own_norm = index.question_terms(terms)
        groups: Sequence = ()
        cues: Mapping[str, float] = {}
        if self.expander is not None and question is not None:
            groups, cues = self.expander.extra_terms(question, terms, index.vocabulary_)
        acc32, cue32, seen = self._buffers()
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
            # Cues count for a question that matches something in the
            # collection: a known term or synonym (see the reference).
            if len(tids) == 0 and not groups:
                return finish(_EMPTY_UNITS, np.zeros(0), NO_PLACES, NO_PLACES, None)
            if cues:
                # Only for questions that matched something (checked above).
                ctids, cw = self._extra_weights(cues, self._expansion_norm(own_norm, cues))
                self._accumulate(ctids, cw, cue32, seen, touched)
                units = self._units_in(acc32, touched, cue32)
                scores = acc32[units].astype(np.float64) + cue32[units]
            else:
                units = self._units_in(acc32, touched)
                scores = acc32[units].astype(np.float64)
            context = field = NO_PLACES
            if len(self.places):
                context = self._place_bonuses(units, acc32, cue32 if cues else None, doc_mask)
            sections = self.reference.sections
            if sections is not None and len(units):
                field = sections.places_of_units(self.segment.table, units[scores > 0], self._unit_sections(),
                                                 sections.scores(terms), self.settings.title_weight, doc_mask)
            if dense:
                def is_unit(u: np.ndarray) -> np.ndarray:
                    return (acc32[u] != 0) | (cue32[u] != 0) if cues else acc32[u] != 0
            else:
                def is_unit(u: np.ndarray) -> np.ndarray:
                    return seen[u]
            return finish(units, scores, context, field, is_unit)
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
        """The units scored so far, each once (in no particular order: nothing
        downstream needs them sorted but :meth:`score_parts`, which sorts)."""
        if touched is None:
            return np.flatnonzero(acc) if cues is None else np.flatnonzero((acc != 0) | (cues != 0))
        return np.concatenate(touched) if touched else _EMPTY_UNITS

    def top(self, terms: Sequence[str], question: str | None, k: int,
            masks: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The top ``k`` (units, scores) of one question: score descending, then unit.

        ``masks`` (document mask, unit mask) of a metadata filter remove units
        before the top ``k`` are chosen, so a filter never shortens an answer
        that has matches; context flows only from passing places.
        """
        units, scores = self.score_one(terms, question, None if masks is None else masks[0])
        if masks is not None:
            keep = masks[1][units]
            units, scores = units[keep], scores[keep]
        return top_k(units, scores, k)

    def retrieve(self, terms: Sequence[Sequence[str]], questions: Sequence[str], k: int,
                 masks: tuple[np.ndarray, np.ndarray] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """Top ``k`` (units, scores) per question."""
        return [self.top(t, q, k, masks) for t, q in zip(terms, questions)]
