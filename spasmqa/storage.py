"""Saving and loading an index's parts as plain arrays and JSON.

An index is a directory (format 3):

=======================  =====================================================
``manifest.json``        format name and version, spasmqa version, settings,
                         sizes, the SHA-256 and byte size of every other
                         file, and the SHA-256 of the manifest itself
``documents.jsonl``      one JSON object per document (:meth:`Document.to_record`)
``vocabulary.json``      the index terms, in postings-row order
``counts_*.npy``         term counts, CSR ``(n_terms, n_units)``: ``indptr``,
                         ``indices``, ``data``
``occ_*.npy``            passage occurrences (document, start, end, flags, unit)
``unit_first_occ.npy``   each unit's first occurrence
``sections.json``,       the page field's sections (:mod:`spasmqa.fields`):
``occ_section.npy``,     labels and terms, each occurrence's section, the
``section_counts_*.npy`` section term counts (CSR); all or none (an index
                         without them derives them on load)
``punkt.json``           Punkt parameters (only when trained on the corpus)
``synonyms.json``,       custom expansion tables, written from the tables in
``intents.json``         memory (never copied from a path)
=======================  =====================================================

**A saved index is untrusted input.** Loading reads every file once, through
one snapshot of the directory (a save replacing it meanwhile is never seen
half), checks each file's size and checksum on the bytes it then parses,
parses JSON with size, depth and number limits, checks every array's header
(dtype, shape) before using its data and every value (bounds, monotonic
pointers, finite counts, spans inside their documents, occurrences that agree
with their units) in time and memory linear in the file sizes, and validates
the settings with the same rules as user settings. Any failure is an
:class:`~spasmqa.errors.IndexFormatError` naming the file and the problem.
Nothing is read from a path named inside an index, and nothing in it is
executed (no serialised Python objects). Checksums catch accidents, not intent: the checks above
are what make a forged index harmless.

**Saving never loses the old index.** The new index is written beside the
target and swapped in atomically (:mod:`spasmqa.atomicdir`); only a directory
whose manifest says it is a spasmqa index is ever replaced, and leftovers of a
killed save are cleaned (or an old index moved back) on the next save or load.

Older formats (1 and 2: ``counts.npz`` and ``passages.npz``, stemmed with
nltk) are still read, with the same checks on their zip members.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._version import __version__ as _version
from .atomicdir import is_index_dir, make_temp_dir, recover, replace_directory
from .build import Segment
from .corpus import Corpus
from .errors import IndexFormatError
from .expansion import IntentTable, SynonymTable, Tables
from .fields import cache_sections, sections_of
from .index import CollectionStats
from .parts import field_analyzer
from .passages import SentenceSplitter
from .safeio import parse_json
from .settings import Settings
from .snapshot import Snapshot, read_snapshot
from .storage_checks import (
    INDEX_ARRAYS,
    SECTION_ARRAYS,
    legacy_arrays,
    parse_documents,
    parse_punkt,
    sections_from_arrays,
    segment_from_arrays,
)

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "IndexFormatError", "LoadedIndex", "load_index", "read_checked",
           "read_index_snapshot", "save_index", "write_index_files"]

FORMAT_NAME = "spasmqa-index"
# 3: arrays as .npy files (memory-mappable), documents as full records, a
#    checksummed manifest; "snowball" stemmers are PyStemmer's (before: nltk's).
# 2: settings name the stemmer; in version 1, stem=True meant plain Snowball.
FORMAT_VERSION = 3
MAX_MANIFEST_BYTES = 1 << 20
MAX_JSON_FILE_BYTES = 1 << 34  # documents.jsonl of a very large corpus; the manifest gives the real size
_TABLES: dict[str, Any] = {"synonyms": SynonymTable, "intents": IntentTable}
_is_ours = functools.partial(is_index_dir, format_name=FORMAT_NAME)


@dataclass
class LoadedIndex:
    """The parts of a saved index, from which :meth:`spasmqa.QA.load` assembles a QA."""

    settings: Settings
    corpus: Corpus
    splitter: SentenceSplitter
    segment: Segment
    tables: Tables


def _sha256(data: Any) -> str:
    return hashlib.sha256(data).hexdigest()


def _manifest_digest(manifest: dict[str, Any]) -> str:
    """SHA-256 of the manifest without its own checksum, in canonical JSON."""
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    return _sha256(json.dumps(body, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode())


def _write_npy(path: Path, array: np.ndarray) -> None:
    np.save(path, np.ascontiguousarray(array), allow_pickle=False)


def write_index_files(tmp: Path, *, settings: Settings, segment: Segment, splitter: SentenceSplitter,
                      tables: Tables, extra: dict[str, Any] | None = None, with_sections: bool = True
                      ) -> dict[str, Any]:
    """Write an index's files into the existing, empty directory ``tmp`` (manifest last); return the manifest.

    ``extra`` adds top-level manifest entries (covered by ``manifest_sha256``),
    e.g. the ``shard`` section of a shard of a sharded index. ``with_sections``:
    carry the page field's sections (a shard does not: its sections are
    numbered across the shards when they are served).
    """
    table, index = segment.table, segment.index
    with open(tmp / "documents.jsonl", "w", encoding="utf-8", newline="\n") as f:
        for d in table.documents:
            f.write(json.dumps(d.to_record(), ensure_ascii=False) + "\n")
    (tmp / "vocabulary.json").write_text(json.dumps(index.terms_, ensure_ascii=False), encoding="utf-8")
    counts = index.counts_
    arrays = {"counts_indptr": counts.indptr.astype(np.int64), "counts_indices": counts.indices,
              "counts_data": counts.data,
              **{f"occ_{n}": getattr(table, f"occ_{n}") for n in ("doc", "start", "end", "heading", "fragment",
                                                                  "anaphor", "unit")},
              "unit_first_occ": table.unit_first_occ}
    for name, spec in INDEX_ARRAYS.items():
        _write_npy(tmp / f"{name}.npy", np.asarray(arrays[name], dtype=spec.dtype))
    files = ["documents.jsonl", "vocabulary.json", *(f"{n}.npy" for n in INDEX_ARRAYS)]
    section_sizes = _write_sections(tmp, segment, settings, files) if with_sections else {}
    for name in _TABLES:
        value, loaded = getattr(settings, name), getattr(tables, name)
        if isinstance(value, str) and value != "auto" and loaded is not None:
            payload = {"groups": loaded.groups} if name == "synonyms" else {"intents": loaded.intents}
            (tmp / f"{name}.json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
            files.append(f"{name}.json")
    if settings.punkt == "train":
        params = splitter.punkt_parameters()
        (tmp / "punkt.json").write_text(json.dumps({
            "abbrev_types": sorted(params.abbrev_types),
            "collocations": sorted([list(c) for c in params.collocations]),
            "sent_starters": sorted(params.sent_starters),
            "ortho_context": sorted([[k, int(v)] for k, v in params.ortho_context.items()]),
        }), encoding="utf-8")
        files.append("punkt.json")
    manifest: dict[str, Any] = {
        "format": FORMAT_NAME, "format_version": FORMAT_VERSION, "spasmqa_version": _version,
        "settings": settings.as_dict(),
        "sizes": {"documents": len(table.documents), "passages": table.n_passages, "units": table.n_units,
                  "terms": len(index.terms_), **section_sizes},
        "files": {},
    }
    for name in files:
        data = (tmp / name).read_bytes()
        manifest["files"][name] = {"sha256": _sha256(data), "bytes": len(data)}
    manifest.update(extra or {})
    manifest["manifest_sha256"] = _manifest_digest(manifest)
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def _write_sections(tmp: Path, segment: Segment, settings: Settings, files: list[str]) -> dict[str, int]:
    """The page field's sections (:mod:`spasmqa.fields`), so that a load need not analyse them."""
    if settings.unit != "passage":
        return {}
    sections = sections_of(segment, field_analyzer(settings))
    if sections.index is None:
        return {}
    counts = sections.index.counts_
    (tmp / "sections.json").write_text(json.dumps({"labels": [list(lab) for lab in sections.labels],
                                                   "terms": sections.index.terms_}, ensure_ascii=False),
                                       encoding="utf-8")
    arrays = {"occ_section": sections.occ_section, "section_counts_indptr": counts.indptr,
              "section_counts_indices": counts.indices, "section_counts_data": counts.data}
    for name, spec in SECTION_ARRAYS.items():
        _write_npy(tmp / f"{name}.npy", np.asarray(arrays[name], dtype=spec.dtype))
    files += ["sections.json", *(f"{n}.npy" for n in SECTION_ARRAYS)]
    return {"sections": len(sections.labels), "section_terms": len(sections.index.terms_)}


