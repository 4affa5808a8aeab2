"""Walking directories and roots: :func:`load_corpus`."""

from __future__ import annotations

import os
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .. import markup
from ..errors import InputError, InputTypeError
from ..resources import default_corpus_path
from .collection import Corpus
from .documents import _TEXT_SUFFIXES, SUPPORTED_SUFFIXES, Document, PathLike, SplitMode
from .problems import LoadProblem, _display_name, _Fixer, _LoadError
from .readers import _csv_documents, _jsonl_documents, _markup_documents, _parquet_documents, _text_documents

# -- directories and roots ------------------------------------------------------------

@dataclass
class _FileLoad:
    docs: list[Document]
    records: bool
    name: str
    problems: list[LoadProblem]
    shown: str = ""
    repaired_name: bool = False


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
            raise InputError(f"corpus path given twice: {paths[seen[a]]} and {paths[i]}")
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


def normalize_exts(text_extensions: Iterable[str] | str) -> tuple[str, ...]:
    if isinstance(text_extensions, str):
        text_extensions = [e for e in text_extensions.split(",") if e.strip()]
    out = []
    for ext in text_extensions:
        if not isinstance(ext, str) or not ext.strip():
            raise InputTypeError(f"text_extensions must be strings like '.adoc', got {ext!r}")
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
        raise InputError(f"split must be 'paragraph' or 'file', got {split!r}")
    text_exts = normalize_exts(text_extensions)
    paths = corpus_paths(paths)
    return finish_corpus(load_entries(plan_files(paths, text_extensions=text_exts), split=split,
                                      text_extensions=text_exts, strict=strict))


def corpus_paths(paths: PathLike | Sequence[PathLike] | None) -> list[PathLike]:
    """``paths`` as load_corpus takes it, checked, as a list (``None``: the default corpus)."""
    if paths is None:
        return [default_corpus_path()]
    if isinstance(paths, (str, os.PathLike)):
        return [paths]
    if not isinstance(paths, Sequence):
        raise InputTypeError(f"paths must be a path or a list of paths, got {type(paths).__name__}")
    if not paths:
        raise InputError("no corpus paths given")
    for p in paths:
        if not isinstance(p, (str, os.PathLike)):
            raise InputTypeError(f"corpus path must be str or os.PathLike, got {type(p).__name__}")
    return list(paths)


# -- the steps of load_corpus, shared with the workers of a sharded build (spasmqa.shard_read) ----

@dataclass(frozen=True)
class FileEntry:
    """One entry of a corpus, in load order: a file to load, or a directory entry already known to be skipped.

    ``direct``: named by the user (it must load: a failure raises). ``problem``:
    why a directory entry is skipped without reading it. ``repaired_name``: its
    name was not valid UTF-8 (reported once it has loaded).
    """

    path: Path | None
    name: str
    shown: str
    direct: bool = False
    problem: str | None = None
    category: str = "other"
    repaired_name: bool = False


def plan_files(paths: Sequence[PathLike], *, text_extensions: tuple[str, ...]) -> list[FileEntry]:
    """The corpus's entries in load order (walking directories; reading no file)."""
    roots = [Path(p) for p in paths]
    for root in roots:
        if not root.exists():
            raise FileNotFoundError(f"corpus path does not exist: {root}")
    labels = _root_labels(roots) if len(roots) > 1 else [None]
    entries: list[FileEntry] = []
    for root, label in zip(roots, labels):
        if not root.is_dir():
            shown = _display_name(str(root))
            name = _display_name(root.name) if label is None else label
            entries.append(FileEntry(root, name, shown, direct=True, repaired_name=shown != str(root)))
            continue
        for full, rel, problem in _walk(root):
            shown_rel = _display_name(rel)
            shown = _display_name(str(root / rel))
            name = shown_rel if label is None else f"{label}/{shown_rel}"
            category = "symlinked directory" if problem else "other"
            if full is not None and problem is None:
                suffix = full.suffix.lower()
                if suffix not in SUPPORTED_SUFFIXES and suffix not in text_extensions:
                    problem = (f"unsupported file type {full.suffix or '(none)'!r} "
                               "(name it in text_extensions to read it as plain text)")
                    category = "unsupported type"
            entries.append(FileEntry(full if problem is None else None, name, shown, problem=problem,
                                     category=category, repaired_name=shown_rel != rel))
    return entries


