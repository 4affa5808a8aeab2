"""Splitting documents into sentence passages with exact character offsets.

nltk's Punkt finds sentence boundaries (untrained by default, or trained on
the corpus itself: never downloaded). On top of Punkt, rules for web text:

* bullet separators (``·``, ``•``, ``▪``) end a passage; the bullet itself
  belongs to no passage;
* a spaced dash followed by a capital letter ("Sit on an incline — Sitting
  up ...") separates a heading from its sentence; a dash followed by lower
  case ("Physical Therapy – corrects ...") does not;
* a short run-on heading without punctuation ("Back spasm causes Some simple
  things ...") is split off before a capitalised sentence opener;
* Punkt's boundary after an abbreviation that does not end sentences ("(e.g.
  -O2)", "i.e.", "vs.", "Fig. 3") is removed, and so is one after "etc." or a
  version number or dotted name ("v1.2.", "3.x.", "Node.js.") when the next
  sentence opens in lower case; never across a blank line;
* bare list enumerators ("2.") and pieces without any word character are
  markup, not passages;
* passages phrased as questions, and short title-case lines, are flagged as
  headings; truncated snippet fragments ("Stretching prior to any.", "Low.")
  are flagged as fragments but kept, so provenance is never lost;
* a passage longer than :data:`MAX_PASSAGE_CHARS` characters (a run-on line
  without sentence punctuation, or hostile input) is cut at white space into
  pieces of at most that many characters (a single longer word is cut at the
  limit); each piece is flagged as a fragment.

Every span satisfies ``text[start:end] == passage`` and has no leading or
trailing white space.

Splitting takes time linear in the length of the text, whatever the text:
no rule re-scans a run of white space from each of its positions (a regular
expression such as ``\\s+-`` searched over a long run of spaces would), and
Punkt reads long texts in blocks of :data:`PUNKT_BLOCK_CHARS` characters
(nltk's regular-expression time limit would otherwise stop it on texts of a
few megabytes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from .analysis import STOP_WORDS, WORD_RE
from .settings import Params, check_option

__all__ = ["MAX_PASSAGE_CHARS", "PUNKT_BLOCK_CHARS", "SentenceSplitter", "Span", "is_fragment"]

#: Longest passage, in characters; longer ones are cut at white space into fragments.
MAX_PASSAGE_CHARS = 2000
#: Punkt reads a long text in blocks of at most this many characters (see ``SentenceSplitter.split``).
PUNKT_BLOCK_CHARS = 100_000

PunktMode = Literal["default", "train"]

_BULLETS = re.compile(r"[·•▪◦]")
# A spaced dash before a capital: white space, dash, white space, [A-Z]. Searched from the
# dash (never from each position of the white space before it), so the cost is linear.
_DASH_THEN_CAPITAL = re.compile(r"[-–—]\s+(?=[A-Z])")
# The last white space character before a position (for cutting over-long passages).
_UP_TO_LAST_SPACE = re.compile(r".*\s", re.DOTALL)
# Words that open a sentence; used to find the end of a run-on heading.
_OPENERS = (
    "Some|The|A|An|When|If|How|What|Why|This|These|Those|They|It|You|Your|Most|Many|"
    "Although|While|Because|There|Common|Other"
)
_RUN_ON_HEADING = re.compile(rf"(?<=[a-z])\s+(?=(?:{_OPENERS})\s+[a-z][\w'’-]*\s+[a-z])")
_ENUMERATOR = re.compile(r"^(?:\(?\d{1,3}[.)]|[a-zA-Z][.)]|[-*+])$")
_LEADING_ENUMERATOR = re.compile(r"(?:\d{1,3}[.)]|[-*+])\s+(?=\S)")
_WORD = re.compile(r"[^\W_]")
_WORDS = WORD_RE  # words as the "words" tokenizer sees them, whatever an index's tokenizer
# Object pronouns complete a clause as the object of a verb or preposition ("can prevent
# them.", "recommend it."): unlike an article, preposition or auxiliary, a sentence may end
# on one. Reflexives and possessives are left out: after a noun they end verbless list
# items as well ("Weak or stiff muscles in the back itself.").
_OBJECT_PRONOUNS = frozenset({"it", "them", "him", "her", "us", "me", "you"})
# What closes a sentence: a full stop or exclamation mark, then any closing quotes or brackets.
_SENTENCE_END = re.compile(r"[.!]+[\"'’”)\]]*$")
# Abbreviations that do not end a sentence in practice, whatever follows them ("(e.g.
# -O2)", "e.g. Python", "vs. Spaces", "Fig. 3", "Smith et al. in 2020"); Punkt's
# untrained parameters know no abbreviations and cut after each. Lower case, no final dot.
_NEVER_FINAL = frozenset({
    "e.g", "i.e", "vs", "cf", "viz", "approx", "ca", "incl", "esp", "resp", "fig", "figs", "eq", "eqs",
    "ref", "refs", "mr", "mrs", "ms", "dr", "prof", "et al",
})
# The last token of a Punkt sentence, when it ends in a full stop (leading brackets and
# quotes left out; "et al." is one token). Searched in a bounded tail of the sentence.
_LAST_TOKEN = re.compile(r"(?:(?<=\s)|(?<=^)|(?<=[(\[{\"'“‘]))((?:et\s+)?[^\s(\[{\"'“‘]+)\.$", re.IGNORECASE)
# A token that may end a sentence but usually does not when lower case follows: "etc.",
# and version numbers and dotted names ("v1.2.", "3.x.", "Node.js.", "fs.readFile.").
_MAYBE_FINAL = re.compile(r"etc|.*(?:\d|[^\W_]\.[^\W_]).*", re.IGNORECASE)
_TAIL = 40
#: A sentence opening with one of these refers back to the sentence before.
ANAPHOR = re.compile(r"(?:This|These|That|Those|They|It|Its|Their|Such|He|She|The latter|The former)\b")


@dataclass(frozen=True)
class Span:
    """A passage's place in its document, with what kind of passage it is."""

    start: int
    end: int
    heading: bool = False
    fragment: bool = False