def make_way(target: Path, *, overwrite: bool, is_ours: Any) -> None:
    """Recover a killed save at ``target``, then check that a new index may go there:
    nothing there, or (with ``overwrite``) an index ``is_ours`` recognises."""
    recover(target, is_ours=is_ours)
    if target.exists() or target.is_symlink():
        if not overwrite:
            raise FileExistsError(f"{target} already exists; pass overwrite=True (CLI: --overwrite) to replace it")
        if not is_ours(target):
            raise FileExistsError(f"{target} is not a spasmqa index (no manifest saying so); refusing to replace it")


def recovered(root: Path, is_ours: Any) -> Path:
    """``root``, with an index a killed save moved aside put back first (best effort)."""
    if not root.exists() and not root.is_symlink():
        try:
            recover(root, is_ours=is_ours)
        except OSError:
            pass
    return root


def read_manifest_bytes(snap: Snapshot, root: Path) -> bytes:
    """The raw ``manifest.json`` of the index in ``snap`` (its absence: not an index)."""
    try:
        return snap.read("manifest.json", max_bytes=MAX_MANIFEST_BYTES)
    except FileNotFoundError:
        raise IndexFormatError(f"{root} is not a spasmqa index: manifest.json is missing") from None


def save_index(path: str | os.PathLike, *, settings: Settings, segment: Segment, splitter: SentenceSplitter,
               tables: Tables, overwrite: bool = False) -> Path:
    """Write an index's parts to the directory ``path`` (see the module docstring).

    Raises ``FileExistsError`` if ``path`` exists and ``overwrite`` is False,
    or if it exists and is not a spasmqa index (a plain file, a symlink, any
    other directory), whatever ``overwrite`` says.
    """
    target = Path(path)
    make_way(target, overwrite=overwrite, is_ours=_is_ours)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_temp_dir(target)
    try:
        write_index_files(tmp, settings=settings, segment=segment, splitter=splitter, tables=tables)
        replace_directory(tmp, target, is_ours=_is_ours)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _check_manifest(manifest: Any, where: Path) -> dict[str, Any]:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise IndexFormatError(f"{where.parent} is not a spasmqa index: manifest.json does not say format "
                               f"'{FORMAT_NAME}'")
    version = manifest.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise IndexFormatError(f"{where}: format_version is missing or not a positive integer")
    if version > FORMAT_VERSION:
        raise IndexFormatError(f"{where.parent} uses index format version {version}, newer than this spasmqa "
                               f"({_version}) reads (up to {FORMAT_VERSION}); upgrade spasmqa or rebuild the index")
    if version >= 3 and manifest.get("manifest_sha256") != _manifest_digest(manifest):
        raise IndexFormatError(f"{where}: its own checksum (manifest_sha256) does not match its content")
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(
            isinstance(n, str) and isinstance(v, dict) and isinstance(v.get("sha256"), str)
            and isinstance(v.get("bytes"), int) and not isinstance(v.get("bytes"), bool) and v["bytes"] >= 0
            for n, v in files.items()):
        raise IndexFormatError(f"{where}: the 'files' table is missing or malformed")
    allowed = ({"documents.jsonl", "vocabulary.json", *(f"{n}.npy" for n in INDEX_ARRAYS)} if version >= 3
               else {"documents.jsonl", "vocabulary.json", "counts.npz", "passages.npz"})
    required = set(allowed)
    allowed |= {"punkt.json", "synonyms.json", "intents.json"}
    section_files = {"sections.json", *(f"{n}.npy" for n in SECTION_ARRAYS)} if version >= 3 else set()
    if section_files & set(files):  # the page field's sections: all of their files or none
        required |= section_files
    allowed |= section_files
    for name in sorted(set(files) - allowed):
        raise IndexFormatError(f"{where}: lists an unexpected file {name!r}")
    for name in sorted(required - set(files)):
        raise IndexFormatError(f"{where}: does not list {name}")
    sizes = manifest.get("sizes")
    if not isinstance(sizes, dict) or not all(
            isinstance(sizes.get(k), int) and not isinstance(sizes.get(k), bool) and 0 <= sizes[k] < 2**31
            for k in ("documents", "passages", "units", "terms")):
        raise IndexFormatError(f"{where}: 'sizes' is missing or out of range")
    return manifest


