"""The table's batched lookups for composing an answer (``shown``, ``sources_of``)
equal one-at-a-time references written from the occurrence arrays."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spasmqa import QA
from spasmqa.answer import Context
from spasmqa.resources import techdocs_corpus_path


def reference_context(table, o):
    """Sentences before and after occurrence ``o`` in its document, its heading, title and path."""
    d = table.occ_doc[o]
    before = table.text(o - 1) if o > 0 and table.occ_doc[o - 1] == d else ""
    after = table.text(o + 1) if o + 1 < table.n_passages and table.occ_doc[o + 1] == d else ""
    h = table.occ_heading_of[o]
    doc = table.documents[d]
    return Context(before=before, after=after, heading=table.text(h) if h >= 0 and h != o else None,
                   title=doc.title, path=doc.heading_path(int(table.occ_start[o])) if doc.headings else ())


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
        assert ctx == reference_context(table, o)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_sources_of_equals_sources(table, data):
    units = data.draw(st.lists(st.integers(0, table.n_units - 1), max_size=12))
    want = [tuple(table.source(o) for o in table.unit_occ[table.unit_occ_indptr[u]:table.unit_occ_indptr[u + 1]])
            for u in units]
    assert table.sources_of(units) == want
    assert [table.sources(u) for u in units] == want
