import json
import os
from pathlib import Path

import pytest

from spasmqa.corpus import Corpus, Document, default_corpus_path, load_corpus

ROOT = Path(__file__).resolve().parents[1]


def test_default_corpus_is_shipped_and_matches_repo_copy():
    shipped = default_corpus_path()
    assert shipped.is_file()
    assert shipped.read_bytes() == (ROOT / "corpus" / "back_spasms.txt").read_bytes()


def test_default_corpus_paragraph_documents():
    corpus = load_corpus()
    assert list(corpus) == [f"back_spasms.txt#{i}" for i in range(1, 5)]
    raw = default_corpus_path().read_text(encoding="utf-8")
    for doc in corpus.values():
        assert raw[doc.offset:doc.offset + len(doc.text)] == doc.text


def test_file_split(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("one.\n\ntwo.\n", encoding="utf-8")
    assert list(load_corpus(f, split="file")) == ["a.txt"]
    assert list(load_corpus(f)) == ["a.txt#1", "a.txt#2"]
    with pytest.raises(ValueError, match="split"):
        load_corpus(f, split="line")


def test_jsonl_and_csv(tmp_path):
    (tmp_path / "d.jsonl").write_text(
        json.dumps({"id": "x1", "title": "Cramps", "text": "Legs cramp at night."}) + "\n\n"
        + json.dumps({"_id": "x2", "text": "Drink water."}) + "\n", encoding="utf-8")
    (tmp_path / "e.csv").write_text('id,text\ny1,"Stretch, then rest."\n', encoding="utf-8")
    corpus = load_corpus(tmp_path)
    assert list(corpus) == ["x1", "x2", "y1"]
    assert corpus["x1"].text == "Cramps\n\nLegs cramp at night."
    assert corpus["x1"].title == "Cramps"
    assert corpus["y1"].text == "Stretch, then rest."


def test_directory_is_recursive_sorted_and_stable(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.md").write_text("Zed.", encoding="utf-8")
    (tmp_path / "a.txt").write_text("Ay.", encoding="utf-8")
    ids = list(load_corpus(tmp_path))
    assert ids == ["a.txt#1", "b/z.md#1"]
    assert list(load_corpus([tmp_path])) == ids


def test_missing_path():
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_corpus("/no/such/place.txt")


def test_not_utf8_named_file(tmp_path):
    f = tmp_path / "latin1.txt"
    f.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin1.txt: not valid UTF-8 \(byte 3"):
        load_corpus(f)


def test_malformed_jsonl_names_the_line(tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_text('{"id": "1", "text": "ok"}\n{"id": "2", "text": \n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.jsonl:2: malformed JSON"):
        load_corpus(f)


@pytest.mark.parametrize("line,msg", [
    ('{"text": "no id"}', "missing 'id'"),
    ('{"id": "1"}', "missing 'text'"),
    ('[1, 2]', "expected a JSON object"),
    ('{"id": "1", "text": 5}', "'text' must be a string"),
])
def test_jsonl_record_errors(tmp_path, line, msg):
    f = tmp_path / "r.jsonl"
    f.write_text('{"id": "0", "text": "fine"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=f"r.jsonl:2: {msg}"):
        load_corpus(f)


def test_malformed_csv_names_the_line(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("id,text\n1,fine\n2,too,many\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.csv:3: expected 2 fields"):
        load_corpus(f)
    g = tmp_path / "nohead.csv"
    g.write_text("name,body\n1,x\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"nohead.csv:1: CSV header must name"):
        load_corpus(g)


def test_duplicate_ids(tmp_path):
    f = tmp_path / "d.jsonl"
    f.write_text('{"id": "1", "text": "a"}\n{"id": "1", "text": "b"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate doc_id '1'"):
        load_corpus(f)


def test_unsupported_named_file(tmp_path):
    f = tmp_path / "x.pdf"
    f.write_bytes(b"%PDF")
    with pytest.raises(ValueError, match="unsupported file type"):
        load_corpus(f)


def test_bad_files_in_directory_are_reported_not_fatal(tmp_path):
    (tmp_path / "good.txt").write_text("Fine text.", encoding="utf-8")
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "latin.txt").write_bytes(b"caf\xe9")
    (tmp_path / "img.png").write_bytes(b"\x89PNG")
    (tmp_path / "half.jsonl").write_text('{"id": "h1", "text": "ok"}\nnot json\n', encoding="utf-8")
    os.symlink(tmp_path, tmp_path / "loop")  # a symlink loop
    with pytest.warns(UserWarning, match="5 file"):
        corpus = load_corpus(tmp_path)
    assert list(corpus) == ["good.txt#1"]  # nothing from the half-broken file
    reasons = {Path(p.path).name: p.reason for p in corpus.problems}
    assert "binary" in reasons["bin.txt"]
    assert "UTF-8" in reasons["latin.txt"]
    assert "unsupported" in reasons["img.png"]
    assert "2: malformed JSON" in reasons["half.jsonl"]
    assert "symlink" in reasons["loop"]
    with pytest.raises(ValueError):
        load_corpus(tmp_path, strict=True)


def test_unreadable_file_reported(tmp_path, monkeypatch):
    f = tmp_path / "secret.txt"
    f.write_text("x", encoding="utf-8")
    real = Path.read_bytes

    def deny(self):  # chmod 0 does not stop root, so simulate the OS error
        if self.name == "secret.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    with pytest.warns(UserWarning):
        corpus = load_corpus(tmp_path)
    assert corpus.problems[0].reason == "cannot read (Permission denied)"


def test_bad_paths_argument():
    with pytest.raises(TypeError):
        load_corpus(42)
    with pytest.raises(ValueError, match="no corpus paths"):
        load_corpus([])


def test_from_texts():
    c = Corpus.from_texts(["a", "b"], ids=["x", "y"])
    assert c["y"].text == "b"
    with pytest.raises(KeyError, match="no document"):
        c["z"]
    with pytest.raises(TypeError):
        Corpus.from_texts("abc")
    with pytest.raises(ValueError, match="2 texts but 1 ids"):
        Corpus.from_texts(["a", "b"], ids=["x"])


# -- several roots, metadata, hostile text, the problem summary ---------------------

import warnings  # noqa: E402

from spasmqa.corpus import LoadProblem, summarize_problems  # noqa: E402


def test_several_roots_prefix_ids_by_root_name(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "README.md").write_text(f"Readme of {name}.", encoding="utf-8")
    (tmp_path / "faq.txt").write_text("Question one.", encoding="utf-8")
    paths = [tmp_path / "a", str(tmp_path / "b") + "/", tmp_path / "faq.txt"]
    ids = list(load_corpus(paths))
    assert ids == ["a/README.md#1", "b/README.md#1", "faq.txt#1"]
    assert list(load_corpus(paths)) == ids  # stable across runs
    assert list(load_corpus([tmp_path / "a"])) == ["README.md#1"]  # one root: ids as before
    with pytest.raises(ValueError, match="given twice"):
        load_corpus([tmp_path / "a", tmp_path / "a"])


def test_roots_with_the_same_name_are_told_apart(tmp_path):
    for parent in ("x", "y"):
        (tmp_path / parent / "docs").mkdir(parents=True)
        (tmp_path / parent / "docs" / "a.txt").write_text(f"From {parent}.", encoding="utf-8")
    ids = list(load_corpus([tmp_path / "y" / "docs", tmp_path / "x" / "docs"]))
    assert ids == ["y/docs/a.txt#1", "x/docs/a.txt#1"]


def test_record_ids_clash_only_inside_one_file(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "d.jsonl").write_text('{"id": "1", "text": "x"}\n{"id": "u' + name + '", "text": "y"}\n',
                                                 encoding="utf-8")
    with pytest.warns(UserWarning, match="record ids also found in other files"):
        corpus = load_corpus([tmp_path / "a", tmp_path / "b"])
    assert list(corpus) == ["a/d.jsonl#1", "ua", "b/d.jsonl#1", "ub"]
    assert {p.action for p in corpus.problems} == {"renamed"}


def test_metadata_from_jsonl_and_csv(tmp_path):
    (tmp_path / "d.jsonl").write_text(
        json.dumps({"id": "j1", "text": "t", "source": "cmake", "year": 2020, "ok": True, "score": 0.5,
                    "none": None, "tags": ["a", "b"], "meta": {"z": 1, "a": [2]}}) + "\n", encoding="utf-8")
    (tmp_path / "e.csv").write_text("id,text,year,zip,score,note\nc1,t,2020,007,1.5,\nc2,t,2021,010,2,hi\n",
                                    encoding="utf-8")
    corpus = load_corpus(tmp_path)
    assert dict(corpus["j1"].metadata) == {"source": "cmake", "year": 2020, "ok": True, "score": 0.5, "none": None,
                                           "tags": '["a","b"]', "meta": '{"a":[2],"z":1}'}
    assert dict(corpus["c1"].metadata) == {"year": 2020, "zip": "007", "score": 1.5, "note": None}
    assert dict(corpus["c2"].metadata) == {"year": 2021, "zip": "010", "score": 2.0, "note": "hi"}
    assert corpus["c2"].line_at(0) == 3 and corpus["j1"].line_at(0) == 1
    with pytest.raises(TypeError):
        corpus["j1"].metadata["year"] = 2000
    with pytest.raises(TypeError, match="JSON scalar"):
        Document("x", "y", metadata={"a": [1]})


def test_duplicate_id_in_one_csv(tmp_path):
    f = tmp_path / "d.csv"
    f.write_text("id,text\n1,a\n1,b\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"d.csv:3: duplicate doc_id '1' \(first at .*d.csv:2\)"):
        load_corpus(f)


def test_lone_surrogates_are_repaired_and_reported(tmp_path):
    f = tmp_path / "s.jsonl"
    f.write_text('{"id": "a\\ud800", "text": "bad \\udc00 text", "title": "t\\ud83d", "k": "\\ud800"}\n',
                 encoding="utf-8")
    with pytest.warns(UserWarning, match="repaired"):
        corpus = load_corpus(f)
    doc = corpus["a\ufffd"]
    assert doc.text == "t\ufffd\n\nbad \ufffd text" and doc.metadata["k"] == "\ufffd"
    for d in corpus.values():  # nothing downstream can hit UnicodeEncodeError
        json.dumps([d.doc_id, d.text, d.title, dict(d.metadata)], ensure_ascii=False).encode("utf-8")
    (problem,) = corpus.problems
    assert problem.action == "repaired" and problem.category == "lone surrogates" and "4 field(s)" in problem.reason
    with pytest.raises(ValueError, match="lone surrogate"):
        load_corpus(f, strict=True)
    c = Corpus.from_texts(["ok \ud800"])
    assert c["0"].text == "ok \ufffd" and c.problems[0].action == "repaired"


def test_undecodable_file_name(tmp_path):
    raw = os.fsencode(str(tmp_path)) + b"/caf\xe9.txt"
    try:
        with open(raw, "wb") as fh:
            fh.write(b"Fine text.")
    except OSError:
        pytest.skip("the file system rejects non-UTF-8 names")
    with pytest.warns(UserWarning, match="repaired"):
        corpus = load_corpus(tmp_path)
    assert list(corpus) == ["caf\ufffd.txt#1"]
    assert corpus["caf\ufffd.txt#1"].path.endswith("caf\ufffd.txt")
    assert corpus.problems[0].category == "undecodable file name"
    with pytest.raises(ValueError, match="not valid UTF-8"):
        load_corpus(tmp_path, strict=True)
    with open(os.fsencode(str(tmp_path)) + b"/bad\xff.jsonl", "wb") as fh:
        fh.write(b'{"id": 1, "text": "ok"}\nnot json\n')
    with pytest.warns(UserWarning):
        corpus = load_corpus(tmp_path)
    skipped = [p for p in corpus.problems if p.action == "skipped"]
    assert [p.path.rsplit("/", 1)[-1] for p in skipped] == ["bad\ufffd.jsonl"]
    assert "malformed JSON" in skipped[0].reason
    for p in corpus.problems:
        str(p).encode("utf-8")
    corpus.problem_summary().encode("utf-8")


def test_problem_summary_is_one_line(tmp_path):
    for i in range(4):
        (tmp_path / f"n{i}.adoc").write_text("x", encoding="utf-8")
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01")
    (tmp_path / "ok.txt").write_text("fine", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        corpus = load_corpus(tmp_path)
    line = corpus.problem_summary(cli=True)
    assert "\n" not in line
    assert line.startswith("6 files skipped (5 unsupported type .adoc, .pdf, 1 binary): ")
    assert "bin.txt" in line and "n0.adoc" in line and "and 3 more" in line
    assert "--ext .adoc, or" in line and "--strict" in line
    assert "text_extensions=('.adoc',)" in corpus.problem_summary()
    assert summarize_problems([]) == ""
    assert "strict=True" in summarize_problems([LoadProblem("p", "r", "lone surrogates", "repaired")])


def test_german_and_french_text_and_sentence_spans(tmp_path):
    from spasmqa.passages import SentenceSplitter

    de = "Rückenschmerzen sind häufig. Wärme hilft oft, sagt Frau Müller.\n\nÜbungen stärken die Muskulatur."
    fr = "# Le dos\n\nLes spasmes du dos sont fréquents. Évitez l'effort excessif ; reposez-vous.\n"
    nfd = "Cafe\u0301 noir. Straße."
    (tmp_path / "de.txt").write_text(de, encoding="utf-8")
    (tmp_path / "fr.md").write_text(fr, encoding="utf-8")
    (tmp_path / "nfd.txt").write_text(nfd, encoding="utf-8")
    corpus = load_corpus(tmp_path)
    assert corpus["de.txt#1"].text == "Rückenschmerzen sind häufig. Wärme hilft oft, sagt Frau Müller."
    assert corpus["de.txt#2"].text == "Übungen stärken die Muskulatur." and corpus["de.txt#2"].line_at(0) == 3
    assert corpus["fr.md#2"].text == "Les spasmes du dos sont fréquents. Évitez l'effort excessif ; reposez-vous."
    assert corpus["fr.md#2"].breadcrumb() == "Le dos"
    assert corpus["nfd.txt#1"].text == nfd  # not normalised: offsets match the file
    splitter = SentenceSplitter()

    def sentences(doc_id):
        text = corpus[doc_id].text
        return [text[s.start:s.end] for s in splitter.split(text)]

    assert sentences("de.txt#1") == ["Rückenschmerzen sind häufig.", "Wärme hilft oft, sagt Frau Müller."]
    assert sentences("fr.md#2") == ["Les spasmes du dos sont fréquents.", "Évitez l'effort excessif ; reposez-vous."]
    assert sentences("nfd.txt#1") == ["Cafe\u0301 noir.", "Straße."]


def test_cli_prints_one_summary_line(tmp_path, capsys):
    from spasmqa.cli import main

    (tmp_path / "notes.md").write_text("Cramps wake me at night.", encoding="utf-8")
    for name in ("a.adoc", "b.adoc", "c.pdf"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    assert main(["ask", "cramps", "--corpus", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "3 files skipped" in err and "--ext .adoc, or" in err
    assert main(["index", str(tmp_path), "--out", str(tmp_path / "idx"), "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("indexed 1 documents") and err.count("\n") == 1 and "3 files skipped" in err


def test_document_records_round_trip_through_json(tmp_path):
    (tmp_path / "g.md").write_text("# Guide\n\nUse heat.\n\n```\ncode\n```\n", encoding="utf-8")
    (tmp_path / "d.jsonl").write_text('{"id": "r", "title": "T", "text": "a\\nb", "year": 2020, "x": null}\n',
                                      encoding="utf-8")
    corpus = load_corpus(tmp_path)
    for doc in corpus.values():
        rec = json.loads(json.dumps(doc.to_record(), ensure_ascii=False))
        assert Document.from_record(rec) == doc
    plain = Document("a", "b").to_record()
    assert plain == {"doc_id": "a", "text": "b", "path": None, "title": None, "offset": 0}
    with pytest.raises(ValueError, match="missing 'text'"):
        Document.from_record({"doc_id": "a"})
    with pytest.raises(ValueError, match="headings must be"):
        Document.from_record({"doc_id": "a", "text": "b", "headings": [[0, 1]]})
    with pytest.raises(ValueError, match="kind"):
        Document.from_record({"doc_id": "a", "text": "b", "kind": "image"})
    with pytest.raises(TypeError, match="JSON scalar"):
        Document.from_record({"doc_id": "a", "text": "b", "metadata": {"k": [1]}})


def test_summary_never_advises_reading_binary_files_as_text():
    from spasmqa.corpus import LoadProblem, summarize_problems

    line = summarize_problems([LoadProblem("a.png", "unsupported file type '.png'", "unsupported type"),
                               LoadProblem("b.h", "unsupported file type '.h'", "unsupported type")], cli=True)
    assert "--ext .h" in line and ".png" in line.split(";")[0]  # reported, but not advised
    assert ".png" not in line.split(";", 1)[1]
