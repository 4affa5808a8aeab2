import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import spasmqa
from spasmqa import QA, IndexFormatError
from spasmqa.cli import main

QUESTIONS = ["what causes lower back spasms", "how long do spasms last", "heat therapy", "zebra",
             "physical therapist", "lower back spasms result from inflammation"]


def same_answers(a, b, k=10):
    for q in QUESTIONS:
        x, y = a.ask(q, k=k), b.ask(q, k=k)
        assert [(p.id, p.score, p.sources, p.doc_id, p.start, p.end, p.context) for p in x] == \
               [(p.id, p.score, p.sources, p.doc_id, p.start, p.end, p.context) for p in y]
        assert x.text == y.text and x.confidence == y.confidence


@pytest.fixture()
def saved(tmp_path, qa):
    path = tmp_path / "idx"
    qa.save(path)
    return path


@pytest.mark.parametrize("options", [{}, {"weighting": "bm25", "k1": 0.9, "b": 0.4}, {"punkt": "train"},
                                     {"unit": "document"}])
def test_round_trip_answers_identically(tmp_path, options):
    qa = QA.from_corpus(**options)
    qa.save(tmp_path / "i")
    loaded = QA.load(tmp_path / "i")
    assert loaded.settings == qa.settings
    same_answers(qa, loaded)
    assert loaded.search(QUESTIONS).equals(qa.search(QUESTIONS))


def test_manifest(saved):
    m = json.loads((saved / "manifest.json").read_text())
    assert m["format"] == "spasmqa-index" and m["format_version"] == 3
    assert m["settings"]["stem"] == "snowball-y"  # the stemmer by name, not True
    assert m["spasmqa_version"] == spasmqa.__version__
    assert m["settings"]["weighting"] == "tfidf" and m["sizes"]["units"] == 63
    assert set(m["files"]) == {"documents.jsonl", "vocabulary.json", "counts_indptr.npy", "counts_indices.npy",
                               "counts_data.npy", "unit_first_occ.npy",
                               *(f"occ_{n}.npy" for n in ("doc", "start", "end", "heading", "fragment", "anaphor",
                                                          "unit"))}


def test_version_1_index_keeps_plain_snowball(tmp_path):
    # Format 1 wrote stem=True when True meant plain Snowball (nltk's); loading
    # must analyse questions as the index was built.
    from forge import write_format2

    write_format2(QA.from_corpus(stem="nltk-snowball"), tmp_path / "v1", version=1, stem=True)
    loaded = QA.load(tmp_path / "v1")
    assert loaded.settings.stem == "nltk-snowball"
    assert loaded.analyzer_("injury injured") == ["injuri", "injur"]
    same_answers(loaded, QA.from_corpus(stem="nltk-snowball"))


@pytest.mark.parametrize("stem,want", [("snowball-y", "nltk-snowball-y"), ("snowball", "nltk-snowball")])
def test_version_2_index_keeps_nltk_stems(tmp_path, stem, want):
    # Before format 3, "snowball" meant nltk's implementation, which differs
    # from PyStemmer's on rare words ("added" -> "ad"): questions must be
    # stemmed as the documents were.
    from forge import write_format2

    built = QA.from_corpus(stem=want)
    write_format2(built, tmp_path / "v2", stem=stem)
    loaded = QA.load(tmp_path / "v2")
    assert loaded.settings.stem == want
    assert loaded.analyzer_("added") == ["ad"]
    assert QA.from_texts(["x"]).analyzer_("added") == ["add"]
    same_answers(loaded, built)


def test_refuses_to_overwrite(saved, qa):
    with pytest.raises(FileExistsError, match="overwrite"):
        qa.save(saved)
    qa.save(saved, overwrite=True)
    QA.load(saved)


def test_refuses_to_replace_a_foreign_directory(tmp_path, qa):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(FileExistsError, match="not a spasmqa index"):
        qa.save(tmp_path / "mine", overwrite=True)


def test_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        QA.load(tmp_path / "nope")


def test_not_an_index(tmp_path):
    (tmp_path / "x").mkdir()
    with pytest.raises(IndexFormatError, match="manifest.json is missing"):
        QA.load(tmp_path / "x")
    (tmp_path / "f.txt").write_text("hello")
    with pytest.raises(IndexFormatError, match="not a spasmqa index"):
        QA.load(tmp_path / "f.txt")
    (tmp_path / "x" / "manifest.json").write_text('{"format": "something-else"}')
    with pytest.raises(IndexFormatError, match="not a spasmqa index"):
        QA.load(tmp_path / "x")


@pytest.mark.parametrize("name", ["counts_data.npy", "occ_start.npy", "documents.jsonl", "vocabulary.json"])
def test_truncated_file(saved, name):
    f = saved / name
    f.write_bytes(f.read_bytes()[:-10])
    with pytest.raises(IndexFormatError, match=f"{name} is truncated"):
        QA.load(saved)


def test_edited_file_same_size(saved):
    f = saved / "documents.jsonl"
    text = f.read_text(encoding="utf-8").replace("spasms", "spasmz", 1)
    f.write_text(text, encoding="utf-8")
    with pytest.raises(IndexFormatError, match="documents.jsonl is corrupted: its SHA-256"):
        QA.load(saved)


