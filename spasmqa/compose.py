"""From ranked units to an :class:`~spasmqa.answer.Answer`: selection and composition.

Selection adds the term proximity bonus (:mod:`spasmqa.proximity`), drops
near-duplicates (and, if enabled, diversifies with MMR and lowers fragments
and headings) among the scorer's candidates; composition
builds the passages with their provenance, the extractive answer text with
citations, and the confidence. Objects are made only for the passages that
are returned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .analysis import Analyzer
from .answer import Answer, Passage, Source, make_highlighter
from .counts import row_positions
from .expansion import Expander
from .index import TermIndex
from .proximity import proximity_bonus
from .settings import Settings
from .table import PassageTable

__all__ = ["MAX_RERANK", "Composer", "Selection", "candidate_count", "select", "similarities"]

#: Candidates compared pairwise for near-duplicates and MMR (a bound on memory: 2048^2 floats).
MAX_RERANK = 2048
#: (unit, score, near-duplicate units), best first.
Selection = list[tuple[int, float, list[int]]]


def similarities(ptr: np.ndarray, terms: np.ndarray, vals: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Cosine similarities between ``rows`` of a CSR of unit vectors (dense, small).

    Only terms shared by two or more rows can make two of them similar, so
    the others are left out of the product (the diagonal, never read, is then
    not 1).
    """
    pos, counts = row_positions(ptr, rows)
    _, inverse, shared = np.unique(terms[pos], return_inverse=True, return_counts=True)
    keep = shared[inverse] > 1
    column = np.cumsum(shared > 1) - 1
    dense = np.zeros((len(rows), int((shared > 1).sum())))
    dense[np.repeat(np.arange(len(rows)), counts)[keep], column[inverse[keep]]] = vals[pos][keep]
    return dense @ dense.T


def candidate_count(s: Settings, k: int) -> int:
    """How many ranked units selection needs to return ``k``."""
    reranks = (s.near_duplicate < 1 or s.mmr_lambda < 1 or s.fragment_penalty > 0 or s.heading_penalty > 0
               or s.proximity_weight > 0)
    return max(k, s.candidates) if reranks else k


def select(s: Settings, units: np.ndarray, scores: np.ndarray, k: int, fragment: Any, heading: Any,
           similarities: Callable[[np.ndarray], np.ndarray]) -> Selection:
    """Choose up to ``k`` distinct units from ranked candidates (scores with
    any proximity bonus already added).

    ``fragment[u]`` and ``heading[u]`` are the units' flags and
    ``similarities(units)`` their pairwise cosine similarities: a segment's
    own, or those gathered from the shards of a sharded index.
    """
    if len(units) == 0:
        return []
    scores = scores.copy()
    if s.fragment_penalty > 0 or s.heading_penalty > 0:
        factor = np.ones(len(units))
        factor[fragment[units]] *= 1.0 - s.fragment_penalty
        factor[heading[units]] *= 1.0 - s.heading_penalty
        scores = scores * factor
    # Order: score, then complete sentences before fragments of equal
    # score, then corpus order (the documented tie rule).
    order = np.lexsort((units, fragment[units], -scores))
    units, scores = units[order], scores[order]
    if not (s.near_duplicate < 1.0 or s.mmr_lambda < 1.0):
        return [(int(u), float(v), []) for u, v in zip(units[:k], scores[:k])]
    # Similarities are pairwise: bound them. Beyond the best MAX_RERANK
    # candidates (only reached with a very large k), passages follow in
    # rank order without near-duplicate checks, so k=10**9 costs what
    # the matches cost, never a matches x matches matrix.
    units, tail_units, tail_scores = units[:MAX_RERANK], units[MAX_RERANK:], scores[MAX_RERANK:]
    scores = scores[:MAX_RERANK]
    if s.mmr_lambda >= 1.0:
        picked = _first_distinct(s, units, scores, k, similarities)
    else:
        picked = _mmr(s, units, scores, k, similarities)
    room = k - len(picked)
    return picked + [(int(u), float(v), []) for u, v in zip(tail_units[:room], tail_scores[:room])]


