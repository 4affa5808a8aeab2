"""Loading documents: text, Markdown, reStructuredText, HTML, JSONL, CSV, Parquet, directories.

A :class:`Corpus` maps stable ``doc_id`` strings to :class:`Document` objects,
in load order. ``doc_id`` values depend only on the file's path relative to
what the user named and on the document's position in the file (or on the
``id`` field of JSONL/CSV/Parquet rows), so they are the same on every run.

Markup (``.md``, ``.rst``, ``.html``) is converted to plain text by
:mod:`spasmqa.markup`; the document text is that plain text, and every
offset indexes into it. Code blocks become documents of their own with
``kind="code"`` and ids like ``guide.md#code-2``; they are never part of a
text document. Headings and the page title are kept on each document
(:attr:`Document.headings`, :attr:`Document.title`), and
:meth:`Document.line_at` maps an offset back to a line of the file.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, Union

from . import markup

from .resources import default_corpus_path

__all__ = [
    "Corpus",
    "Document",
    "LoadProblem",
    "MetadataValue",
    "SUPPORTED_SUFFIXES",
    "default_corpus_path",
    "load_corpus",
    "metadata_value",
    "summarize_problems",
]

PathLike = Union[str, os.PathLike]
SplitMode = Literal["paragraph", "file"]
#: A metadata value: a JSON scalar.
MetadataValue = Union[str, int, float, bool, None]

_TEXT_SUFFIXES = (".txt",)
_RECORD_SUFFIXES = (".jsonl", ".csv", ".parquet")
#: File types :func:`load_corpus` reads (others need ``text_extensions``).
SUPPORTED_SUFFIXES = (".txt", *markup.FORMATS, *_RECORD_SUFFIXES)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_RESERVED_FIELDS = ("id", "_id", "text", "title")
_EMPTY: Mapping[str, MetadataValue] = MappingProxyType({})


class _LoadError(ValueError):
    """A file cannot be loaded; ``category`` is the short reason used in summaries."""

    def __init__(self, message: str, category: str = "malformed") -> None:
        super().__init__(message)
        self.category = category


def _check_metadata(metadata: Mapping[str, Any]) -> Mapping[str, MetadataValue]:
    if isinstance(metadata, MappingProxyType) and metadata is _EMPTY:
        return metadata
    if not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a mapping, got {type(metadata).__name__}")
    for key, value in metadata.items():
        if not isinstance(key, str):
            raise TypeError(f"metadata keys must be strings, got {key!r}")
        if value is not None and not isinstance(value, (str, int, float, bool)):
            raise TypeError(
                f"metadata value for {key!r} must be a JSON scalar (str, int, float, bool or None), "
                f"got {type(value).__name__}"
            )
    return MappingProxyType(dict(metadata)) if metadata else _EMPTY


@dataclass(frozen=True)
class Document:
    """One document of a corpus.

    Attributes
    ----------
    doc_id : str
        Stable identifier, e.g. ``"back_spasms.txt#2"`` (second paragraph),
        ``"guide.md#code-1"`` (first code block), or a record's ``id``.
    text : str
        The document's full text. Passage offsets index into it. For
        ``.md``/``.rst``/``.html`` files it is the converted plain text
        (markup removed). When a JSONL/CSV/Parquet row gives a title,
        ``text`` is the title, a blank line, then the body, so that the
        title is searchable and spans stay exact.
    path : str or None
        The file it came from (None for documents made from Python strings).
    title : str or None
        The record's title field, or the page title of a converted file
        (Markdown: first level-1 heading; rst: first section title; HTML:
        ``<title>``, else the first ``<h1>``). For converted files the title
        is *not* prepended to each paragraph's text.
    offset : int
        Where ``text`` starts in the file's text (paragraph documents): the
        raw file for ``.txt``, the converted plain text for markup (for a
        code document: where the block was taken out of it); else 0.
    kind : {"text", "code"}
        ``"code"`` for a code block taken out of a markup file. Code
        documents must never be sentence-split or pasted into an answer.
    headings : tuple of (offset, level, heading text)
        The headings that apply to this document, offsets relative to
        ``text``, in order. Entries at offset 0 include the section path the
        document starts in (its enclosing headings, outermost first); later
        entries are headings inside the text. Use :meth:`heading_path`.
    line_map : tuple of (offset, line)
        Anchors mapping offsets in ``text`` to 1-based lines of the source
        file; empty when unknown (Python strings, Parquet, DataFrames). Use
        :meth:`line_at`. For JSONL/CSV rows every offset maps to the row's
        first line.
    metadata : mapping of str to str, int, float, bool or None
        Extra fields of a JSONL/CSV/Parquet row or DataFrame column
        (everything except ``id``/``_id``/``text``/``title``), read-only.

    Examples
    --------
    >>> d = Document("a.md#2", "Install\\n\\nRun it.", headings=((0, 1, "Guide"), (0, 2, "Install")),
    ...              title="Guide", line_map=((0, 5),))
    >>> d.heading_path(9), d.line_at(9), d.breadcrumb(9)
    (('Guide', 'Install'), 7, 'Guide › Install')
    """

    doc_id: str
    text: str
    path: str | None = None
    title: str | None = None
    offset: int = 0
    kind: str = "text"
    headings: tuple[tuple[int, int, str], ...] = ()
    line_map: tuple[tuple[int, int], ...] = ()
    metadata: Mapping[str, MetadataValue] = field(default_factory=lambda: _EMPTY, hash=False)

    def __post_init__(self) -> None:
        if self.kind not in ("text", "code"):
            raise ValueError(f"Document.kind must be 'text' or 'code', got {self.kind!r}")
        object.__setattr__(self, "metadata", _check_metadata(self.metadata))

    def line_at(self, offset: int = 0) -> int | None:
        """The 1-based line of the source file at ``offset`` in ``text``, or None if unknown."""
        return markup.line_at(self.text, self.line_map, offset)

    def heading_path(self, offset: int = 0) -> tuple[str, ...]:
        """The heading texts in effect at ``offset``, outermost first."""
        return markup.heading_path(self.headings, offset)

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (what an index should store).

        The five original fields are always present; ``kind``, ``headings``,
        ``line_map`` and ``metadata`` only when they differ from the default,
        so records of plain documents look as before.

        Examples
        --------
        >>> Document("a", "Hi.", kind="code", line_map=((0, 3),)).to_record()
        {'doc_id': 'a', 'text': 'Hi.', 'path': None, 'title': None, 'offset': 0, 'kind': 'code', 'line_map': [[0, 3]]}
        """
        rec: dict[str, Any] = {"doc_id": self.doc_id, "text": self.text, "path": self.path, "title": self.title,
                               "offset": self.offset}
        if self.kind != "text":
            rec["kind"] = self.kind
        if self.headings:
            rec["headings"] = [list(h) for h in self.headings]
        if self.line_map:
            rec["line_map"] = [list(a) for a in self.line_map]
        if self.metadata:
            rec["metadata"] = dict(self.metadata)
        return rec

    @classmethod
    def from_record(cls, rec: Mapping[str, Any]) -> Document:
        """The inverse of :meth:`to_record`; malformed records raise ValueError or TypeError.

        Examples
        --------
        >>> d = Document("a", "Hi.", headings=((0, 1, "Hi"),), metadata={"year": 2020})
        >>> Document.from_record(d.to_record()) == d
        True
        """
        if not isinstance(rec, Mapping):
            raise TypeError(f"a document record must be a mapping, got {type(rec).__name__}")
        try:
            doc_id, text = rec["doc_id"], rec["text"]
        except KeyError as exc:
            raise ValueError(f"document record is missing {exc.args[0]!r}") from None
        if not isinstance(doc_id, str) or not isinstance(text, str):
            raise TypeError("doc_id and text must be strings")
        path, title = rec.get("path"), rec.get("title")
        for name, value in (("path", path), ("title", title)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{name} must be a string or null, got {type(value).__name__}")
        try:
            headings = tuple((int(o), int(lv), str(t)) for o, lv, t in rec.get("headings") or ())
            line_map = tuple((int(o), int(ln)) for o, ln in rec.get("line_map") or ())
        except (TypeError, ValueError):
            raise ValueError("headings must be [offset, level, text] and line_map [offset, line] lists") from None
        return cls(doc_id=doc_id, text=text, path=path, title=title, offset=int(rec.get("offset") or 0),
                   kind=rec.get("kind", "text"), headings=headings, line_map=line_map,
                   metadata=rec.get("metadata") or _EMPTY)

    def breadcrumb(self, offset: int = 0, sep: str = " › ") -> str:
        """``"page › section › subsection"`` for ``offset`` (empty if no title or headings).

        The page title is left out when it is also the first heading.
        """
        path = list(self.heading_path(offset))
        if self.title and (not path or path[0] != self.title):
            path.insert(0, self.title)
        return sep.join(path)


@dataclass(frozen=True)
class LoadProblem:
    """Something that went wrong while loading a file.

    Attributes
    ----------
    path : str
        The file (or directory entry).
    reason : str
        What went wrong, in full.
    category : str
        A short reason used to count problems in :func:`summarize_problems`:
        ``"unsupported type"``, ``"binary"``, ``"not UTF-8"``, ``"unreadable"``,
        ``"malformed"``, ``"symlinked directory"``, ``"missing dependency"``,
        ``"lone surrogates"``, ``"undecodable file name"``, ``"ids renamed"``.
    action : {"skipped", "repaired", "renamed"}
        ``"skipped"``: nothing of the file was loaded. ``"repaired"``: it was
        loaded with invalid characters replaced by U+FFFD. ``"renamed"``: it
        was loaded, but record ids that also occur in other files were
        qualified with the file name.
    """

    path: str
    reason: str
    category: str = "other"
    action: str = "skipped"

    def __post_init__(self) -> None:
        # Printable whatever the file name was: no lone surrogates.
        for name in ("path", "reason"):
            value = getattr(self, name)
            if _SURROGATE.search(value):
                object.__setattr__(self, name, _display_name(value))

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def summarize_problems(problems: Sequence[LoadProblem], *, cli: bool = False, limit: int = 3) -> str:
    """One line that says what was skipped, repaired or renamed, and what to do.

    Parameters
    ----------
    problems : sequence of LoadProblem
        Usually ``corpus.problems``.
    cli : bool, default=False
        Phrase the advice for the command line (``--ext .rst,.adoc``,
        ``--strict``) instead of Python (``text_extensions=...``,
        ``strict=True``).
    limit : int, default=3
        How many file names to show.

    Returns
    -------
    str
        ``""`` when there are no problems.

    Examples
    --------
    >>> print(summarize_problems([LoadProblem("d/a.adoc", "unsupported file type '.adoc'", "unsupported type"),
    ...                           LoadProblem("d/b.txt", "not valid UTF-8 (byte 3)", "not UTF-8")], cli=True))
    2 files skipped (1 not UTF-8, 1 unsupported type .adoc): d/a.adoc, d/b.txt; read other extensions as plain text with --ext .adoc, or pass --strict to fail instead
    """
    if not problems:
        return ""
    parts: list[str] = []
    skipped = [p for p in problems if p.action == "skipped"]
    if skipped:
        counts = Counter(p.category for p in skipped)
        exts = sorted({_suffix_of(p.path) for p in skipped if p.category == "unsupported type"})
        reasons = []
        for category, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            label = category + (" " + ", ".join(exts) if category == "unsupported type" and exts else "")
            reasons.append(f"{count} {label}")
        names = ", ".join(p.path for p in skipped[:limit]) + (f" and {len(skipped) - limit} more" if len(skipped) > limit else "")
        advice = []
        if exts:
            advice.append(
                f"read other extensions as plain text with --ext {','.join(exts)}" if cli
                else f"read other extensions as plain text with text_extensions={tuple(exts)!r}"
            )
        advice.append("pass --strict to fail instead" if cli else "pass strict=True to fail instead")
        s = "s" if len(skipped) != 1 else ""
        parts.append(f"{len(skipped)} file{s} skipped ({', '.join(reasons)}): {names}; {', or '.join(advice)}")
    for action, verb in (("repaired", "repaired (invalid characters replaced by U+FFFD)"),
                         ("renamed", "with record ids also found in other files (qualified as file#id)")):
        hit = [p for p in problems if p.action == action]
        if hit:
            names = ", ".join(p.path for p in hit[:limit]) + (f" and {len(hit) - limit} more" if len(hit) > limit else "")
            s = "s" if len(hit) != 1 else ""
            parts.append(f"{len(hit)} file{s} {verb}: {names}")
    if any(p.action == "repaired" for p in problems) and not skipped:
        parts.append("pass --strict to reject them instead" if cli else "pass strict=True to reject them instead")
    return "; ".join(parts)


def _suffix_of(path: str) -> str:
    return Path(path).suffix.lower() or "(none)"


@dataclass
class Corpus(Mapping[str, Document]):
    """An ordered mapping ``doc_id -> Document``.

    ``problems`` lists files that could not be loaded (binary, not UTF-8,
    unreadable, malformed, unsupported type) and files that were loaded
    with repairs; they are reported, never silently dropped
    (:meth:`problem_summary` gives one line).
    """

    documents: dict[str, Document] = field(default_factory=dict)
    problems: list[LoadProblem] = field(default_factory=list)

    def __getitem__(self, doc_id: str) -> Document:
        try:
            return self.documents[doc_id]
        except KeyError:
            raise KeyError(f"no document with doc_id {doc_id!r} in this corpus") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.documents)

    def __len__(self) -> int:
        return len(self.documents)

    def add(self, doc: Document) -> None:
        if doc.doc_id in self.documents:
            where = f" (from {doc.path})" if doc.path else ""
            raise ValueError(f"duplicate doc_id {doc.doc_id!r}{where}: every document needs a unique id")
        self.documents[doc.doc_id] = doc

    def problem_summary(self, *, cli: bool = False) -> str:
        """One line about :attr:`problems` (see :func:`summarize_problems`); ``""`` if none."""
        return summarize_problems(self.problems, cli=cli)

    @classmethod
    def from_texts(cls, texts: Iterable[str], ids: Iterable[str] | None = None) -> Corpus:
        """Build a corpus from Python strings; ids default to ``"0"``, ``"1"``, ...

        Lone surrogates (invalid Unicode) are replaced by U+FFFD and reported
        in ``problems``.
        """
        if isinstance(texts, str):
            raise TypeError("texts must be a list of strings, not a single string")
        corpus = cls()
        texts = list(texts)
        id_list = [str(i) for i in range(len(texts))] if ids is None else [str(i) for i in ids]
        if len(id_list) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(id_list)} ids")
        fixer = _Fixer("texts", strict=False)
        for i, (doc_id, text) in enumerate(zip(id_list, texts)):
            if not isinstance(text, str):
                raise TypeError(f"texts[{i}] must be str, got {type(text).__name__}")
            corpus.add(Document(doc_id=fixer(doc_id, f"ids[{i}]"), text=fixer(text, f"texts[{i}]")))
        corpus.problems.extend(fixer.problems())
        return corpus

    @classmethod
    def from_frame(
        cls,
        df: Any,
        id: str = "id",
        text: str = "text",
        title: str | None = None,
        metadata: Sequence[str] | None = None,
    ) -> Corpus:
        """Build a corpus from a pandas DataFrame, one document per row.

        Parameters
        ----------
        df : pandas.DataFrame
        id, text : str
            Column names of the ids (any scalars, turned into strings; unique)
            and texts (strings).
        title : str or None
            Column of titles (strings or nulls). A title is prepended to the
            text as with JSONL.
        metadata : list of str or None
            Columns to keep as :attr:`Document.metadata`; ``None`` keeps every
            other column. Values become JSON scalars (see :func:`load_corpus`).

        Raises
        ------
        ValueError
            A named column is missing or does not hold text, a row has a null
            text or id (the message names the row), or an id repeats.

        Examples
        --------
        >>> import pandas as pd
        >>> c = Corpus.from_frame(pd.DataFrame({"id": [1, 2], "text": ["Heat.", "Ice."], "year": [2020, 2021]}))
        >>> list(c), c["2"].metadata["year"]
        (['1', '2'], 2021)
        """
        import pandas as pd

        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"from_frame needs a pandas DataFrame, got {type(df).__name__}")
        fixer = _Fixer("DataFrame", strict=False)
        corpus = cls()
        for doc in _frame_documents(df, id, text, title, metadata, "DataFrame", None, fixer):
            corpus.add(doc)
        corpus.problems.extend(fixer.problems())
        return corpus

    def __repr__(self) -> str:
        extra = f", {len(self.problems)} problems" if self.problems else ""
        return f"<Corpus: {len(self)} documents{extra}>"


