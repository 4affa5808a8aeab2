"""Every option that shapes an index or an answer: its default, its rule, its phase.

Options are of two phases. *Index-time* options (:data:`INDEX_OPTIONS`:
how documents are split into units and analysed into terms) are fixed when
an index is built; changing one means rebuilding. *Query-time* options
(everything else: weighting parameters, expansion, context, selection) can
be changed on a built or loaded index with :meth:`spasmqa.QA.with_settings`,
``QA.load(path, **options)`` or ``spasmqa ask --index X --set NAME=VALUE``.

Each option's rule (type, range, choices) is declared once, in
:data:`RULES`; :class:`Settings` and the components that take the same
parameters (:class:`~spasmqa.Analyzer`, :class:`~spasmqa.TermIndex`) check
values with :func:`check_option`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

from .errors import InputError, InputTypeError

__all__ = ["INDEX_OPTIONS", "RULES", "STEMMERS", "TOKENIZERS", "Params", "Settings", "check_option"]

Unit = Literal["passage", "document"]

#: Stemmer names (``True`` means the first); see :class:`spasmqa.Analyzer`.
#: "snowball" is the Snowball project's English (Porter2) stemmer in C
#: (PyStemmer); "nltk-snowball" is nltk's Python implementation, which
#: indexes of format 2 and older were built with; "-y" adds spasmqa's
#: y-merging rule.
STEMMERS = ("snowball-y", "snowball", "nltk-snowball-y", "nltk-snowball")

#: Tokenizer names; see :class:`spasmqa.Analyzer`. "words" is the rule every
#: index was built with before there was a choice; "technical" also keeps
#: names ("C++", ".NET") and identifiers ("CMAKE_BUILD_TYPE") whole.
TOKENIZERS = ("words", "technical")


@dataclass(frozen=True)
class Rule:
    """What values an option takes: ``kind`` is one of "choice", "bool",
    "number", "int", "table", "stem"; numbers lie in ``[lo, hi]``."""

    kind: str
    lo: float = 0.0
    hi: float = 0.0
    choices: tuple = ()


#: One rule per option. Upper bounds are generous but finite: an index is
#: untrusted input, and ``candidates=1e18`` must not reach an allocation.
RULES: dict[str, Rule] = {
    "unit": Rule("choice", choices=("passage", "document")),
    "split": Rule("choice", choices=("paragraph", "file")),
    "punkt": Rule("choice", choices=("default", "train")),
    "web_rules": Rule("bool"),
    "weighting": Rule("choice", choices=("tfidf", "bm25")),
    "k1": Rule("number", 0.0, 1000.0),
    "b": Rule("number", 0.0, 1.0),
    "sublinear_tf": Rule("bool"),
    "pivot_slope": Rule("number", 0.0, 1.0),
    "stop_words": Rule("choice", choices=("auto", "english", None)),
    "language": Rule("language"),
    "stem": Rule("stem"),
    "near_duplicate": Rule("number", 0.0, 1e6),
    "mmr_lambda": Rule("number", 0.0, 1.0),
    "fragment_penalty": Rule("number", 0.0, 1.0),
    "candidates": Rule("int", 1, 1_000_000),
    "prf": Rule("bool"),
    "prf_docs": Rule("int", 1, 100_000),
    "prf_terms": Rule("int", 1, 100_000),
    "prf_weight": Rule("number", 0.0, 1000.0),
    "synonyms": Rule("table", choices=("auto",)),
    "synonym_weight": Rule("number", 0.0, 1000.0),
    "intents": Rule("table"),
    "intent_weight": Rule("number", 0.0, 1000.0),
    "heading_weight": Rule("number", 0.0, 1.0),
    "heading_scope": Rule("int", 1, 10_000),
    "anaphora_weight": Rule("number", 0.0, 1.0),
    "heading_penalty": Rule("number", 0.0, 1.0),
    "title_boost": Rule("int", 1, 100),
    "tokenizer": Rule("choice", choices=("auto", *TOKENIZERS)),
    "title_weight": Rule("number", 0.0, 1000.0),
    "proximity_weight": Rule("number", 0.0, 1000.0),
    "proximity_window": Rule("int", 1, 1000),
    "neighbours": Rule("int", 0, 100),  # bounds the n_units x neighbours arrays of an untrusted index
    "neighbour_weight": Rule("number", 0.0, 1000.0),
}

#: Options fixed when an index is built (splitting and analysis).
INDEX_OPTIONS = frozenset({"unit", "split", "punkt", "web_rules", "stop_words", "stem", "title_boost", "language",
                           "tokenizer"})


class Params:
    """scikit-learn's parameter protocol for spasmqa's estimator-like objects.

    ``__init__`` stores its keyword arguments unchanged (validation happens
    where they are used), so ``sklearn.base.clone``, ``get_params`` and
    ``set_params`` work as for scikit-learn's own estimators.
    """

    @classmethod
    def _param_names(cls) -> list[str]:
        import inspect

        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.name != "self" and p.kind == p.KEYWORD_ONLY]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's parameters (``deep`` is accepted for scikit-learn; there are no nested estimators)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Any:
        """Set constructor parameters; an unknown name is an :class:`InputError`."""
        names = self._param_names()
        for name, value in params.items():
            if name not in names:
                raise InputError(f"unknown parameter {name!r} for {type(self).__name__}; valid: {', '.join(names)}")
            setattr(self, name, value)
        self._params_changed()
        return self

    def _params_changed(self) -> None:
        """Recompute what depends on the parameters (subclasses that cache it)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_params().items())})"


