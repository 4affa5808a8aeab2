import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from spasmqa.analysis import Analyzer
from spasmqa.corpus import load_corpus
from spasmqa.index import TermIndex
from spasmqa.passages import SentenceSplitter

A = Analyzer()


def default_sentences():
    out = []
    for doc in load_corpus().values():
        out += [doc.text[s.start:s.end] for s in SentenceSplitter().split(doc.text)]
    return list(dict.fromkeys(out))


QUESTIONS = ["what causes lower back spasms", "how long do spasms last", "heat therapy for a lumbar strain",
             "quadratus lumborum", "water", "nothing matches zzz"]


@pytest.mark.parametrize("sublinear", [False, True])
def test_tfidf_scores_equal_scikit_learn(sublinear):
    texts = default_sentences()
    index = TermIndex(sublinear_tf=sublinear, dtype=np.float64).fit([A(t) for t in texts])
    vec = TfidfVectorizer(analyzer=A, sublinear_tf=sublinear)
    X = vec.fit_transform(texts)
    expected = (vec.transform(QUESTIONS) @ X.T).toarray()
    got = index.score([A(q) for q in QUESTIONS]).toarray()
    np.testing.assert_allclose(got, expected, atol=1e-12)


def bm25_reference(docs, query, k1, b):
    n = len(docs)
    avgdl = sum(map(len, docs)) / n
    scores = []
    for d in docs:
        s = 0.0
        for t in query:
            df = sum(t in x for x in docs)
            if df == 0:
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            tf = d.count(t)
            if tf == 0:
                continue
            s += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avgdl))
        scores.append(s)
    return np.array(scores)


@pytest.mark.parametrize("k1,b", [(1.2, 0.75), (0.9, 0.4), (2.0, 1.0), (1.5, 0.0)])
def test_bm25_scores_equal_reference_formula(k1, b):
    docs = [A(t) for t in default_sentences()]
    index = TermIndex(weighting="bm25", k1=k1, b=b, dtype=np.float64).fit(docs)
    for q in QUESTIONS:
        np.testing.assert_allclose(index.score([A(q)]).toarray()[0], bm25_reference(docs, A(q), k1, b), atol=1e-10)


def test_search_returns_top_k_sorted_and_positive():
    index = TermIndex().fit([A(t) for t in default_sentences()])
    (units, scores), = index.search([A("back spasms")], k=7)
    assert len(units) == 7
    assert np.all(np.diff(scores) <= 0) and np.all(scores > 0)
    full = index.score([A("back spasms")]).toarray()[0]
    assert set(units) <= set(np.argsort(-full)[:20])
    assert scores[0] == pytest.approx(full.max(), rel=1e-6)


def test_no_match_is_empty():
    index = TermIndex().fit([A("back pain"), A("neck pain")])
    (units, scores), = index.search([A("zebra")], k=3)
    assert len(units) == 0 and len(scores) == 0
    (units, _), = index.search([[]], k=3)
    assert len(units) == 0


def test_ties_broken_by_unit_number():
    # Eight identical-scoring units: the ranking is by unit number, at every k.
    index = TermIndex().fit([A("spasm")] * 8 + [A("other")])
    for k in range(1, 9):
        (units, _), = index.search([A("spasm")], k=k)
        assert list(units) == list(range(k))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from("abcdefgh"), max_size=6), min_size=1, max_size=30),
       st.lists(st.sampled_from("abcdefghz"), min_size=1, max_size=4), st.integers(1, 10))
def test_topk_agrees_with_full_sort(docs, query, k):
    index = TermIndex(dtype=np.float64).fit(docs)
    full = index.score([query]).toarray()[0]
    (units, scores), = index.search([query], k=k)
    order = sorted((i for i in range(len(docs)) if full[i] > 0), key=lambda i: (-full[i], i))[:k]
    assert list(units) == order