# -- invalid Unicode ----------------------------------------------------------

class _Fixer:
    """Replaces lone surrogates by U+FFFD and remembers where (or raises when strict)."""

    def __init__(self, path: str, strict: bool) -> None:
        self.path = path
        self.strict = strict
        self.count = 0
        self.first: str | None = None

    def __call__(self, s: str, where: str) -> str:
        try:
            s.encode("utf-8")
        except UnicodeEncodeError:
            if self.strict:
                raise _LoadError(
                    f"{where}: contains a lone surrogate (invalid Unicode, e.g. \\ud800); "
                    "strict loading rejects it", "lone surrogates") from None
            self.count += 1
            self.first = self.first or where
            return _SURROGATE.sub("\ufffd", s)
        return s

    def problems(self) -> list[LoadProblem]:
        if not self.count:
            return []
        return [LoadProblem(self.path, f"{self.count} field(s) with lone surrogates (invalid Unicode) replaced by "
                                       f"U+FFFD, first at {self.first}", "lone surrogates", "repaired")]


def _display_name(name: str) -> str:
    """A file name (or text holding one) made printable: undecodable bytes and lone surrogates become U+FFFD."""
    if not _SURROGATE.search(name):
        return name
    try:
        return os.fsencode(name).decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate that is not an escaped byte
        return _SURROGATE.sub("\ufffd", name)


