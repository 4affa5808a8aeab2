"""The page field's places, found from the scored sections, equal the reference found from the scored units
(the former implementation; both end in ``Sections.place_scores``)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spasmqa import QA
from spasmqa.context import NO_PLACES
from spasmqa.counts import row_positions
from spasmqa.fields import sections_of
from spasmqa.parts import field_analyzer
from spasmqa.resources import techdocs_corpus_path


def reference_places(sections, table, units, section_scores, weight, doc_mask=None):
    """The former implementation: every place of every scored unit, then its section's score."""
    if weight <= 0 or len(units) == 0 or not (section_scores > 0).any():
        return NO_PLACES
    counts = table.unit_occ_indptr[units + 1] - table.unit_occ_indptr[units]
    single = counts == 1
    occ = table.unit_first_occ[units[single]]
    if not single.all():
        pos, _ = row_positions(table.unit_occ_indptr, units[~single])
        occ = np.concatenate([occ, table.unit_occ[pos]])
    sec = sections.occ_section[occ]
    keep = sec >= 0
    keep[keep] = section_scores[sec[keep]] > 0
    return sections.place_scores(table, occ[keep], section_scores, weight, doc_mask)


@pytest.fixture(scope="module")
def techdocs():
    qa = QA.from_corpus(techdocs_corpus_path(), synonyms=False)
    segment = qa._parts.segment
    return segment.table, sections_of(segment, field_analyzer(qa.settings))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), weight=st.sampled_from([0.0, 0.35, 1.0]), masked=st.booleans())
def test_places_from_sections_equal_places_from_units(techdocs, data, weight, masked):
    table, sections = techdocs
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    units = np.flatnonzero(rng.random(table.n_units) < data.draw(st.sampled_from([0.0, 0.01, 0.2, 1.0])))
    scores = np.where(rng.random(len(sections)) < data.draw(st.sampled_from([0.0, 0.02, 0.5])),
                      rng.random(len(sections)), 0.0)
    doc_mask = rng.random(len(table.documents)) < 0.6 if masked else None
    got = sections.places(table, units, scores, weight, doc_mask)
    want = reference_places(sections, table, units, scores, weight, doc_mask)
    assert got.occ.tolist() == want.occ.tolist()
    assert got.unit.tolist() == want.unit.tolist()
    assert got.bonus.tolist() == want.bonus.tolist()


@settings(max_examples=150, deadline=None)
@given(data=st.data(), weight=st.sampled_from([0.0, 0.35, 1.0]), masked=st.booleans())
def test_places_from_units_in_any_order_equal_places_from_sections(techdocs, data, weight, masked):
    """The fast path's lookup (``places_of_units``: per unit its section, units in
    any order) gives the same places and bonuses as ``places``, up to order."""
    table, sections = techdocs
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    units = np.flatnonzero(rng.random(table.n_units) < data.draw(st.sampled_from([0.0, 0.01, 0.2, 1.0])))
    rng.shuffle(units)
    scores = np.where(rng.random(len(sections)) < data.draw(st.sampled_from([0.0, 0.02, 0.5])),
                      rng.random(len(sections)), 0.0)
    doc_mask = rng.random(len(table.documents)) < 0.6 if masked else None
    got = sections.places_of_units(table, units, sections.unit_sections(table), scores, weight, doc_mask)
    want = sections.places(table, np.sort(units), scores, weight, doc_mask)
    order = np.argsort(got.occ)
    assert got.occ[order].tolist() == want.occ.tolist()
    assert got.unit[order].tolist() == want.unit.tolist()
    assert got.bonus[order].tolist() == want.bonus.tolist()


def test_techdocs_has_units_in_several_places(techdocs):
    """The test above covers the walk over a unit's places, not only the lookup."""
    table, sections = techdocs
    assert (sections.unit_sections(table) == -2).any()