def test_add_matches_full_rebuild():
    texts = default_sentences()
    half = len(texts) // 2
    grown = TermIndex(dtype=np.float64).fit([A(t) for t in texts[:half]]).add([A(t) for t in texts[half:]])
    full = TermIndex(dtype=np.float64).fit([A(t) for t in texts])
    q = [A(x) for x in QUESTIONS]
    # Same units and scores; term rows may be numbered differently.
    np.testing.assert_allclose(grown.score(q).toarray(), full.score(q).toarray(), atol=1e-12)


def test_blocked_fit_equals_one_block():
    docs = [A(t) for t in default_sentences()]
    a = TermIndex(dtype=np.float64).fit(docs, block_size=7)
    b = TermIndex(dtype=np.float64).fit(docs)
    q = [A(x) for x in QUESTIONS]
    np.testing.assert_allclose(a.score(q).toarray(), b.score(q).toarray(), atol=1e-12)


@pytest.mark.parametrize("kw", [{"weighting": "bm26"}, {"weighting": "bm25", "b": 1.5}, {"weighting": "bm25", "k1": -1}])
def test_bad_parameters(kw):
    with pytest.raises(ValueError):
        TermIndex(**kw).fit([["a"]])


def test_bm25_ranking_equals_bm25s_up_to_ties():
    bm25s = pytest.importorskip("bm25s")
    docs = [A(t) for t in default_sentences()]
    ours = TermIndex(weighting="bm25", k1=1.2, b=0.75, dtype=np.float64).fit(docs)
    theirs = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    theirs.index(docs, show_progress=False)
    for q in QUESTIONS[:-1]:
        (units, scores), = ours.search([A(q)], k=10)
        ids, their_scores = theirs.retrieve([A(q)], k=10, show_progress=False)
        positive = their_scores[0] > 0  # bm25s pads with zero-score results
        # bm25s's "lucene" method leaves out the constant (k1 + 1) factor.
        np.testing.assert_allclose(scores / 2.2, their_scores[0][positive], rtol=1e-5)
        for u, s in zip(units, scores):  # same passages wherever scores are not tied
            if np.sum(np.isclose(scores, s)) == 1:
                assert u in set(ids[0][positive])


def test_a_term_index_pickles_and_answers_the_same():
    import pickle

    from spasmqa.analysis import Analyzer

    a = Analyzer()
    index = TermIndex().fit([a("back spasms hurt"), a("drink water"), a("back pain")])
    index.forward_arrays()  # caches and a lock are made again, not pickled
    other = pickle.loads(pickle.dumps(index))
    for q in ("back", "water spasm"):
        (u1, s1), (u2, s2) = index.search([a(q)], k=3)[0], other.search([a(q)], k=3)[0]
        assert u1.tolist() == u2.tolist() and np.allclose(s1, s2)
    assert [x.tolist() for x in other.forward_arrays()] == [x.tolist() for x in index.forward_arrays()]
    assert pickle.loads(pickle.dumps(TermIndex(weighting="bm25"))).get_params() == TermIndex(weighting="bm25").get_params()


def test_neighbours_expand_units_with_similar_units_terms():
    import numpy as np

    from spasmqa.analysis import Analyzer
    from spasmqa.index import TermIndex

    a = Analyzer()
    docs = [a("muscle spasm in the lower back"), a("lower back muscle cramp"), a("bread baking with yeast")]
    plain = TermIndex(weighting="bm25").fit(docs)
    expanded = TermIndex(weighting="bm25", neighbours=1, neighbour_weight=0.5).fit(docs)
    assert plain.search([a("cramp")], k=3)[0][0].tolist() == [1]
    units, scores = expanded.search([a("cramp")], k=3)[0]
    assert units.tolist()[:2] == [1, 0]  # doc 0 gains its neighbour's word, below doc 1
    assert 2 not in units.tolist()
    assert np.array_equal(expanded.counts_.toarray(), plain.counts_.toarray())  # counts stay the text's own
    assert TermIndex(weighting="bm25", neighbours=0).fit(docs).postings_.nnz == plain.postings_.nnz
