"""The page field: a passage's document title and heading path, scored as a field of its own.

In reference documentation the topic is in the page title and the headings
("add_test", "Signature"), not in the sentences under them ("Add a test to
the project to be run by ctest."). A *section* is a distinct (file, heading
path) pair, the path starting with the document's title (``Document.title``
and ``Document.headings``, recorded by the markup readers and by records with
a ``title``). Each section's text is analysed once into a small term index
of its own, with its own collection statistics (number of sections, document
frequency over sections), as multi-field BM25 weighs a title field.

A question scores the sections (few), and each *place* (occurrence) of a
unit its own terms already scored gains ``title_weight`` times its section's
score. The field bonus is per place, like context (:mod:`spasmqa.context`):
it is added to the place's context bonus and a unit gains its best place's
total, so scores stay a maximum over places (a sharded index computes each
shard's places separately). Units the question did not score gain nothing:
a matching page title never lifts every sentence of the page on its own.

Sections are derived from the documents and passage offsets. A saved index
carries them (labels, each occurrence's section and the section term index,
so a load analyses nothing); an index saved before this field existed
derives them on load.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .analysis import Analyzer
from .build import Segment
from .context import NO_PLACES, PlaceScores
from .counts import row_positions
from .index import TermIndex
from .table import PassageTable

__all__ = ["Sections", "cache_sections", "combine_places", "section_keys", "section_labels", "sections_of",
           "shared_sections"]


def section_labels(title: str | None, path: Sequence[str]) -> tuple[str, ...]:
    """The field's text parts: the title, then the heading path (the title once
    when it is also the first heading)."""
    labels = list(path)
    if title and (not labels or labels[0] != title):
        labels.insert(0, title)
    return tuple(labels)


Keys = dict[tuple[str, tuple[str, ...]], int]


def _occurrence_sections(table: PassageTable, keys: Keys | None = None,
                         labels_of: list[tuple[str, ...]] | None = None) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """Per occurrence its section number (-1: none), and each section's labels;
    ``keys`` and ``labels_of`` carry the numbering on from earlier tables (shards)."""
    occ_section = np.full(table.n_passages, -1, dtype=np.int64)
    keys = {} if keys is None else keys
    labels_of = [] if labels_of is None else labels_of
    doc_bounds = np.searchsorted(table.occ_doc, np.arange(len(table.documents) + 1))
    for d, doc in enumerate(table.documents):
        if not (doc.title or doc.headings):
            continue
        lo, hi = int(doc_bounds[d]), int(doc_bounds[d + 1])
        if lo == hi:
            continue
        offsets = sorted({0, *(h[0] for h in doc.headings)})
        where = doc.path or doc.doc_id
        numbers = []
        for off in offsets:
            labels = section_labels(doc.title, doc.heading_path(off))
            if not labels:
                numbers.append(-1)
                continue
            key = (where, labels)
            if key not in keys:
                keys[key] = len(labels_of)
                labels_of.append(labels)
            numbers.append(keys[key])
        at = np.searchsorted(np.asarray(offsets), table.occ_start[lo:hi], side="right") - 1
        occ_section[lo:hi] = np.asarray(numbers, dtype=np.int64)[np.maximum(at, 0)]
    return occ_section, labels_of


@dataclass(frozen=True)
class Sections:
    """The sections of a segment: per occurrence its section, and the term index over sections."""

    occ_section: np.ndarray
    labels: list[tuple[str, ...]]
    index: TermIndex | None

    def __len__(self) -> int:
        return len(self.labels)

    def weighted(self, weighting: dict) -> Sections:
        """The same sections under other weighting parameters (no re-analysis)."""
        if self.index is None:
            return self
        # Sections (titles, heading paths) are never expanded by neighbours.
        return Sections(self.occ_section, self.labels, self.index.reweighted(**{**weighting, "neighbours": 0}))

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """Each section's score for a question's own terms (float64, dense over sections)."""
        out = np.zeros(len(self.labels))
        if self.index is None:
            return out
        index = self.index
        tids, w, _ = index.question_terms(terms)
        postings = index.postings_
        ptr, units, data = postings.indptr, postings.indices, postings.data
        for t, wt in zip(tids.tolist(), w.tolist()):
            lo, hi = ptr[t], ptr[t + 1]
            out[units[lo:hi]] += wt * data[lo:hi].astype(np.float64)
        return out

    @functools.cached_property
    def _section_occ(self) -> tuple[np.ndarray, np.ndarray]:
        """Occurrences by section (CSR: ``indptr`` over sections, occurrence numbers ascending)."""
        has = np.flatnonzero(self.occ_section >= 0)
        order = has[np.argsort(self.occ_section[has], kind="stable")]
        indptr = np.zeros(len(self.labels) + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.occ_section[has], minlength=len(self.labels)), out=indptr[1:])
        return indptr, order

    def places(self, table: PassageTable, units: np.ndarray, section_scores: np.ndarray, weight: float,
               doc_mask: np.ndarray | None = None) -> PlaceScores:
        """The field bonus of every place of ``units`` (ascending, each scored by the
        question's own terms) whose section the question scored. Found from the scored
        sections (few) rather than from the scored units (often many)."""
        if weight <= 0 or len(units) == 0:
            return NO_PLACES
        scored_sections = np.flatnonzero(section_scores > 0)
        if len(scored_sections) == 0:
            return NO_PLACES
        indptr, by_section = self._section_occ
        pos, _ = row_positions(indptr, scored_sections)
        occ = by_section[pos]
        occ_unit = table.occ_unit[occ]
        at = np.minimum(np.searchsorted(units, occ_unit), len(units) - 1)  # ``units`` is ascending
        return self.place_scores(table, occ[units[at] == occ_unit], section_scores, weight, doc_mask)

    def unit_sections(self, table: PassageTable) -> np.ndarray:
        """Per unit, the section of its only place (-1: none), or -2 for a unit
        that occurs in several places (for :meth:`places_of_units`)."""
        once = np.diff(table.unit_occ_indptr) == 1
        return np.where(once, self.occ_section[table.unit_first_occ], -2)

    def places_of_units(self, table: PassageTable, units: np.ndarray, unit_sections: np.ndarray,
                        section_scores: np.ndarray, weight: float, doc_mask: np.ndarray | None = None
                        ) -> PlaceScores:
        """:meth:`places`, found from the scored ``units`` (any order) rather than from
        the scored sections: per unit a lookup of its section (``unit_sections``,
        from :meth:`unit_sections`), a walk over the places of the few units that
        occur in several. The same places and bonuses, in no particular order."""
        if weight <= 0 or len(units) == 0:
            return NO_PLACES
        sec = unit_sections[units]
        # Scores with two leading zeros: -2 (several places) and -1 (no section) score nothing here.
        padded = np.concatenate([[0.0, 0.0], section_scores])
        got = padded[sec + 2]
        hit = got > 0
        unit, score = units[hit], got[hit]
        occ = table.unit_first_occ[unit]  # a unit in one place: that place
        several = units[sec == -2]
        if len(several):
            pos, _ = row_positions(table.unit_occ_indptr, several)
            more = table.unit_occ[pos]
            more_sec = self.occ_section[more]
            more_score = padded[more_sec + 2]
            keep = more_score > 0
            occ = np.concatenate([occ, more[keep]])
            unit = np.concatenate([unit, table.occ_unit[more[keep]].astype(unit.dtype)])
            score = np.concatenate([score, more_score[keep]])
        if doc_mask is not None:
            keep = doc_mask[table.occ_doc[occ]]
            occ, unit, score = occ[keep], unit[keep], score[keep]
        if len(occ) == 0:
            return NO_PLACES
        return PlaceScores(occ, unit.astype(np.int64), weight * score)

    def place_scores(self, table: PassageTable, occ: np.ndarray, section_scores: np.ndarray, weight: float,
                     doc_mask: np.ndarray | None = None) -> PlaceScores:
        """The field bonus of the places ``occ`` (any order) that pass ``doc_mask``."""
        if doc_mask is not None:
            occ = occ[doc_mask[table.occ_doc[occ]]]
        if len(occ) == 0:
            return NO_PLACES
        occ = np.sort(occ)
        return PlaceScores(occ, table.occ_unit[occ].astype(np.int64), weight * section_scores[self.occ_section[occ]])


def combine_places(context: PlaceScores, field: PlaceScores) -> PlaceScores:
    """Per place, its context bonus plus its field bonus (places in either)."""
    if len(field.occ) == 0:
        return context
    if len(context.occ) == 0:
        return field
    occ = np.concatenate([context.occ, field.occ])
    unit = np.concatenate([context.unit, field.unit])
    bonus = np.concatenate([context.bonus, field.bonus])
    order = np.argsort(occ, kind="stable")  # a place's context bonus first, then its field bonus
    occ, unit, bonus = occ[order], unit[order], bonus[order]
    first = np.flatnonzero(np.r_[True, occ[1:] != occ[:-1]])
    return PlaceScores(occ[first], unit[first], np.add.reduceat(bonus, first))


def section_keys(table: PassageTable) -> tuple[np.ndarray, list[tuple[str, tuple[str, ...]]]]:
    """A shard's sections: per occurrence its local section number, and each
    local section's key (file, labels), for :func:`shared_sections`."""
    keys: Keys = {}
    occ_section, _ = _occurrence_sections(table, keys)
    return occ_section, list(keys)


def shared_sections(parts: Sequence[tuple[np.ndarray, list[tuple[str, tuple[str, ...]]]]], analyzer: Analyzer
                    ) -> tuple[list[np.ndarray], list[tuple[str, ...]], TermIndex | None]:
    """The collection's sections from its shards' :func:`section_keys`, in shard
    (corpus) order: per shard its local-to-global section numbers, every
    section's labels, and the one term index over them (exactly one segment's)."""
    keys: Keys = {}
    maps = []
    for _, local in parts:
        maps.append(np.asarray([keys.setdefault(k, len(keys)) for k in local], dtype=np.int64))
    labels = [k[1] for k in keys]
    index = TermIndex().fit(analyzer(" ".join(lab)) for lab in labels) if labels else None
    return maps, labels, index


def cache_sections(segment: Segment, sections: Sections) -> None:
    """Keep ``sections`` with the segment (a saved index carries them: no analysis at load)."""
    segment._sections = (segment.table, sections)  # type: ignore[attr-defined]


def sections_of(segment: Segment, analyzer: Analyzer) -> Sections:
    """The segment's sections, analysed once and kept with the segment
    (weighting is applied per settings with :meth:`Sections.weighted`)."""
    cached = getattr(segment, "_sections", None)
    if cached is not None and cached[0] is segment.table:
        return cached[1]
    occ_section, labels = _occurrence_sections(segment.table)
    index = None
    if labels:
        index = TermIndex().fit(analyzer(" ".join(lab)) for lab in labels)
    sections = Sections(occ_section, labels, index)
    cache_sections(segment, sections)
    return sections
