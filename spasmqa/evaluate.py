"""Retrieval evaluation: measures, TREC and BEIR files, and ready-made reports.

Data model (PyTerrier / ir_measures conventions):

* a **run** is a DataFrame with columns ``qid, docno, score, rank``;
* **qrels** are a DataFrame with columns ``qid, docno, label`` (integer
  grades; ``label >= 1`` is relevant);
* **queries** are a DataFrame with columns ``qid, query``.

Measures are named ``nDCG@10``, ``RR@10``, ``P@10``, ``R@100``, ``AP`` (a
cut-off is optional for nDCG, RR and AP). They follow trec_eval exactly:

* each query's results are ordered by score, descending, ties broken by
  docno, descending (trec_eval's rule; the ``rank`` column is ignored);
* nDCG uses the grades as gains with a ``log2(rank + 1)`` discount and the
  ideal ranking of all judged documents;
* P@k divides by k even when fewer results were returned;
* queries without any relevant judgment are left out of the mean; queries in
  the qrels that have no result in the run score 0 (trec_eval's ``-c``), so a
  system cannot gain by returning nothing.

The test suite checks every measure against pytrec_eval.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._ir_measures import delegated_values, split_measures
from .answer import Answer, passage_id

__all__ = [
    "DEFAULT_MEASURES",
    "answers_to_run",
    "evaluate",
    "evaluate_beir",
    "evaluate_default",
    "format_table",
    "load_default_questions",
    "parse_measure",
    "read_beir",
    "read_qrels",
    "read_run",
    "write_qrels",
    "write_run",
]

DEFAULT_MEASURES = ("nDCG@10", "RR@10", "R@100", "AP")
_MEASURE = re.compile(r"^(nDCG|RR|P|R|AP)(?:@(\d+))?$")


def parse_measure(name: str) -> tuple[str, int | None]:
    """``"nDCG@10" -> ("nDCG", 10)``; raises ValueError for unknown names."""
    m = _MEASURE.match(name.strip()) if isinstance(name, str) else None
    if not m:
        raise ValueError(f"unknown measure {name!r}; use nDCG[@k], RR[@k], P@k, R@k or AP[@k]")
    kind, cut = m.group(1), int(m.group(2)) if m.group(2) else None
    if kind in ("P", "R") and cut is None:
        raise ValueError(f"measure {name!r} needs a cut-off, e.g. {kind}@10")
    if cut is not None and cut < 1:
        raise ValueError(f"measure {name!r}: cut-off must be >= 1")
    return kind, cut


def _check_frame(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} is missing column(s) {missing}; it has {list(df.columns)}")


def _one_query(docnos: np.ndarray, scores: np.ndarray, judged: Mapping[str, int],
               measures: Sequence[tuple[str, str, int | None]]) -> dict[str, float]:
    # trec_eval order: score descending, then docno descending.
    order = sorted(range(len(docnos)), key=lambda i: (-scores[i], _Desc(docnos[i])))
    gains = np.array([max(judged.get(docnos[i], 0), 0) for i in order], dtype=np.float64)
    rel = gains >= 1
    n_rel = sum(1 for g in judged.values() if g >= 1)
    ideal = np.sort(np.array([g for g in judged.values() if g > 0], dtype=np.float64))[::-1]
    out: dict[str, float] = {}
    for name, kind, cut in measures:
        g = gains[:cut] if cut else gains
        r = rel[:cut] if cut else rel
        if kind == "nDCG":
            disc = 1.0 / np.log2(np.arange(2, len(g) + 2))
            ig = ideal[:cut] if cut else ideal
            idcg = float(np.sum(ig / np.log2(np.arange(2, len(ig) + 2))))
            out[name] = float(np.sum(g * disc)) / idcg if idcg > 0 else 0.0
        elif kind == "RR":
            hit = np.flatnonzero(r)
            out[name] = 1.0 / (hit[0] + 1) if len(hit) else 0.0
        elif kind == "P":
            out[name] = float(r.sum()) / cut
        elif kind == "R":
            out[name] = float(r.sum()) / n_rel
        else:  # AP
            hits = np.cumsum(r)
            prec = hits[r] / (np.flatnonzero(r) + 1)
            out[name] = float(prec.sum()) / n_rel
    return out


class _Desc:
    """Wraps a string so that sorting puts it in descending order."""

    __slots__ = ("s",)

    def __init__(self, s: str) -> None:
        self.s = s

    def __lt__(self, other: _Desc) -> bool:
        return self.s > other.s

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and self.s == other.s


def evaluate(
    run: pd.DataFrame,
    qrels: pd.DataFrame,
    measures: Iterable[Any] = DEFAULT_MEASURES,
    *,
    per_query: bool = False,
) -> pd.DataFrame:
    """Score a run against qrels.

    Parameters
    ----------
    run : DataFrame with ``qid, docno, score`` (``rank`` is ignored; see the
        module docstring for the ordering rule)
    qrels : DataFrame with ``qid, docno, label`` (``relevance`` is accepted
        for ``label``)
    measures : names such as ``"nDCG@10"``, ``"RR@10"``, ``"R@100"``, ``"AP"``,
        or ir_measures measures (``ir_measures.nDCG@10``), mixed freely.
        spasmqa computes nDCG, RR, P@k, R@k and AP itself, also when given
        as ir_measures objects with default parameters; any other
        ir_measures measure (``Success@10``, ``RR(rel=2)``, a name such as
        ``"Judged@10"``) is computed by ir_measures (``pip install
        "spasmqa[ir-measures]"``), with queries that have no result scoring
        0. Columns are named as given, ir_measures objects by ``str(m)``.
    per_query : bool, default=False
        Return one row per query (``qid`` plus a column per measure) instead
        of one row of means.

    Returns
    -------
    DataFrame

    Examples
    --------
    >>> run = pd.DataFrame({"qid": ["1", "1"], "docno": ["a", "b"], "score": [2.0, 1.0]})
    >>> qrels = pd.DataFrame({"qid": ["1"], "docno": ["b"], "label": [1]})
    >>> evaluate(run, qrels, ["RR", "P@1"]).to_dict("records")
    [{'RR': 0.5, 'P@1': 0.0}]
    >>> import ir_measures                              # doctest: +SKIP
    >>> evaluate(run, qrels, [ir_measures.nDCG@10, "RR@10"]).round(3).to_dict("records")  # doctest: +SKIP
    [{'nDCG@10': 0.631, 'RR@10': 0.5}]
    """
    if isinstance(qrels, pd.DataFrame) and "label" not in qrels.columns and "relevance" in qrels.columns:
        qrels = qrels.rename(columns={"relevance": "label"})
    _check_frame(run, ["qid", "docno", "score"], "run")
    _check_frame(qrels, ["qid", "docno", "label"], "qrels")
    parsed, delegated, names = split_measures(measures, parse_measure)
    if not names:
        raise ValueError("no measures given")
    judged: dict[str, dict[str, int]] = {}
    for qid, docno, label in zip(qrels["qid"].astype(str), qrels["docno"].astype(str), qrels["label"]):
        judged.setdefault(qid, {})[docno] = int(label)
    evaluated = [q for q, j in judged.items() if any(g >= 1 for g in j.values())]
    grouped = {q: g for q, g in run.assign(qid=run["qid"].astype(str)).groupby("qid", sort=False)}
    other = delegated_values(run, qrels, delegated, evaluated) if delegated else {}
    rows = []
    for qid in evaluated:
        g = grouped.get(qid)
        if g is None:
            values = {name: 0.0 for name, _, _ in parsed}
        else:
            values = _one_query(g["docno"].astype(str).to_numpy(), g["score"].to_numpy(dtype=np.float64),
                                judged[qid], [(n, k, c) for n, k, c in parsed])
        rows.append({"qid": qid, **values, **other.get(qid, {})})
    table = pd.DataFrame(rows, columns=["qid", *names])
    if per_query:
        return table
    means = {m: float(table[m].mean()) if len(table) else float("nan") for m in names}
    return pd.DataFrame([means])


# -- files ---------------------------------------------------------------
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
            raise ValueError(f"{path}:{lineno}: a TREC run line has 6 fields (qid Q0 docno rank score tag), "
                             f"got {len(parts)}")
        try:
            rows.append((parts[0], parts[2], float(parts[4]), int(parts[3])))
        except ValueError:
            raise ValueError(f"{path}:{lineno}: rank must be an integer and score a number") from None
    return pd.DataFrame(rows, columns=["qid", "docno", "score", "rank"])


def write_run(run: pd.DataFrame, path: str | os.PathLike, tag: str = "spasmqa") -> None:
    """Write a run in TREC format (``qid Q0 docno rank score tag``)."""
    _check_frame(run, ["qid", "docno", "score", "rank"], "run")
    if any(" " in str(x) for x in run["docno"]) or any(" " in str(x) for x in run["qid"]):
        raise ValueError("qids and docnos must not contain spaces in a TREC file")
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
            raise ValueError(f"{path}:{lineno}: expected 'qid 0 docno label' or 'qid<TAB>docno<TAB>label', "
                             f"got {len(parts)} fields")
        try:
            rows.append((qid, docno, int(float(label))))
        except ValueError:
            raise ValueError(f"{path}:{lineno}: relevance label {label!r} is not a number") from None
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
            raise ValueError(f"{path}:{lineno}: malformed query line ({exc})") from None
    return pd.DataFrame(rows, columns=["qid", "query"])


def read_beir(path: str | os.PathLike, split: str = "test"):
    """Read a BEIR directory: ``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv``.

    Returns
    -------
    (Corpus, queries DataFrame, qrels DataFrame); queries are limited to those
    judged in the split.
    """
    from .corpus import load_corpus

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
# The question sets shipped for the default corpus (see the README).
QUESTION_SETS = {"labelled": "questions.jsonl", "check": "questions_check.jsonl"}


def load_default_questions(path: str | os.PathLike | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Labelled questions for the default corpus.

    Each file holds one question per line with its relevant passages given
    by their text; graded 2 (answers it) or 1 (partly useful). Judgments are
    keyed by text, so they map onto :func:`spasmqa.passage_id`, the docno of
    passage runs.

    Parameters
    ----------
    path : str or path-like, optional
        A JSONL file of that format, or the name of a shipped set:
        ``"labelled"`` (the default, ``spasmqa/data/questions.jsonl``, the set
        the defaults were chosen on) or ``"check"``
        (``spasmqa/data/questions_check.jsonl``, written afterwards in other
        words to check that changes generalise).

    Returns
    -------
    (queries, qrels) DataFrames.
    """
    if path is None or str(path) in QUESTION_SETS:
        path = Path(__file__).resolve().parent / "data" / QUESTION_SETS[str(path or "labelled")]
    path = Path(path)
    queries, qrels = [], []
    for lineno, line in _lines(path):
        try:
            rec = json.loads(line)
            queries.append((rec["qid"], rec["query"]))
            for item in rec["relevant"]:
                qrels.append((rec["qid"], passage_id(item["text"]), int(item["label"])))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{lineno}: malformed question record ({exc})") from None
    return pd.DataFrame(queries, columns=["qid", "query"]), pd.DataFrame(qrels, columns=["qid", "docno", "label"])