def check_option(name: str, value: Any) -> Any:
    """Validate one option against its rule; return it (``stem=True`` as its name).

    Raises
    ------
    InputTypeError
        The value has the wrong type (a string for a number, a bool for an int).
    InputError
        The value is out of range, not finite, or not one of the choices.
    """
    rule = RULES[name]
    if rule.kind == "choice":
        if value not in rule.choices or isinstance(value, bool):
            raise InputError(f"{name} must be one of {rule.choices}, got {value!r}")
    elif rule.kind == "bool":
        if not isinstance(value, bool):
            raise InputTypeError(f"{name} must be True or False, got {value!r}")
    elif rule.kind in ("number", "int"):
        is_int = isinstance(value, int) and not isinstance(value, bool)
        if rule.kind == "int" and not is_int:
            raise InputTypeError(f"{name} must be an integer, got {value!r}")
        if not (is_int or isinstance(value, float)):
            raise InputTypeError(f"{name} must be a number, got {value!r}")
        if not math.isfinite(value) or not rule.lo <= value <= rule.hi:
            raise InputError(f"{name} must be a finite number in [{rule.lo:g}, {rule.hi:g}], got {value!r}")
    elif rule.kind == "language":
        from .languages import language_name

        try:
            return language_name(value)
        except (TypeError, ValueError) as exc:
            raise InputError(f"language: {exc}") from None
    elif rule.kind == "stem":
        if value is True:
            return STEMMERS[0]  # stored by name, so a saved index stays exact
        if value is not False and value not in STEMMERS:
            raise InputError(f"stem must be True, False or one of {STEMMERS}, got {value!r}")
    elif rule.kind == "table":
        if isinstance(value, bool) or value in rule.choices:
            return value
        if not isinstance(value, str):
            raise InputTypeError(f"{name} must be True, False or a path to a table, got {value!r}")
        if not value.strip():
            raise InputError(f"{name} must be True, False{', ' + repr(rule.choices[0]) if rule.choices else ''} "
                             f"or a path to a table")
    return value


