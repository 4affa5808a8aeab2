"""The fast query path against the sparse reference (oracle tests).

:class:`spasmqa.scorer.Scorer` scores one question at a time from dense
buffers; :class:`spasmqa.sparse_scorer.SparseScorer` is the readable
definition. They must rank the same units with the same scores.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spasmqa
from spasmqa.answer import normalize_text
from spasmqa.topk import top_k, top_k_rows

QUESTIONS = [
    "what causes lower back spasms", "how long do back spasms last", "can a physio help", "what is the QL muscle",
    "is heat good for a sore back", "how do I stop getting back spasms", "does drinking water help with cramps",
    "when should I see a doctor", "what are the signs of a back spasm", "stretching", "the of and",
]


def _agree(qa, questions, k=60):
    scorer = qa.scorer_
    terms = [qa.analyzer_(q) for q in questions]
    want = top_k_rows(scorer.reference.score(terms, questions), k)
    for t, q, (wu, ws) in zip(terms, questions, want):
        gu, gs = top_k(*scorer.score_one(t, q), k)
        assert gu.tolist() == wu.tolist(), q
        np.testing.assert_allclose(gs, ws, rtol=1e-6, atol=1e-9, err_msg=q)


@pytest.mark.parametrize("options", [{}, {"weighting": "bm25"}, {"synonyms": False, "intents": False},
                                     {"heading_weight": 0.0}, {"anaphora_weight": 0.0},
                                     {"sublinear_tf": False, "pivot_slope": 1.0, "heading_scope": 5}])
def test_fast_path_equals_reference_on_the_shipped_questions(qa, options):
    from spasmqa.evaluate import load_default_questions

    questions = QUESTIONS + [q for name in ("labelled", "check") for q in load_default_questions(name)[0]["query"]]
    _agree(qa.with_settings(**options), questions)


WORDS = ["back", "spasm", "muscle", "heat", "ice", "pain", "This", "It", "They", "rest", "stretch", "doctor"]


@st.composite
def corpora(draw):
    sentences = st.lists(st.sampled_from(WORDS), min_size=1, max_size=8).map(lambda ws: " ".join(ws) + ".")
    heading = st.sampled_from(["What helps?", "Causes", "Treatment:"])
    docs = draw(st.lists(st.lists(st.one_of(sentences, heading), min_size=1, max_size=6), min_size=1, max_size=8))
    return [" ".join(d) for d in docs]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corpora(), st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=5).map(" ".join), min_size=1,
                           max_size=4), st.sampled_from(["tfidf", "bm25"]))
def test_fast_path_equals_reference_on_random_corpora(texts, questions, weighting):
    qa = spasmqa.QA.from_texts(texts, weighting=weighting, synonyms=True, heading_scope=3)
    _agree(qa, questions)


@given(st.text())
def test_normalize_text_collapses_white_space_as_a_regex_does(text):
    assert normalize_text(text) == re.sub(r"\s+", " ", text).strip().casefold()
