"""The passage table: every place a passage occurs, and what it is a copy of.

An *occurrence* is one passage at one place: document number, character
span, flags (heading, fragment, refers back) and the *unit* it belongs to.
Passages with the same normalised text are one unit, which remembers every
place it occurs. The table answers provenance questions (where else does
this text occur, what is around it, which heading is above it) with array
operations, and gives the scorer the links along which context flows.

The occurrence schema is defined here once (:data:`OCCURRENCE_SCHEMA`);
building fills it (:mod:`spasmqa.build`) and storage writes and checks it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .answer import Context, ContextView, Passage, Source, passage_id
from .corpus import Document
from .counts import row_positions
from .errors import InputError, InputTypeError
from .filters import MetadataTable

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["OCCURRENCE_SCHEMA", "UNIT_SCHEMA", "PassageTable"]

#: Per-occurrence arrays and their dtypes (compact: at 10^6 passages a list
#: of Python ints would cost hundreds of megabytes).
OCCURRENCE_SCHEMA: dict[str, type] = {"doc": np.int32, "start": np.int64, "end": np.int64, "heading": np.bool_,
                                      "fragment": np.bool_, "anaphor": np.bool_, "unit": np.int32}
#: Per-unit arrays: the unit's first occurrence (its text and main place).
UNIT_SCHEMA: dict[str, type] = {"first_occ": np.int64}


def _as_array(values: Any, dtype: Any) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.dtype == dtype:
        return values
    return np.array(values, dtype=dtype)


class PassageTable:
    """Occurrences of passages in documents, grouped into units.

    Parameters
    ----------
    documents : sequence of Document
        In document-number order (occurrence ``doc`` values index it).
    occurrences : mapping of name -> array
        One array per field of :data:`OCCURRENCE_SCHEMA`, all of one length,
        in corpus order (document, then position).
    first_occ : array of int
        Per unit, its first occurrence.
    """

    def __init__(self, documents: Sequence[Document], occurrences: Mapping[str, Any],
                 first_occ: Any) -> None:
        self.documents = list(documents)
        self.doc_ids = [d.doc_id for d in self.documents]
        self._doc_number = {d: i for i, d in enumerate(self.doc_ids)}
        # Copies of a builder's buffers; arrays of the right type (a loaded,
        # possibly memory-mapped index) are used as they are.
        for name, dtype in OCCURRENCE_SCHEMA.items():
            setattr(self, f"occ_{name}", _as_array(occurrences[name], dtype))
        self.unit_first_occ = _as_array(first_occ, np.int64)
        self._unit_ids: dict[int, str] = {}
        self._metadata: MetadataTable | None = None
        self._unit_doc: sp.csr_matrix | None = None
        self._derive()

    occ_doc: np.ndarray
    occ_start: np.ndarray
    occ_end: np.ndarray
    occ_heading: np.ndarray
    occ_fragment: np.ndarray
    occ_anaphor: np.ndarray
    occ_unit: np.ndarray

    def _derive(self) -> None:
        """Lookup structures computed from the occurrence arrays."""
        n_units = len(self.unit_first_occ)
        # Occurrences of each unit, in corpus order.
        self.unit_occ = np.argsort(self.occ_unit, kind="stable")
        self.unit_occ_indptr = np.concatenate([[0], np.cumsum(np.bincount(self.occ_unit, minlength=n_units))])
        self.unit_fragment = self.occ_fragment[self.unit_first_occ] if n_units else np.zeros(0, bool)
        doc_code = np.fromiter((d.kind == "code" for d in self.documents), dtype=bool, count=len(self.documents))
        self.unit_code = doc_code[self.occ_doc[self.unit_first_occ]] if n_units else np.zeros(0, bool)
        self.unit_heading = self.occ_heading[self.unit_first_occ] if n_units else np.zeros(0, bool)
        # Index of the nearest heading at or before each occurrence in its document (-1: none).
        n = len(self.occ_doc)
        idx = np.where(self.occ_heading, np.arange(n), -1)
        last = np.maximum.accumulate(idx) if n else idx
        valid = (last >= 0) & (self.occ_doc[np.clip(last, 0, None)] == self.occ_doc) if n else last >= 0
        self.occ_heading_of = np.where(valid, last, -1)

    def extended(self, documents: Sequence[Document], occurrences: Mapping[str, Any],
                 first_occ: Any) -> PassageTable:
        """A new table with more documents; their occurrence ``doc`` numbers
        and ``first_occ`` are relative to the new documents."""
        n_docs, n_occ = len(self.documents), self.n_passages
        occ: dict[str, np.ndarray] = {}
        for name, dtype in OCCURRENCE_SCHEMA.items():
            new: np.ndarray = np.asarray(occurrences[name], dtype=dtype)
            if name == "doc":
                new = new + np.int32(n_docs)
            occ[name] = np.concatenate([getattr(self, f"occ_{name}"), new])
        first = np.concatenate([self.unit_first_occ, np.asarray(first_occ, dtype=np.int64) + n_occ])
        return PassageTable(self.documents + list(documents), occ, first)

    # -- sizes and lookups -------------------------------------------------
    @property
    def n_passages(self) -> int:
        """Number of passage occurrences (before de-duplication)."""
        return len(self.occ_doc)

    @property
    def n_units(self) -> int:
        """Number of distinct passages (or documents)."""
        return len(self.unit_first_occ)

    def text(self, o: int) -> str:
        """The text of occurrence ``o``."""
        return self.documents[self.occ_doc[o]].text[self.occ_start[o]:self.occ_end[o]]

    def unit_text(self, u: int) -> str:
        return self.text(int(self.unit_first_occ[u]))

    def unit_id(self, u: int) -> str:
        """The passage id of unit ``u`` (cached: hashing is the costly part of composing an answer)."""
        pid = self._unit_ids.get(u)
        if pid is None:
            pid = self._unit_ids[u] = passage_id(self.unit_text(u))
        return pid

    def source(self, o: int) -> Source:
        return Source(self.doc_ids[self.occ_doc[o]], int(self.occ_start[o]), int(self.occ_end[o]))

    def sources(self, unit: int) -> tuple[Source, ...]:
        """Every place unit ``unit`` occurs, in corpus order."""
        return self.sources_of([unit])[0]

    def shown(self, occs: Sequence[int]) -> list[tuple[int, Source, bool, bool, Context]]:
        """Per occurrence of ``occs``: (document number, :meth:`source`, is fragment,
        is heading, its :class:`Context`: the sentences before and after it in its
        document, its heading, the document's title and heading path), gathered
        from the arrays at once (an answer shows a handful of passages; numpy
        scalars cost per item)."""
        if len(occs) == 0:
            return []
        o = np.asarray(occs, dtype=np.int64)
        n = self.n_passages
        near = np.concatenate([np.maximum(o - 1, 0), np.minimum(o + 1, n - 1), o])
        doc, start, end = self.occ_doc[near].tolist(), self.occ_start[near].tolist(), self.occ_end[near].tolist()
        k = len(o)
        heading_of = self.occ_heading_of[o].tolist()
        flags = zip(self.occ_fragment[o].tolist(), self.occ_heading[o].tolist())
        out = []
        for i, (oi, (fragment, heading)) in enumerate(zip(o.tolist(), flags)):
            j = 2 * k + i
            d = doc[j]
            document = self.documents[d]
            before = document.text[start[i]:end[i]] if oi > 0 and doc[i] == d else ""
            after = document.text[start[k + i]:end[k + i]] if oi + 1 < n and doc[k + i] == d else ""
            h = heading_of[i]
            ctx = Context(before=before, after=after, heading=self.text(h) if h >= 0 and h != oi else None,
                          title=document.title, path=document.heading_path(start[j]) if document.headings else ())
            out.append((d, Source(self.doc_ids[d], start[j], end[j]), bool(fragment), bool(heading), ctx))
        return out

    def sources_of(self, units: Sequence[int]) -> list[tuple[Source, ...]]:
        """:meth:`sources` of each of ``units``, gathered at once."""
        if len(units) == 0:
            return []
        pos, counts = row_positions(self.unit_occ_indptr, np.asarray(units, dtype=np.int64))
        occs = self.unit_occ[pos]
        doc, start, end = self.occ_doc[occs].tolist(), self.occ_start[occs].tolist(), self.occ_end[occs].tolist()
        ids = self.doc_ids
        out, at = [], 0
        for c in counts.tolist():
            out.append(tuple(Source(ids[doc[i]], start[i], end[i]) for i in range(at, at + c)))
            at += c
        return out

    def unit_docno(self, u: int, unit_kind: str) -> str:
        """The docno of a unit in a run: the doc_id of a document unit, else the passage id."""
        o = int(self.unit_first_occ[u])
        return self.doc_ids[self.occ_doc[o]] if unit_kind == "document" else self.unit_id(u)

    def unit_doc_matrix(self) -> sp.csr_matrix:
        """Binary (n_units, n_docs): which documents each unit occurs in (made once; read only)."""
        if self._unit_doc is not None:
            return self._unit_doc
        m = sp.csr_matrix(
            (np.ones(self.n_passages, dtype=np.float32), (self.occ_unit, self.occ_doc)),
            shape=(self.n_units, len(self.doc_ids)),
        )
        m.data[:] = 1.0  # a unit twice in one document still counts once
        self._unit_doc = m  # a table never changes (add() makes a new one); racing threads make equal copies
        return m

    # -- filters ------------------------------------------------------------
    def masks(self, where: Any) -> tuple[np.ndarray, np.ndarray] | None:
        """(document mask, unit mask) of a metadata filter (see :mod:`spasmqa.filters`);
        None without one. A unit passes when any of its places is in a passing document."""
        if not where:
            return None
        if self._metadata is None:
            self._metadata = MetadataTable.from_documents(self.documents)
        docs = self._metadata.mask(where)
        units = np.zeros(self.n_units, dtype=bool)
        units[self.occ_unit[docs[self.occ_doc]]] = True
        return docs, units

    def first_occ_in(self, u: int, docs: np.ndarray | None) -> int:
        """Unit ``u``'s first place in a passing document (its first place without a filter)."""
        if docs is None:
            return int(self.unit_first_occ[u])
        occs = self.unit_occ[self.unit_occ_indptr[u]:self.unit_occ_indptr[u + 1]]
        return int(occs[np.argmax(docs[self.occ_doc[occs]])])

    # -- links along which context flows -----------------------------------
    def heading_places(self, scope: int) -> tuple[np.ndarray, np.ndarray]:
        """(occurrence, its heading's occurrence) of every passage under a heading,
        at most ``scope`` passages below it (headings themselves excluded)."""
        o = np.arange(self.n_passages)
        h = self.occ_heading_of
        ok = (h >= 0) & (h != o) & (o - h <= scope) & ~self.occ_heading
        return o[ok], h[ok]

    def anaphora_places(self) -> np.ndarray:
        """Occurrences that refer back ("This muscle ...") to the passage just
        before them in their document. Fragments refer to nothing."""
        if self.n_passages < 2:
            return np.zeros(0, np.int64)
        o = np.flatnonzero(self.occ_anaphor[1:]) + 1
        return o[(self.occ_doc[o - 1] == self.occ_doc[o]) & ~self.occ_fragment[o]]

    # -- views ---------------------------------------------------------------
    def in_context(self, passage: Passage | Source, sentences: int = 2) -> ContextView:
        """A passage (or any source of one) inside its document: up to
        ``sentences`` passages before and after it, the passage highlighted."""
        if not isinstance(passage, (Passage, Source)):
            raise InputTypeError(f"expected a Passage or Source, got {type(passage).__name__}")
        if isinstance(sentences, bool) or not isinstance(sentences, int) or sentences < 0:
            raise InputError(f"sentences must be an integer >= 0, got {sentences!r}")
        d = self._doc_number.get(passage.doc_id)
        if d is None:
            raise InputError(f"no document with doc_id {passage.doc_id!r} in this index")
        doc = self.documents[d]
        occs = np.flatnonzero(self.occ_doc == d)
        here = occs[(self.occ_start[occs] == passage.start) & (self.occ_end[occs] == passage.end)]
        if len(here) == 0:
            raise InputError(f"no passage at {passage.doc_id} [{passage.start}:{passage.end}]")
        i = int(np.searchsorted(occs, here[0]))
        lo = int(self.occ_start[occs[max(0, i - sentences)]])
        hi = int(self.occ_end[occs[min(len(occs) - 1, i + sentences)]])
        return ContextView(doc_id=doc.doc_id, text=doc.text[lo:hi], mark_start=passage.start - lo,
                           mark_end=passage.end - lo, offset=lo, path=doc.path)

    def frame(self) -> pd.DataFrame:
        """Every passage occurrence: ``id, text, doc_id, start, end, unit, is_heading, is_fragment``."""
        import pandas as pd

        texts = [self.text(o) for o in range(self.n_passages)]
        return pd.DataFrame({
            "id": [passage_id(t) for t in texts],
            "text": texts,
            "doc_id": [self.doc_ids[d] for d in self.occ_doc],
            "start": self.occ_start,
            "end": self.occ_end,
            "unit": self.occ_unit,
            "is_heading": self.occ_heading,
            "is_fragment": self.occ_fragment,
        })