@dataclass(frozen=True)
class Settings:
    """Every option that shapes an index or an answer (stored with a saved index).

    Index-time options (see :data:`INDEX_OPTIONS`) are fixed when an index is
    built; all others can change on a built or loaded index.

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
    stop_words : "auto", "english" or None, default="auto"
        The function-word list of ``language`` (``"auto"``; for English
        spasmqa's own, see :mod:`spasmqa.analysis`), the English list, or none.
    stem : bool or {"snowball-y", "snowball", "nltk-snowball-y", "nltk-snowball"}, default=True
        Stemming (see :class:`spasmqa.Analyzer`): ``True`` is
        ``"snowball-y"``, Snowball (PyStemmer) with its "y" -> "i" trace
        dropped so that "injury" meets "injured"; ``"snowball"`` is plain
        Snowball; the ``nltk-`` names use nltk's implementation, as indexes
        saved before format 3 did.
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
    heading_weight : float in [0, 1], default=0.7
        Context: a passage also scores this fraction of the score of the
        heading it sits under, if that heading is at most ``heading_scope``
        (default 2) passages before it (a question heading followed by
        bullet answers).
    anaphora_weight : float in [0, 1], default=0.7
        Context: a passage opening with a reference back ("This muscle ...",
        "They can last ...") moves this fraction of the way towards the
        previous passage's score when that is higher (never past it, so
        documents ranked by their best sentence keep their scores).
        Fragments ("It.", "This is because the spasm.") inherit nothing.
        In one place a passage gains the larger of its heading and its
        antecedent bonus, never their sum; a passage found in many places
        gains its best place's bonus, never a sum over places
        (:mod:`spasmqa.context`).
    title_boost : int, default=1
        With ``unit="document"``, a document's title terms count this many
        times (the title is part of the text once already; 2 counts it
        twice), a simple form of field weighting.
    language : str, default="english"
        The corpus language, by Snowball name or ISO 639-1 code
        (``"german"``, ``"de"``; see :mod:`spasmqa.languages`): stemmer, stop
        words and, for languages other than English, Punkt trained on the
        corpus. The shipped synonym and intent tables are English and are
        used only for English.
    heading_penalty : float, default=0.3
        Fraction by which the score of a heading is lowered (headings name a
        topic; the sentences under them answer it).
    tokenizer : {"auto", "words", "technical"}, default="auto"
        How text is cut into tokens (see :class:`spasmqa.Analyzer`):
        ``"technical"`` also keeps names ("C++", "C#", ".NET") and
        identifiers ("CMAKE_BUILD_TYPE", "os.path.join") whole besides their
        parts; ``"words"`` is the rule of indexes built before this option.
        ``"auto"`` is ``"technical"`` when an index is built (and stored so);
        an index saved before the option existed has no value, read as
        ``"auto"``, and keeps ``"words"``, the rule its terms were made with.
    title_weight : float, default=0.35
        The page field (:mod:`spasmqa.fields`): a passage the question's own
        terms score also gains this many times the score of its section's
        text (the document title and the heading path at the passage), as a
        per-place bonus like context. Documents without a title or headings
        (plain text) have no field, nor have whole-document units (their text
        holds the title; see ``title_boost``). 0 turns it off.
    proximity_weight : float, default=0.0
        Term proximity (:mod:`spasmqa.proximity`): among the candidates, a
        passage gains this many times the idf-weighted share of the
        question's adjacent term pairs that occur within
        ``proximity_window`` terms of each other in it. 0 turns it off.
    proximity_window : int, default=3
        How many analysed terms apart a question's adjacent pair may be (in
        either order) and still count as near.
    neighbours : int, default=0
        Document expansion (cluster smoothing; :func:`spasmqa.weighting.neighbour_counts`):
        each unit's term counts gain, at ``neighbour_weight`` times its own
        length, the term distribution of its ``neighbours`` most similar
        units (cosine of tf-idf vectors), so a unit also matches words its
        close neighbours use. BM25's lengths and every idf stay those of the
        units' own text (TF-IDF normalises the expanded vector). Meant for
        whole documents (``unit="document"``): on BEIR SciFact, chosen on the
        train split, ``weighting="bm25", title_boost=2, neighbours=10``
        gives nDCG@10 0.703 on test (0.689 without). Finding neighbours
        compares every unit with every other, when the weights are computed
        (a build, a load, a change of weighting): quadratic, so refused
        beyond 100,000 units and for sharded indexes. 0 turns it off.
    neighbour_weight : float, default=0.75
        The weight of the neighbours' terms (see ``neighbours``).
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
    stop_words: str | None = "auto"
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
    language: str = "english"
    tokenizer: str = "auto"
    title_weight: float = 0.35
    proximity_weight: float = 0.0
    proximity_window: int = 3
    neighbours: int = 0
    neighbour_weight: float = 0.75

    def __post_init__(self) -> None:
        for f in fields(self):
            value = check_option(f.name, getattr(self, f.name))
            if value is not getattr(self, f.name):
                object.__setattr__(self, f.name, value)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Settings:
        """Settings from a mapping of option names to values (unknown names are an error)."""
        if not isinstance(options, Mapping):
            raise InputTypeError(f"settings must be a mapping of option names to values, got {type(options).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in set(options) - known)
        if unknown:
            raise InputTypeError(f"unknown option(s) {', '.join(unknown)}; valid options: {', '.join(sorted(known))}")
        return cls(**options)

    def with_query_options(self, options: Mapping[str, Any]) -> Settings:
        """A copy with query-time options changed.

        Raises :class:`InputError` naming any index-time option in
        ``options`` whose value differs from this index's (changing one
        needs a rebuild).
        """
        fixed = sorted(n for n in options if n in INDEX_OPTIONS and check_option(n, options[n]) != getattr(self, n))
        if fixed:
            raise InputError(
                f"{', '.join(fixed)} {'is an index-time option' if len(fixed) == 1 else 'are index-time options'}: "
                f"it cannot change on a built index; rebuild with the new value")
        Settings.from_options(options)  # names and values checked before the copy
        return replace(self, **options)

    def index_options(self) -> dict[str, Any]:
        """The index-time options (what a rebuild would need)."""
        return {n: v for n, v in self.as_dict().items() if n in INDEX_OPTIONS}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
