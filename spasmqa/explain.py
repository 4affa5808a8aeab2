"""Why a passage got its score: each term's contribution, expansion, context, penalties.

:func:`explain` recomputes one passage's score for one question from the
reference scorer's definitions (:mod:`spasmqa.sparse_scorer`) and returns it
as parts that add up to ``passage.score``:

* one part per question term the passage contains: the question's weight
  of the term times the passage's weight of it (tf, idf and length
  normalisation, as the weighting defines them);
* one part per synonym group: the best member the passage contains;
* one part per intent cue word it contains;
* pseudo-relevance feedback, when enabled, as one part;
* context and the page field: in the passage's best place, part of the
  way towards its heading's or its antecedent's score (never past it),
  named by which, and its section's (title and heading path) field bonus;
* term proximity: the share of the question's adjacent term pairs that
  stand near each other in the passage;
* the heading and fragment penalties, as negative parts.

It also says what the near-duplicate step did: the places dropped from the
answer as near-duplicates of this passage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from .answer import Passage, Source
from .errors import InputError, InputTypeError

QA = Any  # a spasmqa.QA (not imported: the front imports this module)

__all__ = ["Explanation", "Part", "explain"]


@dataclass(frozen=True)
class Part:
    """One addend of a score: what it is, its value, and how it was computed."""

    kind: str
    label: str
    value: float
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "label": self.label, "value": self.value, "detail": self.detail}


@dataclass(frozen=True)
class Explanation:
    """A passage's score for a question, as parts that sum to it."""

    question: str
    passage: Source
    text: str
    score: float
    parts: tuple[Part, ...] = ()
    near_duplicates: tuple[Source, ...] = field(default=())

    @property
    def total(self) -> float:
        return float(sum(p.value for p in self.parts))

    def as_dict(self) -> dict[str, Any]:
        return {"question": self.question, "passage": self.passage.as_dict(), "text": self.text,
                "score": self.score, "total": self.total, "parts": [p.as_dict() for p in self.parts],
                "near_duplicates": [s.as_dict() for s in self.near_duplicates]}

    def __str__(self) -> str:
        lines = [f"{self.score:.4f}  {self.text}", f"        {self.passage.doc_id} "
                 f"[{self.passage.start}:{self.passage.end}]"]
        for p in self.parts:
            lines.append(f"  {p.value:+.4f}  {p.kind}: {p.label}" + (f"  ({p.detail})" if p.detail else ""))
        if self.near_duplicates:
            places = ", ".join(f"{s.doc_id} [{s.start}:{s.end}]" for s in self.near_duplicates)
            lines.append(f"  near-duplicates dropped from the answer: {places}")
        return "\n".join(lines)


def _value(row: sp.spmatrix | None, u: int) -> float:
    return 0.0 if row is None else float(sp.csr_matrix(row)[0, u])


def _unit_of(qa: QA, passage: Passage | Source) -> tuple[int, int]:
    """(unit, occurrence) of a passage or place."""
    if not isinstance(passage, (Passage, Source)):
        raise InputTypeError(f"expected a Passage or Source, got {type(passage).__name__}")
    table = qa.table_
    d = table._doc_number.get(passage.doc_id)
    occs = np.flatnonzero(table.occ_doc == d) if d is not None else np.zeros(0, int)
    here = occs[(table.occ_start[occs] == passage.start) & (table.occ_end[occs] == passage.end)]
    if len(here) == 0:
        raise InputError(f"no passage at {passage.doc_id} [{passage.start}:{passage.end}] in this index")
    o = int(here[0])
    return int(table.occ_unit[o]), o


def _term_detail(qa: QA, t: int, u: int) -> str:
    index = qa.index_
    tf: Any = int(index.counts_[t, u])
    expanded = getattr(index, "expanded_counts_", None)
    if expanded is not None and float(expanded[t, u]) > tf:
        tf = f"{tf} + {float(expanded[t, u]) - tf:.3f} from its {index.neighbours} nearest units (document expansion)"
    idf = float(index.idf_[t])
    if index.weighting == "bm25":
        return (f"tf={tf}, idf={idf:.3f}, length={index.unit_length_[u]:.0f} (average "
                f"{index.stats_.avgdl:.1f}), k1={index.k1:g}, b={index.b:g}")
    return f"tf={tf}, idf={idf:.3f}, length-normalised (pivot slope {index.pivot_slope:g})"


