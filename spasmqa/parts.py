"""What a :class:`~spasmqa.QA` is assembled from: settings made explicit, and the
query-time parts (scorer, composer) derived from a segment and the settings."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from .analysis import Analyzer
from .build import Segment
from .compose import Composer
from .corpus import Corpus
from .errors import InputError
from .expansion import Expander, Tables
from .index import TermIndex
from .parallel import IndexOptions
from .passages import SentenceSplitter
from .resources import default_corpus_path
from .scorer import Scorer
from .settings import Settings

__all__ = [
    "Parts", "analyzer_for", "expander_for", "field_analyzer", "index_options", "is_default_corpus", "resolve_settings",
    "resolve_settings_for", "term_index",
    "weighting_of",
]


def _resolve_auto(settings: Settings, only_default_corpus: bool) -> Settings:
    """What ``"auto"`` and the language imply, made explicit (and stored with an index).

    ``synonyms="auto"``: the shipped table for the default corpus only. The
    shipped synonym and intent tables are English: for other languages only
    tables the user names are used. Punkt ships no parameters offline, so for
    languages other than English it is trained on the corpus.
    """
    changes: dict[str, Any] = {}
    english = settings.language == "english"
    if settings.synonyms == "auto":
        changes["synonyms"] = english and only_default_corpus
    if not english and settings.intents is True:
        changes["intents"] = False
    if not english and settings.synonyms is True:
        changes["synonyms"] = False
    return replace(settings, **changes) if changes else settings


def _resolve_punkt(settings: Settings) -> Settings:
    return replace(settings, punkt="train") if settings.language != "english" else settings


def _resolve_tokenizer(settings: Settings) -> Settings:
    """A new index gets the technical tokenizer; the choice is stored with it."""
    return replace(settings, tokenizer="technical") if settings.tokenizer == "auto" else settings


def is_default_corpus(corpus: Corpus) -> bool:
    """Whether every document of a non-empty ``corpus`` comes from the shipped default corpus."""
    default = str(default_corpus_path())
    return len(corpus) > 0 and all(d.path == default for d in corpus.values())


def resolve_settings(settings: Settings, corpus: Corpus, *, building: bool) -> Settings:
    """Settings with what "auto" and the language imply made explicit."""
    return resolve_settings_for(settings, only_default_corpus=is_default_corpus(corpus), building=building)


def resolve_settings_for(settings: Settings, *, only_default_corpus: bool, building: bool) -> Settings:
    """:func:`resolve_settings` given only whether the corpus is the default one (all it uses of it)."""
    settings = _resolve_auto(settings, only_default_corpus)
    return _resolve_tokenizer(_resolve_punkt(settings)) if building else settings


def index_options(settings: Settings, splitter: SentenceSplitter) -> IndexOptions:
    """What a parallel or sharded build's map needs: the index-time options of built settings."""
    return IndexOptions(unit=settings.unit, title_boost=settings.title_boost, stop_words=settings.stop_words,
                        stem=settings.stem, splitter=splitter, language=settings.language,
                        tokenizer=analyzer_for(settings).tokenizer)


def field_analyzer(settings: Settings) -> Analyzer:
    """The analyzer of the page field (titles, headings): words only, so a page
    named ``add_test`` is the page of "add a test" (an identifier's whole
    term would only dilute a short title's vector)."""
    return analyzer_for(replace(settings, tokenizer="words"))


def analyzer_for(settings: Settings) -> Analyzer:
    """The analyzer an index with these settings was built with (and its questions need).

    ``tokenizer="auto"`` left in built settings is an index saved before the
    option existed: its terms were made by the "words" tokenizer.
    """
    tokenizer = "words" if settings.tokenizer == "auto" else settings.tokenizer
    return Analyzer(stop_words=settings.stop_words, stem=settings.stem, language=settings.language,
                    tokenizer=tokenizer)


@dataclass(frozen=True)
class Parts:
    """Everything a question uses, swapped as one reference (``add`` never
    shows a question half-updated parts)."""

    segment: Segment
    scorer: Scorer
    composer: Composer



def refuse_expansion(neighbours: int) -> None:
    """Document expansion (``neighbours``) needs every unit in one segment: a sharded index cannot use it."""
    if neighbours:
        raise InputError("neighbours (document expansion) compares every unit with every other, which a sharded "
                         "index cannot do: build without shards or set neighbours=0")


def weighting_of(settings: Settings) -> dict[str, Any]:
    return {"weighting": settings.weighting, "k1": settings.k1, "b": settings.b,
            "sublinear_tf": settings.sublinear_tf, "pivot_slope": settings.pivot_slope,
            "neighbours": settings.neighbours, "neighbour_weight": settings.neighbour_weight}


def term_index(settings: Settings) -> TermIndex:
    return TermIndex(**weighting_of(settings))


def expander_for(settings: Settings, analyzer: Analyzer, tables: Tables) -> Expander | None:
    if tables.synonyms is None and tables.intents is None:
        return None
    return Expander(analyzer, synonyms=tables.synonyms, synonym_weight=settings.synonym_weight,
                    intents=tables.intents, intent_weight=settings.intent_weight)
