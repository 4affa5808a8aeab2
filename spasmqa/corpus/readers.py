"""Reading one file into documents: text, markup, JSONL, CSV, Parquet, DataFrames; invalid Unicode."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from .. import markup
from ..errors import InputError
from .documents import _PARAGRAPH_BREAK, _RESERVED_FIELDS, Document, MetadataValue, SplitMode
from .problems import _Fixer, _LoadError

# -- reading files --------------------------------------------------------------

def _read_utf8(path: Path, start: int = 0, end: int | None = None) -> str:
    """The file (or its bytes ``start:end``, a range a sharded build's planner cut after a newline) as text."""
    if start == 0 and end is None:
        data = path.read_bytes()
    else:
        with open(path, "rb") as f:
            f.seek(start)
            data = f.read(-1 if end is None else end - start)
    if start == 0 and b"\x00" in data[:8192]:
        raise _LoadError(f"{path}: looks like a binary file (contains NUL bytes), not UTF-8 text", "binary")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        at = start + exc.start
        raise _LoadError(
            f"{path}: not valid UTF-8 (byte {at}: {data[exc.start:exc.start + 1]!r}); "
            "re-encode the file as UTF-8", "not UTF-8"
        ) from None
    return text.removeprefix("\ufeff") if start == 0 else text


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


def _fixing(fixer: _Fixer, where: str, field: object) -> Callable[[str], str]:
    """``fixer`` bound to one field of one record (for :func:`metadata_value`)."""
    return lambda s: fixer(s, f"{where} {field!r}")


def _record_document(record: Mapping[str, object], where: str, path: str | None, fixer: _Fixer,
                     line: int | None = None) -> Document:
    id_key = next((k for k in ("id", "_id", "docno") if k in record), None)
    doc_id = record.get(id_key) if id_key else None
    if doc_id is None or (isinstance(doc_id, str) and not doc_id.strip()):
        raise InputError(f"{where}: missing 'id' (or '_id') field")
    text = record.get("text")
    if text is None:
        raise InputError(f"{where}: missing 'text' field")
    if not isinstance(text, str):
        raise InputError(f"{where}: 'text' must be a string, got {type(text).__name__}")
    title = record.get("title")
    if title is not None and not isinstance(title, str):
        raise InputError(f"{where}: 'title' must be a string, got {type(title).__name__}")
    text = fixer(text, f"{where} 'text'")
    title = fixer(title.strip(), f"{where} 'title'") if title else None
    full = f"{title}\n\n{text}" if title else text
    meta: dict[str, MetadataValue] = {}
    for key, value in record.items():
        if key in _RESERVED_FIELDS or key == id_key:
            continue
        if isinstance(value, str):
            meta[fixer(key, f"{where} field name")] = fixer(value, f"{where} {key!r}")
        else:
            meta[fixer(str(key), f"{where} field name")] = metadata_value(value, _fixing(fixer, where, key))
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


def _jsonl_documents(path: Path, fixer: _Fixer, shown: str, *, start: int = 0, end: int | None = None,
                     first_line: int = 1) -> Iterator[Document]:
    """One document per line; ``start``/``end``/``first_line``: a byte range of the file that
    begins at that line (duplicate ids are then checked within the range only)."""
    text = _read_utf8(path, start, end)
    ids = _UniqueIds()
    for lineno, line in enumerate(text.splitlines(), start=first_line):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: malformed JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(record, dict):
            raise InputError(f"{where}: expected a JSON object, got {type(record).__name__}")
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


def _csv_row(reader: Any, path: Path, what: str) -> list[str] | None:
    """The next CSV row (None at the end); a malformed one is an error naming its line."""
    try:
        return next(reader)
    except StopIteration:
        return None
    except csv.Error as exc:
        raise InputError(f"{path}:{max(reader.line_num, 1)}: malformed CSV {what} ({exc})") from None


def _csv_documents(path: Path, fixer: _Fixer, shown: str) -> Iterator[Document]:
    text = _read_utf8(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = _csv_row(reader, path, "header")
    if header is None:
        return
    header = [h.strip() for h in header]
    if "text" not in header or not ({"id", "_id", "docno"} & set(header)):
        raise InputError(f"{path}:1: CSV header must name 'id' and 'text' columns, got {header}")
    rows: list[tuple[dict[str, str], str, int]] = []
    last = reader.line_num
    while (row := _csv_row(reader, path, "row")) is not None:
        first_line, last = last + 1, reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        where = f"{path}:{reader.line_num}"
        if len(row) != len(header):
            raise InputError(f"{where}: expected {len(header)} fields ({', '.join(header)}), got {len(row)}")
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
            raise InputError(f"{where}: no {role} column {col!r}; columns are {columns}")
    if len(set(columns)) != len(columns):
        raise InputError(f"{where}: duplicate column names in {columns}")
    for role, col in (("text", text_col), ("title", title_col)):
        if col is not None and not (pd.api.types.is_string_dtype(df[col]) or df[col].dtype == object):
            raise InputError(f"{where}: column {col!r} ({role}) must hold text, got dtype {df[col].dtype}")
    meta_cols = [c for c in columns if c not in (id_col, text_col, title_col)] if metadata is None else list(metadata)
    for col in meta_cols:
        if col not in columns:
            raise InputError(f"{where}: no metadata column {col!r}; columns are {columns}")
    ids_seen: dict[str, int] = {}
    docs = []
    cols = {c: df[c].tolist() for c in {id_col, text_col, *( [title_col] if title_col else []), *meta_cols}}
    for i in range(len(df)):
        label = df.index[i]
        at = f"{where}: row {i}" + ("" if label == i else f" (index {label!r})")
        doc_id = cols[id_col][i]
        if doc_id is None or (not isinstance(doc_id, (list, tuple, dict)) and pd.isna(doc_id)):
            raise InputError(f"{at}: null id in column {id_col!r}")
        doc_id = metadata_value(doc_id)
        doc_id = str(doc_id) if not isinstance(doc_id, float) or not doc_id.is_integer() else str(int(doc_id))
        text = cols[text_col][i]
        if text is None or (not isinstance(text, str) and pd.isna(text)):
            raise InputError(f"{at}: null text in column {text_col!r}")
        if not isinstance(text, str):
            raise InputError(f"{at}: column {text_col!r} must hold strings, got {type(text).__name__}")
        title = cols[title_col][i] if title_col else None
        if title is not None and not isinstance(title, str):
            if pd.isna(title):
                title = None
            else:
                raise InputError(f"{at}: column {title_col!r} (title) must hold strings, got {type(title).__name__}")
        if doc_id in ids_seen:
            raise InputError(f"{at}: duplicate id {doc_id!r} (first in row {ids_seen[doc_id]})")
        ids_seen[doc_id] = i
        text = fixer(text, f"{at} {text_col!r}")
        title = fixer(title.strip(), f"{at} {title_col!r}") if title and title.strip() else None
        meta = {c: metadata_value(cols[c][i], _fixing(fixer, at, c)) for c in meta_cols}
        docs.append(Document(doc_id=fixer(doc_id, f"{at} id"), text=f"{title}\n\n{text}" if title else text,
                             path=shown, title=title, metadata=meta))
    return docs


def _parquet_documents(path: Path, fixer: _Fixer, shown: str) -> list[Document]:
    try:
        import pyarrow
    except ImportError:
        raise _LoadError(
            f"{path}: reading .parquet files needs pyarrow; install it with pip install 'spasmqa[parquet]'",
            "missing dependency",
        ) from None
    import pandas as pd

    try:
        df = pd.read_parquet(path, engine="pyarrow")
    except (OSError, ValueError, pyarrow.ArrowException) as exc:
        raise InputError(f"{path}: cannot read Parquet ({exc})") from None
    columns = [str(c) for c in df.columns]
    id_col = next((c for c in ("id", "_id", "docno") if c in columns), None)
    if id_col is None or "text" not in columns:
        raise InputError(f"{path}: Parquet file must have 'id' and 'text' columns, got {columns}")
    meta = [c for c in columns if c not in _RESERVED_FIELDS and c != id_col]
    return _frame_documents(df, id_col, "text", "title" if "title" in columns else None, meta,
                            str(path), shown, fixer)


