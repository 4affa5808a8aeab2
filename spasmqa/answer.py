"""What a question gets back: an :class:`Answer` of ranked :class:`Passage` s.

Each passage carries its provenance: the document and character span it was
taken from, and :attr:`Passage.sources`, every place in the corpus where the
same text occurs (its own place first). Answers render as plain text in a
terminal, as escaped HTML with the question's terms highlighted in a
notebook, and as a pandas DataFrame.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .analysis import WORD_RE

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Answer", "Context", "ContextView", "Passage", "Source", "passage_id", "normalize_text"]



def normalize_text(text: str) -> str:
    """The key under which passages count as exact duplicates.

    White space is collapsed and case folded; nothing else changes, so two
    passages are "the same text" when a reader would say so.
    """
    return " ".join(text.split()).casefold()  # str.split() and re's \s agree on what is white space


def passage_id(text: str) -> str:
    """Stable id of a passage's text: ``"p"`` + 16 hex digits of its SHA-1.

    Equal (normalised) texts share an id wherever they occur, so judgments
    keyed by passage id survive re-splitting other parts of the corpus.
    """
    return "p" + hashlib.sha1(normalize_text(text).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Source:
    """One place in the corpus: ``corpus[doc_id].text[start:end]``."""

    doc_id: str
    start: int
    end: int

    def as_dict(self) -> dict[str, object]:
        return {"doc_id": self.doc_id, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class Context:
    """The text around a passage in its document.

    ``heading`` is the heading passage above it in the same document (None
    if none); ``title`` is the document's title and ``path`` the heading
    texts in effect at the passage, outermost first (empty for plain text).
    """

    before: str
    after: str
    heading: str | None
    title: str | None = None
    path: tuple[str, ...] = ()

    @property
    def breadcrumb(self) -> str:
        """``"title › section › subsection"`` (the title once when it is also the first heading)."""
        parts = list(self.path)
        if self.title and (not parts or parts[0] != self.title):
            parts.insert(0, self.title)
        return " › ".join(parts)

    def as_dict(self) -> dict[str, object]:
        return {"before": self.before, "after": self.after, "heading": self.heading, "title": self.title,
                "path": list(self.path)}


@dataclass(frozen=True)
class Passage:
    """A ranked passage with its provenance.

    Attributes
    ----------
    text : str
        The passage, exactly as in the document:
        ``corpus[doc_id].text[start:end] == text``.
    score : float
        Retrieval score (cosine similarity for TF-IDF; BM25 sum for BM25).
    doc_id, start, end
        Where this passage was found (its first place in corpus order).
    sources : tuple of Source
        Every place the same text occurs, this one first.
    rank : int
        1-based position in the answer.
    id : str
        Stable passage id (see :func:`passage_id`).
    is_fragment : bool
        True for a truncated or very short snippet ("Stretching prior to any.").
    is_heading : bool
        True for a heading or a question used as a heading.
    near_duplicates : tuple of Source
        Places of passages that were dropped from the answer because they say
        nearly the same thing as this one.
    context : Context or None
        The sentences before and after, and the heading above it.
    is_code : bool
        True for a code block of converted markup (searchable, never part
        of :attr:`Answer.text`).
    line : int or None
        The 1-based line of the original file where the passage starts
        (converted markup and text files; None for other sources).
    metadata : mapping
        The document's metadata (extra JSONL/CSV/Parquet fields).
    """

    text: str
    score: float
    doc_id: str
    start: int
    end: int
    sources: tuple[Source, ...]
    rank: int = 0
    id: str = ""
    is_fragment: bool = False
    is_heading: bool = False
    near_duplicates: tuple[Source, ...] = ()
    context: Context | None = None
    is_code: bool = False
    line: int | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> Source:
        return Source(self.doc_id, self.start, self.end)

    def __str__(self) -> str:
        n = len(self.sources)
        more = f" (+{n - 1} more place{'s' if n > 2 else ''})" if n > 1 else ""
        return f"[{self.rank}] {self.score:.3f}  {self.text}\n     {self.doc_id} [{self.start}:{self.end}]{more}"

    def to_dict(self) -> dict[str, object]:
        """Every field as JSON-serialisable values (see :meth:`Answer.to_dict`)."""
        return {
            "rank": self.rank,
            "score": float(self.score),
            "text": self.text,
            "doc_id": self.doc_id,
            "start": self.start,
            "end": self.end,
            "id": self.id,
            "is_fragment": self.is_fragment,
            "is_heading": self.is_heading,
            "sources": [s.as_dict() for s in self.sources],
            "near_duplicates": [s.as_dict() for s in self.near_duplicates],
            "context": self.context.as_dict() if self.context is not None else None,
            "is_code": self.is_code,
            "line": self.line,
            "metadata": dict(self.metadata),
        }

    def _repr_html_(self) -> str:
        return _passage_html(self, lambda s: html.escape(s))


@dataclass(frozen=True)
class Answer:
    """Ranked, de-duplicated passages for one question.

    Attributes
    ----------
    question : str
    passages : list of Passage
        Best first; empty when no passage shares a term with the question.
    terms : tuple of str
        The question's index terms (after stop words and stemming).
    text : str
        A short extractive answer: the best distinct complete sentences, each
        followed by its citation marker ``[n]`` (``n`` = the passage's rank).
        Empty when there is no answer.
    confidence : float
        Score-based confidence in ``[0, 1]``; 0 when there is no answer.
    """

    question: str
    passages: list[Passage]
    terms: tuple[str, ...] = ()
    text: str = ""
    confidence: float = 0.0
    _highlight: Callable[[str], str] | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.passages)

    def __iter__(self):
        return iter(self.passages)

    def __getitem__(self, i: int) -> Passage:
        return self.passages[i]

    @property
    def is_empty(self) -> bool:
        return not self.passages

    #: Below this confidence an answer is marked as low confidence. Measured
    #: on the default corpus: 35 of its 36 labelled questions score >= 0.5,
    #: and 8 of 9 off-topic questions ("what causes tides", "can cats get
    #: muscle spasms") score below it.
    LOW_CONFIDENCE = 0.5

    @property
    def low_confidence(self) -> bool:
        return bool(self.passages) and self.confidence < self.LOW_CONFIDENCE

    def to_frame(self) -> pd.DataFrame:
        """One row per passage: ``rank, score, text, doc_id, start, end,
        n_sources, sources, id, is_fragment, line`` and one ``meta.<field>``
        column per metadata field."""
        import pandas as pd

        rows = [
            {
                "rank": p.rank,
                "score": p.score,
                "text": p.text,
                "doc_id": p.doc_id,
                "start": p.start,
                "end": p.end,
                "n_sources": len(p.sources),
                "sources": [s.as_dict() for s in p.sources],
                "id": p.id,
                "is_fragment": p.is_fragment,
                "line": p.line,
                **{f"meta.{k}": v for k, v in p.metadata.items()},
            }
            for p in self.passages
        ]
        columns = ["rank", "score", "text", "doc_id", "start", "end", "n_sources", "sources", "id", "is_fragment",
                   "line"]
        columns += sorted({c for r in rows for c in r if c.startswith("meta.")})
        return pd.DataFrame(rows, columns=columns)

    def to_dict(self) -> dict[str, object]:
        """Every field of the answer and its passages, as JSON-serialisable values.

        Sources and near-duplicates become lists of ``{doc_id, start, end}``;
        ``context`` becomes ``{before, after, heading}`` (or None).

        Examples
        --------
        >>> import json, spasmqa
        >>> d = spasmqa.QA.from_texts(["Heat relaxes a muscle spasm."]).ask("spasm").to_dict()
        >>> d["low_confidence"], d["passages"][0]["doc_id"], d["passages"][0]["context"]["heading"]
        (False, '0', None)
        >>> _ = json.dumps(d)
        """
        return {
            "question": self.question,
            "terms": list(self.terms),
            "text": self.text,
            "confidence": float(self.confidence),
            "low_confidence": self.low_confidence,
            "passages": [p.to_dict() for p in self.passages],
        }

    def __str__(self) -> str:
        if not self.passages:
            return f"Q: {self.question}\n(no passage in the corpus matches this question)"
        lines = [f"Q: {self.question}"]
        if self.text:
            flag = "  [low confidence]" if self.low_confidence else ""
            lines.append(f"A: {self.text}{flag}")
        lines.append("")
        lines.extend(str(p) for p in self.passages)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        highlight = self._highlight or html.escape
        head = f"<div class='spasmqa-answer'><p><b>Q:</b> {html.escape(self.question)}</p>"
        if not self.passages:
            return head + "<p><i>No passage in the corpus matches this question.</i></p></div>"
        body = []
        if self.text:
            flag = " <span style='color:#a00'>(low confidence)</span>" if self.low_confidence else ""
            body.append(f"<p><b>A:</b> {highlight(self.text)}{flag}</p>")
        body.append("<ol style='padding-left:1.5em'>")
        body.extend(f"<li value='{p.rank}'>{_passage_html(p, highlight)}</li>" for p in self.passages)
        body.append("</ol>")
        return head + "".join(body) + "</div>"


@dataclass(frozen=True)
class ContextView:
    """A passage shown inside its document: ``text[start:end]`` of the document
    around it, with the passage at ``[mark_start, mark_end)`` of ``text``."""

    doc_id: str
    text: str
    mark_start: int
    mark_end: int
    offset: int  # where ``text`` starts in the document
    path: str | None = field(default=None, repr=False)  # shown by file name only

    def __str__(self) -> str:
        t = self.text
        return (f"{self.doc_id} [{self.offset}:{self.offset + len(t)}]\n"
                f"{t[:self.mark_start]}>>>{t[self.mark_start:self.mark_end]}<<<{t[self.mark_end:]}")

    def _repr_html_(self) -> str:
        t = self.text
        # The file by name: a notebook's output should not carry this machine's directories.
        where = html.escape(self.doc_id) + (f" ({html.escape(Path(self.path).name)})" if self.path else "")
        return (f"<div class='spasmqa-context'><div style='color:#666;font-size:90%'>{where}, characters "
                f"{self.offset}–{self.offset + len(t)}</div><p>{html.escape(t[:self.mark_start])}"
                f"<mark><b>{html.escape(t[self.mark_start:self.mark_end])}</b></mark>"
                f"{html.escape(t[self.mark_end:])}</p></div>")


def _passage_html(p: Passage, highlight: Callable[[str], str]) -> str:
    places = ", ".join(f"{html.escape(s.doc_id)} [{s.start}:{s.end}]" for s in p.sources)
    flags = " · fragment" if p.is_fragment else ""
    n = len(p.sources)
    return (
        f"<div>{highlight(p.text)}</div>"
        f"<div style='color:#666;font-size:90%'>score {p.score:.3f} · {html.escape(p.doc_id)} "
        f"[{p.start}:{p.end}] · {n} place{'s' if n != 1 else ''}: {places}{flags}</div>"
    )


def make_highlighter(term_of: Callable[[str], str | None], terms: Sequence[str]) -> Callable[[str], str]:
    """An HTML escaper that wraps words whose index term is in ``terms`` in <mark>."""
    wanted = set(terms)

    def highlight(text: str) -> str:
        out = []
        pos = 0
        for m in WORD_RE.finditer(text):
            out.append(html.escape(text[pos:m.start()]))
            word = m.group()
            escaped = html.escape(word)
            out.append(f"<mark>{escaped}</mark>" if term_of(word) in wanted else escaped)
            pos = m.end()
        out.append(html.escape(text[pos:]))
        return "".join(out)

    return highlight