def answers_to_run(answers: Sequence[Answer], qids: Sequence[str]) -> pd.DataFrame:
    """A run from answers: docno is the passage id, in answer order."""
    rows = []
    for qid, ans in zip(qids, answers):
        n = len(ans.passages)
        for p in ans.passages:
            # Scores are replaced by n - rank + 1 so trec_eval's ordering equals
            # the answer's order even where re-ranking made scores non-monotone.
            rows.append((str(qid), p.id, float(n - p.rank + 1), p.rank))
    return pd.DataFrame(rows, columns=["qid", "docno", "score", "rank"])


def evaluate_default(
    k: int = 10,
    *,
    measures: Iterable[str] = ("nDCG@5", "nDCG@10", "RR@10", "R@10", "AP"),
    run_out: str | os.PathLike | None = None,
    per_query: bool = False,
    questions: str | os.PathLike = "labelled",
    **options: Any,
) -> dict[str, Any]:
    """Evaluate answers (after de-duplication) on the default corpus's questions.

    ``questions`` picks the set, as in :func:`load_default_questions`.
    """
    from .qa import QA

    t0 = time.perf_counter()
    qa = QA.from_corpus(**options)
    t1 = time.perf_counter()
    queries, qrels = load_default_questions(questions)
    answers = qa.ask_many(list(queries["query"]), k=min(k, 1000))
    t2 = time.perf_counter()
    run = answers_to_run(answers, list(queries["qid"]))
    if run_out:
        write_run(run, run_out)
    table = evaluate(run, qrels, measures, per_query=per_query)
    name = f"default corpus, {questions}" + (" questions" if str(questions) in QUESTION_SETS else "")
    report = _report(name, None, qa, queries, table, t1 - t0, t2 - t1, per_query)
    return report


