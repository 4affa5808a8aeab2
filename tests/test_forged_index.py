"""A saved index is untrusted input: forged indexes, re-signed like an attacker would.

Every case changes one file or field, re-signs every checksum (so checksums
cannot be what catches it) and expects :class:`IndexFormatError` naming the
problem: never a crash, a raw numpy/scipy/json exception, a huge allocation,
or a silently wrong answer.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest
from forge import resign, write_format2

import spasmqa
from spasmqa import QA, IndexFormatError
from spasmqa.cli import main


@pytest.fixture(scope="module")
def built():
    return QA.from_corpus()


@pytest.fixture()
def idx(tmp_path, built):
    path = tmp_path / "idx"
    built.save(path)
    return path


def _npy(path: Path) -> np.ndarray:
    return np.load(path, allow_pickle=False)


def _edit_array(root: Path, name: str, fn) -> None:
    arr = _npy(root / f"{name}.npy").copy()
    out = fn(arr)
    np.save(root / f"{name}.npy", arr if out is None else out, allow_pickle=True)
    resign(root)


def _edit_manifest(root: Path, fn) -> None:
    m = json.loads((root / "manifest.json").read_text())
    fn(m)
    resign(root, m)


def _refused(root: Path, match: str | None = None) -> None:
    with pytest.raises(IndexFormatError, match=match):
        QA.load(root)


def _set(i, v):
    def fn(a):
        a[i] = v
    return fn


# -- arrays ----------------------------------------------------------------
ARRAY_ATTACKS = {
    "column index past the vocabulary": ("counts_indices", lambda a: np.append(a[:-1], 10**6).astype(np.int32)),
    "row pointer past the data": ("counts_indptr", _set(-1, 10**9)),
    "non-monotonic row pointer": ("counts_indptr", _set(5, 10**5)),
    "zero count": ("counts_data", _set(0, 0)),
    "negative count": ("counts_data", _set(0, -3)),
    "indices as int64 above 2**32": ("counts_indices", lambda a: (a.astype(np.int64) + 2**32)),
    "counts as float": ("counts_data", lambda a: a.astype(np.float64)),
    "object array": ("occ_doc", lambda a: np.array([object()] * len(a), dtype=object)),
    "document out of range": ("occ_doc", _set(-1, 99)),
    "negative document": ("occ_doc", _set(0, -1)),
    "documents out of order": ("occ_doc", lambda a: a[::-1].copy()),
    "span past its document": ("occ_end", _set(3, 10**6)),
    "empty span": ("occ_end", lambda a: None if a.__setitem__(2, 0) else None),
    "unit out of range": ("occ_unit", _set(4, 10**6)),
    "passage claims another unit's text": ("occ_unit", lambda a: np.where(np.arange(len(a)) == len(a) - 1, 0, a)),
    "first occurrence out of range": ("unit_first_occ", _set(1, 10**7)),
    "unit with no source of its own": ("unit_first_occ", _set(1, 0)),
    "2-d array": ("occ_start", lambda a: a.reshape(1, -1)),
    "big-endian dtype": ("occ_start", lambda a: a.astype(">i8")),
    "shorter than the manifest says": ("occ_heading", lambda a: a[:-1]),
    "a flag byte other than 0 or 1": ("occ_fragment", lambda a: a.view(np.uint8).__setitem__(0, 7) or a),
}


@pytest.mark.parametrize("attack", sorted(ARRAY_ATTACKS))
def test_forged_arrays_are_refused(idx, attack):
    name, fn = ARRAY_ATTACKS[attack]
    _edit_array(idx, name, fn)
    _refused(idx)


def test_npy_header_declaring_a_trillion_values_is_refused_before_reading(idx):
    f = idx / "occ_doc.npy"
    raw = f.read_bytes()
    header = raw[:raw.index(b"\n") + 1].replace(b"(65,)", b"(1000000000000,)")
    f.write_bytes(header + raw[len(header):])
    resign(idx)
    _refused(idx, "occ_doc.npy")


def test_truncated_and_extended_npy_files(idx):
    for name, mutate in (("counts_data.npy", lambda b: b[:-4]), ("occ_end.npy", lambda b: b + b"\0" * 8)):
        f = idx / name
        f.write_bytes(mutate(f.read_bytes()))
    resign(idx)
    _refused(idx)


# -- JSON ------------------------------------------------------------------
@pytest.mark.parametrize("payload", ["[" * 100_000 + "]" * 100_000, '{"doc_id": "a", "text": "x", "offset": 1e999}',
                                     '{"doc_id": "a", "text": "x", "offset": NaN}', '{"doc_id": 5, "text": "x"}',
                                     '"just a string"', '{"doc_id": "a", "text": "\\ud800 lone"}',
                                     '{"doc_id": "a", "text": "a lone low half \\uDC00"}',
                                     '{"doc_id": "a", "text": "x", "title": "\\uDBFF"}'])
def test_forged_document_records_are_refused(idx, payload):
    lines = (idx / "documents.jsonl").read_text(encoding="utf-8").splitlines()
    lines[1] = payload
    (idx / "documents.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    resign(idx)
    _refused(idx, "documents.jsonl")


def test_a_surrogate_pair_escape_is_a_valid_character(idx):
    """Only lone halves are refused: an escaped pair decodes to one character."""
    lines = (idx / "documents.jsonl").read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[1])
    record["text"] += " A smile \U0001F600."  # after every span: the spans stay valid
    lines[1] = json.dumps(record, ensure_ascii=True)
    assert "\\ud83d\\ude00" in lines[1]
    (idx / "documents.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    resign(idx)
    assert QA.load(idx).corpus[record["doc_id"]].text.endswith("A smile \U0001F600.")


@pytest.mark.parametrize("field,value", [
    ("candidates", 10**18), ("candidates", 1e18), ("k1", 1e308), ("intent_weight", -1.0), ("weighting", "magic"),
    ("synonyms", "/dev/zero"), ("intents", "/etc/passwd"), ("heading_scope", True), ("near_duplicate", None),
    ("punkt", "train"), ("neighbours", 1000), ("neighbours", -1),
])
def test_forged_settings_are_refused(idx, field, value):
    _edit_manifest(idx, lambda m: m["settings"].__setitem__(field, value))
    _refused(idx)


def test_non_finite_numbers_in_the_manifest_are_refused(idx):
    text = (idx / "manifest.json").read_text().replace('"k1": 1.2', '"k1": Infinity')
    (idx / "manifest.json").write_text(text)
    _refused(idx, "manifest.json")


@pytest.mark.parametrize("edit", [
    lambda m: m["files"].__setitem__("../../etc/passwd", {"sha256": "0" * 64, "bytes": 1}),
    lambda m: m["files"].__setitem__("synonyms.json", m["files"]["vocabulary.json"]),
    lambda m: m["files"].pop("occ_unit.npy"),
    lambda m: m["sizes"].__setitem__("units", 10**12),
    lambda m: m["sizes"].__setitem__("passages", 3),
    lambda m: m.__setitem__("format_version", True),
    lambda m: m.__setitem__("files", []),
])
def test_forged_manifests_are_refused(idx, edit):
    _edit_manifest(idx, edit)
    _refused(idx)


def test_the_manifest_checks_itself(idx):
    text = (idx / "manifest.json").read_text().replace('"heading_weight": 0.7', '"heading_weight": 0.9')
    (idx / "manifest.json").write_text(text)
    _refused(idx, "its own checksum")


def test_tables_are_read_only_from_inside_the_index(tmp_path, built):
    table = tmp_path / "syn.json"
    table.write_text(json.dumps({"groups": [["heat", "warmth"]]}))
    qa = built.with_settings(synonyms=str(table))
    qa.save(tmp_path / "i")
    table.write_text(json.dumps({"groups": [["private", "secret"]]}))  # the path now holds something else
    loaded = QA.load(tmp_path / "i")
    assert loaded.tables_.synonyms.groups == [["heat", "warmth"]]
    loaded.save(tmp_path / "j")  # re-saving writes the carried table, never the file at the path
    assert "secret" not in (tmp_path / "j" / "synonyms.json").read_text()


def test_forged_intent_patterns_cannot_hang_a_question(idx):
    hostile = {"intents": [{"type": "cause", "patterns": [r"^(\w+\s?)+$"], "cues": ["cause"]}]}
    (idx / "intents.json").write_text(json.dumps(hostile))
    _edit_manifest(idx, lambda m: (m["settings"].__setitem__("intents", "x.json"),
                                   m["files"].__setitem__("intents.json", {"sha256": "", "bytes": 0})))
    qa = QA.load(idx)
    qa.ask("what " * 5000 + "!")  # linear-time matching: finishes


def test_legacy_zip_bomb_is_refused(tmp_path, built):
    write_format2(built, tmp_path / "v2")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        header = np.lib.format.header_data_from_array_1_0(np.zeros(1, np.int32))
        header["shape"] = (500_000_000,)
        hb = io.BytesIO()
        np.lib.format.write_array_header_1_0(hb, header)
        z.writestr("indices.npy", hb.getvalue() + b"\0" * 2_000_000_000 if False else hb.getvalue() + b"\0" * 20_000_000)
        for n in ("indptr", "data", "format", "shape"):
            z.writestr(f"{n}.npy", b"")
    (tmp_path / "v2" / "counts.npz").write_bytes(buf.getvalue())
    m = json.loads((tmp_path / "v2" / "manifest.json").read_text())
    resign(tmp_path / "v2", m)
    _refused(tmp_path / "v2", "counts.npz")


def test_cli_reports_a_forged_index_in_one_line(idx, capsys):
    _edit_array(idx, "occ_unit", _set(4, 10**6))
    assert main(["ask", "what causes back spasms", "--index", str(idx)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("spasmqa: error:") and err.count("\n") == 1


def test_memory_stays_bounded_under_a_limit(tmp_path, built):
    """Forged sizes must be refused before anything is allocated: run under a 1.5 GB address-space limit."""
    cases = []
    for i, (name, shape) in enumerate([("counts_indices", "(4000000000,)"), ("occ_start", "(900000000000,)")]):
        root = tmp_path / f"m{i}"
        built.save(root)
        raw = (root / f"{name}.npy").read_bytes()
        end = raw.index(b"\n") + 1
        head = raw[:end]
        old = head[head.index(b"(") : head.index(b")") + 1]
        (root / f"{name}.npy").write_bytes(head.replace(old, shape.encode()).ljust(end) + raw[end:])
        resign(root)
        cases.append(str(root))
    code = textwrap.dedent(f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))
        import spasmqa
        for root in {cases!r}:
            try:
                spasmqa.QA.load(root)
            except spasmqa.IndexFormatError as exc:
                print("refused:", exc)
            else:
                sys.exit("loaded a forged index: " + root)
    """)
    env_out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert env_out.returncode == 0, env_out.stderr[-2000:]
    assert env_out.stdout.count("refused:") == len(cases)


def test_an_honest_index_still_loads_and_answers(idx, built):
    loaded = QA.load(idx, mmap=True)
    a, b = loaded.ask("what causes lower back spasms"), built.ask("what causes lower back spasms")
    assert [(p.id, p.score) for p in a] == [(p.id, p.score) for p in b]
    assert isinstance(loaded.table_.occ_doc, np.ndarray)
    assert spasmqa.__version__
