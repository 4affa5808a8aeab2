"""Building a segment: documents -> passages -> occurrence table + term index.

A :class:`Segment` is the unit that is built, saved, loaded and scored on its
own: a :class:`~spasmqa.table.PassageTable` and the
:class:`~spasmqa.index.TermIndex` over its units. Building splits every
document, merges passages with the same normalised text into one unit, and
analyses each unit once.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .analysis import Analyzer
from .answer import normalize_text
from .corpus import Document
from .errors import InputError
from .index import TermIndex
from .passages import ANAPHOR, SentenceSplitter
from .table import OCCURRENCE_SCHEMA, PassageTable

__all__ = ["Segment", "build_segment", "extend_segment", "unit_spans"]

# array typecodes matching OCCURRENCE_SCHEMA's dtypes
_TYPECODES = {"doc": "i", "start": "q", "end": "q", "heading": "b", "fragment": "b", "anaphor": "b", "unit": "i"}
assert set(_TYPECODES) == set(OCCURRENCE_SCHEMA)


@dataclass
class Segment:
    """A passage table and the term index over its units."""

    table: PassageTable
    index: TermIndex


class _Progress:
    """tqdm when asked for (or on long work when ``progress=None``), else nothing."""

    def __init__(self, progress: bool | None, total: int, desc: str, threshold: int = 20_000):
        show = progress if progress is not None else total >= threshold
        self.bar = None
        if show:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=desc, unit="doc", file=sys.stderr, mininterval=0.5)

    def update(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def unit_spans(doc: Document, unit: str, splitter: SentenceSplitter) -> list[tuple[int, int, bool, bool]]:
    """(start, end, is_heading, is_fragment) of each unit in a document.

    A code block (``doc.kind == "code"``) is one unit, never sentence-split.
    """
    if unit == "document" or doc.kind == "code":
        text = doc.text
        s, e = 0, len(text)
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        return [(s, e, False, False)] if s < e else []
    spans = [(span.start, span.end, span.heading, span.fragment) for span in splitter.split(doc.text)]
    return _at_headings(doc, spans) if doc.headings else spans


def _strip(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def _at_headings(doc: Document, spans: list[tuple[int, int, bool, bool]]) -> list[tuple[int, int, bool, bool]]:
    """Spans cut where a markup heading starts or ends ("Install" above "Run
    it." is one line to Punkt), each heading its own span, flagged as one."""
    text = doc.text
    # A heading in the text is a line of its own; an enclosing heading of a
    # paragraph document (offset 0) that its first sentence merely starts
    # with ("The with statement" / "The with statement is used to ...") is not.
    heads = sorted({(o, o + len(t)) for o, _, t in doc.headings
                    if t and text[o:o + len(t)] == t and (o == 0 or text[o - 1] == "\n")
                    and (o + len(t) == len(text) or text[o + len(t)] in "\r\n")})
    if not heads:
        return spans
    out: list[tuple[int, int, bool, bool]] = []
    for s, e, heading, fragment in spans:
        inside = [(a, b) for a, b in heads if a < e and b > s]
        if not inside:
            out.append((s, e, heading, fragment))
            continue
        pos = s
        for a, b in inside:
            a, b = max(a, s), min(b, e)
            lo, hi = _strip(text, pos, a)
            if lo < hi:
                out.append((lo, hi, heading, fragment))
            lo, hi = _strip(text, a, b)
            if lo < hi:
                out.append((lo, hi, True, False))
            pos = b
        lo, hi = _strip(text, pos, e)
        if lo < hi:
            out.append((lo, hi, heading and pos == s, fragment))
    return out


class _Occurrences:
    """Occurrence rows being collected, and the terms of each new unit."""

    def __init__(self, key_to_unit: dict[str, int]) -> None:
        self.key_to_unit = key_to_unit
        self.columns = {name: array(code) for name, code in _TYPECODES.items()}
        self.first_occ: array = array("q")

    def collect(self, docs: Sequence[Document], *, unit: str, title_boost: int, splitter: SentenceSplitter,
                analyzer: Analyzer, progress: bool | None) -> Iterator[list[str]]:
        """Split documents, record every occurrence, yield the terms of each new unit."""
        bar = _Progress(progress, len(docs), "indexing")
        cols, key_to_unit = self.columns, self.key_to_unit
        boost_title = unit == "document" and title_boost > 1
        try:
            for di, doc in enumerate(docs):
                text = doc.text
                for s, e, heading, fragment in unit_spans(doc, unit, splitter):
                    piece = text[s:e]
                    key = normalize_text(piece)
                    u = key_to_unit.get(key)
                    if u is None:
                        u = len(key_to_unit)
                        key_to_unit[key] = u
                        self.first_occ.append(len(cols["doc"]))
                        terms = analyzer(piece)
                        if boost_title and doc.title:
                            terms = analyzer(doc.title) * (title_boost - 1) + terms
                        yield terms
                    cols["doc"].append(di)
                    cols["start"].append(s)
                    cols["end"].append(e)
                    cols["heading"].append(heading)
                    cols["fragment"].append(fragment)
                    cols["anaphor"].append(ANAPHOR.match(piece) is not None)
                    cols["unit"].append(u)
                bar.update()
        finally:
            bar.close()


def build_segment(docs: Sequence[Document], *, unit: str, title_boost: int, splitter: SentenceSplitter,
                  analyzer: Analyzer, index: TermIndex, progress: bool | None = None) -> Segment:
    """Split, de-duplicate, analyse and index ``docs`` (``index`` is fitted in place)."""
    occ = _Occurrences({})
    index.fit(occ.collect(docs, unit=unit, title_boost=title_boost, splitter=splitter, analyzer=analyzer,
                          progress=progress))
    if len(occ.first_occ) == 0:
        raise InputError("the corpus is empty: no document contains any text"
                         if len(docs) else "the corpus is empty: no documents were loaded")
    return Segment(PassageTable(docs, occ.columns, occ.first_occ), index)


def extend_segment(segment: Segment, docs: Sequence[Document], *, unit: str, title_boost: int,
                   splitter: SentenceSplitter, analyzer: Analyzer, progress: bool | None = None) -> Segment:
    """A new segment with ``docs`` added; existing units keep their numbers,
    and a passage already indexed gains a source."""
    table = segment.table
    key_to_unit = {normalize_text(table.unit_text(u)): u for u in range(table.n_units)}
    occ = _Occurrences(key_to_unit)
    new_terms = list(occ.collect(docs, unit=unit, title_boost=title_boost, splitter=splitter,
                                 analyzer=analyzer, progress=progress))
    return Segment(table.extended(docs, occ.columns, occ.first_occ), segment.index.add(new_terms))