def _legacy_settings(version: int, options: Any) -> Any:
    """Settings of an older format, in today's names: indexes before format 3
    were stemmed by nltk ("snowball" then meant nltk's implementation), and
    in format 1 ``stem=True`` meant plain Snowball."""
    if not isinstance(options, dict) or version >= 3:
        return options
    stem = options.get("stem", True)
    if version == 1 and stem is True:
        stem = "snowball"
    if stem is True:
        stem = "snowball-y"
    if stem in ("snowball", "snowball-y"):
        stem = "nltk-" + stem
    return {**options, "stem": stem}


def read_checked(snap: Snapshot, root: Path, name: str, meta: dict[str, Any], as_mmap: bool = False) -> Any:
    """The bytes (or a read-only map) of file ``name``, checked against its manifest entry ``meta``
    (``{"sha256": ..., "bytes": ...}``)."""
    limit = meta["bytes"] + 1  # one byte more shows a file that grew
    try:
        blob = snap.mmap(name, max_bytes=limit) if as_mmap else snap.read(name, max_bytes=limit)
    except FileNotFoundError:
        raise IndexFormatError(f"index file {name} is missing from {root}") from None
    if len(blob) != meta["bytes"]:
        raise IndexFormatError(f"index file {name} is truncated or changed: {len(blob)} bytes, "
                               f"manifest says {meta['bytes']}")
    if _sha256(blob) != meta["sha256"]:
        raise IndexFormatError(f"index file {name} is corrupted: its SHA-256 does not match the manifest")
    return blob


