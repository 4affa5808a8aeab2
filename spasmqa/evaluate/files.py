"""Reading and writing TREC runs and qrels, query files and BEIR data sets."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from ..errors import InputError
from .measures import _check_frame

__all__ = ["read_beir", "read_qrels", "read_queries", "read_run", "write_qrels", "write_run"]

def _lines(path: str | os.PathLike) -> Iterator[tuple[int, str]]:
    """(line number, line) for every non-blank line of a UTF-8 text file."""
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if line.strip():
                yield lineno, line


def read_run(path: str | os.PathLike) -> pd.DataFrame:
    """Read a TREC run file: ``qid Q0 docno rank score tag`` per line."""
    rows = []
    for lineno, line in _lines(path):
        parts = line.split()
        if len(parts) != 6:
            raise InputError(f"{path}:{lineno}: a TREC run line has 6 fields (qid Q0 docno rank score tag), "
                             f"got {len(parts)}")
        try:
            rows.append((parts[0], parts[2], float(parts[4]), int(parts[3])))
        except ValueError:
            raise InputError(f"{path}:{lineno}: rank must be an integer and score a number") from None
    return pd.DataFrame(rows, columns=["qid", "docno", "score", "rank"])


def write_run(run: pd.DataFrame, path: str | os.PathLike, tag: str = "spasmqa") -> None:
    """Write a run in TREC format (``qid Q0 docno rank score tag``)."""
    _check_frame(run, ["qid", "docno", "score", "rank"], "run")
    if any(" " in str(x) for x in run["docno"]) or any(" " in str(x) for x in run["qid"]):
        raise InputError("qids and docnos must not contain spaces in a TREC file")
    with open(path, "w", encoding="utf-8") as f:
        for q, d, r, s in zip(run["qid"], run["docno"], run["rank"], run["score"]):
            f.write(f"{q} Q0 {d} {int(r)} {float(s):.8g} {tag}\n")


def read_qrels(path: str | os.PathLike) -> pd.DataFrame:
    """Read qrels: TREC (``qid 0 docno label``) or BEIR TSV (``query-id corpus-id score`` with header)."""
    rows = []
    for lineno, line in _lines(path):
        parts = line.rstrip("\n").split("\t") if "\t" in line else line.split()
        parts = [p.strip() for p in parts]
        if lineno == 1 and parts[0].lower() in ("query-id", "qid", "query_id"):
            continue  # BEIR header
        if len(parts) == 4:
            qid, docno, label = parts[0], parts[2], parts[3]
        elif len(parts) == 3:
            qid, docno, label = parts
        else:
            raise InputError(f"{path}:{lineno}: expected 'qid 0 docno label' or 'qid<TAB>docno<TAB>label', "
                             f"got {len(parts)} fields")
        try:
            rows.append((qid, docno, int(float(label))))
        except ValueError:
            raise InputError(f"{path}:{lineno}: relevance label {label!r} is not a number") from None
    return pd.DataFrame(rows, columns=["qid", "docno", "label"])


def write_qrels(qrels: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write qrels in TREC format (``qid 0 docno label``)."""
    _check_frame(qrels, ["qid", "docno", "label"], "qrels")
    with open(path, "w", encoding="utf-8") as f:
        for q, d, lab in zip(qrels["qid"], qrels["docno"], qrels["label"]):
            f.write(f"{q} 0 {d} {int(lab)}\n")


def read_queries(path: str | os.PathLike) -> pd.DataFrame:
    """Read BEIR ``queries.jsonl`` (``_id``, ``text``) into ``qid, query``."""
    rows = []
    for lineno, line in _lines(path):
        try:
            rec = json.loads(line)
            qid = rec.get("_id", rec.get("qid", rec.get("id")))
            if qid is None:
                raise KeyError("'_id'")
            rows.append((str(qid), rec["text"]))
        except (json.JSONDecodeError, KeyError, AttributeError) as exc:
            raise InputError(f"{path}:{lineno}: malformed query line ({exc})") from None
    return pd.DataFrame(rows, columns=["qid", "query"])


def read_beir(path: str | os.PathLike, split: str = "test"):
    """Read a BEIR directory: ``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv``.

    Returns
    -------
    (Corpus, queries DataFrame, qrels DataFrame); queries are limited to those
    judged in the split.
    """
    from ..corpus import load_corpus

    root = Path(path)
    for rel in ("corpus.jsonl", "queries.jsonl", f"qrels/{split}.tsv"):
        if not (root / rel).is_file():
            raise FileNotFoundError(f"{root} is not a BEIR data set: {rel} is missing")
    qrels = read_qrels(root / "qrels" / f"{split}.tsv")
    queries = read_queries(root / "queries.jsonl")
    queries = queries[queries["qid"].isin(set(qrels["qid"]))].reset_index(drop=True)
    corpus = load_corpus(root / "corpus.jsonl")
    return corpus, queries, qrels


# -- the default corpus's labelled questions ------------------------------
