"""Document-level aggregation of passage scores: the fast paths equal the reference sort.

The reference builds the (unit, document, score) pairs on its own and
aggregates them with the general path (``runs.aggregate_pairs``: best place
per (document, unit) by a three-key sort, then max or sum per document);
``runs._per_document`` takes a single sort by document when the aggregate
is "max" or no place has a bonus. Scores must be identical, not close.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from spasmqa.context import PlaceScores
from spasmqa.runs import _own, _per_document, aggregate_pairs


def reference(units, base, places, u2d, occ_doc, how):
    counts = np.diff(u2d.indptr)[units]
    pos = np.concatenate([np.arange(u2d.indptr[u], u2d.indptr[u + 1]) for u in units]) if len(units) else \
        np.zeros(0, dtype=np.int64)
    pair_unit = np.concatenate([np.repeat(units, counts), places.unit])
    pair_doc = np.concatenate([u2d.indices[pos].astype(np.int64), occ_doc[places.occ].astype(np.int64)])
    pair_val = np.concatenate([np.repeat(base, counts), _own(units, base, places.unit) + places.bonus])
    if len(pair_doc) == 0:
        return pair_doc, pair_val
    return aggregate_pairs(pair_unit, pair_doc, pair_val, how)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), n_units=st.integers(1, 12), n_docs=st.integers(1, 6), how=st.sampled_from(["max", "sum"]),
       with_places=st.booleans())
def test_fast_document_aggregation_equals_the_reference(data, n_units, n_docs, how, with_places):
    # occurrences: each (unit, document) pair at least once, in document order
    occ = data.draw(st.lists(st.tuples(st.integers(0, n_docs - 1), st.integers(0, n_units - 1)), min_size=1,
                             max_size=30))
    occ.sort()
    occ_doc = np.asarray([d for d, _ in occ], dtype=np.int64)
    occ_unit = np.asarray([u for _, u in occ], dtype=np.int64)
    pairs = sorted({(u, d) for d, u in occ})
    u2d = sp.csr_matrix((np.ones(len(pairs)), ([u for u, _ in pairs], [d for _, d in pairs])),
                        shape=(n_units, n_docs))
    u2d.sort_indices()
    present = sorted(set(occ_unit.tolist()))
    units = np.asarray(data.draw(st.lists(st.sampled_from(present), unique=True, max_size=len(present))),
                       dtype=np.int64)
    units.sort()
    scores = st.floats(0.01, 5, allow_nan=False)
    base = np.asarray(data.draw(st.lists(scores, min_size=len(units), max_size=len(units))), dtype=np.float64)
    if with_places:
        chosen = sorted(data.draw(st.sets(st.integers(0, len(occ) - 1), max_size=len(occ))))
        places = PlaceScores(np.asarray(chosen, dtype=np.int64), occ_unit[chosen],
                             np.asarray(data.draw(st.lists(scores, min_size=len(chosen), max_size=len(chosen)))))
    else:
        places = PlaceScores(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))
    got = _per_document(units, base, places, u2d, occ_doc, how, None)
    want = reference(units, base, places, u2d, occ_doc, how)
    assert got[0].tolist() == want[0].tolist()
    assert got[1].tolist() == want[1].tolist()


def test_search_takes_one_question_as_a_string():
    import spasmqa

    qa = spasmqa.QA.from_corpus()
    one = qa.search("what causes lower back spasms", k=5)
    assert list(one.qid.unique()) == ["1"]
    listed = qa.search(["what causes lower back spasms"], k=5)
    assert one.equals(listed)
