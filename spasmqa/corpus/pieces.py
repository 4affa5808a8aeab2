"""A corpus read in pieces by the workers of a sharded build, with the documents :func:`load_corpus` gives.

:func:`~spasmqa.corpus.load_corpus` reads every file in one process. A
sharded build (:mod:`spasmqa.shard_read`) instead

1. plans here (:func:`plan_pieces`): walks the paths as ``load_corpus``
   does and cuts the corpus into contiguous partitions of about equal bytes.
   A JSONL file that a partition boundary falls in is cut into byte ranges
   at line ends; that file's bytes are read once here, to count lines (no
   parsing). Other files are never cut;
2. reads each partition on a worker (:func:`read_partition`); the documents
   stay there and a small :class:`PieceReport` per piece comes back (ids,
   the error that stopped the file if any, repaired fields);
3. settles here (:func:`settle`) what ``load_corpus`` would have decided from
   the reports alone: which files are skipped and why (or which error is
   raised, under ``strict`` or for a file named directly), which record ids are
   qualified as ``file#id``, duplicate ids, the problems and their warning;
4. applies that on each worker (:func:`apply_settlement`), which gives the
   partition's documents, equal to ``load_corpus``'s, in its order.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import InputError
from .documents import Document, SplitMode
from .loading import FileEntry, _FileLoad, _load_file, clashing_ids, load_entry, sort_loaded
from .problems import LoadProblem, _Fixer, _LoadError
from .readers import _jsonl_documents

__all__ = ["Piece", "PieceReport", "Settlement", "apply_settlement", "plan_pieces", "read_partition", "settle"]

_BLOCK = 1 << 24
# Line breaks of str.splitlines other than "\n" (and "\r\n"): a file holding any is not cut, since
# counting b"\n" would then not give the reader's line numbers.
_OTHER_BREAKS = (b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9")


@dataclass(frozen=True)
class Piece:
    """A file of the plan (``entry``, its position ``slot``), whole or the byte range ``start:end``
    beginning at line ``first_line``."""

    entry: FileEntry
    slot: int
    start: int = 0
    end: int | None = None
    first_line: int = 1

    @property
    def is_range(self) -> bool:
        return self.start > 0 or self.end is not None


def _size(entry: FileEntry) -> int:
    try:
        return os.path.getsize(entry.path) if entry.path is not None else 0
    except OSError:
        return 0  # the worker's read reports it


def _jsonl_cuts(path: Path, wanted: Sequence[int]) -> list[tuple[int, int]] | None:
    """(byte just after a newline, its line number) for each wanted offset (the first line end at or
    after it); None if the file must not be cut (binary start, other line breaks, unreadable)."""
    cuts: list[tuple[int, int]] = []
    pending = sorted(wanted)
    lines = 0
    offset = 0
    try:
        with open(path, "rb") as f:
            while True:
                block = f.read(_BLOCK)
                if not block:
                    break
                block += f.readline()  # blocks end at a line end: no break or character straddles two
                if offset == 0 and b"\x00" in block[:8192]:
                    return None
                lone_cr = b"\r" in block and block.count(b"\r") != block.count(b"\r\n")
                if lone_cr or any(b in block for b in _OTHER_BREAKS):
                    return None
                while pending and pending[0] < offset + len(block):
                    at = block.find(b"\n", max(pending[0] - offset, 0))
                    pending.pop(0)
                    if at < 0 or (at + 1 == len(block) and not f.peek(1)):
                        continue  # the last line: nothing after it to cut off
                    cut = offset + at + 1
                    if not cuts or cuts[-1][0] < cut:
                        cuts.append((cut, lines + block.count(b"\n", 0, at + 1) + 1))
                lines += block.count(b"\n")
                offset += len(block)
    except OSError:
        return None
    return cuts


def plan_pieces(entries: Sequence[FileEntry], parts: int) -> list[list[Piece]]:
    """Contiguous partitions of the entries (at most ``parts``, none empty), about equal in bytes."""
    sizes = [_size(e) for e in entries]
    total = sum(sizes)
    bounds = [total * i // parts for i in range(1, parts)]
    pieces: list[tuple[int, Piece]] = []  # (global byte offset where it starts, piece)
    offset = 0
    for slot, (entry, size) in enumerate(zip(entries, sizes)):
        inside = [b - offset for b in bounds if offset < b < offset + size]
        cuts = (_jsonl_cuts(entry.path, inside) if inside and entry.path is not None
                and entry.path.suffix.lower() == ".jsonl" else None)
        if cuts:
            starts = [(0, 1), *cuts]
            for k, (start, line) in enumerate(starts):
                end = starts[k + 1][0] if k + 1 < len(starts) else None
                pieces.append((offset + start, Piece(entry, slot, start, end if end is not None else size, line)))
        else:
            pieces.append((offset, Piece(entry, slot)))
        offset += size
    partitions: list[list[Piece]] = [[] for _ in range(parts)]
    for start, piece in pieces:
        partitions[sum(1 for b in bounds if b <= start)].append(piece)
    return [p for p in partitions if p]


# -- on a worker -------------------------------------------------------------------------------

@dataclass
class _Error:
    """An exception a piece's read raised, to raise again (in order) on the client."""

    kind: str  # "load" (_LoadError), "input" (InputError), "value" (other ValueError), "os" (OSError)
    message: str
    category: str = "malformed"
    errno: int | None = None
    strerror: str | None = None
    filename: str | None = None

    @classmethod
    def of(cls, exc: Exception) -> _Error:
        if isinstance(exc, OSError):
            return cls("os", str(exc), errno=exc.errno, strerror=exc.strerror,
                       filename=None if exc.filename is None else os.fsdecode(exc.filename))
        kind = "load" if isinstance(exc, _LoadError) else "input" if isinstance(exc, InputError) else "value"
        return cls(kind, str(exc), getattr(exc, "category", "malformed"))

    def exception(self) -> Exception:
        if self.kind == "os":
            if self.errno is None:
                return OSError(self.message)
            return OSError(self.errno, self.strerror, self.filename)
        if self.kind == "load":
            return _LoadError(self.message, self.category)
        return InputError(self.message) if self.kind == "input" else ValueError(self.message)

    def line(self, path: Path) -> int:
        """The line a range reader's message names (``path:LINE: ...``), else 0 (a whole-file error)."""
        head = f"{path}:"
        if self.message.startswith(head):
            digits = self.message[len(head):].split(":", 1)[0]
            if digits.isdigit():
                return int(digits)
        return 0


