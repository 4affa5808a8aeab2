"""Issue #14, defects 3 and 4: the page field (spasmqa.fields) and term proximity (spasmqa.proximity).

Defect 4, "a sentence loses its page": in reference documentation the topic
is in the page title and the headings, not in the sentences under them.
Defect 3, "the direct answer ranks low": the question's adjacent words
standing together in a passage is evidence the passage states the answer.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spasmqa
from spasmqa.context import PlaceScores
from spasmqa.fields import combine_places, section_labels
from spasmqa.proximity import proximity_bonus, proximity_share, question_pairs
from spasmqa.topk import top_k, top_k_rows

PAGES = {
    "add_test.md": "# add_test\n\nAdd a test to the project to be run by ctest.\n\n## Signature\n\n"
                   "The name may contain arbitrary characters.\n",
    "enable_testing.md": "# enable_testing\n\nEnable testing for this directory and below.\n\n"
                         "You should add this command before you add a test, so a test can be found by ctest.\n",
    "add_executable.md": "# add_executable\n\nAdd an executable to the project using the given source files.\n",
    "set_tests_properties.md": "# set_tests_properties\n\nSet a property of the tests.\n\n"
                               "A test property can add to a test's labels.\n",
}


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    root = tmp_path_factory.mktemp("pages")
    for name, text in PAGES.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def _first_sentence(answer):
    return next(p for p in answer.passages if not p.is_heading)


# -- defect 4: a sentence loses its page ---------------------------------------
def test_a_sentence_under_its_page_title_answers(pages):
    # The page's own sentence against one on another page that repeats the
    # question's words twice: the field lifts it, the more the higher its weight.
    qa = spasmqa.QA.from_corpus(pages)

    def rank(answer):
        return next(p.rank for p in answer.passages if p.text.startswith("Add a test"))

    question = "how do I add a test"
    off = qa.with_settings(title_weight=0).ask(question, k=10)
    assert not _first_sentence(off).doc_id.startswith("add_test.md")
    assert rank(qa.ask(question, k=10)) < rank(off)
    best = _first_sentence(qa.with_settings(title_weight=0.6).ask(question))
    assert best.doc_id.startswith("add_test.md") and best.text.startswith("Add a test")


def test_passages_know_their_title_and_heading_path(pages):
    qa = spasmqa.QA.from_corpus(pages)
    p = next(p for p in qa.ask("what characters may the name contain", k=10).passages
             if p.text.startswith("The name"))
    assert p.context.title == "add_test" and p.context.path == ("add_test", "Signature")
    assert p.context.breadcrumb == "add_test › Signature"
    d = p.context.as_dict()
    assert d["title"] == "add_test" and d["path"] == ["add_test", "Signature"] and "heading" in d


@pytest.mark.parametrize("split", ["paragraph", "file"])
def test_markdown_headings_are_flagged_as_headings(pages, split):
    qa = spasmqa.QA.from_corpus(pages, split=split)
    frame = qa.passages_frame()
    flagged = set(frame.loc[frame["is_heading"], "text"])
    assert {"add_test", "Signature", "enable_testing"} <= flagged
    assert not frame.loc[frame["text"].str.startswith("Add a test"), "is_heading"].any()
    # a heading is its own passage, never glued to the sentence after it
    assert "add_test" in set(frame["text"])


def test_the_field_lifts_only_passages_the_question_scored(pages):
    qa = spasmqa.QA.from_corpus(pages)
    texts = [p.text for p in qa.ask("how do I add a test", k=20).passages]
    # on the matching page, a sentence without the question's words gains nothing
    assert "The name may contain arbitrary characters." not in texts


def test_the_page_field_is_explained(pages):
    qa = spasmqa.QA.from_corpus(pages)
    q = "how do I add a test"
    for p in qa.ask(q, k=10).passages:
        e = qa.explain(q, p)
        assert e.total == pytest.approx(p.score, rel=1e-6, abs=1e-9)
    e = qa.explain(q, _first_sentence(qa.ask(q)))
    assert any(part.kind == "page field" and part.value > 0 for part in e.parts)


def test_plain_text_has_no_field(qa):
    a = qa.ask("what causes lower back spasms", k=10)
    b = qa.with_settings(title_weight=0).ask("what causes lower back spasms", k=10)
    assert [(p.id, p.score) for p in a.passages] == [(p.id, p.score) for p in b.passages]
    assert all(p.context.title is None and p.context.path == () for p in a.passages)


def test_fast_path_equals_reference_with_the_field(pages):
    for options in ({}, {"weighting": "bm25"}, {"heading_weight": 0.0, "anaphora_weight": 0.0}):
        qa = spasmqa.QA.from_corpus(pages, **options)
        questions = ["how do I add a test", "enable testing", "test property labels", "executable source"]
        terms = [qa.analyzer_(q) for q in questions]
        want = top_k_rows(qa.scorer_.reference.score(terms, questions), 20)
        for t, q, (wu, ws) in zip(terms, questions, want):
            gu, gs = top_k(*qa.scorer_.score_one(t, q), 20)
            assert gu.tolist() == wu.tolist(), q
            np.testing.assert_allclose(gs, ws, rtol=1e-6, atol=1e-9)


def test_an_index_saved_and_loaded_keeps_the_field(pages, tmp_path):
    qa = spasmqa.QA.from_corpus(pages)
    qa.save(tmp_path / "idx")
    loaded = spasmqa.QA.load(tmp_path / "idx")
    q = "how do I add a test"
    assert [(p.id, p.score) for p in loaded.ask(q).passages] == [(p.id, p.score) for p in qa.ask(q).passages]


def test_section_labels():
    assert section_labels("add_test", ("add_test", "Signature")) == ("add_test", "Signature")
    assert section_labels("Guide", ("Install",)) == ("Guide", "Install")
    assert section_labels(None, ()) == ()


def test_combine_places_adds_per_place():
    a = PlaceScores(np.array([1, 4]), np.array([0, 2]), np.array([0.5, 0.25]))
    b = PlaceScores(np.array([4, 7]), np.array([2, 3]), np.array([0.125, 1.0]))
    got = combine_places(a, b)
    assert got.occ.tolist() == [1, 4, 7] and got.unit.tolist() == [0, 2, 3]
    assert got.bonus.tolist() == [0.5, 0.375, 1.0]


# -- defect 3: the direct answer ranks low ------------------------------------
def _rank(answer, start):
    return next(p.rank for p in answer.passages if p.text.startswith(start))


def test_proximity_lifts_the_direct_answer(qa):
    q, direct = "what causes lower back spasms", "Lower back spasms often result from"
    before = _rank(qa.with_settings(proximity_weight=0).ask(q, k=10), direct)
    after = _rank(qa.with_settings(proximity_weight=0.1).ask(q, k=10), direct)
    assert after < before


def test_question_pairs():
    assert question_pairs(["lower", "back", "spasm"]) == [("lower", "back"), ("back", "spasm")]
    assert question_pairs(["back", "back", "spasm", "back", "spasm"]) == [("back", "spasm"), ("spasm", "back")]
    assert question_pairs(["one"]) == []


def test_proximity_share_counts_near_pairs_in_either_order():
    pairs, w = [("lower", "back"), ("back", "spasm")], [1.0, 3.0]
    assert proximity_share(pairs, w, ["lower", "back", "spasm"], 1) == 1.0
    assert proximity_share(pairs, w, ["spasm", "back", "x", "x", "lower"], 1) == 0.75
    assert proximity_share(pairs, w, ["spasm", "back", "x", "x", "lower"], 3) == 1.0
    assert proximity_share(pairs, w, ["lower", "x", "x", "back"], 2) == 0.0


def test_proximity_is_explained(qa):
    q = "what causes lower back spasms"
    qa = qa.with_settings(proximity_weight=0.1)
    p = next(p for p in qa.ask(q, k=10).passages if p.text.startswith("Lower back spasms often"))
    e = qa.explain(q, p)
    assert any(part.kind == "proximity" and part.value > 0 for part in e.parts)
    assert e.total == pytest.approx(p.score, rel=1e-6, abs=1e-9)


# -- properties ---------------------------------------------------------------------
WORDS = st.sampled_from(["add", "test", "lower", "back", "spasm", "x", "y"])


@given(st.lists(WORDS, max_size=6), st.lists(st.lists(WORDS, max_size=12), max_size=5),
       st.integers(1, 5), st.floats(0, 10))
def test_proximity_bonus_lies_between_zero_and_its_weight(question, candidates, window, weight):
    bonus = proximity_bonus(question, candidates, lambda t: 1.0 + len(t), window, weight)
    assert bonus.shape == (len(candidates),)
    assert (bonus >= 0).all() and (bonus <= weight + 1e-12).all()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["add", "test", "ctest", "property", "executable", "name", "directory"]),
                min_size=1, max_size=4),
       st.sampled_from([0.0, 0.25, 1.0, 3.0]))
def test_field_bonus_is_never_negative_and_the_fast_path_agrees(pages_qa, words, weight):
    qa = pages_qa.with_settings(title_weight=weight)
    q = " ".join(words)
    terms = qa.analyzer_(q)
    units, own, places = qa.scorer_.score_parts(terms, q)
    assert (places.bonus >= 0).all()
    want = top_k_rows(qa.scorer_.reference.score([terms], [q]), 50)[0]
    got = top_k(*qa.scorer_.score_one(terms, q), 50)
    assert got[0].tolist() == want[0].tolist()
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6, atol=1e-9)


@pytest.fixture(scope="module")
def pages_qa(pages):
    return spasmqa.QA.from_corpus(pages)


def test_a_sentence_that_starts_with_its_heading_text_is_not_cut(tmp_path):
    # Paragraph documents carry their enclosing heading at offset 0; a first
    # sentence that merely starts with the same words stays whole.
    (tmp_path / "with.md").write_text("# The with statement\n\nThe with statement is used to wrap a block.\n")
    qa = spasmqa.QA.from_corpus(tmp_path)
    texts = list(qa.passages_frame().text)
    assert "The with statement is used to wrap a block." in texts
    assert texts.count("The with statement") == 1