def load_entry(entry: FileEntry, *, split: SplitMode, text_extensions: tuple[str, ...], strict: bool,
               read: Callable[..., _FileLoad] | None = None) -> _FileLoad | LoadProblem:
    """Load one file entry; a directory entry that cannot be loaded is a skip problem
    (raised when ``strict`` or when the user named the file). ``read`` replaces the
    whole-file reader (a sharded build reads a byte range of a JSONL file)."""
    if entry.problem is not None:
        if strict:
            raise InputError(f"{entry.shown}: {entry.problem}")
        return LoadProblem(entry.shown, entry.problem, entry.category, "skipped")
    assert entry.path is not None
    if entry.repaired_name and strict:
        raise InputError(f"{entry.shown}: file name is not valid UTF-8")
    try:
        load = read(entry) if read is not None else _load_file(entry.path, entry.name, split, text_extensions,
                                                                strict, entry.shown)
    except _LoadError as exc:
        if entry.direct:
            raise InputError(str(exc)) from None
        problem, category = _problem_text(exc, entry), exc.category
    except (OSError, ValueError) as exc:
        if entry.direct:
            raise
        problem, category = _problem_text(exc, entry), getattr(exc, "category", "malformed")
        if isinstance(exc, OSError):
            problem, category = f"cannot read ({exc.strerror or exc})", "unreadable"
    else:
        return replace(load, shown=entry.shown, repaired_name=entry.repaired_name)
    if strict:
        raise InputError(f"{entry.shown}: {problem}")
    return LoadProblem(entry.shown, problem, category, "skipped")


def _problem_text(exc: BaseException, entry: FileEntry) -> str:
    return str(exc).removeprefix(f"{entry.path}: ").removeprefix(f"{entry.shown}: ")


def load_entries(entries: Sequence[FileEntry], *, split: SplitMode, text_extensions: tuple[str, ...],
                 strict: bool) -> list[_FileLoad | LoadProblem]:
    return [load_entry(e, split=split, text_extensions=text_extensions, strict=strict) for e in entries]


def sort_loaded(loaded: Sequence[_FileLoad | LoadProblem]) -> tuple[list[LoadProblem], list[tuple[int, _FileLoad]]]:
    """The problems of loaded entries, in order (skipped files; loaded files whose name was
    repaired), and the files that loaded with their positions."""
    problems: list[LoadProblem] = []
    kept: list[tuple[int, _FileLoad]] = []
    for i, item in enumerate(loaded):
        if isinstance(item, LoadProblem):
            problems.append(item)
            continue
        if item.repaired_name:
            problems.append(LoadProblem(item.shown, "file name is not valid UTF-8; shown with U+FFFD",
                                        "undecodable file name", "repaired"))
        kept.append((i, item))
    return problems, kept


def finish_corpus(loaded: Sequence[_FileLoad | LoadProblem]) -> Corpus:
    """The corpus of loaded entries (in order): clashing record ids qualified, problems listed, one warning."""
    problems, kept = sort_loaded(loaded)
    loads = [load for _, load in kept]
    corpus = Corpus()
    corpus.problems.extend(problems)
    _qualify_clashing_record_ids(loads, corpus.problems)
    for load in loads:
        corpus.problems.extend(load.problems)
        for doc in load.docs:
            corpus.add(doc)
    if corpus.problems:
        warnings.warn(f"{corpus.problem_summary()}. See Corpus.problems.", stacklevel=3)
    return corpus


def clashing_ids(id_lists: Sequence[Sequence[str]]) -> set[str]:
    """Ids that occur in more than one of the lists (one list per file)."""
    owner: dict[str, int] = {}
    clashing: set[str] = set()
    for i, ids in enumerate(id_lists):
        for doc_id in ids:
            if owner.setdefault(doc_id, i) != i:
                clashing.add(doc_id)
    return clashing


def _qualify_clashing_record_ids(loads: list[_FileLoad], problems: list[LoadProblem]) -> None:
    """Record ids found in more than one file become ``file#id`` in every file that has them."""
    if len(loads) < 2:
        return
    clashing = clashing_ids([[d.doc_id for d in load.docs] for load in loads])
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
    return replace(doc, doc_id=doc_id)