@dataclass
class PieceReport:
    """What the client needs of a piece: never its texts."""

    ids: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # ranges only: each document's line
    records: bool = False
    name: str = ""
    first_path: str | None = None
    error: _Error | None = None
    problems: list[LoadProblem] = field(default_factory=list)  # a whole file's repaired fields
    surrogates: tuple[int, str | None] = (0, None)  # a range's repaired fields: count, first place
    default_only: bool = True  # every document's path is the default corpus's
    lengths: list[int] = field(default_factory=list)  # each document's text length
    has_text: list[bool] = field(default_factory=list)  # whether it holds more than white space


@dataclass
class _PieceLoad:
    docs: list[Document]
    report: PieceReport


def _read_piece(piece: Piece, split: SplitMode, text_extensions: tuple[str, ...], strict: bool,
                default_path: str) -> _PieceLoad:
    entry = piece.entry
    docs: list[Document] = []
    report = PieceReport(name=entry.name)
    if entry.path is None or entry.problem is not None:
        return _PieceLoad(docs, report)
    try:
        if piece.is_range:
            fixer = _Fixer(entry.shown, strict)
            report.records = True
            try:
                for doc in _jsonl_documents(entry.path, fixer, entry.shown, start=piece.start, end=piece.end,
                                            first_line=piece.first_line):
                    docs.append(doc)
                    report.lines.append(doc.line_map[0][1])
            finally:
                report.surrogates = (fixer.count, fixer.first)
        else:
            load = _load_file(entry.path, entry.name, split, text_extensions, strict, entry.shown)
            docs, report.records, report.problems = load.docs, load.records, load.problems
    except (OSError, ValueError) as exc:
        report.error = _Error.of(exc)
        if not piece.is_range:
            docs = []
    report.ids = [d.doc_id for d in docs]
    report.first_path = docs[0].path if docs else None
    report.default_only = all(d.path == default_path for d in docs)
    report.lengths = [len(d.text) for d in docs]
    report.has_text = [bool(d.text.strip()) for d in docs]
    return _PieceLoad(docs, report)


def read_partition(pieces: Sequence[Piece], split: SplitMode, text_extensions: tuple[str, ...], strict: bool,
                   default_path: str) -> list[_PieceLoad]:
    """Read a partition's pieces (on a worker); errors are kept, to be settled in corpus order."""
    return [_read_piece(p, split, text_extensions, strict, default_path) for p in pieces]


def reports(loads: Sequence[_PieceLoad]) -> list[PieceReport]:
    return [x.report for x in loads]


# -- on the client -----------------------------------------------------------------------------

@dataclass
class Settlement:
    """What ``load_corpus`` decided: the files kept (by plan slot), the slots whose record ids in
    ``clashing`` become ``name#id``, the problems, whether only the default corpus was read, and
    the number of documents of each partition."""

    kept: set[int]
    qualified: set[int]
    clashing: set[str]
    problems: list[LoadProblem]
    default_only: bool
    counts: list[int]