def evaluate_beir(
    path: str | os.PathLike,
    *,
    split: str = "test",
    k: int = 1000,
    measures: Iterable[str] = DEFAULT_MEASURES,
    run_out: str | os.PathLike | None = None,
    per_query: bool = False,
    aggregate: str = "max",
    **options: Any,
) -> dict[str, Any]:
    """Index a BEIR data set and evaluate on one split.

    Documents are indexed whole (title and text) unless ``unit="passage"``,
    in which case sentence passages are scored and aggregated per document.
    """
    from .qa import QA
    from .settings import Settings

    options.setdefault("unit", "document")
    settings = Settings.from_options(options)
    corpus, queries, qrels = read_beir(path, split)
    t0 = time.perf_counter()
    qa = QA(corpus, settings)
    t1 = time.perf_counter()
    run = qa.search(queries, k=k, level="document", aggregate=aggregate)  # type: ignore[arg-type]
    t2 = time.perf_counter()
    if run_out:
        write_run(run, run_out)
    table = evaluate(run, qrels, measures, per_query=per_query)
    return _report(f"BEIR {Path(path).name}", split, qa, queries, table, t1 - t0, t2 - t1, per_query)


def _report(name, split, qa, queries, table, index_s, query_s, per_query) -> dict[str, Any]:
    report: dict[str, Any] = {
        "dataset": name,
        "split": split,
        "settings": qa.settings.as_dict(),
        "documents": len(qa.corpus),
        "units": qa.n_units,
        "queries": int(len(queries)),
        "index_seconds": round(index_s, 3),
        "query_seconds": round(query_s, 3),
        "queries_per_second": round(len(queries) / query_s, 1) if query_s > 0 else None,
    }
    if per_query:
        report["per_query"] = table.to_dict("records")
        means = {c: float(table[c].mean()) for c in table.columns if c != "qid"}
    else:
        means = {c: float(v) for c, v in table.iloc[0].items()}
    report["measures"] = {m: round(v, 4) if not math.isnan(v) else None for m, v in means.items()}
    return report


def format_table(report: Mapping[str, Any]) -> str:
    """A report as a small plain-text table."""
    s = report["settings"]
    title = report["dataset"] + (f" ({report['split']} split)" if report.get("split") else "")
    lines = [title,
             f"{report['documents']} documents, {report['units']} {s['unit']}s indexed; {report['queries']} queries; "
             f"weighting={s['weighting']}" + (f" (k1={s['k1']}, b={s['b']})" if s["weighting"] == "bm25" else ""),
             ""]
    width = max(len(m) for m in report["measures"])
    lines += [f"  {m:<{width}}  {v:.4f}" for m, v in report["measures"].items()]
    lines += ["", f"index {report['index_seconds']:.2f}s · queries {report['query_seconds']:.2f}s "
                  f"({report['queries_per_second']} q/s)"]
    return "\n".join(lines)