def _first_distinct(s: Settings, units: np.ndarray, scores: np.ndarray, k: int,
                    similarities: Callable[[np.ndarray], np.ndarray]) -> Selection:
    """The best ``k`` units in rank order, each lower one that is a
    near-duplicate of a chosen one dropped (and remembered).

    Similarities are computed for a prefix of the candidates that grows
    only while duplicates are being dropped: usually about ``k`` of them.
    """
    size = min(len(units), 2 * k + 4)
    while True:
        sims = similarities(units[:size])
        chosen: list[int] = []
        dropped: dict[int, list[int]] = {}
        i = 0
        while i < size and len(chosen) < k:
            dup_of = next((c for c in chosen if sims[i, c] >= s.near_duplicate), None)
            if dup_of is not None:
                dropped.setdefault(dup_of, []).append(int(units[i]))
            else:
                chosen.append(i)
            i += 1
        if len(chosen) >= k or size >= len(units):
            return [(int(units[c]), float(scores[c]), dropped.get(c, [])) for c in chosen]
        size = min(len(units), 2 * size)


def _mmr(s: Settings, units: np.ndarray, scores: np.ndarray, k: int,
         similarities: Callable[[np.ndarray], np.ndarray]) -> Selection:
    """Maximal marginal relevance over all candidates, with near-duplicates dropped."""
    sims = similarities(units)
    chosen: list[int] = []
    dropped: dict[int, list[int]] = {}
    remaining = list(range(len(units)))
    top = scores[0] if scores[0] > 0 else 1.0
    while remaining and len(chosen) < k:
        if s.mmr_lambda < 1.0 and chosen:
            rel = scores[remaining] / top
            red = sims[np.ix_(remaining, chosen)].max(axis=1)
            mmr = s.mmr_lambda * rel - (1.0 - s.mmr_lambda) * red
            pick = remaining[int(np.argmax(mmr))]  # argmax: first of equals = better ranked
        else:
            pick = remaining[0]
        remaining.remove(pick)
        dup_of = next((c for c in chosen if sims[pick, c] >= s.near_duplicate), None)
        if dup_of is not None:
            dropped.setdefault(dup_of, []).append(int(units[pick]))
            continue
        chosen.append(pick)
    return [(int(units[c]), float(scores[c]), dropped.get(c, [])) for c in chosen]


