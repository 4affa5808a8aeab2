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

from ..resources import default_corpus_path
from .collection import Corpus
from .documents import SUPPORTED_SUFFIXES, Document, MetadataValue, PathLike, SplitMode
from .loading import load_corpus
from .problems import LoadProblem, summarize_problems
from .readers import metadata_value

__all__ = [
    "PathLike",
    "SplitMode",
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