def is_fragment(text: str) -> bool:
    """Whether a passage looks truncated or too short to stand alone.

    True for passages of fewer than three words that are not headings
    ("Low.", "It."), passages that end on a function word ("Stretching prior
    to any.", "... of problems are."), passages with an unclosed bracket,
    and passages that refer back ("This", "They", ...) with fewer than three
    content words ("This is because the spasm."): cut off before they say
    anything of their own.

    A sentence of three or more words that ends on an object pronoun and a
    full stop ("Stretching the calf before bed can prevent them.", "Doctors
    recommend them.") is complete: the pronoun is the object of its verb or
    preposition. Without the full stop ("... can prevent them") it may be a
    cut-off snippet and stays a fragment.
    """
    words = _WORDS.findall(text)
    if not words:
        return True
    if text.count("(") > text.count(")"):
        return True
    last = words[-1].casefold()
    complete = last in _OBJECT_PRONOUNS and _SENTENCE_END.search(text.rstrip()) is not None
    if (not complete and last in STOP_WORDS) or last in {"and", "or", "but", "the", "like", "such", "due"}:
        return True
    if ANAPHOR.match(text.lstrip()) and sum(w.casefold() not in STOP_WORDS for w in words) < 3:
        return True
    return len(words) < 3 and not text.rstrip().endswith("?")


def _is_heading(text: str) -> bool:
    if text.endswith("?"):
        return True
    words = _WORDS.findall(text)
    # "Cold Therapy.", "Back Spasm Causes": short, every word capitalised.
    return 0 < len(words) <= 5 and all(w[0].isupper() or w[0].isdigit() for w in words) and len(words) >= 2


