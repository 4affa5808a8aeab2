"""A saved index carries the page field's sections, so a load analyses nothing; they are untrusted input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from forge import resign

import spasmqa
from spasmqa import QA, IndexFormatError
from spasmqa.fields import sections_of
from spasmqa.parts import field_analyzer
from spasmqa.resources import techdocs_corpus_path

QUESTIONS = ["how do I add a test", "what is the build type", "read a file asynchronously", "add a library"]


@pytest.fixture(scope="module")
def pages_qa():
    return QA.from_corpus(techdocs_corpus_path())


@pytest.fixture()
def pages_saved(tmp_path, pages_qa):
    pages_qa.save(tmp_path / "idx")
    return tmp_path / "idx"


def test_saved_sections_load_without_analysis_and_answer_the_same(pages_saved, pages_qa, monkeypatch):
    manifest = json.loads((pages_saved / "manifest.json").read_text())
    assert "sections.json" in manifest["files"] and manifest["sizes"]["sections"] > 0
    fresh = sections_of(pages_qa._parts.segment, field_analyzer(pages_qa.settings))

    def no_analysis(*args, **kwargs):
        raise AssertionError("the load analysed the sections again")

    monkeypatch.setattr(spasmqa.index.TermIndex, "fit", no_analysis)
    loaded = QA.load(pages_saved)
    stored = sections_of(loaded._parts.segment, field_analyzer(loaded.settings))
    assert stored.labels == fresh.labels and np.array_equal(stored.occ_section, fresh.occ_section)
    assert stored.index.terms_ == fresh.index.terms_
    assert (stored.index.counts_ != fresh.index.counts_).nnz == 0
    for q in QUESTIONS:
        a, b = pages_qa.ask(q, k=10), loaded.ask(q, k=10)
        assert [(p.id, p.score, p.context) for p in a.passages] == [(p.id, p.score, p.context) for p in b.passages]
        if b.passages:
            e = loaded.explain(q, b.passages[0])
            assert abs(e.total - b.passages[0].score) < 1e-6


def test_an_index_without_sections_derives_them(pages_saved, pages_qa):
    m = json.loads((pages_saved / "manifest.json").read_text())
    for name in [n for n in m["files"] if n.startswith(("section", "occ_section"))]:
        del m["files"][name]
        (pages_saved / name).unlink()
    for key in ("sections", "section_terms"):
        del m["sizes"][key]
    resign(pages_saved, m)
    loaded = QA.load(pages_saved)
    assert [p.id for p in loaded.ask(QUESTIONS[0]).passages] == [p.id for p in pages_qa.ask(QUESTIONS[0]).passages]


def _forge(root, name, mutate):
    mutate(root / name)
    resign(root)


@pytest.mark.parametrize("name, mutate, message", [
    ("occ_section.npy", lambda f: np.save(f, np.load(f) + 10**6), "section numbers must lie in"),
    ("occ_section.npy", lambda f: np.save(f, np.load(f)[:-1]), "occ_section.npy"),
    ("section_counts_indices.npy", lambda f: np.save(f, np.load(f) + 10**6), "section_counts"),
    ("sections.json", lambda f: f.write_text(json.dumps({"labels": [], "terms": []})), "labels must be"),
    ("sections.json", lambda f: f.write_text('{"labels": [["a"]], "terms": ["x", "x"]}'), "sections.json"),
    ("sections.json", lambda f: f.write_text("[1, 2]"), "must be an object"),
])
def test_forged_sections_are_refused(pages_saved, name, mutate, message):
    _forge(pages_saved, name, mutate)
    with pytest.raises(IndexFormatError, match=message):
        QA.load(pages_saved)


def test_some_but_not_all_section_files_is_refused(pages_saved):
    m = json.loads((pages_saved / "manifest.json").read_text())
    del m["files"]["occ_section.npy"]
    resign(pages_saved, m)
    with pytest.raises(IndexFormatError, match="does not list occ_section.npy"):
        QA.load(pages_saved)
