"""Saving and loading a built :class:`~spasmqa.QA` as plain arrays and JSON.

An index is a directory:

==================  =========================================================
``manifest.json``   format name and version, spasmqa version, settings,
                    sizes, and the SHA-256 and byte size of every other file
``documents.jsonl`` one JSON object per document: doc_id, text, path, title,
                    offset
``vocabulary.json`` the index terms, in postings-row order
``counts.npz``      term counts, CSR ``(n_terms, n_units)`` (scipy ``.npz``)
``passages.npz``    passage occurrences (document, start, end, flags, unit)
                    and each unit's first occurrence (numpy ``.npz``)
``punkt.json``      Punkt parameters (only when trained on the corpus)
==================  =========================================================

Weights are recomputed from the counts when loading (a few vectorised array
operations), so the saved data does not depend on float rounding and a
loaded index answers exactly as the one that was saved. Arrays are read with
``allow_pickle=False``; nothing in an index file is ever executed. Every
file's checksum and every array's shape and range are checked before use, and
each failure raises :class:`IndexFormatError` naming the problem.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from ._version import __version__ as _version
from .build import Segment
from .corpus import Corpus, Document
from .errors import IndexFormatError, InputError
from .expansion import IntentTable, SynonymTable, Tables
from .index import TermIndex
from .passages import SentenceSplitter
from .settings import Settings
from .table import OCCURRENCE_SCHEMA, UNIT_SCHEMA, PassageTable

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "IndexFormatError", "LoadedIndex", "load_index", "save_index"]

FORMAT_NAME = "spasmqa-index"
# 3: "snowball" stemmers are PyStemmer's (before: nltk's, now "nltk-snowball");
# 2: settings name the stemmer; in version 1, stem=True meant plain Snowball.
FORMAT_VERSION = 3
# Arrays of passages.npz: the occurrence schema, and each unit's first occurrence.
_OCC_ARRAYS = {**OCCURRENCE_SCHEMA, **{f"unit_{name}": dtype for name, dtype in UNIT_SCHEMA.items()}}
_TABLES: dict[str, Any] = {"synonyms": SynonymTable, "intents": IntentTable}


@dataclass
class LoadedIndex:
    """The parts of a saved index, from which :meth:`spasmqa.QA.load` assembles a QA."""

    settings: Settings
    corpus: Corpus
    splitter: SentenceSplitter
    segment: Segment
    tables: Tables


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _punkt_to_json(params: Any) -> dict[str, Any]:
    return {
        "abbrev_types": sorted(params.abbrev_types),
        "collocations": sorted([list(c) for c in params.collocations]),
        "sent_starters": sorted(params.sent_starters),
        "ortho_context": sorted([[k, int(v)] for k, v in params.ortho_context.items()]),
    }


def _punkt_from_json(data: dict[str, Any]) -> Any:
    from nltk.tokenize.punkt import PunktParameters

    params = PunktParameters()
    params.abbrev_types = set(data["abbrev_types"])
    params.collocations = {tuple(c) for c in data["collocations"]}
    params.sent_starters = set(data["sent_starters"])
    for k, v in data["ortho_context"]:
        params.ortho_context[k] = int(v)
    return params


def save_index(path: str | os.PathLike, *, settings: Settings, segment: Segment, splitter: SentenceSplitter,
               tables: Any, overwrite: bool = False) -> Path:
    """Write an index's parts to the directory ``path`` (see the module docstring).

    The index is written to a temporary directory beside ``path`` and moved
    into place at the end, so an interrupted save never leaves a half-written
    index under ``path``.
    """
    target = Path(path)
    if target.exists():
        if not overwrite:
            raise FileExistsError(f"{target} already exists; pass overwrite=True (CLI: --overwrite) to replace it")
        if target.is_dir() and not (target / "manifest.json").exists() and any(target.iterdir()):
            raise FileExistsError(
                f"{target} is a non-empty directory that is not a spasmqa index; refusing to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".spasmqa-", dir=target.parent))
    table, index = segment.table, segment.index
    try:
        with open(tmp / "documents.jsonl", "w", encoding="utf-8", newline="\n") as f:
            for d in table.documents:
                f.write(json.dumps({"doc_id": d.doc_id, "text": d.text, "path": d.path, "title": d.title,
                                    "offset": d.offset}, ensure_ascii=False) + "\n")
        (tmp / "vocabulary.json").write_text(json.dumps(index.terms_, ensure_ascii=False), encoding="utf-8")
        sp.save_npz(tmp / "counts.npz", index.counts_, compressed=False)
        np.savez(tmp / "passages.npz", **{name: getattr(table, f"occ_{name}") for name in OCCURRENCE_SCHEMA},
                 **{f"unit_{name}": getattr(table, f"unit_{name}") for name in UNIT_SCHEMA})
        files = ["documents.jsonl", "vocabulary.json", "counts.npz", "passages.npz"]
        # Custom expansion tables travel with the index, written from the
        # tables in memory (never re-read from the path the settings name),
        # so that loading it elsewhere answers the same. The shipped tables
        # are part of spasmqa.
        for name in _TABLES:
            value = getattr(settings, name)
            loaded = getattr(tables, name)
            if isinstance(value, str) and value != "auto" and loaded is not None:
                data = {"groups": loaded.groups} if name == "synonyms" else {"intents": loaded.intents}
                (tmp / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
                files.append(f"{name}.json")
        if settings.punkt == "train":
            (tmp / "punkt.json").write_text(json.dumps(_punkt_to_json(splitter.punkt_parameters())),
                                            encoding="utf-8")
            files.append("punkt.json")
        manifest = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "spasmqa_version": _version,
            "settings": settings.as_dict(),
            "sizes": {"documents": len(table.documents), "passages": table.n_passages, "units": table.n_units,
                      "terms": len(index.terms_)},
            "files": {name: {"sha256": _sha256(tmp / name), "bytes": (tmp / name).stat().st_size} for name in files},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target) if target.is_dir() else target.unlink()
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _read_manifest(root: Path) -> dict[str, Any]:
    if not root.exists():
        raise FileNotFoundError(f"index path does not exist: {root}")
    if not root.is_dir():
        raise IndexFormatError(f"{root} is not a spasmqa index (an index is a directory with a manifest.json)")
    mpath = root / "manifest.json"
    if not mpath.is_file():
        raise IndexFormatError(f"{root} is not a spasmqa index: manifest.json is missing")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexFormatError(f"{mpath} is corrupted: not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise IndexFormatError(f"{root} is not a spasmqa index: manifest.json does not say format '{FORMAT_NAME}'")
    version = manifest.get("format_version")
    if not isinstance(version, int):
        raise IndexFormatError(f"{mpath} is corrupted: format_version is missing or not an integer")
    if version > FORMAT_VERSION:
        raise IndexFormatError(
            f"{root} uses index format version {version}, newer than this spasmqa ({_version}) reads "
            f"(up to {FORMAT_VERSION}); upgrade spasmqa or rebuild the index"
        )
    if version < 1:
        raise IndexFormatError(f"{mpath}: unknown index format version {version}")
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(isinstance(v, dict) and "sha256" in v for v in files.values()):
        raise IndexFormatError(f"{mpath} is corrupted: the 'files' table is missing or malformed")
    for name in ("documents.jsonl", "vocabulary.json", "counts.npz", "passages.npz"):
        if name not in files:
            raise IndexFormatError(f"{mpath} is corrupted: it does not list {name}")
    for name, meta in files.items():
        f = root / name
        if Path(name).name != name:
            raise IndexFormatError(f"{mpath} is corrupted: bad file name {name!r}")
        if not f.is_file():
            raise IndexFormatError(f"index file {name} is missing from {root}")
        if f.stat().st_size != meta.get("bytes"):
            raise IndexFormatError(f"index file {name} is truncated or changed: {f.stat().st_size} bytes, "
                                   f"manifest says {meta.get('bytes')}")
        if _sha256(f) != meta["sha256"]:
            raise IndexFormatError(f"index file {name} is corrupted: its SHA-256 does not match the manifest")
    return manifest


def _check(cond: bool, what: str) -> None:
    if not cond:
        raise IndexFormatError(f"index is inconsistent: {what}")


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


def load_index(path: str | os.PathLike) -> LoadedIndex:
    """Read and check an index written by :func:`save_index` (see :meth:`spasmqa.QA.load`)."""
    root = Path(path)
    manifest = _read_manifest(root)
    options = _legacy_settings(manifest["format_version"], manifest.get("settings", {}))
    try:
        settings = Settings.from_options(options)
    except (TypeError, ValueError) as exc:
        raise IndexFormatError(f"{root}/manifest.json has invalid settings: {exc}") from None
    if settings.synonyms == "auto":
        raise IndexFormatError(f"{root}/manifest.json has invalid settings: synonyms is 'auto' in a built index")

    corpus = Corpus()
    doc_ids: list[str] = []
    with open(root / "documents.jsonl", encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            try:
                rec = json.loads(line)
                doc = Document(doc_id=rec["doc_id"], text=rec["text"], path=rec.get("path"),
                               title=rec.get("title"), offset=int(rec.get("offset", 0)))
                if not isinstance(doc.doc_id, str) or not isinstance(doc.text, str):
                    raise TypeError("doc_id and text must be strings")
                corpus.add(doc)
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise IndexFormatError(f"documents.jsonl line {lineno} is malformed ({exc})") from None
            doc_ids.append(doc.doc_id)
    try:
        terms = json.loads((root / "vocabulary.json").read_text(encoding="utf-8"))
        counts = sp.load_npz(root / "counts.npz").tocsr()  # allow_pickle=False inside scipy
        with np.load(root / "passages.npz", allow_pickle=False) as z:
            arrays = {name: np.asarray(z[name]) for name in _OCC_ARRAYS}
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
        raise IndexFormatError(f"{root}: cannot read index arrays ({exc})") from None

    # Structural checks: a consistent index never fails these.
    _check(isinstance(terms, list) and all(isinstance(t, str) for t in terms), "vocabulary is not a list of terms")
    _check(len(set(terms)) == len(terms), "vocabulary has repeated terms")
    for name, dtype in _OCC_ARRAYS.items():
        _check(arrays[name].ndim == 1 and arrays[name].dtype == dtype, f"passages.npz[{name}] has the wrong type")
    n_occ = len(arrays["doc"])
    _check(all(len(arrays[n]) == n_occ for n in ("start", "end", "heading", "fragment", "anaphor", "unit")),
           "passage arrays differ in length")
    n_units = len(arrays["unit_first_occ"])
    _check(counts.shape == (len(terms), n_units), "counts matrix shape does not match vocabulary and units")
    _check(counts.nnz == 0 or (counts.indices.min() >= 0 and counts.data.min() > 0), "counts matrix has bad entries")
    if n_occ:
        _check(arrays["doc"].min() >= 0 and arrays["doc"].max() < len(doc_ids), "passage document out of range")
        _check(arrays["unit"].min() >= 0 and arrays["unit"].max() < n_units, "passage unit out of range")
        lengths = np.array([len(corpus.documents[d].text) for d in doc_ids], dtype=np.int64)
        _check(bool(np.all((0 <= arrays["start"]) & (arrays["start"] < arrays["end"])
                           & (arrays["end"] <= lengths[arrays["doc"]]))), "passage span outside its document")
    _check(n_units == 0 or (arrays["unit_first_occ"].min() >= 0 and arrays["unit_first_occ"].max() < n_occ),
           "unit first occurrence out of range")
    _check(n_units > 0, "the index holds no passages")

    tables = {}
    for name, cls in _TABLES.items():
        value = getattr(settings, name)
        try:
            if f"{name}.json" in manifest["files"]:
                tables[name] = cls.load(root / f"{name}.json")
            elif isinstance(value, str):
                raise IndexFormatError(f"{root}: settings name a custom {name} table but the index does not carry it")
            else:
                tables[name] = cls.load() if value else None
        except (OSError, ValueError) as exc:
            raise IndexFormatError(f"{root}: cannot read the index's {name} table ({exc})") from None
    splitter = SentenceSplitter(punkt=settings.punkt, web_rules=settings.web_rules)
    if settings.punkt == "train":
        from nltk.tokenize.punkt import PunktSentenceTokenizer

        try:
            params = _punkt_from_json(json.loads((root / "punkt.json").read_text(encoding="utf-8")))
        except (OSError, KeyError, TypeError, ValueError) as exc:
            raise IndexFormatError(f"{root}: punkt.json is missing or malformed ({exc})") from None
        splitter.tokenizer_ = PunktSentenceTokenizer(params)
    try:
        index = TermIndex(weighting=settings.weighting, k1=settings.k1, b=settings.b,
                          sublinear_tf=settings.sublinear_tf, pivot_slope=settings.pivot_slope)
        index.set_counts({t: i for i, t in enumerate(terms)}, counts)
    except InputError as exc:
        raise IndexFormatError(f"{root}: {exc}") from None
    occ = {name: arrays[name] for name in OCCURRENCE_SCHEMA}
    table = PassageTable([corpus.documents[d] for d in doc_ids], occ, arrays["unit_first_occ"])
    return LoadedIndex(settings=settings, corpus=corpus, splitter=splitter, segment=Segment(table, index),
                       tables=Tables(**tables))