def _read(snap: Snapshot, root: Path, mmap: bool) -> LoadedIndex:
    return read_index_snapshot(snap, root, mmap=mmap)[0]


def read_index_snapshot(snap: Snapshot, root: Path, *, mmap: bool,
                        stats: CollectionStats | None = None) -> tuple[LoadedIndex, dict[str, Any], str]:
    """Read and check the index in ``snap``: its parts, its (checked) manifest and the SHA-256 of
    the manifest's bytes. ``stats`` weighs the segment with collection statistics from outside
    (a shard of a sharded index); the caller checks that they fit (one entry per term)."""
    mpath = root / "manifest.json"
    raw_manifest = read_manifest_bytes(snap, root)
    manifest = _check_manifest(parse_json(raw_manifest, name=mpath, max_depth=16), mpath)
    version, files, sizes = manifest["format_version"], manifest["files"], manifest["sizes"]

    def data(name: str, as_mmap: bool = False) -> Any:
        return read_checked(snap, root, name, files[name], as_mmap)

    try:
        settings = Settings.from_options(_legacy_settings(version, manifest.get("settings", {})))
    except (TypeError, ValueError) as exc:
        raise IndexFormatError(f"{mpath} has invalid settings: {exc}") from None
    if settings.synonyms == "auto":
        raise IndexFormatError(f"{mpath} has invalid settings: synonyms is 'auto' in a built index")
    corpus = parse_documents(data("documents.jsonl"), root / "documents.jsonl", sizes["documents"])
    terms = parse_json(data("vocabulary.json"), name=root / "vocabulary.json", max_depth=2)
    if version >= 3:
        arrays = {n: data(f"{n}.npy", as_mmap=mmap) for n in INDEX_ARRAYS}
    else:
        arrays = legacy_arrays(data("counts.npz"), data("passages.npz"), root, sizes)
    tables = {}
    for name, cls in _TABLES.items():
        value = getattr(settings, name)
        if f"{name}.json" in files:
            parsed = parse_json(data(f"{name}.json"), name=root / f"{name}.json", max_depth=16)
            try:
                tables[name] = cls.from_dict(parsed, name=root / f"{name}.json")
            except ValueError as exc:
                raise IndexFormatError(str(exc)) from None
        elif isinstance(value, str):
            raise IndexFormatError(f"{mpath}: settings name a custom {name} table but the index does not carry it")
        else:
            tables[name] = cls.load() if value else None
    splitter = SentenceSplitter(punkt=settings.punkt, web_rules=settings.web_rules)
    if settings.punkt == "train":
        if "punkt.json" not in files:
            raise IndexFormatError(f"{mpath}: punkt='train' but the index carries no punkt.json")
        splitter.tokenizer_ = parse_punkt(data("punkt.json"), root / "punkt.json")
    segment = segment_from_arrays(arrays, terms, corpus, settings, sizes, root, stats=stats)
    if "sections.json" in files:
        parsed = parse_json(data("sections.json"), name=root / "sections.json", max_depth=4)
        cache_sections(segment, sections_from_arrays(parsed, {n: data(f"{n}.npy") for n in SECTION_ARRAYS},
                                                     sizes, root))
    loaded = LoadedIndex(settings=settings, corpus=corpus, splitter=splitter, segment=segment, tables=Tables(**tables))
    return loaded, manifest, _sha256(raw_manifest)


def load_index(path: str | os.PathLike, *, mmap: bool = False) -> LoadedIndex:
    """Read and check an index written by :func:`save_index` (see :meth:`spasmqa.QA.load`).

    With ``mmap=True`` the count and occurrence arrays are memory-mapped
    read-only instead of read into memory.
    """
    root = recovered(Path(path), _is_ours)
    if not root.exists():
        raise FileNotFoundError(f"index path does not exist: {root}")
    if not root.is_dir():
        raise IndexFormatError(f"{root} is not a spasmqa index (an index is a directory with a manifest.json)")
    try:
        recover(root, is_ours=_is_ours)
    except OSError:  # a read-only location: nothing to clean
        pass
    return read_snapshot(root, lambda snap: _read(snap, root, mmap))
