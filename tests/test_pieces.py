"""A corpus read in pieces (plan, read per partition, settle, apply) gives what load_corpus gives.

The oracle is :func:`spasmqa.load_corpus` itself: the same documents in the
same order, the same problems, or the same error, for any number of
partitions, on corpora with the cases that make loading hard (record ids
clashing across files, duplicate ids across byte ranges, malformed lines,
CRLF and other line breaks, binary and non-UTF-8 files, strict mode).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spasmqa.corpus import load_corpus
from spasmqa.corpus import pieces as P
from spasmqa.corpus.loading import corpus_paths, normalize_exts, plan_files
from spasmqa.resources import default_corpus_path


def via_pieces(paths, parts, *, split="paragraph", strict=False, text_extensions=()):
    exts = normalize_exts(text_extensions)
    entries = plan_files(corpus_paths(paths), text_extensions=exts)
    partitions = P.plan_pieces(entries, parts)
    loads = [P.read_partition(p, split, exts, strict, str(default_corpus_path())) for p in partitions]
    settlement = P.settle(partitions, [P.reports(x) for x in loads], split=split, text_extensions=exts,
                          strict=strict)
    docs = [d for p, x in zip(partitions, loads) for d in P.apply_settlement(p, x, settlement)]
    assert settlement.counts == [len(P.apply_settlement(p, x, settlement)) for p, x in zip(partitions, loads)]
    return docs, settlement, partitions


def outcome_of_load_corpus(paths, **kw):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            corpus = load_corpus(paths, **kw)
    except (OSError, ValueError) as exc:
        return type(exc), str(exc)
    return list(corpus.values()), corpus.problems


def outcome_of_pieces(paths, parts, **kw):
    try:
        docs, settlement, _ = via_pieces(paths, parts, **kw)
    except (OSError, ValueError) as exc:
        return type(exc), str(exc)
    return docs, settlement.problems


def write_jsonl(path: Path, rows: list[str], newline: str = "\n") -> None:
    path.write_bytes(newline.join(rows).encode("utf-8") + newline.encode())


def row(doc_id: str, text: str) -> str:
    return json.dumps({"id": doc_id, "text": text}, ensure_ascii=False)


@pytest.mark.parametrize("parts", [1, 2, 3, 5, 16])
def test_default_corpus_and_a_big_jsonl(tmp_path, parts):
    write_jsonl(tmp_path / "big.jsonl", [row(f"d{i}", f"Sentence {i} about spasms. Another one {i}.")
                                         for i in range(300)])
    for paths in (None, tmp_path / "big.jsonl", [tmp_path, default_corpus_path()]):
        assert outcome_of_pieces(paths, parts) == outcome_of_load_corpus(paths)


def test_a_big_jsonl_is_cut_into_ranges_with_exact_line_numbers(tmp_path):
    rows = [row(f"d{i}", f"Text {i}.") if i % 7 else "" for i in range(1, 200)]
    write_jsonl(tmp_path / "c.jsonl", rows)
    docs, _, partitions = via_pieces(tmp_path / "c.jsonl", 4)
    assert len(partitions) == 4 and all(p[0].is_range for p in partitions)
    ref = list(load_corpus(tmp_path / "c.jsonl").values())
    assert [d.line_at(0) for d in docs] == [d.line_at(0) for d in ref]


def test_no_empty_partitions_when_files_are_fewer_than_parts(tmp_path):
    (tmp_path / "a.txt").write_text("One. Two.\n\nThree.")
    (tmp_path / "b.md").write_text("# B\n\nFour.")
    docs, _, partitions = via_pieces(tmp_path, 8)
    assert 1 <= len(partitions) <= 2 and all(partitions)
    assert docs == list(load_corpus(tmp_path).values())


_CASES = st.sampled_from(["ok", "malformed", "dup_far", "dup_near", "crlf", "u2028", "binary", "latin1",
                          "not_object", "missing_text", "clash", "surrogate"])


def _make_file(path: Path, case: str, n: int, salt: int) -> Path:
    rows = [row(f"r{salt}-{i}", f"Row {i} of file {salt}. It talks about muscles.") for i in range(n)]
    if case == "malformed":
        rows[n // 2] = '{"id": "x", "text": '
    elif case == "dup_far":
        rows[-1] = row(f"r{salt}-0", "Again.")
    elif case == "dup_near":
        rows[1] = row(f"r{salt}-0", "Again.")
    elif case == "not_object":
        rows[n // 3] = "[1, 2]"
    elif case == "missing_text":
        rows[n - 2] = json.dumps({"id": "m"})
    elif case == "clash":
        rows = [row(f"shared-{i}", f"Shared {i}. Cramps.") for i in range(n)]
    elif case == "surrogate":
        rows[n // 2] = '{"id": "s", "text": "bad \\ud800 here."}'
    elif case == "u2028":
        rows[n // 2] = row("u", "a\u2028b. Line separator inside.")
    if case == "binary":
        path.write_bytes(b"\x00\x01" + b"\n".join(r.encode() for r in rows))
    elif case == "latin1":
        path.write_bytes("\n".join(rows).encode() + "\ncaf\xe9\n".encode("latin-1"))
    else:
        write_jsonl(path, rows, "\r\n" if case == "crlf" else "\n")
    return path


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=st.lists(_CASES, min_size=1, max_size=4), sizes=st.lists(st.integers(3, 60), min_size=4, max_size=4),
       parts=st.integers(1, 9), strict=st.booleans(), with_text=st.booleans())
def test_pieces_equal_load_corpus(tmp_path_factory, cases, sizes, parts, strict, with_text):
    root = tmp_path_factory.mktemp("corpus")
    for k, case in enumerate(cases):
        _make_file(root / f"f{k}.jsonl", case, sizes[k], k if case != "clash" else 0)
    if with_text:
        (root / "notes.txt").write_text("Back spasms hurt. Rest helps.\n\nStretch daily.")
        (root / "skip.bin").write_bytes(b"\x00")
    expected = outcome_of_load_corpus(root, strict=strict)
    assert outcome_of_pieces(root, parts, strict=strict) == expected
    named = root / "f0.jsonl"  # a file named directly must load: its errors raise
    assert outcome_of_pieces(named, parts, strict=strict) == outcome_of_load_corpus(named, strict=strict)