def _context_part(qa: QA, scorer: Any, terms: Any, base: np.ndarray, u: int) -> list[Part]:
    """The unit's best place's context bonus, named by what it came from, and its field bonus there."""
    places = scorer.places
    mine = np.flatnonzero(places.target == u)
    ctx = places.bonuses(mine, base.__getitem__)
    units = np.asarray([u], dtype=np.int64) if base[u] > 0 else np.zeros(0, np.int64)
    field = scorer.field_places(terms, units)
    total: dict[int, float] = {}
    for got in (ctx, field):
        for o, b in zip(got.occ.tolist(), got.bonus.tolist()):
            total[o] = total.get(o, 0.0) + b
    if not total:
        return []
    best = max(total.values())
    o = min(x for x, b in total.items() if b == best)  # the best place, first in corpus order among equals
    where = qa.table_.source(o)
    at = f"in {where.doc_id} [{where.start}:{where.end}]"
    parts = []
    s = qa.settings
    if o in ctx.occ:
        i = int(np.flatnonzero(ctx.occ == o)[0])
        place = int(np.flatnonzero(places.occ == o)[0])
        h, a = int(places.heading[place]), int(places.antecedent[place])
        hs = float(base[h]) if h >= 0 else 0.0
        as_ = float(base[a]) if a >= 0 else 0.0
        if places.heading_weight * hs >= places.anaphora_weight * (as_ - base[u]):
            parts.append(Part("heading context", "share of the heading's score", float(ctx.bonus[i]),
                              f"{s.heading_weight:g} × the score of the heading above it ({hs:.4f}), {at}"))
        else:
            parts.append(Part("reference-back context", "towards the sentence it refers to", float(ctx.bonus[i]),
                              f"{s.anaphora_weight:g} of the way to the antecedent's score ({as_:.4f}), {at}"))
    if o in field.occ:
        i = int(np.flatnonzero(field.occ == o)[0])
        labels = scorer.sections.labels[int(scorer.sections.occ_section[o])]
        parts.append(Part("page field", " › ".join(labels), float(field.bonus[i]),
                          f"{s.title_weight:g} × the score of its title and heading path, {at}"))
    return parts


def explain(qa: QA, question: str, passage: Passage | Source) -> Explanation:
    """Explain ``passage``'s score for ``question`` (see the module docstring).

    Examples
    --------
    >>> import spasmqa
    >>> qa = spasmqa.QA.from_corpus()
    >>> p = qa.ask("what causes lower back spasms").passages[0]
    >>> e = qa.explain("what causes lower back spasms", p)
    >>> abs(e.total - p.score) < 1e-6
    True
    """
    from .validation import check_question

    question = check_question(question)
    u, o = _unit_of(qa, passage)
    scorer = qa.scorer_.reference
    index, s = scorer.index, qa.settings
    postings = index.postings_
    terms = qa.analyzer_(question)
    groups: Any = ()
    cues: Any = {}
    if scorer.expander is not None:
        groups, cues = scorer.expander.extra_terms(question, terms, index.vocabulary_)
    parts: list[Part] = []
    q = index.query_matrix([terms])
    for j in range(q.indptr[0], q.indptr[1]):
        t = int(q.indices[j])
        w = float(postings[t, u])
        if w:
            parts.append(Part("term", index.terms_[t], float(q.data[j]) * w,
                              f"question weight {float(q.data[j]):.3f} × passage weight {w:.3f}; "
                              + _term_detail(qa, t, u)))
    own = (q @ postings).tocsr()
    scores = scorer._with_feedback(q)
    feedback = _value(scores, u) - _value(own, u)
    if s.prf and abs(feedback) > 0:
        parts.append(Part("feedback", "pseudo-relevance feedback terms", feedback,
                          f"{s.prf_terms} terms of the top {s.prf_docs} passages"))
    if groups:
        syn = scorer._synonym_scores([terms], [groups])
        value = _value(syn, u)
        if value:
            names = "; ".join(" / ".join(" ".join(m) for m in g) for g in groups)
            parts.append(Part("synonyms", names, value, "per group, the best member the passage contains"))
        scores = (scores + syn).tocsr()
    if cues and (any(t in index.vocabulary_ for t in terms) or groups):
        cue_q = index.weigh_terms([cues], scorer._expansion_norms([terms], [cues]))
        for j in range(cue_q.indptr[0], cue_q.indptr[1]):
            t = int(cue_q.indices[j])
            w = float(postings[t, u])
            if w:
                parts.append(Part("intent cue", index.terms_[t], float(cue_q.data[j]) * w,
                                  f"cue of the question's type, weight {s.intent_weight:g}"))
        scores = (scores + cue_q @ postings).tocsr()
    pre = sp.csr_matrix(scores, dtype=np.float64)
    if pre.nnz:
        parts.extend(_context_part(qa, scorer, terms, pre.toarray().ravel(), u))
    table = qa.table_
    if s.proximity_weight > 0 and parts:
        close = float(qa.composer_.proximity(terms, [table.unit_text(u)])[0])
        if close > 0:
            parts.append(Part("proximity", "question words near each other", close,
                              f"{s.proximity_weight:g} × the idf-weighted share of the question's adjacent "
                              f"term pairs within {s.proximity_window} terms of each other"))
    raw = float(sum(p.value for p in parts))
    for flag, penalty, name in ((table.unit_heading[u], s.heading_penalty, "heading penalty"),
                                (table.unit_fragment[u], s.fragment_penalty, "fragment penalty")):
        if flag and penalty > 0:
            cut = -penalty * raw
            parts.append(Part("penalty", name, cut, f"a {'heading' if name.startswith('h') else 'fragment'} "
                                                   f"is lowered by {penalty:g}"))
            raw += cut
    near = passage.near_duplicates if isinstance(passage, Passage) else ()
    return Explanation(question=question, passage=table.source(o), text=table.text(o), score=raw,
                       parts=tuple(parts), near_duplicates=tuple(near))
