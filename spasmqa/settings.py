"""Every option that shapes an index or an answer, validated up front."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from .analysis import STEMMERS

__all__ = ["Settings"]

Unit = Literal["passage", "document"]


@dataclass(frozen=True)
class Settings:
    """Every option that shapes an index or an answer (stored with a saved index).

    Parameters
    ----------
    unit : {"passage", "document"}, default="passage"
        What is indexed and returned: sentence passages, or whole documents
        (for collections judged per document, such as BEIR).
    split : {"paragraph", "file"}, default="paragraph"
        How ``.txt``/``.md`` files become documents (see :func:`load_corpus`).
    punkt : {"default", "train"}, default="default"
        Punkt's built-in parameters, or parameters trained on the corpus.
    web_rules : bool, default=True
        Bullet, dash, heading and enumerator rules on top of Punkt.
    weighting : {"tfidf", "bm25"}, default="tfidf"
    k1, b : float
        BM25 parameters.
    sublinear_tf : bool, default=True
        TF-IDF with ``1 + log(tf)`` (chosen on SciFact's train split: nDCG@10
        0.612 -> 0.681).
    pivot_slope : float, default=0.5
        TF-IDF length normalisation: 1.0 is cosine (scikit-learn's); lower is
        pivoted normalisation (see :class:`spasmqa.TermIndex`). 0.5 was best
        on SciFact's train split (0.681 -> 0.695) and also helps sentence
        passages, where cosine favours two-word headings.
    stop_words : "english" or None, default="english"
        spasmqa's function-word list (see :mod:`spasmqa.analysis`) or none.
    stem : bool or {"snowball-y", "snowball"}, default=True
        Stemming (see :class:`spasmqa.Analyzer`): ``True`` is
        ``"snowball-y"``, Snowball with its "y" -> "i" trace dropped so that
        "injury" meets "injured"; ``"snowball"`` is plain Snowball.
    near_duplicate : float, default=0.8
        Cosine similarity (between unit term vectors) at or above which a
        lower-ranked passage counts as a near-duplicate of a higher one and is
        dropped from the answer (its place is kept in ``near_duplicates``).
        ``1.0`` or more disables it.
    mmr_lambda : float, default=1.0
        Maximal marginal relevance: the trade-off between relevance (1.0,
        plain ranking) and novelty against passages already chosen.
    fragment_penalty : float, default=0.0
        Fraction by which the score of a fragment passage is lowered.
    candidates : int, default=50
        How many top units to consider before de-duplication (at least k).
    prf : bool, default=False
        Pseudo-relevance feedback (Rocchio): after a first retrieval, the
        ``prf_terms`` heaviest terms of the centroid of the top ``prf_docs``
        units' (L2-normalised) vectors are added to the question with weight
        ``prf_weight`` relative to the question's own vector, and the
        question is scored again. Vectorised: two sparse products per batch.
    synonyms : bool, "auto" or str, default="auto"
        Expand questions with the synonym table shipped with spasmqa
        (``True``; lay and medical words for back problems) or with a table
        of the same format at the given path. ``"auto"`` uses the shipped
        table only for the default corpus, whose domain it was written for
        (on SciFact it lowered nDCG@10). A question word the corpus never
        uses is replaced by its synonyms; one it uses is supplemented by
        them at ``synonym_weight`` times its weight. Phrases ("lower back")
        trigger as a whole, and a group counts once per passage: its best
        member, not the sum.
    intents : bool or str, default=True
        Recognise the question's type (cause, treatment, prevention,
        duration, symptom, severity, location, when, definition) with the shipped (or
        given) intent table and add that type's answer cue words ("results
        from", "due to" for causes) with weight ``intent_weight``.
    heading_weight : float, default=0.7
        Context: a passage also scores this fraction of the score of the
        heading it sits under, if that heading is at most ``heading_scope``
        (default 2) passages before it (a question heading followed by
        bullet answers).
    anaphora_weight : float, default=0.7
        Context: a passage opening with a reference back ("This muscle ...",
        "They can last ...") moves this fraction of the way towards the
        previous passage's score when that is higher (never past it, so
        documents ranked by their best sentence keep their scores).
        Fragments ("It.", "This is because the spasm.") inherit nothing.
    title_boost : int, default=1
        With ``unit="document"``, a document's title terms count this many
        times (the title is part of the text once already; 2 counts it
        twice), a simple form of field weighting.
    heading_penalty : float, default=0.3
        Fraction by which the score of a heading is lowered (headings name a
        topic; the sentences under them answer it).
    """

    unit: Unit = "passage"
    split: Literal["paragraph", "file"] = "paragraph"
    punkt: Literal["default", "train"] = "default"
    web_rules: bool = True
    weighting: Literal["tfidf", "bm25"] = "tfidf"
    k1: float = 1.2
    b: float = 0.75
    sublinear_tf: bool = True
    pivot_slope: float = 0.5
    stop_words: str | None = "english"
    stem: bool | str = True
    near_duplicate: float = 0.8
    mmr_lambda: float = 1.0
    fragment_penalty: float = 0.0
    candidates: int = 50
    prf: bool = False
    prf_docs: int = 10
    prf_terms: int = 20
    prf_weight: float = 0.5
    synonyms: bool | str = "auto"
    synonym_weight: float = 0.5
    intents: bool | str = True
    intent_weight: float = 0.5
    heading_weight: float = 0.7
    heading_scope: int = 2
    anaphora_weight: float = 0.7
    heading_penalty: float = 0.3
    title_boost: int = 1

    def __post_init__(self) -> None:
        choices = {"unit": ("passage", "document"), "split": ("paragraph", "file"), "punkt": ("default", "train"),
                   "weighting": ("tfidf", "bm25"), "stop_words": ("english", None)}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        for name, lo, hi in (("near_duplicate", 0.0, float("inf")), ("mmr_lambda", 0.0, 1.0),
                             ("fragment_penalty", 0.0, 1.0), ("b", 0.0, 1.0), ("pivot_slope", 0.0, 1.0), ("k1", 0.0, float("inf"))):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
                raise ValueError(f"{name} must be a number in [{lo}, {hi}], got {v!r}")
        for name in ("candidates", "prf_docs", "prf_terms", "heading_scope", "title_boost"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        for name in ("prf_weight", "synonym_weight", "intent_weight", "heading_weight", "anaphora_weight",
                     "heading_penalty"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                raise ValueError(f"{name} must be a number >= 0, got {v!r}")
        if self.stem is True:
            object.__setattr__(self, "stem", STEMMERS[0])  # stored by name, so a saved index stays exact
        if self.stem is not False and self.stem not in STEMMERS:
            raise ValueError(f"stem must be True, False or one of {STEMMERS}, got {self.stem!r}")
        if self.heading_penalty > 1:
            raise ValueError(f"heading_penalty must be in [0, 1], got {self.heading_penalty!r}")
        if isinstance(self.synonyms, str) and self.synonyms != "auto" and not self.synonyms.strip():
            raise ValueError("synonyms must be True, False, 'auto' or a path to a table")
        for name in ("synonyms", "intents"):
            if not isinstance(getattr(self, name), (bool, str)):
                raise TypeError(f"{name} must be True, False or a path to a table, got {getattr(self, name)!r}")

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Settings:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(f"unknown option(s) {', '.join(unknown)}; valid options: {', '.join(sorted(known))}")
        return cls(**options)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
