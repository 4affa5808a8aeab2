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
