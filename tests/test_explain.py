"""qa.explain: the parts of every answer's scores add up to the scores."""

from __future__ import annotations

import json

import pytest

import spasmqa
from spasmqa.cli import main
from spasmqa.evaluate import load_default_questions

QUESTIONS = [q for name in ("labelled", "check") for q in load_default_questions(name)[0]["query"]]


@pytest.mark.parametrize("options", [{}, {"weighting": "bm25"}, {"fragment_penalty": 0.3, "prf": True},
                                     {"proximity_weight": 0.2},
                                     {"synonyms": False, "intents": False}])
def test_parts_sum_to_the_score_of_every_answer(options):
    qa = spasmqa.QA.from_corpus(**options)
    for question, answer in zip(QUESTIONS, qa.ask_many(QUESTIONS, k=10)):
        for p in answer.passages:
            e = qa.explain(question, p)
            assert e.total == pytest.approx(p.score, rel=1e-6, abs=1e-9), (question, p.text)
            assert e.passage == p.source and e.text == p.text


def test_explanation_names_terms_context_and_penalties(qa):
    question = "what is the QL muscle"
    answer = qa.ask(question, k=10)
    kinds = {part.kind for p in answer.passages for part in qa.explain(question, p).parts}
    assert {"term", "reference-back context"} <= kinds
    heading = next(p for p in qa.ask("back spasm causes", k=10).passages if p.is_heading)
    e = qa.explain("back spasm causes", heading)
    assert any(part.kind == "penalty" and part.value < 0 for part in e.parts)
    term = next(part for part in e.parts if part.kind == "term")
    assert "tf=" in term.detail and "idf=" in term.detail
    assert "term:" in str(e)


def test_a_passage_not_in_the_index_is_a_clear_error(qa):
    with pytest.raises(ValueError, match="no passage at"):
        qa.explain("back", spasmqa.Source("back_spasms.txt#1", 0, 3))
    with pytest.raises(TypeError):
        qa.explain("back", "not a passage")


def test_cli_explain(capsys):
    assert main(["ask", "what causes lower back spasms", "--k", "2", "--explain"]) == 0
    out = capsys.readouterr().out
    assert "Why these scores:" in out and "term: caus" in out
    assert main(["ask", "what causes lower back spasms", "--k", "2", "--explain", "--json"]) == 0
    text = capsys.readouterr().out
    explanations = json.loads(text[text.rindex("\n[\n") + 1:])
    assert len(explanations) == 2 and all(abs(e["total"] - e["score"]) < 1e-9 for e in explanations)
