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