# -- reading files --------------------------------------------------------------

def _read_utf8(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise _LoadError(f"{path}: looks like a binary file (contains NUL bytes), not UTF-8 text", "binary")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _LoadError(
            f"{path}: not valid UTF-8 (byte {exc.start}: {data[exc.start:exc.start + 1]!r}); "
            "re-encode the file as UTF-8", "not UTF-8"
        ) from None
    return text.removeprefix("\ufeff")


def _flat_line_map(text: str, line: int) -> tuple[tuple[int, int], ...]:
    """Anchors that map every offset of ``text`` to ``line`` (a one-line record)."""
    anchors = [(0, line)]
    pos = text.find("\n")
    while pos != -1:
        anchors.append((pos + 1, line))
        pos = text.find("\n", pos + 1)
    return tuple(anchors)


def _text_documents(path: Path, name: str, split: SplitMode, shown: str) -> Iterator[Document]:
    text = _read_utf8(path)
    if split == "file":
        yield Document(doc_id=name, text=text, path=shown, line_map=((0, 1),))
        return
    n = 0
    pos = 0
    line = 1
    counted = 0
    for brk in [*_PARAGRAPH_BREAK.finditer(text), None]:
        end = brk.start() if brk else len(text)
        chunk = text[pos:end]
        stripped = chunk.strip()
        if stripped:
            n += 1
            lead = len(chunk) - len(chunk.lstrip())
            start = pos + lead
            line += text.count("\n", counted, start)
            counted = start
            yield Document(doc_id=f"{name}#{n}", text=stripped, path=shown, offset=start, line_map=((0, line),))
        if brk:
            pos = brk.end()


def _sub_structure(conv: markup.Converted, start: int, end: int) -> tuple[tuple, tuple]:
    """Headings and line anchors of ``conv.text[start:end]``, relative to ``start``."""
    inherited: list[tuple[int, str]] = []
    inner = []
    for pos, level, text in conv.headings:
        if pos < start:
            while inherited and inherited[-1][0] >= level:
                inherited.pop()
            inherited.append((level, text))
        elif pos < end:
            inner.append((pos - start, level, text))
    headings = tuple((0, level, text) for level, text in inherited) + tuple(inner)
    first = conv.line_at(start)
    anchors = [(0, first)] if first is not None else []
    anchors += [(pos - start, line) for pos, line in conv.line_map if start < pos < end]
    return headings, tuple(anchors)


def _markup_documents(path: Path, name: str, split: SplitMode, fmt: str, shown: str) -> Iterator[Document]:
    source = _read_utf8(path)
    try:
        conv = markup.convert(source, fmt)
    except Exception as exc:  # a converter bug must cost one file, not the whole walk
        raise _LoadError(f"{path}: cannot convert {fmt} ({type(exc).__name__}: {exc})", "conversion failed") from None
    text = conv.text
    spans: list[tuple[int, int]] = []
    if split == "file":
        if text.strip():
            spans.append((0, len(text)))
    else:
        pos = 0
        for brk in [*_PARAGRAPH_BREAK.finditer(text), None]:
            end = brk.start() if brk else len(text)
            chunk = text[pos:end]
            if chunk.strip():
                lead = len(chunk) - len(chunk.lstrip())
                spans.append((pos + lead, pos + len(chunk.rstrip())))
            if brk:
                pos = brk.end()
    for n, (start, end) in enumerate(spans, start=1):
        headings, line_map = _sub_structure(conv, start, end)
        doc_id = name if split == "file" else f"{name}#{n}"
        yield Document(doc_id=doc_id, text=text[start:end], path=shown, title=conv.title, offset=start,
                       headings=headings, line_map=line_map)
    for n, block in enumerate(conv.code, start=1):
        # The sections the block is in: the headings before its place.
        headings, _ = _sub_structure(conv, block.offset, block.offset)
        yield Document(doc_id=f"{name}#code-{n}", text=block.text, path=shown, title=conv.title,
                       offset=block.offset, kind="code", headings=headings, line_map=((0, block.line),))


def metadata_value(value: Any, fix: Callable[[str], str] = lambda s: s) -> MetadataValue:
    """Turn a field value into a JSON scalar for :attr:`Document.metadata`.

    The rule: ``None``, NaN and pandas nulls become ``None``; bools, ints,
    floats and strings stay (numpy scalars become Python ones); dates and
    times become ISO 8601 text; bytes are decoded as UTF-8 (invalid bytes
    become U+FFFD); lists, tuples, dicts and arrays become compact JSON
    text with sorted keys (``'["a","b"]'``); anything else becomes
    ``str(value)``.

    Examples
    --------
    >>> metadata_value(["en", "de"]), metadata_value(float("nan")), metadata_value({"b": 1, "a": 2})
    ('["en","de"]', None, '{"a":2,"b":1}')
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, str):
        return fix(value)
    try:
        import numpy as np

        if isinstance(value, np.ndarray):
            value = value.tolist()
        elif isinstance(value, np.bool_):
            return bool(value)
        elif isinstance(value, np.integer):
            return int(value)
        elif isinstance(value, np.floating):
            f = float(value)
            return None if math.isnan(f) else f
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    if isinstance(value, (list, tuple, dict)):
        if not value:
            return "{}" if isinstance(value, dict) else "[]"
        return fix(json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str))
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover
        pass
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return fix(str(value))


def _record_document(record: Mapping[str, object], where: str, path: str | None, fixer: _Fixer,
                     line: int | None = None) -> Document:
    id_key = next((k for k in ("id", "_id", "docno") if k in record), None)
    doc_id = record.get(id_key) if id_key else None
    if doc_id is None or (isinstance(doc_id, str) and not doc_id.strip()):
        raise ValueError(f"{where}: missing 'id' (or '_id') field")
    text = record.get("text")
    if text is None:
        raise ValueError(f"{where}: missing 'text' field")
    if not isinstance(text, str):
        raise ValueError(f"{where}: 'text' must be a string, got {type(text).__name__}")
    title = record.get("title")
    if title is not None and not isinstance(title, str):
        raise ValueError(f"{where}: 'title' must be a string, got {type(title).__name__}")
    text = fixer(text, f"{where} 'text'")
    title = fixer(title.strip(), f"{where} 'title'") if title else None
    full = f"{title}\n\n{text}" if title else text
    meta = {}
    for key, value in record.items():
        if key in _RESERVED_FIELDS or key == id_key:
            continue
        if isinstance(value, str):
            meta[fixer(key, f"{where} field name")] = fixer(value, f"{where} {key!r}")
        else:
            meta[fixer(str(key), f"{where} field name")] = metadata_value(
                value, lambda s, key=key: fixer(s, f"{where} {key!r}"))
    return Document(doc_id=fixer(str(doc_id), f"{where} 'id'"), text=full, path=path, title=title or None,
                    line_map=_flat_line_map(full, line) if line is not None else (), metadata=meta)


class _UniqueIds:
    """Duplicate ids inside one file are errors."""

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}

    def check(self, doc: Document, where: str) -> Document:
        first = self.seen.setdefault(doc.doc_id, where)
        if first is not where:
            raise _LoadError(f"{where}: duplicate doc_id {doc.doc_id!r} (first at {first})", "duplicate id")
        return doc


def _jsonl_documents(path: Path, fixer: _Fixer, shown: str) -> Iterator[Document]:
    text = _read_utf8(path)
    ids = _UniqueIds()
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where}: malformed JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(record, dict):
            raise ValueError(f"{where}: expected a JSON object, got {type(record).__name__}")
        yield ids.check(_record_document(record, where, shown, fixer, line=lineno), where)


_INT = re.compile(r"[+-]?(?:0|[1-9][0-9]*)")
_LEADING_ZERO = re.compile(r"[+-]?0[0-9]")


def _csv_column_types(rows: list[dict[str, str]], columns: Iterable[str]) -> dict[str, type]:
    """int if every non-empty cell is an integer, float if a number, else str (also with leading zeros)."""
    kinds = {}
    for col in columns:
        cells = [r[col].strip() for r in rows if r[col].strip()]
        kind: type = str
        if cells and all(_INT.fullmatch(c) for c in cells):
            kind = int
        elif cells and not any(_LEADING_ZERO.match(c) for c in cells):  # "007" is a code, not 7.0
            try:
                if all(math.isfinite(float(c)) for c in cells):
                    kind = float
            except ValueError:
                pass
        kinds[col] = kind
    return kinds


def _csv_documents(path: Path, fixer: _Fixer, shown: str) -> Iterator[Document]:
    text = _read_utf8(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise ValueError(f"{path}:1: malformed CSV header ({exc})") from None
    header = [h.strip() for h in header]
    if "text" not in header or not ({"id", "_id", "docno"} & set(header)):
        raise ValueError(f"{path}:1: CSV header must name 'id' and 'text' columns, got {header}")
    rows: list[tuple[dict[str, str], str, int]] = []
    last = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ValueError(f"{path}:{reader.line_num}: malformed CSV row ({exc})") from None
        first_line, last = last + 1, reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        where = f"{path}:{reader.line_num}"
        if len(row) != len(header):
            raise ValueError(f"{where}: expected {len(header)} fields ({', '.join(header)}), got {len(row)}")
        rows.append((dict(zip(header, row)), where, first_line))
    id_key = next(k for k in ("id", "_id", "docno") if k in header)
    extra = [h for h in header if h not in _RESERVED_FIELDS and h != id_key]
    kinds = _csv_column_types([r for r, _, _ in rows], extra)
    ids = _UniqueIds()
    for record, where, first_line in rows:
        typed: dict[str, object] = {k: v for k, v in record.items() if k not in extra}
        for col in extra:
            cell = record[col].strip()
            typed[col] = None if not cell else kinds[col](cell)
        if typed.get("title") == "":
            typed["title"] = None
        yield ids.check(_record_document(typed, where, shown, fixer, line=first_line), where)


def _frame_documents(
    df: Any, id_col: str, text_col: str, title_col: str | None, metadata: Sequence[str] | None,
    where: str, shown: str | None, fixer: _Fixer,
) -> list[Document]:
    import pandas as pd

    columns = [str(c) for c in df.columns]
    for role, col in (("id", id_col), ("text", text_col), ("title", title_col)):
        if col is not None and col not in columns:
            raise ValueError(f"{where}: no {role} column {col!r}; columns are {columns}")
    if len(set(columns)) != len(columns):
        raise ValueError(f"{where}: duplicate column names in {columns}")
    for role, col in (("text", text_col), ("title", title_col)):
        if col is not None and not (pd.api.types.is_string_dtype(df[col]) or df[col].dtype == object):
            raise ValueError(f"{where}: column {col!r} ({role}) must hold text, got dtype {df[col].dtype}")
    meta_cols = [c for c in columns if c not in (id_col, text_col, title_col)] if metadata is None else list(metadata)
    for col in meta_cols:
        if col not in columns:
            raise ValueError(f"{where}: no metadata column {col!r}; columns are {columns}")
    ids_seen: dict[str, int] = {}
    docs = []
    cols = {c: df[c].tolist() for c in {id_col, text_col, *( [title_col] if title_col else []), *meta_cols}}
    for i in range(len(df)):
        label = df.index[i]
        at = f"{where}: row {i}" + ("" if label == i else f" (index {label!r})")
        doc_id = cols[id_col][i]
        if doc_id is None or (not isinstance(doc_id, (list, tuple, dict)) and pd.isna(doc_id)):
            raise ValueError(f"{at}: null id in column {id_col!r}")
        doc_id = metadata_value(doc_id)
        doc_id = str(doc_id) if not isinstance(doc_id, float) or not doc_id.is_integer() else str(int(doc_id))
        text = cols[text_col][i]
        if text is None or (not isinstance(text, str) and pd.isna(text)):
            raise ValueError(f"{at}: null text in column {text_col!r}")
        if not isinstance(text, str):
            raise ValueError(f"{at}: column {text_col!r} must hold strings, got {type(text).__name__}")
        title = cols[title_col][i] if title_col else None
        if title is not None and not isinstance(title, str):
            if pd.isna(title):
                title = None
            else:
                raise ValueError(f"{at}: column {title_col!r} (title) must hold strings, got {type(title).__name__}")
        if doc_id in ids_seen:
            raise ValueError(f"{at}: duplicate id {doc_id!r} (first in row {ids_seen[doc_id]})")
        ids_seen[doc_id] = i
        text = fixer(text, f"{at} {text_col!r}")
        title = fixer(title.strip(), f"{at} {title_col!r}") if title and title.strip() else None
        meta = {c: metadata_value(cols[c][i], lambda s, c=c, at=at: fixer(s, f"{at} {c!r}")) for c in meta_cols}
        docs.append(Document(doc_id=fixer(doc_id, f"{at} id"), text=f"{title}\n\n{text}" if title else text,
                             path=shown, title=title, metadata=meta))
    return docs


def _parquet_documents(path: Path, fixer: _Fixer, shown: str) -> list[Document]:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise _LoadError(
            f"{path}: reading .parquet files needs pyarrow; install it with pip install 'spasmqa[parquet]'",
            "missing dependency",
        ) from None
    import pandas as pd

    try:
        df = pd.read_parquet(path, engine="pyarrow")
    except (OSError, ValueError, pyarrow.ArrowException) as exc:
        raise ValueError(f"{path}: cannot read Parquet ({exc})") from None
    columns = [str(c) for c in df.columns]
    id_col = next((c for c in ("id", "_id", "docno") if c in columns), None)
    if id_col is None or "text" not in columns:
        raise ValueError(f"{path}: Parquet file must have 'id' and 'text' columns, got {columns}")
    meta = [c for c in columns if c not in _RESERVED_FIELDS and c != id_col]
    return _frame_documents(df, id_col, "text", "title" if "title" in columns else None, meta,
                            str(path), shown, fixer)


# -- directories and roots ------------------------------------------------------------

@dataclass
class _FileLoad:
    docs: list[Document]
    records: bool
    name: str
    problems: list[LoadProblem]


def _load_file(path: Path, name: str, split: SplitMode, text_exts: tuple[str, ...], strict: bool,
               shown: str) -> _FileLoad:
    """Parse a whole file (a file that fails half-way contributes nothing)."""
    suffix = path.suffix.lower()
    fixer = _Fixer(shown, strict)
    records = False
    if suffix in text_exts or suffix in _TEXT_SUFFIXES:
        docs = list(_text_documents(path, name, split, shown))
    elif suffix in markup.FORMATS:
        docs = list(_markup_documents(path, name, split, markup.FORMATS[suffix], shown))
    elif suffix == ".jsonl":
        docs, records = list(_jsonl_documents(path, fixer, shown)), True
    elif suffix == ".csv":
        docs, records = list(_csv_documents(path, fixer, shown)), True
    elif suffix == ".parquet":
        docs, records = _parquet_documents(path, fixer, shown), True
    else:
        raise _LoadError(
            f"{path}: unsupported file type {suffix or '(none)'!r}; expected one of {', '.join(SUPPORTED_SUFFIXES)} "
            "(or name it in text_extensions to read it as plain text)", "unsupported type")
    return _FileLoad(docs, records, name, fixer.problems())


def _walk(root: Path) -> Iterator[tuple[Path | None, str, str | None]]:
    """Yield (path, name relative to root, problem) in a stable order.

    Symlinked directories are not followed (this is what makes symlink loops
    harmless); they are reported.
    """
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=None):
        dirnames.sort()
        for d in list(dirnames):
            full = Path(dirpath) / d
            if d.startswith("."):
                dirnames.remove(d)
            elif full.is_symlink():
                rel = full.relative_to(root).as_posix()
                yield None, rel, "symlinked directory not followed"
        for f in sorted(filenames):
            if f.startswith("."):
                continue
            full = Path(dirpath) / f
            rel = full.relative_to(root).as_posix()
            yield full, rel, None


def _root_labels(paths: Sequence[Path]) -> list[str]:
    """Short distinct names for several roots: the last path component, or more when two share it."""
    absolute = [Path(os.path.abspath(p)) for p in paths]
    seen: dict[Path, int] = {}
    for i, a in enumerate(absolute):
        if a in seen:
            raise ValueError(f"corpus path given twice: {paths[seen[a]]} and {paths[i]}")
        seen[a] = i
    parts = [[_display_name(x) for x in a.parts if x != a.anchor] or ["root"] for a in absolute]
    depth = [1] * len(paths)
    while True:
        labels = ["/".join(p[-d:]) for p, d in zip(parts, depth)]
        counts = Counter(labels)
        clash = [i for i, lab in enumerate(labels) if counts[lab] > 1 and depth[i] < len(parts[i])]
        if not clash:
            break
        for i in clash:
            depth[i] += 1
    counts = Counter(labels)
    for i, lab in enumerate(labels):  # still equal (e.g. /a/b and b-relative oddities): number them
        if counts[lab] > 1:
            labels[i] = f"{lab}~{sum(1 for j in range(i + 1) if labels[j].split('~')[0] == lab)}"
    return labels


def _normalize_exts(text_extensions: Iterable[str] | str) -> tuple[str, ...]:
    if isinstance(text_extensions, str):
        text_extensions = [e for e in text_extensions.split(",") if e.strip()]
    out = []
    for ext in text_extensions:
        if not isinstance(ext, str) or not ext.strip():
            raise TypeError(f"text_extensions must be strings like '.adoc', got {ext!r}")
        ext = ext.strip().lower()
        out.append(ext if ext.startswith(".") else "." + ext)
    return tuple(out)


def load_corpus(
    paths: PathLike | Sequence[PathLike] | None = None,
    *,
    split: SplitMode = "paragraph",
    strict: bool = False,
    text_extensions: Iterable[str] | str = (),
) -> Corpus:
    """Load documents from files and directories.

    Parameters
    ----------
    paths : path, list of paths, or None
        Files (``.txt``, ``.md``, ``.rst``, ``.html``/``.htm``, ``.jsonl``,
        ``.csv``, ``.parquet``) and directories (searched recursively, in
        sorted order, hidden entries skipped). ``None`` loads the default
        corpus shipped with spasmqa. With one path, doc_ids are relative to
        it (``notes/a.md#1`` for a file ``a.md`` found in ``notes/``);
        with several, each is prefixed by its root's name (``a/README.md#1``,
        ``b/README.md#1``; a file named directly is its own name), and two
        roots with the same name are told apart by their parent directories
        (``x/docs/...``, ``y/docs/...``).
    split : {"paragraph", "file"}, default="paragraph"
        How text and markup files become documents: one per blank-line
        separated paragraph (for markup: per block of the converted text: a
        heading, a paragraph, a list), or one per file. JSONL, CSV and
        Parquet always give one document per row; markup code blocks always
        give one ``kind="code"`` document each (``name#code-1``, ...).
    strict : bool, default=False
        Files named directly must always load. Files found inside a directory
        that cannot be loaded (binary, not UTF-8, unreadable, malformed,
        unsupported type) are listed in ``Corpus.problems`` and reported with
        one warning (:func:`summarize_problems`). Lone surrogates in JSON
        strings or DataFrame cells and undecodable file names are replaced by
        U+FFFD and reported. With ``strict=True`` the first such file raises.
    text_extensions : iterable of str, or a comma-separated str
        More extensions to read as plain text (``(".adoc", ".org")``); they
        are split like ``.txt``. Naming a supported extension here (``".md"``)
        reads it as plain text instead of converting it.

    Returns
    -------
    Corpus

    Raises
    ------
    FileNotFoundError
        A named path does not exist.
    ValueError
        A named file is not UTF-8, is malformed (the message names the line
        or row), has an unsupported type, or has two rows with the same id.
        Record ids repeated across *different* files are not an error: they
        are qualified as ``file#id`` and reported.

    Examples
    --------
    >>> corpus = load_corpus()                     # the shipped corpus
    >>> next(iter(corpus))
    'back_spasms.txt#1'
    """
    if split not in ("paragraph", "file"):
        raise ValueError(f"split must be 'paragraph' or 'file', got {split!r}")
    text_exts = _normalize_exts(text_extensions)
    if paths is None:
        paths = [default_corpus_path()]
    elif isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    elif not isinstance(paths, Sequence):
        raise TypeError(f"paths must be a path or a list of paths, got {type(paths).__name__}")
    if not paths:
        raise ValueError("no corpus paths given")
    for p in paths:
        if not isinstance(p, (str, os.PathLike)):
            raise TypeError(f"corpus path must be str or os.PathLike, got {type(p).__name__}")
    roots = [Path(p) for p in paths]
    for root in roots:
        if not root.exists():
            raise FileNotFoundError(f"corpus path does not exist: {root}")
    labels = _root_labels(roots) if len(roots) > 1 else [None]

    loads: list[_FileLoad] = []
    problems: list[LoadProblem] = []
    for root, label in zip(roots, labels):
        if root.is_dir():
            for full, rel, problem in _walk(root):
                shown_rel = _display_name(rel)
                shown = _display_name(str(root / rel))
                name = shown_rel if label is None else f"{label}/{shown_rel}"
                category = "symlinked directory" if problem else "other"
                if full is not None and problem is None:
                    suffix = full.suffix.lower()
                    if suffix not in SUPPORTED_SUFFIXES and suffix not in text_exts:
                        problem = (f"unsupported file type {full.suffix or '(none)'!r} "
                                   "(name it in text_extensions to read it as plain text)")
                        category = "unsupported type"
                if problem is None and full is not None:
                    try:
                        if shown_rel != rel:
                            if strict:
                                raise _LoadError(f"{shown}: file name is not valid UTF-8", "undecodable file name")
                            problems.append(LoadProblem(shown, "file name is not valid UTF-8; shown with U+FFFD",
                                                        "undecodable file name", "repaired"))
                        loads.append(_load_file(full, name, split, text_exts, strict, shown))
                        continue
                    except (OSError, ValueError) as exc:
                        problem = str(exc).removeprefix(f"{full}: ").removeprefix(f"{shown}: ")
                        category = getattr(exc, "category", "malformed")
                        if isinstance(exc, OSError):
                            problem, category = f"cannot read ({exc.strerror or exc})", "unreadable"
                        if shown_rel != rel and problems and problems[-1].path == shown:
                            problems.pop()  # the file is skipped, not repaired
                if strict:
                    raise ValueError(f"{shown}: {problem}")
                problems.append(LoadProblem(shown, problem, category, "skipped"))
        else:
            shown = _display_name(str(root))
            name = _display_name(root.name) if label is None else label
            if shown != str(root):
                if strict:
                    raise ValueError(f"{shown}: file name is not valid UTF-8")
                problems.append(LoadProblem(shown, "file name is not valid UTF-8; shown with U+FFFD",
                                            "undecodable file name", "repaired"))
            try:
                loads.append(_load_file(root, name, split, text_exts, strict, shown))
            except _LoadError as exc:
                raise ValueError(str(exc)) from None

    corpus = Corpus()
    corpus.problems.extend(problems)
    _qualify_clashing_record_ids(loads, corpus.problems)
    for load in loads:
        corpus.problems.extend(load.problems)
        for doc in load.docs:
            corpus.add(doc)
    if corpus.problems:
        warnings.warn(f"{corpus.problem_summary()}. See Corpus.problems.", stacklevel=2)
    return corpus


def _qualify_clashing_record_ids(loads: list[_FileLoad], problems: list[LoadProblem]) -> None:
    """Record ids found in more than one file become ``file#id`` in every file that has them."""
    if len(loads) < 2:
        return
    owner: dict[str, int] = {}
    clashing: set[str] = set()
    for i, load in enumerate(loads):
        for doc in load.docs:
            if owner.setdefault(doc.doc_id, i) != i:
                clashing.add(doc.doc_id)
    if not clashing:
        return
    for load in loads:
        if not load.records:
            continue
        renamed = 0
        for k, doc in enumerate(load.docs):
            if doc.doc_id in clashing:
                load.docs[k] = _replace_id(doc, f"{load.name}#{doc.doc_id}")
                renamed += 1
        if renamed:
            path = load.docs[0].path or load.name
            problems.append(LoadProblem(path, f"{renamed} record id(s) also occur in other files; "
                                              f"qualified as {load.name}#<id>", "ids renamed", "renamed"))


def _replace_id(doc: Document, doc_id: str) -> Document:
    from dataclasses import replace

    return replace(doc, doc_id=doc_id)
