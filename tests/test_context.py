"""Context flow place by place (spasmqa.context): the bonus never passes the
best context a passage has in one place, and never adds up over places."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spasmqa
from spasmqa.context import best_per_unit, place_bonus


def test_a_repeated_sentence_that_refers_back_does_not_add_up_its_places():
    # Issue #14, defect 1: ten places, ten antecedents; it used to score 7x its antecedent.
    texts = [f"Widget {i} is configured at startup time. This option is documented elsewhere." for i in range(10)]
    ans = spasmqa.QA.from_texts(texts).ask("how is startup time configured", k=3)
    assert ans.passages[0].text == "Widget 0 is configured at startup time."
    echo = [p for p in spasmqa.QA.from_texts(texts).ask("how is startup time configured", k=20).passages
            if p.text == "This option is documented elsewhere."]
    assert echo and echo[0].score < ans.passages[0].score
    assert len(echo[0].sources) == 10


def test_a_sentence_under_many_headings_gains_its_best_one_only():
    # Plain-text headings (a short line without final punctuation, then a blank line).
    docs = [f"Intro text. Startup setting causes Some simple things that cause muscle spasms are read once. "
            f"Variant {i} exists." for i in range(8)]
    qa = spasmqa.QA.from_texts(docs + ["Startup setting alone is here."])
    places = qa.scorer_.places
    assert len(places) and (places.heading >= 0).any()
    question = "startup setting"
    base, got = qa.scorer_.reference.place_scores(qa.analyzer_(question), question)
    for u in np.unique(got.unit):
        best = got.bonus[got.unit == u].max()
        score = dict(zip(*qa.scorer_.score_one(qa.analyzer_(question), question)))[u]
        assert score == pytest.approx(base[u] + best)
        assert best <= 0.7 * base[places.heading[places.target == u]].max() + 1e-12


def test_place_bonus_formula():
    own = np.array([0.0, 0.5, 0.9, 0.2])
    h = np.array([1.0, 0.0, 0.0, 0.3])
    a = np.array([0.0, 0.8, 0.5, 0.6])
    got = place_bonus(own, h, a, 0.7, 0.5)
    np.testing.assert_allclose(got, [0.7, 0.15, 0.0, max(0.21, 0.2)])
    u, v = best_per_unit(np.array([3, 1, 3]), np.array([0.1, 0.2, 0.4]))
    assert u.tolist() == [1, 3] and v.tolist() == [0.2, 0.4]


words = st.sampled_from(["alpha", "beta", "gamma", "delta", "spasm", "back", "this", "it", "they"])
sentence = st.lists(words, min_size=1, max_size=6).map(lambda ws: " ".join(ws).capitalize() + ".")
heading = st.lists(words, min_size=1, max_size=3).map(lambda ws: "# " + " ".join(ws))
document = st.lists(st.one_of(sentence, heading), min_size=1, max_size=6).map("\n\n".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=st.lists(document, min_size=1, max_size=6), pick=st.lists(sentence, min_size=1, max_size=4),
       question=st.lists(words, min_size=1, max_size=3).map(" ".join))
def test_no_context_bonus_passes_the_best_context_in_one_place(docs, pick, question):
    # Repeated sentences spread over documents: the property the README promises.
    docs = docs + [d + " " + " ".join(pick) for d in docs]
    try:
        qa = spasmqa.QA.from_texts(docs)
    except spasmqa.InputError:
        return
    places = qa.scorer_.places
    ref = qa.scorer_.reference
    base, got = ref.place_scores(qa.analyzer_(question), question)
    for u in np.unique(got.unit):
        mine = np.flatnonzero(places.target == u)
        h, a = places.heading[mine], places.antecedent[mine]
        best_context = max(np.where(h >= 0, base[np.maximum(h, 0)], 0).max(),
                           np.where(a >= 0, base[np.maximum(a, 0)] - base[u], 0).max())
        bonus = got.bonus[got.unit == u].max()
        assert bonus <= best_context + 1e-9
    # The fast path and the reference agree, context included.
    units, scores = qa.scorer_.score_one(qa.analyzer_(question), question)
    ref_scores = ref.score([qa.analyzer_(question)], [question]).toarray().ravel()
    np.testing.assert_allclose(scores, ref_scores[units], rtol=0, atol=1e-12)
    assert set(units.tolist()) == set(np.flatnonzero(ref_scores).tolist())


@pytest.mark.parametrize("weight", [1.5, -0.1])
def test_context_weights_are_fractions(weight):
    with pytest.raises(spasmqa.InputError, match="heading_weight"):
        spasmqa.QA.from_texts(["a b c."], heading_weight=weight)
