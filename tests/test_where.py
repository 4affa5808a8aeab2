"""Metadata filters applied inside scoring: ask, ask_many, search, saved indexes, the CLI."""

from __future__ import annotations

import json

import pytest

import spasmqa
from spasmqa.cli import main

ROWS = [
    {"id": "a1", "text": "Heat relaxes a back spasm within minutes.", "source": "clinic", "year": 2019},
    {"id": "a2", "text": "Heat relaxes a back spasm within minutes.", "source": "blog", "year": 2022},
    {"id": "a3", "text": "Ice calms a fresh back spasm and swelling.", "source": "blog", "year": 2021},
    {"id": "a4", "text": "Stretching before bed prevents night cramps.", "source": "clinic", "year": 2023},
    {"id": "a5", "text": "A warm bath eases muscle spasm.", "source": "forum", "year": 2018},
]


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("c") / "docs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in ROWS), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def qa(corpus_file):
    return spasmqa.QA.from_corpus(corpus_file)


def test_filter_restricts_answers_and_shows_a_passing_place(qa):
    everything = qa.ask("back spasm heat", k=5)
    assert {p.doc_id for p in everything} >= {"a1", "a3"}
    blog = qa.ask("back spasm heat", k=5, where={"source": "blog"})
    assert blog.passages and all(p.metadata["source"] == "blog" for p in blog)
    heat = next(p for p in blog if p.text.startswith("Heat"))
    assert heat.doc_id == "a2" and {s.doc_id for s in heat.sources} == {"a1", "a2"}  # provenance kept
    recent = qa.ask("spasm", k=5, where={"year": (2021, None)})
    assert {p.doc_id for p in recent} <= {"a2", "a3"} and recent.passages
    assert not qa.ask("heat", where={"source": "nowhere"}).passages


def test_filter_is_applied_before_the_top_k(qa):
    # With k=1 the unfiltered best is a clinic passage; a filter still finds the forum one.
    assert qa.ask("spasm", k=1, where={"source": "forum"}).passages[0].doc_id == "a5"


def test_filter_in_ask_many_search_and_a_saved_index(qa, tmp_path):
    where = {"source": ["clinic", "forum"]}
    many = qa.ask_many(["back spasm heat", "night cramps"], k=3, where=where)
    assert all(p.metadata["source"] in ("clinic", "forum") for a in many for p in a)
    run = qa.search(["back spasm heat", "night cramps"], k=10, where=where)
    assert set(run["docno"]) <= {"a1", "a4", "a5"} and len(run)
    qa.save(tmp_path / "i")
    loaded = spasmqa.QA.load(tmp_path / "i")
    assert [p.id for p in loaded.ask("spasm", where=where)] == [p.id for p in qa.ask("spasm", where=where)]
    assert loaded.ask("spasm").passages[0].metadata


def test_unknown_field_and_wrong_type_are_clear_errors(qa):
    with pytest.raises(ValueError, match="unknown metadata field 'sauce'.*known fields"):
        qa.ask("spasm", where={"sauce": "x"})
    with pytest.raises(TypeError, match="year"):
        qa.ask("spasm", where={"year": "2020"})


def test_cli_where(corpus_file, capsys):
    assert main(["ask", "back spasm heat", "--corpus", str(corpus_file), "--where", "source=blog",
                 "--where", "year=2021..", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["passages"] and all(p["metadata"]["source"] == "blog" for p in data["passages"])
    assert main(["ask", "spasm", "--corpus", str(corpus_file), "--where", "nope=1"]) == 2
    assert "unknown metadata field" in capsys.readouterr().err