class Composer:
    """Selects distinct passages among candidates and composes answers."""

    def __init__(self, table: PassageTable, index: TermIndex, settings: Settings, analyzer: Analyzer,
                 expander: Expander | None) -> None:
        self.table = table
        self.index = index
        self.settings = settings
        self.analyzer = analyzer
        self.expander = expander
        self._max_idf = float(index.idf_.max()) if len(index.idf_) else 1.0

    def candidates(self, k: int) -> int:
        """How many ranked units selection needs to return ``k``."""
        return candidate_count(self.settings, k)

    def idf(self, term: str) -> float:
        """A term's idf (a term unknown to the corpus weighs as the rarest)."""
        t = self.index.vocabulary_.get(term)
        return self._max_idf if t is None else float(self.index.idf_[t])

    def proximity(self, terms: Sequence[str], texts: Sequence[str]) -> np.ndarray:
        """The term proximity bonus of candidates given by their texts (re-analysed: candidates only)."""
        s = self.settings
        if s.proximity_weight <= 0 or len(texts) == 0 or len(terms) < 2:
            return np.zeros(len(texts))
        return proximity_bonus(terms, [self.analyzer(t) for t in texts], self.idf, s.proximity_window,
                               s.proximity_weight)

    def select(self, units: np.ndarray, scores: np.ndarray, k: int, terms: Sequence[str] = ()) -> Selection:
        """Choose up to ``k`` distinct units from ranked candidates (``terms``: the
        question's analysed terms, for the proximity bonus)."""
        table = self.table
        if self.settings.proximity_weight > 0 and len(terms) > 1:
            scores = scores + self.proximity(terms, [table.unit_text(int(u)) for u in units])
        return select(self.settings, units, scores, k, table.unit_fragment, table.unit_heading, self._similarities)

    def _similarities(self, units: np.ndarray) -> np.ndarray:
        """Cosine similarities between the candidates' unit vectors."""
        return similarities(*self.index.forward_arrays(), units)

    def answer(self, question: str, terms: Sequence[str], picked: Selection, docs: np.ndarray | None = None
               ) -> Answer:
        """The :class:`Answer` for selected units; with a document mask (a
        filter), each passage is shown at its first place in a passing document."""
        table = self.table
        units = [u for u, _, _ in picked]
        shown = table.shown([table.first_occ_in(u, docs) for u in units])
        sources = table.sources_of(units)
        passages = []
        for rank, ((u, score, ds), place, srcs) in enumerate(zip(picked, shown, sources), start=1):
            near_duplicates = tuple(table.source(o) for o in table.unit_first_occ[ds].tolist()) if ds else ()
            passages.append(self._passage(u, place, rank=rank, score=score, near_duplicates=near_duplicates,
                                          sources=srcs))
        seen = self.seen_terms(table.first_occ_in(picked[0][0], docs)) if picked else set()
        return self.compose(question, terms, passages, seen)

    def passage(self, u: int, docs: np.ndarray | None, *, rank: int, score: float,
                near_duplicates: tuple[Source, ...], sources: tuple[Source, ...]) -> Passage:
        """Unit ``u`` shown at its first place (in a passing document, with a filter)."""
        place = self.table.shown([self.table.first_occ_in(u, docs)])[0]
        return self._passage(u, place, rank=rank, score=score, near_duplicates=near_duplicates, sources=sources)

    def _passage(self, u: int, place: tuple, *, rank: int, score: float, near_duplicates: tuple[Source, ...],
                 sources: tuple[Source, ...]) -> Passage:
        """The :class:`Passage` of unit ``u`` at ``place`` (from :meth:`PassageTable.shown`)."""
        table = self.table
        d, src, is_fragment, is_heading, context = place
        doc = table.documents[d]
        return Passage(
            text=doc.text[src.start:src.end], score=score, doc_id=src.doc_id, start=src.start, end=src.end,
            sources=sources, rank=rank, id=table.unit_id(u), is_fragment=is_fragment, is_heading=is_heading,
            near_duplicates=near_duplicates, context=context, is_code=doc.kind == "code",
            line=doc.line_at(src.start) if doc.line_map else None, metadata=doc.metadata,
        )

    def seen_terms(self, o: int) -> set[str]:
        """What a reader sees of occurrence ``o``: its terms, its heading's and the
        sentence before's, as index terms (the units' own terms: no re-analysis)."""
        table = self.table
        seen_units = [table.occ_unit[o]]
        h = table.occ_heading_of[o]
        if h >= 0 and h != o:
            seen_units.append(table.occ_unit[h])
        if o > 0 and table.occ_doc[o - 1] == table.occ_doc[o]:
            seen_units.append(table.occ_unit[o - 1])
        ptr, term_ids, _ = self.index.forward_arrays()
        terms_ = self.index.terms_
        return {terms_[t] for u in seen_units for t in term_ids[ptr[u]:ptr[u + 1]].tolist()}

    def compose(self, question: str, terms: Sequence[str], passages: list[Passage], seen: set[str]) -> Answer:
        """The answer from its passages and what a reader sees around the best one."""
        text, confidence = self._summary(question, terms, passages, seen)
        return Answer(question=question, passages=passages, terms=tuple(dict.fromkeys(terms)), text=text,
                      confidence=confidence, _highlight=make_highlighter(self.analyzer.term_of, terms))

    def _summary(self, question: str, terms: Sequence[str], passages: list[Passage], seen: set[str]
                 ) -> tuple[str, float]:
        """Extractive answer text with [n] citations, and a confidence in [0, 1].

        Confidence is the idf-weighted share of the question's terms that the
        best passage covers, with its heading and the sentence before it. A
        term is covered by itself, by a synonym (of it, or of a phrase it is
        part of), or, for the words that ask the question's type ("how
        long", "signs"), by that type's answer cues ("last", "minutes").
        Terms unknown to the corpus weigh as the rarest term. 1.0: every
        term is covered.
        """
        if not passages:
            return "", 0.0
        vocab, idf = self.index.vocabulary_, self.index.idf_
        max_idf = self._max_idf
        weights = {t: float(idf[vocab[t]]) if t in vocab else max_idf for t in dict.fromkeys(terms)}
        if self.expander is not None:
            covered = self.expander.covered(question, terms, seen)
        else:
            covered = seen.intersection(terms)
        total = sum(weights.values()) or 1.0
        confidence = sum(w for t, w in weights.items() if t in covered) / total
        top = passages[0].score
        prose = [p for p in passages if not p.is_code]  # code is cited, never pasted into the answer
        if not prose:
            return "", round(confidence, 4)
        parts = [f"{p.text} [{p.rank}]" for p in prose
                 if not p.is_fragment and not p.is_heading and p.score >= 0.5 * top][:3]
        if not parts:
            parts = [f"{prose[0].text} [{prose[0].rank}]"]
        return " ".join(parts), round(confidence, 4)
