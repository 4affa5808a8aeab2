import json
import os
from pathlib import Path

import pytest

from spasmqa.corpus import Corpus, default_corpus_path, load_corpus

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
