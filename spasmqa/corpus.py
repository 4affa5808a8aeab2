"""Loading documents: text and Markdown files, JSONL, CSV, directories.

A :class:`Corpus` maps stable ``doc_id`` strings to :class:`Document` objects,
in load order. ``doc_id`` values depend only on the file's path relative to
what the user named and on the document's position in the file (or on the
``id`` field of JSONL/CSV rows), so they are the same on every run.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Union

from .resources import default_corpus_path

__all__ = [
    "Corpus",
    "Document",
    "LoadProblem",
    "SUPPORTED_SUFFIXES",
    "default_corpus_path",
    "load_corpus",
]

PathLike = Union[str, os.PathLike]
SplitMode = Literal["paragraph", "file"]

SUPPORTED_SUFFIXES = (".txt", ".md", ".jsonl", ".csv")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")


@dataclass(frozen=True)
class Document:
    """One document of a corpus.

    Attributes
    ----------
    doc_id : str
        Stable identifier, e.g. ``"back_spasms.txt#2"`` (second paragraph).
    text : str
        The document's full text. Passage offsets index into it. When the
        source gives a title (JSONL/CSV), ``text`` is the title, a blank line,
        then the body, so that the title is searchable and spans stay exact.
    path : str or None
        The file it came from (None for documents made from Python strings).
    title : str or None
        The title field, if any.
    offset : int
        Where ``text`` starts in the file (paragraph documents), else 0.
    """

    doc_id: str
    text: str
    path: str | None = None
    title: str | None = None
    offset: int = 0


@dataclass(frozen=True)
class LoadProblem:
    """A file that could not be loaded while walking a directory."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class Corpus(Mapping[str, Document]):
    """An ordered mapping ``doc_id -> Document``.

    ``problems`` lists files found while walking a directory that could not be
    loaded (binary, not UTF-8, unreadable, malformed); they are reported, not
    silently dropped.
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

    @classmethod
    def from_texts(cls, texts: Iterable[str], ids: Iterable[str] | None = None) -> Corpus:
        """Build a corpus from Python strings; ids default to ``"0"``, ``"1"``, ..."""
        if isinstance(texts, str):
            raise TypeError("texts must be a list of strings, not a single string")
        corpus = cls()
        texts = list(texts)
        id_list = [str(i) for i in range(len(texts))] if ids is None else [str(i) for i in ids]
        if len(id_list) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(id_list)} ids")
        for i, (doc_id, text) in enumerate(zip(id_list, texts)):
            if not isinstance(text, str):
                raise TypeError(f"texts[{i}] must be str, got {type(text).__name__}")
            corpus.add(Document(doc_id=doc_id, text=text))
        return corpus

    def __repr__(self) -> str:
        extra = f", {len(self.problems)} problems" if self.problems else ""
        return f"<Corpus: {len(self)} documents{extra}>"


def _read_utf8(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise ValueError(f"{path}: looks like a binary file (contains NUL bytes), not UTF-8 text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path}: not valid UTF-8 (byte {exc.start}: {data[exc.start:exc.start + 1]!r}); "
            "re-encode the file as UTF-8"
        ) from None
    return text.removeprefix("\ufeff")


def _text_documents(path: Path, name: str, split: SplitMode) -> Iterator[Document]:
    text = _read_utf8(path)
    if split == "file":
        yield Document(doc_id=name, text=text, path=str(path))
        return
    n = 0
    pos = 0
    for brk in [*_PARAGRAPH_BREAK.finditer(text), None]:
        end = brk.start() if brk else len(text)
        chunk = text[pos:end]
        stripped = chunk.strip()
        if stripped:
            n += 1
            lead = len(chunk) - len(chunk.lstrip())
            yield Document(doc_id=f"{name}#{n}", text=stripped, path=str(path), offset=pos + lead)
        if brk:
            pos = brk.end()


def _record_document(record: Mapping[str, object], where: str, path: Path) -> Document:
    doc_id = record.get("id", record.get("_id", record.get("docno")))
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
    title = title.strip() if title else None
    full = f"{title}\n\n{text}" if title else text
    return Document(doc_id=str(doc_id), text=full, path=str(path), title=title or None)


def _jsonl_documents(path: Path) -> Iterator[Document]:
    text = _read_utf8(path)
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
        yield _record_document(record, where, path)


def _csv_documents(path: Path) -> Iterator[Document]:
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
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ValueError(f"{path}:{reader.line_num}: malformed CSV row ({exc})") from None
        if not row or all(not cell.strip() for cell in row):
            continue
        where = f"{path}:{reader.line_num}"
        if len(row) != len(header):
            raise ValueError(f"{where}: expected {len(header)} fields ({', '.join(header)}), got {len(row)}")
        yield _record_document(dict(zip(header, row)), where, path)


def _file_documents(path: Path, name: str, split: SplitMode) -> Iterator[Document]:
    suffix = path.suffix.lower()
    if suffix in (".txt", ".md"):
        return _text_documents(path, name, split)
    if suffix == ".jsonl":
        return _jsonl_documents(path)
    if suffix == ".csv":
        return _csv_documents(path)
    raise ValueError(
        f"{path}: unsupported file type {suffix or '(none)'!r}; expected one of {', '.join(SUPPORTED_SUFFIXES)}"
    )


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


def load_corpus(
    paths: PathLike | Sequence[PathLike] | None = None,
    *,
    split: SplitMode = "paragraph",
    strict: bool = False,
) -> Corpus:
    """Load documents from files and directories.

    Parameters
    ----------
    paths : path, list of paths, or None
        Files (``.txt``, ``.md``, ``.jsonl``, ``.csv``) and directories
        (searched recursively, in sorted order, hidden entries skipped).
        ``None`` loads the default corpus shipped with spasmqa.
    split : {"paragraph", "file"}, default="paragraph"
        How ``.txt``/``.md`` files become documents: one per blank-line
        separated paragraph (the default: web snippets, notes and exports put
        one item per paragraph, and a paragraph is a more useful provenance
        unit than a whole file), or one per file. JSONL and CSV always give
        one document per row.
    strict : bool, default=False
        Files named directly must always load. Files found inside a directory
        that cannot be loaded (binary, not UTF-8, unreadable, malformed,
        unsupported type) are listed in ``Corpus.problems`` and reported
        with a warning; with ``strict=True`` the first one raises instead.

    Returns
    -------
    Corpus

    Raises
    ------
    FileNotFoundError
        A named path does not exist.
    ValueError
        A named file is not UTF-8, is malformed (the message names the line),
        has an unsupported type, or two documents share a ``doc_id``.
    """
    if split not in ("paragraph", "file"):
        raise ValueError(f"split must be 'paragraph' or 'file', got {split!r}")
    if paths is None:
        paths = [default_corpus_path()]
    elif isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    elif not isinstance(paths, Sequence):
        raise TypeError(f"paths must be a path or a list of paths, got {type(paths).__name__}")
    if not paths:
        raise ValueError("no corpus paths given")

    corpus = Corpus()
    for p in paths:
        if not isinstance(p, (str, os.PathLike)):
            raise TypeError(f"corpus path must be str or os.PathLike, got {type(p).__name__}")
        path = Path(p)
        if not path.exists():
            raise FileNotFoundError(f"corpus path does not exist: {path}")
        if path.is_dir():
            for full, rel, problem in _walk(path):
                if full is not None and full.suffix.lower() not in SUPPORTED_SUFFIXES:
                    problem = f"unsupported file type {full.suffix or '(none)'!r}"
                if problem is None and full is not None:
                    try:
                        # Parse the whole file first: a file that fails half-way
                        # contributes nothing rather than a silent prefix.
                        docs = list(_file_documents(full, rel, split))
                    except (OSError, ValueError) as exc:
                        problem = str(exc).removeprefix(f"{full}: ")
                        if isinstance(exc, OSError):
                            problem = f"cannot read ({exc.strerror or exc})"
                        if strict:
                            raise ValueError(f"{full}: {problem}") from None
                    else:
                        for doc in docs:
                            corpus.add(doc)
                        continue
                if strict:
                    raise ValueError(f"{path / rel}: {problem}")
                corpus.problems.append(LoadProblem(str(path / rel), problem))
        else:
            for doc in _file_documents(path, path.name, split):
                corpus.add(doc)
    if corpus.problems:
        shown = "; ".join(str(p) for p in corpus.problems[:3])
        more = f" (and {len(corpus.problems) - 3} more)" if len(corpus.problems) > 3 else ""
        warnings.warn(
            f"{len(corpus.problems)} file(s) skipped while loading the corpus: {shown}{more}. "
            "See Corpus.problems, or pass strict=True to fail instead.",
            stacklevel=2,
        )
    return corpus
