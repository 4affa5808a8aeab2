"""The table's batched lookups for composing an answer (``shown``, ``sources_of``)
equal the one-at-a-time ones (``source``, ``context``, ``sources``)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spasmqa import QA
from spasmqa.resources import techdocs_corpus_path


@pytest.fixture(scope="module", params=["default", "techdocs"])
def table(request):
    qa = QA.from_corpus(techdocs_corpus_path() if request.param == "techdocs" else None)
    return qa._parts.segment.table


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_shown_equals_one_at_a_time(table, data):
    n = table.n_passages
    occs = data.draw(st.lists(st.one_of(st.sampled_from([0, n - 1]), st.integers(0, n - 1)), max_size=12))
    got = table.shown(occs)
    assert len(got) == len(occs)
    for o, (d, src, fragment, heading, ctx) in zip(occs, got):
        assert d == table.occ_doc[o]
        assert src == table.source(o)
        assert fragment == bool(table.occ_fragment[o]) and heading == bool(table.occ_heading[o])
        assert ctx == table.context(o)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_sources_of_equals_sources(table, data):
    units = data.draw(st.lists(st.integers(0, table.n_units - 1), max_size=12))
    assert table.sources_of(units) == [table.sources(u) for u in units]