def _file_error(entry: FileEntry, reports_: Sequence[tuple[Piece, PieceReport]]) -> _Error | None:
    """The error reading the whole file would have raised first, from its ranges' reports."""
    assert entry.path is not None
    errors = [r.error for _, r in reports_ if r.error is not None]
    for e in errors:  # the whole file is decoded before any line is parsed
        if e.kind == "load" and e.category in ("binary", "not UTF-8"):
            return e
    first = min(errors, key=lambda e: e.line(entry.path)) if errors else None  # type: ignore[arg-type]
    stop = first.line(entry.path) if first is not None else float("inf")
    seen: dict[str, int] = {}
    for _, r in reports_:
        for doc_id, line in zip(r.ids, r.lines):
            if line >= stop:
                break
            if doc_id in seen:
                where = f"{entry.path}:{line}"
                return _Error("load", f"{where}: duplicate doc_id {doc_id!r} (first at {entry.path}:{seen[doc_id]})",
                              "duplicate id")
            seen[doc_id] = line
    return first


def _merged_surrogates(entry: FileEntry, reports_: Sequence[PieceReport]) -> list[LoadProblem]:
    fixer = _Fixer(entry.shown, False)
    for r in reports_:
        count, first = r.surrogates
        fixer.count += count
        fixer.first = fixer.first or first
    return fixer.problems()


def settle(partitions: Sequence[Sequence[Piece]], reports_: Sequence[Sequence[PieceReport]], *,
           split: SplitMode, text_extensions: tuple[str, ...], strict: bool) -> Settlement:
    """Decide, entry by entry in corpus order, what ``load_corpus`` would have; raises what it would raise."""
    by_slot: dict[int, list[tuple[Piece, PieceReport]]] = {}
    entries: dict[int, FileEntry] = {}
    for pieces, reps in zip(partitions, reports_):
        for piece, rep in zip(pieces, reps):
            by_slot.setdefault(piece.slot, []).append((piece, rep))
            entries[piece.slot] = piece.entry

    def replay(entry: FileEntry, slot: int) -> _FileLoad:
        got = by_slot[slot]
        ranged = got[0][0].is_range
        error = _file_error(entry, got) if ranged else got[0][1].error
        if error is not None:
            raise error.exception()
        reps = [r for _, r in got]
        problems = _merged_surrogates(entry, reps) if ranged else reps[0].problems
        return _FileLoad([], reps[0].records, entry.name, problems)

    slots = sorted(entries)
    loaded = [load_entry(entries[slot], split=split, text_extensions=text_extensions, strict=strict,
                         read=lambda e, s=slot: replay(e, s)) for slot in slots]
    problems, done = sort_loaded(loaded)
    kept = [slots[i] for i, _ in done]
    loads = [(slots[i], load) for i, load in done]
    ids = {slot: [i for _, r in by_slot[slot] for i in r.ids] for slot in kept}
    records = {slot: load.records for slot, load in loads}
    clashing = clashing_ids([ids[s] for s in kept]) if len(kept) > 1 else set()
    qualified: set[int] = set()
    renames: list[LoadProblem] = []
    for slot in kept:
        if not clashing or not records[slot]:
            continue
        renamed = sum(1 for i in ids[slot] if i in clashing)
        if renamed:
            qualified.add(slot)
            first_path = next((r.first_path for _, r in by_slot[slot] if r.first_path), None)
            renames.append(LoadProblem(first_path or entries[slot].name,
                                       f"{renamed} record id(s) also occur in other files; qualified as "
                                       f"{entries[slot].name}#<id>", "ids renamed", "renamed"))
    problems.extend(renames)
    for _, load in loads:
        problems.extend(load.problems)
    final: set[str] = set()
    for slot in kept:
        path = next((r.first_path for _, r in by_slot[slot] if r.first_path), None)
        for doc_id in ids[slot]:
            if slot in qualified and doc_id in clashing:
                doc_id = f"{entries[slot].name}#{doc_id}"
            if doc_id in final:
                where = f" (from {path})" if path else ""
                raise InputError(f"duplicate doc_id {doc_id!r}{where}: every document needs a unique id")
            final.add(doc_id)
    keep = set(kept)
    counts = [sum(len(r.ids) for p, r in zip(pieces, reps) if p.slot in keep)
              for pieces, reps in zip(partitions, reports_)]
    default_only = bool(final) and all(r.default_only for s in kept for _, r in by_slot[s])
    return Settlement(kept=keep, qualified=qualified, clashing=clashing, problems=problems,
                      default_only=default_only, counts=counts)


def apply_settlement(pieces: Sequence[Piece], loads: Sequence[_PieceLoad], settlement: Settlement) -> list[Document]:
    """A partition's documents as ``load_corpus`` gives them (on the worker that read them)."""
    docs: list[Document] = []
    for piece, load in zip(pieces, loads):
        if piece.slot not in settlement.kept:
            continue
        if piece.slot in settlement.qualified:
            name = piece.entry.name
            docs.extend(replace(d, doc_id=f"{name}#{d.doc_id}") if d.doc_id in settlement.clashing else d
                        for d in load.docs)
        else:
            docs.extend(load.docs)
    return docs
