"""Text analysis: turning a passage or a question into index terms.

The same :class:`Analyzer` is used for documents and questions, so a question
matches a passage exactly when they share a stemmed, non-stop term.

Why a custom stop-word list: scikit-learn's ``ENGLISH_STOP_WORDS`` drops
content words that matter for health questions ("back", "last", "move",
"fire", "found", "full", "side", "bottom", "top", ...). "back" alone would
erase half of this corpus. Our list holds only function words: articles,
pronouns, auxiliaries, prepositions, conjunctions and question words.

Why a touched-up Snowball: Snowball turns a final "y" after a consonant into
"i" ("injury" -> "injuri") but strips "-ed" from the verb ("injured" ->
"injur"), so a question about an injured back missed every passage about
back injuries. The default stemmer ("snowball-y") drops that final "i",
which merges injury/injured/injuries and anatomy/anatomical; on SciFact it
changes nDCG@10 by less than 0.003 either way (see the README's ablation).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

from .errors import InputError
from .languages import STOP_WORDS
from .languages import stop_words as language_stop_words
from .settings import STEMMERS, TOKENIZERS, Params, check_option

__all__ = ["Analyzer", "STEMMERS", "STOP_WORDS", "TECHNICAL_RE", "TOKENIZERS", "TOKEN_PATTERN", "WORD_RE"]


#: Word characters (letters and digits, any script), allowing inner
#: apostrophes so that "doesn't" stays one token.
TOKEN_PATTERN = r"[^\W_]+(?:['’][^\W_]+)*"
WORD_RE = re.compile(TOKEN_PATTERN)

#: The tokens of the "technical" tokenizer, each a word of :data:`WORD_RE` or
#: a run of them: words joined by underscores or single dots
#: ("CMAKE_BUILD_TYPE", "fs.readFile", "3.10.2"; a final dot ends the
#: sentence, not the name), with a final "++" ("C++", "Notepad++"), a
#: one-letter name with "#" ("C#", "F#"; not "issue#14"), and a name with a
#: leading dot (".NET"). The word form comes first so that most tokens cost
#: one attempt, as with :data:`WORD_RE`.
TECHNICAL_RE = re.compile(
    rf"_*{TOKEN_PATTERN}(?:(?:_+|\.){TOKEN_PATTERN})*"
    rf"(?:\+\+(?!\+)|(?<=(?<![\w.])[^\W\d_])#(?![\w#])|_*)"
    rf"|(?<![\w.])\.(?=[^\W\d_]){TOKEN_PATTERN}"
)
# Where an identifier is cut into parts; the symbols of "C++", "C#" and ".NET" go too.
_SEPARATORS = re.compile(r"[._+#]+")
# Single letters joined by dots ("e.g", "i.e", "U.S"): abbreviations of prose, not names.
_INITIALISM = re.compile(r"[^\W\d_](?:\.[^\W\d_])+")

_POSSESSIVE = re.compile(r"['’]s$")
# Elided articles and pronouns written onto the next word ("l'eau", "dell'acqua").
_ELISIONS = {
    "french": re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu)'"),
    "italian": re.compile(r"^(?:[dlm]|dell|dall|nell|sull|all|coll|quell|quest|un|c)'"),
}
_MISSING = object()


def make_stemmer(name: str, language: str = "english") -> Callable[[str], str]:
    """The stem function of a stemmer name (see :data:`spasmqa.settings.STEMMERS`).

    PyStemmer loads in milliseconds; nltk (only for the legacy names) takes
    over a second to import, so it is imported only when asked for.
    """
    if name.startswith("nltk-"):
        from nltk.stem.snowball import SnowballStemmer

        return SnowballStemmer(language).stem
    import Stemmer

    return Stemmer.Stemmer(language).stemWord


class Analyzer(Params):
    """Tokenise, lower-case, drop stop words and stem.

    Parameters
    ----------
    stop_words : iterable of str, "english" or None, default="english"
        Words to drop (compared after case folding, before stemming).
        ``"english"`` selects :data:`STOP_WORDS`; ``None`` keeps every token.
    stem : bool or {"snowball-y", "snowball", "nltk-snowball-y", "nltk-snowball"}, default=True
        Reduce tokens with the Snowball (Porter2) English stemmer.
        ``"snowball"`` is the Snowball project's own implementation in C
        (PyStemmer); ``"snowball-y"`` (what ``True`` means) also drops a
        final "i" after a consonant from stems of five or more letters,
        Snowball's trace of a final "y", so that "injury" and "injured" meet
        (see the module docstring). ``"nltk-snowball"`` and
        ``"nltk-snowball-y"`` use nltk's Python implementation instead, as
        indexes saved before format 3 did; it differs from Snowball's on
        about 1 word in 450 (``tests/test_analysis.py`` lists where).
        ``False`` keeps words whole.
    min_token_length : int, default=1
        Tokens shorter than this (in characters) are dropped.
    tokenizer : {"words", "technical"}, default="words"
        ``"words"``: runs of letters and digits (:data:`WORD_RE`), so "C++"
        is "c" and "CMAKE_BUILD_TYPE" three words. ``"technical"``: names
        with symbols ("C++", "C#", ".NET") and identifiers joined by
        underscores or dots ("CMAKE_BUILD_TYPE", "os.path.join", "3.10.2")
        give their whole, lower-cased and unstemmed, and then the terms of
        their parts; a camelCase word ("readFile", "HTTPServer") gives its
        usual term and then its parts' ("read", "file"). So a question
        naming the identifier prefers passages that name it, and its words
        still find them. Ordinary words (capitalised, upper case, "PDFs",
        initialisms such as "e.g.") give the same terms as with "words".
        An index records its tokenizer: the same one must analyse its
        questions.

    Examples
    --------
    >>> Analyzer()("What causes lower back spasms?")
    ['caus', 'lower', 'back', 'spasm']
    """

    def __init__(
        self,
        *,
        stop_words: Iterable[str] | str | None = "auto",
        stem: bool | str = True,
        min_token_length: int = 1,
        language: str = "english",
        tokenizer: str = "words",
    ) -> None:
        self.stop_words = stop_words
        self.stem = stem
        self.min_token_length = min_token_length
        self.language = language
        self.tokenizer = tokenizer
        self._params_changed()

    def _params_changed(self) -> None:
        """Check the parameters and make the stop list, stemmer and cache they imply."""
        stop_words, min_token_length = self.stop_words, self.min_token_length
        language = check_option("language", self.language)
        if isinstance(stop_words, str):
            if stop_words not in ("auto", "english"):
                raise InputError(
                    f"stop_words must be 'auto', 'english', None or a collection of words, got {stop_words!r}"
                )
            self._stop = STOP_WORDS if stop_words == "english" else language_stop_words(language)
        elif stop_words is None:
            self._stop = frozenset()
        else:
            self._stop = frozenset(w.casefold() for w in stop_words)
        if isinstance(min_token_length, bool) or not isinstance(min_token_length, int) or min_token_length < 1:
            raise InputError(f"min_token_length must be an integer >= 1, got {min_token_length!r}")
        if self.tokenizer not in TOKENIZERS or not isinstance(self.tokenizer, str):
            raise InputError(f"tokenizer must be one of {TOKENIZERS}, got {self.tokenizer!r}")
        self._technical = self.tokenizer == "technical"
        self._token_re = TECHNICAL_RE if self._technical else WORD_RE
        stem = check_option("stem", self.stem)
        self._stemmer = make_stemmer(stem, language) if stem else None
        # The y-merging touch-up is a rule of English morphology.
        self._merge_y = isinstance(stem, str) and stem.endswith("-y") and language == "english"
        self._elision = _ELISIONS.get(language)
        # token -> term (or None when dropped). Stemming dominates analysis
        # time; the cache makes it a dict lookup per token. Dict writes are
        # atomic under the GIL, so sharing it between threads is safe.
        self._cache: dict[str, str | None] = {}
        # token -> its terms, for the technical tokenizer (a token may give several).
        self._tech_cache: dict[str, tuple[str, ...]] = {}

    def _term(self, token: str) -> str | None:
        term = self._cache.get(token)
        if term is not None or token in self._cache:
            return term
        word = _POSSESSIVE.sub("", token.casefold().replace("’", "'"))
        if self._elision is not None:
            word = self._elision.sub("", word)
        if word in self._stop or len(word) < self.min_token_length:
            result = None
        else:
            result = self._stemmer(word) if self._stemmer is not None else word
            if self._merge_y and len(result) >= 5 and result[-1] == "i" and result[-2] not in "aeiouy":
                result = result[:-1]
        if len(self._cache) < 2_000_000:  # bound memory on pathological input
            self._cache[token] = result
        return result

    def _word_terms(self, word: str) -> list[str]:
        """The terms of one :data:`WORD_RE` word: its term, then its camelCase parts' terms."""
        term = self._term(word)
        out = [term] if term is not None else []
        parts = _camel_parts(word)
        if len(parts) > 1:
            out += [t for t in map(self._term, parts) if t is not None and t != term]
        return out

    def _technical_terms(self, token: str) -> tuple[str, ...]:
        """The terms of one :data:`TECHNICAL_RE` token (see the ``tokenizer`` parameter)."""
        terms = self._tech_cache.get(token)
        if terms is not None:
            return terms
        pieces = [p for p in _SEPARATORS.split(token) if p]
        if len(pieces) == 1 and pieces[0] == token:
            out = self._word_terms(token)
        elif _INITIALISM.fullmatch(token):
            # An initialism ("e.g", "U.S"): words, as in prose.
            out = [t for p in pieces for t in self._word_terms(p)]
        else:
            whole = _POSSESSIVE.sub("", token.casefold().replace("’", "'"))
            out = [whole] if len(whole) >= self.min_token_length else []
            out += [t for p in pieces for t in self._word_terms(p) if t != whole]
        terms = tuple(out)
        if len(self._tech_cache) < 2_000_000:  # bound memory on pathological input
            self._tech_cache[token] = terms
        return terms

    def __call__(self, text: str) -> list[str]:
        """Analyse ``text`` into index terms, in order of occurrence."""
        if self._technical:
            tech = self._tech_cache
            out: list[str] = []
            for token in self._token_re.findall(unicodedata.normalize("NFKC", text)):
                found = tech.get(token)
                out.extend(found if found is not None else self._technical_terms(token))
            return out
        # The hot loop of index building: a dict lookup per token, with a
        # method call only for tokens not seen before.
        cache = self._cache
        terms: list[str] = []
        for token in self._token_re.findall(unicodedata.normalize("NFKC", text)):
            term = cache.get(token, _MISSING)
            if term is _MISSING:
                term = self._term(token)
            if term is not None:
                terms.append(term)  # type: ignore[arg-type]  # _MISSING was replaced above
        return terms

    def term_of(self, word: str) -> str | None:
        """The index term for one word, or None if it is dropped."""
        return self._term(word)

    def __repr__(self) -> str:
        stop = "custom" if not isinstance(self.stop_words, (str, type(None))) else repr(self.stop_words)
        return (f"Analyzer(stop_words={stop}, stem={self.stem!r}, min_token_length={self.min_token_length!r}, "
                f"language={self.language!r}, tokenizer={self.tokenizer!r})")


def _camel_parts(word: str) -> list[str]:
    """``word`` cut where a capitalised word starts inside it, as in code.

    A cut goes before a capital followed by a lower-case letter, after a
    lower-case letter that ends a part of two or more characters ("readFile",
    "toString", "getElementById") or after a run of at least three capitals ("HTTPServer" -> "HTTP",
    "Server", when the word after has two or more lower-case letters). Names
    of science and brands that mix case without joining words stay whole:
    "mRNA", "siRNA", "pH", "cAMP", "kappaB", "GTPase", "PDFs", "APIs", "iPhone".
    """
    cuts = [0]
    n = len(word)
    for i in range(2, n - 1):
        if not (word[i].isupper() and word[i + 1].islower()):
            continue
        before = word[cuts[-1]:i]
        if word[i - 1].islower() and len(before) >= 2:
            cuts.append(i)
        elif (len(before) >= 3 and before[-3:].isupper() and before[-3:].isalpha()
              and i + 2 < n and word[i + 2].islower()):
            cuts.append(i)
    cuts.append(n)
    return [word[x:y] for x, y in zip(cuts, cuts[1:])]
