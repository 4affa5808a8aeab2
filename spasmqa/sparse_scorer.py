"""The reference scorer: blocks of questions as sparse products.

:class:`SparseScorer` is made from a :class:`~spasmqa.build.Segment` and the
query-time settings. It turns a block of analysed questions into sparse score
rows ``(n_questions, n_units)``, in this order:

1. the question's own terms against the postings;
2. pseudo-relevance feedback, if enabled;
3. synonym groups (per group, the best member a unit matches);
4. intent cues, only for questions whose own terms matched something;
5. context flow and the page field, per place: a unit inherits from the
   heading above it and moves towards the sentence it refers back to, and a
   unit the question scored gains its section's (title and heading path)
   score; a unit gains its best place's total.

Everything is a sparse product over a block of questions; nothing loops over
units in Python. It is the readable definition of a score: the fast path
(:class:`spasmqa.scorer.Scorer`) must agree with it (oracle-tested), and it
serves what the fast path does not do itself (pseudo-relevance feedback).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from .build import Segment
from .context import ContextPlaces, PlaceScores, best_per_unit
from .expansion import Expander
from .fields import Sections, combine_places
from .index import QUERY_BLOCK
from .settings import Settings
from .topk import top_k_rows

__all__ = ["SparseScorer"]

Groups = Sequence[Sequence[Mapping[str, float]]]


class SparseScorer:
    """Scores blocks of analysed questions against one segment under query-time settings."""

    def __init__(self, segment: Segment, settings: Settings, expander: Expander | None,
                 sections: Sections | None = None) -> None:
        self.segment = segment
        self.index = segment.index
        self.settings = settings
        self.expander = expander
        self.places = ContextPlaces(segment.table, settings.heading_weight, settings.anaphora_weight,
                                    settings.heading_scope)
        use = sections is not None and len(sections) > 0 and settings.title_weight > 0
        self.sections = sections if use else None

    def field_places(self, terms: Sequence[str], units: np.ndarray, doc_mask: np.ndarray | None = None
                     ) -> PlaceScores:
        """The page field's bonus at each place of ``units`` (those the question scored)."""
        if self.sections is None:
            return PlaceScores(units[:0], units[:0], np.zeros(0))
        return self.sections.places(self.segment.table, units, self.sections.scores(terms),
                                    self.settings.title_weight, doc_mask)

    def _all_places(self, terms: Sequence[str], base: np.ndarray, doc_mask: np.ndarray | None) -> PlaceScores:
        """Every place's bonus (context plus field) for one question's own scores ``base``."""
        got = self.places.bonuses(np.arange(len(self.places)), base.__getitem__, doc_mask)
        if self.sections is None:
            return got
        return combine_places(got, self.field_places(terms, np.flatnonzero(base > 0), doc_mask))

    def score(self, terms: Sequence[Sequence[str]], questions: Sequence[str] | None = None,
              doc_mask: np.ndarray | None = None, *, context: bool = True) -> sp.csr_matrix:
        """Sparse scores ``(n_questions, n_units)`` for analysed questions.

        Applies, as configured: synonym and intent expansion (needs the
        question texts), pseudo-relevance feedback, and context flow (from
        places in documents ``doc_mask`` passes, if given).
        """
        index = self.index
        groups = cues = None
        if self.expander is not None and questions is not None:
            vocab = index.vocabulary_
            groups, cues = zip(*[self.expander.extra_terms(qt, t, vocab) for qt, t in zip(questions, terms)])
        scores = self._with_feedback(index.query_matrix(terms))
        if groups is not None and any(groups):
            scores = (scores + self._synonym_scores(terms, groups)).tocsr()
        if cues is not None and any(cues):
            # Intent cues never make an answer on their own: they count only
            # for questions whose own terms (or synonyms) match something in
            # the collection (a known term: every term has postings in some
            # shard). Within such a question they may lift a passage that
            # states the asked-for relation ("results from") without
            # repeating the words.
            cue_q = index.weigh_terms(cues, self._expansion_norms(terms, cues))
            vocab = index.vocabulary_
            answered = np.asarray([any(t in vocab for t in ts) or bool(g)
                                   for ts, g in zip(terms, groups or [()] * len(terms))], dtype=np.float64)
            scores = (scores + sp.diags(answered) @ (cue_q @ index.postings_)).tocsr()
        if context and scores.nnz and (len(self.places) or self.sections is not None):
            scores = self._context_flow(terms, scores, doc_mask)
        return scores

    def _expansion_norms(self, terms: Sequence[Sequence[str]], extra: Sequence[Mapping[str, float]]) -> np.ndarray:
        """What expansion terms are divided by: the question's own norm, or
        (for a question with no known term of its own, "physio") the
        expansion's own norm, so it stands in for the question."""
        index = self.index
        norms = index.query_norms(terms)
        if index.weighting != "tfidf" or not index.vocabulary_:
            return norms
        e = index.weigh_terms(extra, np.ones(len(extra)), dtype=np.float64)
        e_norms = np.sqrt(np.asarray(e.multiply(e).sum(axis=1)).ravel())
        norms = np.where(norms > 0, norms, e_norms)
        norms[norms == 0] = 1.0
        return norms

    def _context_flow(self, terms: Sequence[Sequence[str]], scores: sp.csr_matrix, doc_mask: np.ndarray | None
                      ) -> sp.csr_matrix:
        """Add what units gain from their best place (see :mod:`spasmqa.context`
        and :mod:`spasmqa.fields`).

        In each place a unit moves part of the way towards the better of its
        heading's and its antecedent's own score, never past it, plus its
        section's field bonus; a unit gains its best place's bonus.
        """
        rows = []
        for i in range(scores.shape[0]):
            base = scores[i].toarray().ravel().astype(np.float64)
            got = self._all_places(terms[i], base, doc_mask)
            units, best = best_per_unit(got.unit, got.bonus)
            base[units] += best
            rows.append(sp.csr_matrix(base))
        return sp.csr_matrix(sp.vstack(rows, format="csr"))

    def place_scores(self, terms: Sequence[str], question: str | None, doc_mask: np.ndarray | None = None
                     ) -> tuple[np.ndarray, PlaceScores]:
        """Every unit's own score (dense, before context) and the bonus of each place, for one question."""
        pre = self.score([terms], None if question is None else [question], doc_mask, context=False)
        base = pre.toarray().ravel().astype(np.float64)
        return base, self._all_places(terms, base, doc_mask)

    def _synonym_scores(self, terms: Sequence[Sequence[str]], groups: Sequence[Groups]) -> sp.csr_matrix:
        """Scores from synonym groups: per group, the best member a unit matches.

        A group stands for one question word, so a passage naming three
        synonyms of it ("contraction, twinge or seizure") scores as one that
        names the best of them, not three times as much. One row per
        (question, group, member) is scored in a single product; rows are
        then reduced by maximum within each group and summed per question.
        """
        index = self.index
        n_q, n_units = len(terms), index.n_units
        union: list[dict[str, float]] = []
        for gs in groups:
            u: dict[str, float] = {}
            for g in gs:
                for m in g:
                    for t, w in m.items():
                        u[t] = max(u.get(t, 0.0), w)
            union.append(u)
        q_norms = self._expansion_norms(terms, union)  # each question's scale, as for its own terms
        member_rows: list[Mapping[str, float]] = []
        row_norm: list[float] = []
        row_group: list[int] = []
        group_question: list[int] = []
        for qi, gs in enumerate(groups):
            for g in gs:
                for m in g:
                    member_rows.append(m)
                    row_norm.append(q_norms[qi])
                    row_group.append(len(group_question))
                group_question.append(qi)
        if not member_rows:
            return sp.csr_matrix((n_q, n_units))
        m = (index.weigh_terms(member_rows, np.asarray(row_norm)) @ index.postings_).tocoo()
        if m.nnz == 0:
            return sp.csr_matrix((n_q, n_units))
        key = np.asarray(row_group, dtype=np.int64)[m.row] * n_units + m.col
        order = np.argsort(key, kind="stable")
        key, data = key[order], m.data[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        best = np.maximum.reduceat(data, starts)
        key = key[starts]
        rows = np.asarray(group_question)[key // n_units]
        # (question, unit) entries from different groups are summed.
        return sp.csr_matrix((best, (rows, key % n_units)), shape=(n_q, n_units))

    def _with_feedback(self, q: sp.csr_matrix) -> sp.csr_matrix:
        """Scores of question vectors, with pseudo-relevance feedback if enabled (Rocchio)."""
        index, s = self.index, self.settings
        scores = (q @ index.postings_).tocsr()
        if not s.prf or scores.nnz == 0:
            return scores
        # Feedback units: the top prf_docs of each question, equally weighted.
        top = top_k_rows(scores, s.prf_docs)
        fb_rows = np.repeat(np.arange(len(top)), [len(units) for units, _ in top])
        fb_cols = np.concatenate([units for units, _ in top])
        fb = sp.csr_matrix((np.ones(len(fb_rows)), (fb_rows, fb_cols)), shape=scores.shape)
        centroid = (fb @ index.forward()).tocsr()
        keep = top_k_rows(centroid, s.prf_terms)
        rows = np.repeat(np.arange(len(keep)), [len(c) for c, _ in keep])
        cols = np.concatenate([c for c, _ in keep]) if keep else np.zeros(0, int)
        vals = np.concatenate([v for _, v in keep]) if keep else np.zeros(0)
        expansion = sp.csr_matrix((vals, (rows, cols)), shape=q.shape)
        # Scale the expansion to prf_weight times each question's own norm,
        # so the question's terms keep their weight and scores stay comparable.
        q_norm = np.sqrt(np.asarray(q.multiply(q).sum(axis=1)).ravel())
        e_norm = np.sqrt(np.asarray(expansion.multiply(expansion).sum(axis=1)).ravel())
        factor = np.divide(s.prf_weight * q_norm, e_norm, out=np.zeros_like(q_norm), where=e_norm > 0)
        expanded = (q + sp.diags(factor) @ expansion).astype(index.postings_.dtype)
        return (expanded @ index.postings_).tocsr()

    def score_blocks(self, terms: Sequence[Sequence[str]], questions: Sequence[str]
                     ) -> Iterator[tuple[int, sp.csr_matrix]]:
        """(offset, scores) per block of questions; blocks bound the score matrix's size."""
        for lo in range(0, len(terms), QUERY_BLOCK):
            yield lo, self.score(terms[lo:lo + QUERY_BLOCK], questions[lo:lo + QUERY_BLOCK])

    def retrieve(self, terms: Sequence[Sequence[str]], questions: Sequence[str], k: int
                 ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Top ``k`` (units, scores) per question."""
        return [hit for _, scores in self.score_blocks(terms, questions) for hit in top_k_rows(scores, k)]
