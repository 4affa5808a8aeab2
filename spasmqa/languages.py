"""Languages: Snowball stemmer names and stop-word lists.

:data:`SNOWBALL_LANGUAGES` are the languages whose Snowball stemmer both
nltk's ``SnowballStemmer`` and PyStemmer provide (so an index built with one
can be queried with the other). :func:`stop_words` returns a small list of
*function words* for a language: English is :data:`STOP_WORDS` (re-exported by :mod:`spasmqa.analysis`);
the others are shipped in ``spasmqa/data/stopwords/<language>.txt``, taken
from the Snowball project's stop lists (BSD licence; each file names its
source) without content words. Languages are given by their Snowball name
(``"german"``) or ISO 639-1 code (``"de"``), in any case.

Nothing here is wired into :class:`spasmqa.analysis.Analyzer`; it is what
a language setting would use.

Examples
--------
>>> stemmer_name("DE"), "und" in stop_words("german"), "back" in stop_words("en")
('german', True, False)
"""

from __future__ import annotations

from functools import cache

from .errors import InputError, InputTypeError
from .resources import data_path

__all__ = [
    "LANGUAGE_CODES",
    "SNOWBALL_LANGUAGES",
    "STOP_WORD_LANGUAGES",
    "language_name",
    "stemmer_name",
    "stop_words",
]

#: Snowball algorithms available in both nltk's SnowballStemmer and PyStemmer
#: (a test checks this against both libraries). "porter" (the original
#: English stemmer, not a language) is left out. The two libraries give the
#: same stems except for Dutch (PyStemmer 3 ships Snowball 3's new Dutch
#: algorithm; nltk's is PyStemmer's "dutch_porter") and Arabic (nltk's own).
SNOWBALL_LANGUAGES: tuple[str, ...] = (
    "arabic", "danish", "dutch", "english", "finnish", "french", "german", "hungarian",
    "italian", "norwegian", "portuguese", "romanian", "russian", "spanish", "swedish",
)

#: ISO 639-1 code -> Snowball language name.
LANGUAGE_CODES: dict[str, str] = {
    "ar": "arabic", "da": "danish", "nl": "dutch", "en": "english", "fi": "finnish", "fr": "french",
    "de": "german", "hu": "hungarian", "it": "italian", "no": "norwegian", "nb": "norwegian",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "es": "spanish", "sv": "swedish",
}

#: Where the shipped stop-word lists are (``<language>.txt``).
#: Words removed before stemming. Function words only; see the module docstring.
STOP_WORDS: frozenset[str] = frozenset(
    """
    a an the and or but nor if then else so than as
    of in on at to from by for with within without about into onto upon over
    under through during before after above below between among against
    is am are was were be been being do does did doing done
    have has had having can could will would shall should may might must
    i me my mine myself you your yours yourself yourselves he him his himself
    she her hers herself it its itself we us our ours ourselves they them
    their theirs themselves one ones
    this that these those there here what which who whom whose why how where
    when whether while
    not no nor only just also very too quite rather any some each every both
    either neither such own same other others another more most much many
    s t d ll re ve m o y
    don't doesn't didn't isn't aren't wasn't weren't can't cannot couldn't
    won't wouldn't shouldn't haven't hasn't hadn't i'm you're it's that's
    there's what's i've you've we've they've i'd you'd i'll you'll
    get gets got getting etc eg ie vs
    """.split()
)

STOP_WORDS_DIR = data_path("stopwords")

#: Languages with a shipped stop-word list.
STOP_WORD_LANGUAGES: tuple[str, ...] = ("dutch", "english", "french", "german", "italian", "portuguese", "spanish")


def language_name(language: str) -> str:
    """The Snowball name of ``language`` (a Snowball name or an ISO 639-1 code).

    Raises
    ------
    ValueError
        Not a Snowball language; the message lists the supported ones.

    Examples
    --------
    >>> language_name("pt"), language_name("French")
    ('portuguese', 'french')
    """
    if not isinstance(language, str):
        raise InputTypeError(f"language must be a string like 'german' or 'de', got {type(language).__name__}")
    key = language.strip().lower()
    key = LANGUAGE_CODES.get(key, key)
    if key not in SNOWBALL_LANGUAGES:
        raise InputError(
            f"unsupported language {language!r}; expected one of {', '.join(SNOWBALL_LANGUAGES)} "
            f"or their ISO 639-1 codes ({', '.join(sorted(LANGUAGE_CODES))})"
        )
    return key


def stemmer_name(language: str) -> str:
    """The Snowball algorithm name for ``language``, as nltk and PyStemmer spell it.

    ``nltk.stem.snowball.SnowballStemmer(stemmer_name(lang))`` and
    ``Stemmer.Stemmer(stemmer_name(lang))`` both accept it.

    Examples
    --------
    >>> stemmer_name("es")
    'spanish'
    """
    return language_name(language)


@cache
def _read_list(language: str) -> frozenset[str]:
    text = (STOP_WORDS_DIR / f"{language}.txt").read_text(encoding="utf-8")
    words: list[str] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        words.extend(w.casefold() for w in line.split())
    return frozenset(words)


def stop_words(language: str) -> frozenset[str]:
    """The stop words (function words, case-folded) of ``language``.

    Parameters
    ----------
    language : str
        A Snowball name or ISO 639-1 code with a shipped list (see
        :data:`STOP_WORD_LANGUAGES`).

    Raises
    ------
    ValueError
        No list is shipped for the language (the message lists those that are).

    Examples
    --------
    >>> sorted(stop_words("fr") & {"le", "chat", "et"})
    ['et', 'le']
    """
    name = language_name(language)
    if name == "english":
        return STOP_WORDS
    if name not in STOP_WORD_LANGUAGES:
        raise InputError(
            f"no stop-word list for {name!r}; lists are shipped for {', '.join(STOP_WORD_LANGUAGES)} "
            "(pass your own words, or none)"
        )
    return _read_list(name)
