from pathlib import Path

import spasmqa
from spasmqa import QA


def test_html_escapes_passages_and_questions():
    qa = QA.from_texts(["<script>alert('x')</script> spasms & cramps are painful."])
    ans = qa.ask("<b>spasms</b>?", k=1)
    html = ans._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>spasms</b>" not in html and "&lt;b&gt;" in html
    assert "<mark>spasms</mark>" in html
    assert "&amp;" in html
    assert "&lt;script&gt;" in ans.passages[0]._repr_html_()


def test_highlight_marks_only_query_terms(qa):
    html = qa.ask("lumbar strain", k=1)._repr_html_()
    assert "<mark>lumbar</mark>" in html and "<mark>strain</mark>" in html
    assert "<mark>injury</mark>" not in html


def test_empty_answer_html(qa):
    assert "No passage" in qa.ask("zebra")._repr_html_()


def test_text_rendering(qa):
    text = str(qa.ask("lower back spasms result from inflammation", k=2))
    assert text.startswith("Q: lower back spasms result from inflammation")
    assert "back_spasms.txt#2 [862:932] (+1 more place)" in text


def test_passage_id_is_text_based():
    assert spasmqa.passage_id("Back  spasms.") == spasmqa.passage_id("back spasms.")
    assert spasmqa.passage_id("a") != spasmqa.passage_id("b")


def test_to_dict_round_trips_through_json(qa):
    import json
    d = json.loads(json.dumps(qa.ask("heat therapy", k=2).to_dict()))
    assert d["passages"][0]["rank"] == 1 and "sources" in d["passages"][0]


def test_in_context(qa):
    p = qa.ask("how long do back spasms last", k=1)[0]
    view = qa.in_context(p, sentences=1)
    assert view.text[view.mark_start:view.mark_end] == p.text
    doc = qa.corpus[p.doc_id].text
    assert doc[view.offset:view.offset + len(view.text)] == view.text
    assert f"<mark><b>{p.text}</b></mark>" in view._repr_html_()
    assert ">>>They can last" in str(view)
    for s in qa.ask("lower back spasms result from inflammation", k=1)[0].sources:
        v = qa.in_context(s, sentences=0)
        assert v.text == doc_text(qa, s)


def doc_text(qa, s):
    return qa.corpus[s.doc_id].text[s.start:s.end]


def test_in_context_escapes_html():
    qa = QA.from_texts(["Intro <b>bold</b>. Spasms <script>x</script> hurt. Outro."])
    view = qa.in_context(qa.ask("spasms", k=1)[0])
    assert "<script>" not in view._repr_html_() and "&lt;b&gt;" in view._repr_html_()


def test_in_context_bad_input(qa):
    import pytest
    with pytest.raises(TypeError):
        qa.in_context("text")
    with pytest.raises(ValueError, match="no passage"):
        qa.in_context(spasmqa.Source("back_spasms.txt#1", 0, 3))


def test_to_dict_carries_every_field(qa):
    import dataclasses
    import json

    from spasmqa.answer import Answer, Passage
    ans = qa.ask("lower back spasms result from inflammation", k=5)
    d = json.loads(json.dumps(ans.to_dict()))
    answer_fields = {f.name for f in dataclasses.fields(Answer) if not f.name.startswith("_")}
    assert answer_fields | {"low_confidence"} <= set(d)
    assert d["low_confidence"] is ans.low_confidence is False
    passage_fields = {f.name for f in dataclasses.fields(Passage)}
    for p, pd_ in zip(ans.passages, d["passages"]):
        assert passage_fields <= set(pd_)
        assert pd_["is_heading"] == p.is_heading and pd_["rank"] == p.rank and pd_["id"] == p.id
        assert pd_["sources"] == [s.as_dict() for s in p.sources]
        assert pd_["near_duplicates"] == [s.as_dict() for s in p.near_duplicates]
        assert pd_["context"] == {"before": p.context.before, "after": p.context.after, "heading": p.context.heading,
                                  "title": p.context.title, "path": list(p.context.path)}
    # the duplicated sentence keeps both its places
    assert len(d["passages"][0]["sources"]) == 2


def test_to_dict_marks_low_confidence(qa):
    ans = qa.ask("is quantum computing good for back spasms", k=2)
    assert ans.low_confidence and ans.to_dict()["low_confidence"] is True


def test_context_view_shows_the_file_by_name_only(qa):
    view = qa.in_context(qa.ask("how long do back spasms last", k=1)[0])
    assert view.path and Path(view.path).is_absolute()           # the full path stays available
    assert view.path not in repr(view) and view.path not in view._repr_html_()
    assert "(back_spasms.txt)" in view._repr_html_()
