"""Document expansion (``neighbours``): the expansion against a brute-force
reference, explain's parts, saving, and the limits (collection size, shards)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import spasmqa
from spasmqa import index as index_module
from spasmqa.errors import InputError
from spasmqa.evaluate import load_default_questions
from spasmqa.weighting import neighbour_counts, sublinear

QUESTIONS = list(load_default_questions("labelled")[0]["query"])


def _tfidf(tf: np.ndarray, idf: np.ndarray) -> np.ndarray:
    """Sublinear tf (1 + ln tf where tf > 0) times idf, dense."""
    out = np.zeros_like(tf, dtype=np.float64)
    nz = tf > 0
    out[nz] = sublinear(tf[nz].astype(np.float64))
    return out * idf


def reference_expansion(counts: np.ndarray, idf: np.ndarray, k: int, weight: float) -> np.ndarray:
    """The definition, unit by unit (counts: terms x units, dense)."""
    tf = counts.T.astype(np.float64)  # units x terms
    vec = _tfidf(tf, idf)
    norms = np.linalg.norm(vec, axis=1)
    norms[norms == 0] = 1.0
    vec /= norms[:, None]
    lengths = tf.sum(axis=1)
    out = tf.copy()
    for u in range(len(tf)):
        sims = vec @ vec[u]
        sims[u] = -np.inf
        near = np.argsort(-sims, kind="stable")[:k]
        s = np.maximum(sims[near], 0.0)
        if s.sum() <= 0:
            continue
        spread = sum((s_n / s.sum()) * tf[n] / max(lengths[n], 1.0) for n, s_n in zip(near, s))
        out[u] += weight * lengths[u] * spread
    return out.T


@settings(max_examples=60, deadline=None)
@given(data=st.data(), k=st.integers(1, 4), weight=st.sampled_from([0.25, 0.75, 1.5]))
def test_expansion_equals_the_definition(data, k, weight):
    n_terms, n_units = data.draw(st.integers(1, 6)), data.draw(st.integers(2, 7))
    counts = np.array(data.draw(st.lists(st.lists(st.integers(0, 3), min_size=n_units, max_size=n_units),
                                         min_size=n_terms, max_size=n_terms)), dtype=np.float64)
    idf = np.linspace(1.0, 2.0, n_terms)
    m = sp.csr_matrix(counts)
    got = neighbour_counts(m, counts.sum(axis=0), idf, k, weight).toarray()
    want = reference_expansion(counts, idf, min(k, n_units - 1), weight)
    # Neighbours tied in similarity may be chosen either way; only then may the two differ.
    vec = _tfidf(counts.T, idf)
    norms = np.linalg.norm(vec, axis=1)
    norms[norms == 0] = 1.0
    sims = np.round((vec / norms[:, None]) @ (vec / norms[:, None]).T, 12)
    tied = any(len(np.unique(np.delete(sims[u], u))) < n_units - 1 for u in range(n_units))
    if not tied:
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got.sum(axis=0) >= counts.sum(axis=0) - 1e-12, True)


@pytest.fixture(scope="module")
def expanded():
    return spasmqa.QA.from_corpus(unit="document", weighting="bm25", neighbours=3, neighbour_weight=0.75)


def test_explain_parts_sum_to_the_score_with_expansion(expanded):
    explained = 0
    for question, answer in zip(QUESTIONS, expanded.ask_many(QUESTIONS, k=5)):
        for p in answer.passages:
            e = expanded.explain(question, p)
            assert e.total == pytest.approx(p.score, rel=1e-6, abs=1e-9), (question, p.text)
            explained += any("document expansion" in part.detail for part in e.parts)
    assert explained  # some answers are found through their neighbours' words


def test_expansion_changes_scores_and_survives_save_and_load(expanded, tmp_path):
    plain = spasmqa.QA.from_corpus(unit="document", weighting="bm25")
    q = QUESTIONS[0]
    assert [p.score for p in plain.ask(q).passages] != [p.score for p in expanded.ask(q).passages]
    expanded.save(tmp_path / "idx")
    loaded = spasmqa.QA.load(tmp_path / "idx")
    assert loaded.settings.neighbours == 3
    assert [(p.doc_id, p.score) for p in loaded.ask(q).passages] == [(p.doc_id, p.score) for p in expanded.ask(q).passages]
    # A query-time option: switched off on the loaded index, the plain scores come back.
    off = loaded.with_settings(neighbours=0)
    assert [(p.doc_id, p.score) for p in off.ask(q).passages] == [(p.doc_id, p.score) for p in plain.ask(q).passages]


def test_expansion_beyond_the_size_limit_is_refused(monkeypatch):
    monkeypatch.setattr(index_module, "MAX_NEIGHBOUR_UNITS", 10)
    with pytest.raises(InputError, match="neighbours .* limit of 10"):
        spasmqa.QA.from_corpus(neighbours=2)


def test_a_sharded_build_refuses_expansion_before_writing(tmp_path):
    out = tmp_path / "sharded"
    with pytest.raises(InputError, match="sharded index cannot"):
        spasmqa.build_sharded_index(None, out, shards=2, workers=1, neighbours=5)
    assert not out.exists()


@pytest.mark.parametrize("value", [-1, 101, 2.5, True])
def test_neighbours_option_rules(value):
    with pytest.raises((InputError, TypeError)):
        spasmqa.QA.from_corpus(neighbours=value)


def test_a_sharded_index_refuses_expansion_at_load(tmp_path):
    from shardhelpers import inputs

    from spasmqa.shards import build_sharded_serial

    docs, opts, s = inputs(spasmqa.load_corpus(None))
    build_sharded_serial(docs, opts, s, tmp_path / "sh", shards=2)
    with pytest.raises(InputError, match="sharded index cannot"):
        spasmqa.QA.load(tmp_path / "sh", neighbours=3)
