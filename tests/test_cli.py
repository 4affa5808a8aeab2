import json
import subprocess
import sys

import pytest

from spasmqa.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_text(capsys):
    code, out, err = run(capsys, "ask", "what causes lower back spasms", "--k", "3")
    assert code == 0 and out.startswith("Q: what causes lower back spasms")
    assert "back_spasms.txt#" in out and "[3]" in out


def test_ask_json(capsys):
    code, out, _ = run(capsys, "ask", "what causes lower back spasms", "--json", "-k", "2")
    data = json.loads(out)
    assert code == 0 and len(data["passages"]) == 2
    assert {"text", "score", "doc_id", "start", "end", "sources"} <= set(data["passages"][0])


def test_ask_custom_corpus_and_options(tmp_path, capsys):
    (tmp_path / "notes.md").write_text("Cramps wake me at night. Magnesium may help cramps.", encoding="utf-8")
    code, out, _ = run(capsys, "ask", "cramps", "--corpus", str(tmp_path), "--set", "weighting=bm25", "--json")
    assert code == 0 and json.loads(out)["passages"][0]["doc_id"] == "notes.md#1"


@pytest.mark.parametrize("argv,msg", [
    (["ask", "  "], "question is empty"),
    (["ask", "x", "--corpus", "/no/such/dir"], "does not exist"),
    (["ask", "x", "--set", "weighting=bm26"], "weighting must be"),
    (["ask", "x", "--set", "nonsense"], "NAME=VALUE"),
])
def test_errors_are_one_line(capsys, argv, msg):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("spasmqa: error:") and msg in err and err.count("\n") == 1


def test_bad_k_exits_nonzero(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["ask", "x", "--k", "0"])
    assert exc.value.code == 2


def test_python_dash_m_and_console_script():
    out = subprocess.run([sys.executable, "-m", "spasmqa", "ask", "how long do back spasms last", "--k", "2"],
                         capture_output=True, text=True, check=True).stdout
    assert "They can last anywhere from a few seconds to several minutes." in out


def test_ask_format_json_equals_json_alias(capsys):
    _, a, _ = run(capsys, "ask", "how long do back spasms last", "--json", "-k", "2")
    _, b, _ = run(capsys, "ask", "how long do back spasms last", "--format", "json", "-k", "2")
    assert a == b
    data = json.loads(a)
    assert data["low_confidence"] is False and "is_heading" in data["passages"][0]
    assert "context" in data["passages"][0] and "near_duplicates" in data["passages"][0]


def test_ask_format_trec_reads_back_as_a_run(tmp_path, capsys):
    from spasmqa import QA
    from spasmqa.evaluate import read_run
    code, out, _ = run(capsys, "ask", "what causes lower back spasms", "--format", "trec", "-k", "4", "--qid", "q7")
    assert code == 0 and len(out.splitlines()) == 4
    (tmp_path / "run.trec").write_text(out, encoding="utf-8")
    trec = read_run(tmp_path / "run.trec")
    ans = QA.from_corpus().ask("what causes lower back spasms", k=4)
    assert list(trec["qid"]) == ["q7"] * 4
    assert list(trec["docno"]) == [p.id for p in ans.passages]
    assert list(trec["rank"]) == [1, 2, 3, 4]
    assert list(trec["score"]) == pytest.approx([p.score for p in ans.passages], rel=1e-7)
    assert all(line.endswith(" spasmqa") for line in out.splitlines())


def test_ask_format_trec_document_index_uses_doc_ids(tmp_path, capsys):
    (tmp_path / "notes.md").write_text("Cramps wake me at night.\n\nMagnesium may help cramps.", encoding="utf-8")
    code, out, _ = run(capsys, "ask", "magnesium cramps", "--corpus", str(tmp_path), "--set", "unit=document",
                       "--format", "trec", "--tag", "docs")
    fields = out.splitlines()[0].split()
    assert code == 0 and fields[:4] == ["1", "Q0", "notes.md#2", "1"] and fields[5] == "docs"


def test_ask_format_jsonl(capsys):
    code, out, _ = run(capsys, "ask", "what causes lower back spasms", "--format", "jsonl", "-k", "3")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["rank"] for r in rows] == [1, 2, 3]
    assert all(r["qid"] == "1" and r["question"] == "what causes lower back spasms" for r in rows)
    assert rows[0]["text"].startswith("The inflammation leads to a back spasm")
    assert {"sources", "near_duplicates", "context", "is_heading", "is_fragment", "id"} <= set(rows[0])


def test_ask_format_empty_answer_prints_nothing(capsys):
    for fmt in ("trec", "jsonl"):
        code, out, _ = run(capsys, "ask", "zebra giraffe", "--format", fmt)
        assert code == 0 and out == ""


@pytest.mark.parametrize("argv,msg", [
    (["ask", "x", "--json", "--format", "trec"], "cannot be combined"),
    (["ask", "spasm", "--format", "trec", "--qid", "a b"], "--qid"),
])
def test_ask_format_errors(capsys, argv, msg):
    code, _, err = run(capsys, *argv)
    assert code == 2 and msg in err and err.startswith("spasmqa: error:")
