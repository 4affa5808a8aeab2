"""Documents, corpora and load problems (the data; reading files is in :mod:`.readers`)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, Literal

from .. import markup
from ..errors import InputError, InputTypeError

PathLike = str | os.PathLike
SplitMode = Literal["paragraph", "file"]
#: A metadata value: a JSON scalar.
MetadataValue = str | int | float | bool | None

_TEXT_SUFFIXES = (".txt",)
_RECORD_SUFFIXES = (".jsonl", ".csv", ".parquet")
#: File types :func:`load_corpus` reads (others need ``text_extensions``).
SUPPORTED_SUFFIXES = (".txt", *markup.FORMATS, *_RECORD_SUFFIXES)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")
_RESERVED_FIELDS = ("id", "_id", "text", "title")
_EMPTY: Mapping[str, MetadataValue] = MappingProxyType({})



def _check_metadata(metadata: Mapping[str, Any]) -> Mapping[str, MetadataValue]:
    if isinstance(metadata, MappingProxyType) and metadata is _EMPTY:
        return metadata
    if not isinstance(metadata, Mapping):
        raise InputTypeError(f"metadata must be a mapping, got {type(metadata).__name__}")
    for key, value in metadata.items():
        if not isinstance(key, str):
            raise InputTypeError(f"metadata keys must be strings, got {key!r}")
        if value is not None and not isinstance(value, (str, int, float, bool)):
            raise InputTypeError(
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
            raise InputError(f"Document.kind must be 'text' or 'code', got {self.kind!r}")
        object.__setattr__(self, "metadata", _check_metadata(self.metadata))

    def line_at(self, offset: int = 0) -> int | None:
        """The 1-based line of the source file at ``offset`` in ``text``, or None if unknown."""
        return markup.line_at(self.text, self.line_map, offset)

    def heading_path(self, offset: int = 0) -> tuple[str, ...]:
        """The heading texts in effect at ``offset``, outermost first."""
        return markup.heading_path(self.headings, offset)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # The read-only metadata mapping cannot be serialised for worker
        # processes; a plain dict can.
        values = tuple(dict(v) if f == "metadata" else v for f, v in ((f.name, getattr(self, f.name))
                                                                     for f in fields(self)))
        return (type(self), values)

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
            raise InputTypeError(f"a document record must be a mapping, got {type(rec).__name__}")
        try:
            doc_id, text = rec["doc_id"], rec["text"]
        except KeyError as exc:
            raise InputError(f"document record is missing {exc.args[0]!r}") from None
        if not isinstance(doc_id, str) or not isinstance(text, str):
            raise InputTypeError("doc_id and text must be strings")
        path, title = rec.get("path"), rec.get("title")
        for name, value in (("path", path), ("title", title)):
            if value is not None and not isinstance(value, str):
                raise InputTypeError(f"{name} must be a string or null, got {type(value).__name__}")
        try:
            headings = tuple((int(o), int(lv), str(t)) for o, lv, t in rec.get("headings") or ())
            line_map = tuple((int(o), int(ln)) for o, ln in rec.get("line_map") or ())
        except (TypeError, ValueError):
            raise InputError("headings must be [offset, level, text] and line_map [offset, line] lists") from None
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