class SentenceSplitter(Params):
    """Split text into sentence passages.

    Parameters
    ----------
    punkt : {"default", "train"}, default="default"
        ``"default"`` uses Punkt's built-in parameters; ``"train"`` learns
        abbreviations and collocations from the texts given to :meth:`fit`
        (unsupervised, no downloads). Both are deterministic.
    web_rules : bool, default=True
        Apply the bullet, dash, heading and enumerator rules described in the
        module docstring. With ``False`` the passages are Punkt's sentences.
    max_train_chars : int, default=5_000_000
        With ``punkt="train"``, train on at most this many characters (the
        first documents in corpus order) to bound build time.
    """

    def __init__(self, *, punkt: PunktMode = "default", web_rules: bool = True, max_train_chars: int = 5_000_000):
        check_option("punkt", punkt)
        self.punkt = punkt
        self.web_rules = web_rules
        self.max_train_chars = max_train_chars
        self._tokenizer: Any = None  # nltk takes a second to import: only when first splitting

    @property
    def tokenizer_(self) -> Any:
        """nltk's ``PunktSentenceTokenizer`` (default parameters unless trained)."""
        if self._tokenizer is None:
            from nltk.tokenize.punkt import PunktSentenceTokenizer

            self._tokenizer = PunktSentenceTokenizer()
        return self._tokenizer

    @tokenizer_.setter
    def tokenizer_(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer

    def fit(self, texts: Iterable[str]) -> SentenceSplitter:
        if self.punkt == "train":
            from nltk.tokenize.punkt import PunktSentenceTokenizer, PunktTrainer

            trainer = PunktTrainer()
            budget = self.max_train_chars
            for text in texts:
                if budget <= 0:
                    break
                trainer.train(text[:budget], finalize=False)
                budget -= len(text)
            trainer.finalize_training()
            self.tokenizer_ = PunktSentenceTokenizer(trainer.get_params())
        return self

    def punkt_parameters(self) -> Any:
        return self.tokenizer_._params

    def _punkt_spans(self, text: str) -> list[tuple[int, int]]:
        return _punkt_blocks_spans(self.tokenizer_, text)

    def split(self, text: str) -> list[Span]:
        """Spans of the passages of ``text``, in order.

        Time is linear in ``len(text)``. Passages longer than
        :data:`MAX_PASSAGE_CHARS` are cut into fragments (see the module
        docstring).
        """
        spans: list[Span] = []
        sentences = self._punkt_spans(text)
        if self.web_rules:
            sentences = _join_false_ends(text, sentences)
        for s, e in sentences:
            if not self.web_rules:
                s, e = _strip(text, s, e)
                if s < e and _WORD.search(text, s, e):
                    if e - s > MAX_PASSAGE_CHARS:
                        spans.extend(_cut_long(text, s, e))
                        continue
                    piece = text[s:e]
                    spans.append(Span(s, e, _is_heading(piece), is_fragment(piece)))
                continue
            for ps, pe, heading in _web_pieces(text, s, e):
                if pe - ps > MAX_PASSAGE_CHARS:
                    spans.extend(_cut_long(text, ps, pe))
                    continue
                piece = text[ps:pe]
                heading = heading or (_is_heading(piece) and not _BULLETS.search(piece))
                spans.append(Span(ps, pe, heading, not heading and is_fragment(piece)))
        return spans


def _not_an_end(text: str, e: int, nxt: int) -> bool:
    """Whether Punkt's boundary between a sentence ending at ``e`` and the next starting at ``nxt`` is false.

    False after an abbreviation of :data:`_NEVER_FINAL`, or after "etc." or
    a version number or dotted name when the next sentence opens in lower
    case; a blank line between the two is always a boundary. Punkt stays the
    reference: this only removes boundaries, and a capital after "etc." or
    "v1.2." still ends the sentence.
    """
    if text.count("\n", e, nxt) >= 2:
        return False
    m = _LAST_TOKEN.search(text, max(0, e - _TAIL), e)
    if m is None:
        return False
    token = " ".join(m.group(1).casefold().split())
    if token in _NEVER_FINAL:
        return True
    return text[nxt].islower() and _MAYBE_FINAL.fullmatch(token) is not None


def _join_false_ends(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Punkt's spans with each false boundary (see :func:`_not_an_end`) removed: the two
    sentences become one span, the white space between them included."""
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if out and _not_an_end(text, out[-1][1], s):
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _punkt_blocks_spans(tokenizer: Any, text: str,
                        block: int = PUNKT_BLOCK_CHARS) -> list[tuple[int, int]]:
    """Punkt's sentence spans of ``text``, computed a block of at most ``block`` characters at a time.

    nltk (3.10+) runs Punkt's regular expressions under a wall-clock limit
    (5 s) that also counts the time spent between lazily produced sentences,
    so one call on a text of a few megabytes raises ``TimeoutError``. Each
    block is cut at white space; all its sentences but the last are kept
    and the next block starts where that last sentence starts, so Punkt
    (whose decisions look only at a boundary's neighbouring tokens) finds
    the same boundaries as on the whole text. A block holding a single
    sentence (over ``block`` characters, which ends up cut into fragments
    anyway) is cut at its last white space. Texts up to ``block`` characters
    are one block. Each block's sentences are read eagerly.
    """
    n = len(text)
    if n <= block:
        return list(tokenizer.span_tokenize(text))
    out: list[tuple[int, int]] = []
    start = 0
    while start < n:
        end = min(n, start + block)
        if end < n:
            m = _UP_TO_LAST_SPACE.match(text, start, end)
            if m is not None and m.end() - 1 > start:
                end = m.end() - 1
        found = [(s + start, e + start) for s, e in tokenizer.span_tokenize(text[start:end])]
        if end >= n or len(found) < 2:
            out.extend(found)
            start = end
        else:
            out.extend(found[:-1])
            start = found[-1][0]
    return out


def _cut_long(text: str, s: int, e: int, limit: int = MAX_PASSAGE_CHARS) -> list[Span]:
    """Cut ``text[s:e]`` (stripped) at white space into fragments of at most ``limit`` characters.

    Each cut is at the last white space within the limit (a word longer than
    the limit is cut at the limit); pieces without a word character are
    dropped, like markup. Linear time: each character is looked at a
    bounded number of times.
    """
    out: list[Span] = []
    while s < e:
        if e - s <= limit:
            cut, nxt = e, e
        else:
            m = _UP_TO_LAST_SPACE.match(text, s, s + limit + 1)
            if m is not None and m.end() - 1 > s:
                cut, nxt = m.end() - 1, m.end()
            else:
                cut, nxt = s + limit, s + limit
        ps, pe = _strip(text, s, cut)
        if ps < pe and _WORD.search(text, ps, pe):
            out.append(Span(ps, pe, False, True))
        s, _ = _strip(text, nxt, e)
    return out


def _strip(text: str, s: int, e: int) -> tuple[int, int]:
    """``(s, e)`` without the white space at either end of ``text[s:e]`` (linear, no re-scans)."""
    if s >= e:
        return s, s
    piece = text[s:e]
    left = len(piece) - len(piece.lstrip())
    if left == len(piece):
        return e, e
    return s + left, e - (len(piece) - len(piece.rstrip()))


def _dash_cuts(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """``(start, end)`` of each spaced dash before a capital in ``text[s:e]``, left to right.

    The same matches as ``re.finditer(r"\\s+[-–—]\\s+(?=[A-Z])", text, s, e)``
    (a match starts at the beginning of the white space before the dash, but
    not before ``s`` or the end of the previous match), found in linear time.
    """
    cuts: list[tuple[int, int]] = []
    pos = s
    for m in _DASH_THEN_CAPITAL.finditer(text, s, e):
        d = m.start()
        if d <= pos or not text[d - 1].isspace():
            continue
        before = text[pos:d]
        start = d - (len(before) - len(before.rstrip()))
        cuts.append((start, m.end()))
        pos = m.end()
    return cuts


def _merge_short_items(text: str, cuts: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join runs of short bullet items ("Skin Redness · Swelling · Weakness.").

    A list of one- to three-word items reads as one passage; split apart,
    each item would be a meaningless fragment.
    """
    if len(cuts) < 3:
        return cuts
    merged: list[tuple[int, int]] = [cuts[0]]
    run_start = None
    for cs, ce in cuts[1:]:
        short = 0 < len(_WORDS.findall(text, cs, ce)) <= 3
        if short and run_start is not None:
            merged[-1] = (merged[-1][0], ce)
        else:
            merged.append((cs, ce))
            run_start = cs if short else None
    return merged


def _web_pieces(text: str, s: int, e: int) -> list[tuple[int, int, bool]]:
    """Apply the web-text rules to one Punkt sentence ``text[s:e]``."""
    # 1. bullets: cut at each bullet character, dropping it.
    cuts: list[tuple[int, int]] = []
    pos = s
    for bullet in _BULLETS.finditer(text, s, e):
        cuts.append((pos, bullet.start()))
        pos = bullet.end()
    cuts.append((pos, e))
    cuts = _merge_short_items(text, cuts)

    pieces: list[tuple[int, int, bool]] = []
    for cs, ce in cuts:
        # 2. dash followed by a capital: heading — sentence.
        sub: list[tuple[int, int, bool]] = []
        pos = cs
        for ds, de in _dash_cuts(text, cs, ce):
            sub.append((pos, ds, True))
            pos = de
        sub.append((pos, ce, False))
        for ss, se, heading in sub:
            ss, se = _strip(text, ss, se)
            # 4. leading "1. " / "- " list markers are markup.
            m = _LEADING_ENUMERATOR.match(text, ss, se)
            if m:
                ss = m.end()
            if ss >= se or not _WORD.search(text, ss, se) or _ENUMERATOR.match(text[ss:se]):
                continue
            # 3. run-on heading: "Back spasm causes Some simple things ..."
            m = _RUN_ON_HEADING.search(text, ss, se)
            # A heading of one word is more likely a verb ("Let A be ...", "Compare A with ...").
            if m and not heading and 2 <= len(_WORDS.findall(text, ss, m.start())) <= 5:
                head = text[ss:m.start()]
                if not any(ch in head for ch in ".,;:!?"):
                    pieces.append((ss, m.start(), True))
                    ss = m.end()
            pieces.append((ss, se, heading))
    return pieces
