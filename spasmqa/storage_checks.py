"""Turning the untrusted bytes of a saved index into checked parts.

Every function here takes bytes (or a memory map) read once from a snapshot
of the index directory and either returns parts that satisfy every invariant
the rest of spasmqa relies on, or raises
:class:`~spasmqa.errors.IndexFormatError` naming the file and the problem.
Checks are vectorised and linear in the sizes of the files.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .answer import normalize_text
from .build import Segment
from .corpus import Corpus, Document
from .errors import IndexFormatError
from .fields import Sections
from .index import CollectionStats, TermIndex
from .safearrays import ArraySpec, check_csr, parse_npy, parse_npz
from .safeio import parse_json, parse_jsonl
from .settings import Settings
from .table import OCCURRENCE_SCHEMA, PassageTable

__all__ = ["INDEX_ARRAYS", "SECTION_ARRAYS", "legacy_arrays", "parse_documents", "parse_punkt",
           "sections_from_arrays", "segment_from_arrays"]

#: The arrays of a format-3 index, one ``.npy`` file each.
INDEX_ARRAYS: dict[str, ArraySpec] = {
    "counts_indptr": ArraySpec(np.int64),
    "counts_indices": ArraySpec(np.int32),
    "counts_data": ArraySpec(np.int32),
    **{f"occ_{name}": ArraySpec(dtype) for name, dtype in OCCURRENCE_SCHEMA.items()},
    "unit_first_occ": ArraySpec(np.int64),
}


#: The page field's sections (optional: indexes saved before them derive them on load).
SECTION_ARRAYS: dict[str, ArraySpec] = {
    "occ_section": ArraySpec(np.int64),
    "section_counts_indptr": ArraySpec(np.int64),
    "section_counts_indices": ArraySpec(np.int32),
    "section_counts_data": ArraySpec(np.int32),
}

_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Strict UTF-8 decoding rejects encoded surrogates, so a parsed JSON string
# holds one only through a \uD800-\uDFFF escape: a file without such an
# escape needs no per-string check.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _fail(where: Any, problem: str) -> IndexFormatError:
    return IndexFormatError(f"{where}: {problem}")


def parse_documents(data: Any, where: Path, n_docs: int) -> Corpus:
    """``documents.jsonl``: exactly ``n_docs`` valid records with unique ids."""
    records = parse_jsonl(data, name=where, max_depth=8, max_lines=n_docs)
    if len(records) != n_docs:
        raise _fail(where, f"holds {len(records)} documents, the manifest says {n_docs}")
    corpus = Corpus()
    escapes = _SURROGATE_ESCAPE.search(data) is not None
    for lineno, rec in enumerate(records, start=1):
        try:
            doc = Document.from_record(rec)
        except (TypeError, ValueError, KeyError, OverflowError) as exc:
            raise _fail(where, f"line {lineno} is not a valid document ({exc})") from None
        if escapes:
            strings = [doc.doc_id, doc.text, doc.title or "", doc.path or "",
                       *(v for v in doc.metadata.values() if isinstance(v, str))]
            if any(_SURROGATE.search(x) for x in strings):
                raise _fail(where, f"line {lineno} holds invalid Unicode (a lone surrogate)")
        if doc.doc_id in corpus.documents:
            raise _fail(where, f"line {lineno} repeats doc_id {doc.doc_id!r}")
        corpus.add(doc)
    return corpus


def parse_punkt(data: Any, where: Path) -> Any:
    """``punkt.json``: Punkt parameters (lists of strings; ortho context as [word, flag] pairs)."""
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    raw = parse_json(data, name=where, max_depth=4)
    ok = isinstance(raw, dict) and all(
        isinstance(raw.get(k), list) for k in ("abbrev_types", "collocations", "sent_starters", "ortho_context"))
    if ok:
        ok = (all(isinstance(w, str) for k in ("abbrev_types", "sent_starters") for w in raw[k])
              and all(isinstance(c, list) and len(c) == 2 and all(isinstance(w, str) for w in c)
                      for c in raw["collocations"])
              and all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) and isinstance(p[1], int)
                      and not isinstance(p[1], bool) and 0 <= p[1] < 2**16 for p in raw["ortho_context"]))
    if not ok:
        raise _fail(where, "is not a valid set of Punkt parameters")
    params = PunktParameters()
    params.abbrev_types = set(raw["abbrev_types"])
    params.collocations = {tuple(c) for c in raw["collocations"]}
    params.sent_starters = set(raw["sent_starters"])
    for word, flag in raw["ortho_context"]:
        params.ortho_context[word] = flag
    return PunktSentenceTokenizer(params)


def legacy_arrays(counts: Any, passages: Any, root: Path, sizes: dict[str, int]) -> dict[str, np.ndarray]:
    """The arrays of a format-1/2 index (``counts.npz``, ``passages.npz``), checked as zip members."""
    # scipy chose the index dtypes by size: try each combination, keep the
    # first that checks out (every attempt is bounded like any other read).
    error: IndexFormatError | None = None
    csr: dict[str, np.ndarray] | None = None
    for ip in (np.int32, np.int64):
        for ix in (np.int32, np.int64):
            if csr is None:
                try:
                    csr = parse_npz(counts, {"indptr": ArraySpec(ip), "indices": ArraySpec(ix),
                                             "data": ArraySpec(np.int32), "format": ArraySpec("S3", ndim=0),
                                             "shape": ArraySpec(np.int64)}, name=root / "counts.npz")
                except IndexFormatError as exc:
                    error = exc
    if csr is None:
        raise error if error is not None else _fail(root / "counts.npz", "cannot be read")
    if len(csr["indices"]) and int(csr["indices"].max()) >= 2**31:
        raise _fail(root / "counts.npz", "column indices do not fit 32 bits")
    occ_specs = {**{n: ArraySpec(d) for n, d in OCCURRENCE_SCHEMA.items()}, "unit_first_occ": ArraySpec(np.int64)}
    occ = parse_npz(passages, occ_specs, name=root / "passages.npz")
    return {"counts_indptr": csr["indptr"].astype(np.int64), "counts_indices": csr["indices"].astype(np.int32),
            "counts_data": csr["data"], **{f"occ_{n}": occ[n] for n in OCCURRENCE_SCHEMA},
            "unit_first_occ": occ["unit_first_occ"]}


def _array(arrays: dict[str, Any], name: str, root: Path, length: int) -> np.ndarray:
    value = arrays[name]
    spec = INDEX_ARRAYS[name] if name in INDEX_ARRAYS else SECTION_ARRAYS[name]
    arr = value if isinstance(value, np.ndarray) else parse_npy(value, spec, name=root / f"{name}.npy")
    if arr.ndim != 1 or len(arr) != length:
        raise _fail(root / f"{name}.npy", f"has {arr.size} values, the manifest's sizes call for {length}")
    return arr


def segment_from_arrays(arrays: dict[str, Any], terms: Any, corpus: Corpus, settings: Settings,
                        sizes: dict[str, int], root: Path, stats: CollectionStats | None = None) -> Segment:
    """Check every array against the manifest and each other, then assemble the segment
    (weighted with ``stats`` when given, else with its own statistics)."""
    _n_docs, n_occ, n_units, n_terms = sizes["documents"], sizes["passages"], sizes["units"], sizes["terms"]
    where = root / "vocabulary.json"
    if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
        raise _fail(where, "is not a list of terms")
    if len(terms) != n_terms or len(set(terms)) != n_terms:
        raise _fail(where, f"holds {len(terms)} terms ({len(set(terms))} distinct), the manifest says {n_terms}")
    if n_units == 0:
        raise _fail(root, "the index holds no passages")
    indptr = _array(arrays, "counts_indptr", root, n_terms + 1)
    nnz = int(indptr[-1]) if len(indptr) and 0 <= int(indptr[-1]) < 2**40 else -1
    indices = _array(arrays, "counts_indices", root, max(nnz, 0))
    data = _array(arrays, "counts_data", root, max(nnz, 0))
    check_csr(indptr, indices, data, (n_terms, n_units), what=str(root / "counts_*.npy"))
    occ = {name: _array(arrays, f"occ_{name}", root, n_occ) for name in OCCURRENCE_SCHEMA}
    for name, arr in occ.items():  # a bool array holds only the bytes 0 and 1
        if arr.dtype == np.bool_ and len(arr) and int(arr.view(np.uint8).max()) > 1:
            raise _fail(root / f"occ_{name}.npy", "a flag holds a byte other than 0 or 1")
    first = _array(arrays, "unit_first_occ", root, n_units)
    docs = list(corpus.values())
    _check_occurrences(occ, first, docs, root)
    try:
        index = TermIndex(weighting=settings.weighting, k1=settings.k1, b=settings.b,
                          sublinear_tf=settings.sublinear_tf, pivot_slope=settings.pivot_slope,
                          neighbours=settings.neighbours, neighbour_weight=settings.neighbour_weight)
        counts = sp.csr_matrix((data, indices, indptr), shape=(n_terms, n_units), copy=False)
        index.set_counts({t: i for i, t in enumerate(terms)}, counts, stats)
    except ValueError as exc:  # settings were checked already; this is a bug guard, named
        raise _fail(root, f"the counts cannot be weighted ({exc})") from None
    return Segment(PassageTable(docs, occ, first), index)


def _check_occurrences(occ: dict[str, np.ndarray], first: np.ndarray, docs: list[Document], root: Path) -> None:
    """Occurrences in corpus order, inside their documents, agreeing with their units."""
    where = root / "occ_*.npy"
    n_occ, n_units = len(occ["doc"]), len(first)
    doc, start, end, unit = occ["doc"], occ["start"], occ["end"], occ["unit"]
    if n_occ == 0:
        raise _fail(where, "no occurrences, but the index has units")
    if doc.min() < 0 or doc.max() >= len(docs) or np.any(np.diff(doc) < 0):
        raise _fail(where, "document numbers out of range or not in corpus order")
    lengths = np.fromiter((len(d.text) for d in docs), dtype=np.int64, count=len(docs))
    if np.any(start < 0) or np.any(start >= end) or np.any(end > lengths[doc]):
        raise _fail(where, "a passage span lies outside its document")
    same_doc = doc[1:] == doc[:-1]
    if np.any(same_doc & (start[1:] < end[:-1])):
        raise _fail(where, "passages of a document overlap or are out of order")
    if unit.min() < 0 or unit.max() >= n_units:
        raise _fail(where, "a passage names a unit that does not exist")
    if first.min() < 0 or first.max() >= n_occ or np.any(np.diff(first) <= 0):
        raise _fail(root / "unit_first_occ.npy", "first occurrences out of range or not in corpus order")
    if np.any(unit[first] != np.arange(n_units)) or np.any(first[unit] > np.arange(n_occ)):
        raise _fail(where, "units and their first occurrences disagree")
    # Every place of a unit holds the unit's text (white space and case aside).
    for o in np.flatnonzero(first[unit] != np.arange(n_occ)).tolist():
        f = int(first[unit[o]])
        a = docs[doc[o]].text[start[o]:end[o]]
        b = docs[doc[f]].text[start[f]:end[f]]
        if len(a.split()) != len(b.split()) or normalize_text(a) != normalize_text(b):
            raise _fail(where, f"passage {o} is listed as a copy of unit {int(unit[o])} but its text differs")


def sections_from_arrays(parsed: Any, arrays: dict[str, Any], sizes: dict[str, int], root: Path) -> Sections:
    """The page field's sections of a saved index (``sections.json`` and its arrays), checked
    against the manifest's sizes and each other."""
    where = root / "sections.json"
    n_sections, n_terms, n_occ = sizes.get("sections"), sizes.get("section_terms"), sizes["passages"]
    if not isinstance(n_sections, int) or not isinstance(n_terms, int) or n_sections < 1 or n_terms < 0:
        raise _fail(root / "manifest.json", "sizes must give 'sections' and 'section_terms' with sections.json")
    if not isinstance(parsed, dict) or set(parsed) != {"labels", "terms"}:
        raise _fail(where, "must be an object with 'labels' and 'terms'")
    labels, terms = parsed["labels"], parsed["terms"]
    if not isinstance(labels, list) or len(labels) != n_sections or not all(
            isinstance(lab, list) and lab and all(isinstance(x, str) for x in lab) for lab in labels):
        raise _fail(where, f"labels must be {n_sections} non-empty lists of strings")
    if not isinstance(terms, list) or len(terms) != n_terms or not all(isinstance(t, str) for t in terms) \
            or len(set(terms)) != n_terms:
        raise _fail(where, f"terms must be {n_terms} distinct strings")
    occ_section = _array(arrays, "occ_section", root, n_occ)
    if len(occ_section) and (int(occ_section.min()) < -1 or int(occ_section.max()) >= n_sections):
        raise _fail(root / "occ_section.npy", f"section numbers must lie in -1..{n_sections - 1}")
    indptr = _array(arrays, "section_counts_indptr", root, n_terms + 1)
    nnz = int(indptr[-1]) if len(indptr) and 0 <= int(indptr[-1]) < 2**40 else -1
    indices = _array(arrays, "section_counts_indices", root, max(nnz, 0))
    data = _array(arrays, "section_counts_data", root, max(nnz, 0))
    check_csr(indptr, indices, data, (n_terms, n_sections), what=str(root / "section_counts_*.npy"))
    counts = sp.csr_matrix((data, indices, indptr), shape=(n_terms, n_sections), copy=False)
    index = TermIndex().set_counts({t: i for i, t in enumerate(terms)}, counts, None)
    return Sections(np.asarray(occ_section), [tuple(lab) for lab in labels], index)