def test_missing_file(saved):
    (saved / "counts_indices.npy").unlink()
    with pytest.raises(IndexFormatError, match="counts_indices.npy is missing"):
        QA.load(saved)


def test_newer_format(saved):
    m = json.loads((saved / "manifest.json").read_text())
    m["format_version"] = 99
    (saved / "manifest.json").write_text(json.dumps(m))
    from forge import resign

    resign(saved)
    with pytest.raises(IndexFormatError, match="format version 99, newer"):
        QA.load(saved)


def test_corrupt_manifest(saved):
    (saved / "manifest.json").write_text("{not json")
    with pytest.raises(IndexFormatError, match="not valid JSON"):
        QA.load(saved)


def _rewrite(saved, name, mutate):
    """Change a file and re-sign the index, as an attacker would."""
    from forge import resign

    mutate(saved / name)
    resign(saved)


def test_inconsistent_arrays_with_valid_checksums(saved):
    def shift_spans(f):
        np.save(f, np.load(f) + 10_000)
    _rewrite(saved, "occ_end.npy", shift_spans)
    with pytest.raises(IndexFormatError, match="span lies outside its document"):
        QA.load(saved)


def test_object_arrays_are_never_loaded(saved):
    def object_array(f):
        n = len(np.load(f))
        np.save(f, np.array([object()] * n, dtype=object), allow_pickle=True)
    _rewrite(saved, "occ_doc.npy", object_array)
    with pytest.raises(IndexFormatError, match="occ_doc.npy"):
        QA.load(saved)


def test_bad_settings_in_manifest(saved):
    m = json.loads((saved / "manifest.json").read_text())
    m["settings"]["weighting"] = "magic"
    (saved / "manifest.json").write_text(json.dumps(m))
    from forge import resign

    resign(saved)
    with pytest.raises(IndexFormatError, match="invalid settings"):
        QA.load(saved)


def test_no_pickle_in_the_package():
    src = Path(spasmqa.__file__).parent
    for f in src.rglob("*.py"):
        code = f.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|from)\s+(pickle|joblib|dill|cloudpickle)\b", code, re.M), f
        assert "allow_pickle=True" not in code.replace(" ", ""), f
        # Offline and pickle-free: the only mention allowed is numpy's switch turned off.
        assert "pickle" not in code.replace("allow_pickle=False", "").lower(), f
        assert "nltk.download" not in code, f


def test_add_keeps_ids_and_merges_sources(tmp_path):
    base = QA.from_corpus()
    before = {p.id: (p.doc_id, p.start, p.end) for p in base.ask("back spasms", k=50)}
    added = base.add(texts=["Lower back spasms often result from inflammation or physical injuries. "
                            "Zebras rarely get back spasms."], ids=["zoo"])
    assert added == 1
    after = {p.id: (p.doc_id, p.start, p.end) for p in base.ask("back spasms", k=100)}
    for pid, place in before.items():
        assert after[pid] == place
    top = base.ask("zebras", k=1)[0]
    assert top.text == "Zebras rarely get back spasms." and top.doc_id == "zoo"
    dup = base.ask("lower back spasms result from inflammation or physical injuries", k=1)[0]
    assert [s.doc_id for s in dup.sources] == ["back_spasms.txt#2", "back_spasms.txt#3", "zoo"]
    with pytest.raises(ValueError, match="already in the index"):
        base.add(texts=["x"], ids=["zoo"])
    with pytest.raises(TypeError, match="either paths or texts"):
        base.add()


def test_add_equals_building_everything_at_once(tmp_path):
    (tmp_path / "extra.txt").write_text("Magnesium helps with cramps.\n\nHeat therapy relaxes back muscles.",
                                        encoding="utf-8")
    grown = QA.from_corpus(synonyms=True)
    grown.add(tmp_path / "extra.txt")
    whole = QA.from_corpus([spasmqa.default_corpus_path(), tmp_path / "extra.txt"], synonyms=True)
    for q in QUESTIONS + ["magnesium cramps"]:
        a, b = grown.ask(q, k=10), whole.ask(q, k=10)
        assert [(p.id, p.sources) for p in a] == [(p.id, p.sources) for p in b]
        np.testing.assert_allclose([p.score for p in a], [p.score for p in b], rtol=1e-6)
    grown.save(tmp_path / "g")
    same_answers(grown, QA.load(tmp_path / "g"))


def test_concurrent_ask_matches_sequential(qa):
    questions = QUESTIONS * 20
    expected = [[(p.id, p.score) for p in qa.ask(q, k=5)] for q in questions]
    fresh = QA.from_corpus()  # lazily built structures are created under contention

    def ask(q):
        return [(p.id, p.score) for p in fresh.ask(q, k=5)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(ask, questions))
    assert got == expected


def test_cli_index_then_ask(tmp_path, capsys):
    out = tmp_path / "cli-idx"
    assert main(["index", "--out", str(out), "--no-progress"]) == 0
    assert "indexed 4 documents" in capsys.readouterr().out
    assert main(["ask", "what causes lower back spasms", "--index", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["passages"][0]["doc_id"].startswith("back_spasms.txt#")
    assert main(["index", "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    (out / "counts_data.npy").write_bytes(b"junk")
    assert main(["ask", "x", "--index", str(out)]) == 2
    assert "counts_data.npy is truncated" in capsys.readouterr().err
