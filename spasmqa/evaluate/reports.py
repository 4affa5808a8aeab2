"""Ready-made evaluations: the shipped question sets and BEIR data sets, and their tables."""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..answer import Answer, passage_id
from ..errors import InputError
from ..resources import data_path, default_corpus_path
from .files import _lines, read_beir, write_run
from .measures import DEFAULT_MEASURES, evaluate

__all__ = ["QUESTION_SETS", "QUESTION_SET_CORPORA", "answers_to_run", "evaluate_beir", "evaluate_default",
           "format_table", "load_default_questions", "question_set_corpus"]

# The question sets shipped with spasmqa (see the README): name -> file in spasmqa/data.
QUESTION_SETS = {"labelled": "questions.jsonl", "check": "questions_check.jsonl",
                 "techdocs": "questions_techdocs.jsonl"}
# The corpus each set is judged on, where it is not the default corpus: name -> path in spasmqa/data.
QUESTION_SET_CORPORA = {"techdocs": "techdocs/pages"}


def question_set_corpus(questions: str | os.PathLike | None = None) -> Path:
    """The corpus a question set is judged on.

    ``"techdocs"``: the techdocs corpus (Python reference topics,
    :func:`spasmqa.resources.techdocs_corpus_path`); any other set, shipped
    (``"labelled"``, ``"check"``) or a JSONL file: the default corpus.

    Examples
    --------
    >>> question_set_corpus("techdocs").parts[-2:]
    ('techdocs', 'pages')
    >>> question_set_corpus("check").name
    'back_spasms.txt'
    """
    name = str(questions or "labelled")
    return data_path(QUESTION_SET_CORPORA[name]) if name in QUESTION_SET_CORPORA else default_corpus_path()


def load_default_questions(path: str | os.PathLike | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Labelled questions of a shipped question set (or of a file in the same format).

    Each file holds one question per line with its relevant passages given
    by their text; graded 2 (answers it) or 1 (partly useful). Judgments are
    keyed by text, so they map onto :func:`spasmqa.passage_id`, the docno of
    passage runs.

    Parameters
    ----------
    path : str or path-like, optional
        A JSONL file of that format, or the name of a shipped set:
        ``"labelled"`` (the default, ``spasmqa/data/questions.jsonl``, the set
        the defaults were chosen on), ``"check"``
        (``spasmqa/data/questions_check.jsonl``, written afterwards in other
        words to check that changes generalise), both on the default corpus,
        or ``"techdocs"`` (``spasmqa/data/questions_techdocs.jsonl``: Python
        questions on another corpus, the Python reference topics of
        :func:`question_set_corpus`; nothing was tuned on it).

    Returns
    -------
    (queries, qrels) DataFrames.
    """
    if path is None or str(path) in QUESTION_SETS:
        path = data_path(QUESTION_SETS[str(path or "labelled")])
    path = Path(path)
    queries, qrels = [], []
    for lineno, line in _lines(path):
        try:
            rec = json.loads(line)
            queries.append((rec["qid"], rec["query"]))
            for item in rec["relevant"]:
                qrels.append((rec["qid"], passage_id(item["text"]), int(item["label"])))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InputError(f"{path}:{lineno}: malformed question record ({exc})") from None
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
    qa: Any = None,
    corpus: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Evaluate answers (after de-duplication) on a shipped question set.

    ``questions`` picks the set, as in :func:`load_default_questions`; the
    index is built over the set's corpus (:func:`question_set_corpus`: the
    default corpus, or the techdocs corpus for ``"techdocs"``) or over
    ``corpus`` (files or a directory) if given. With ``qa`` (a QA over that
    corpus), it is used instead of building one; ``options`` then change its
    query-time settings.
    """
    from ..qa import QA

    t0 = time.perf_counter()
    source = question_set_corpus(questions) if corpus is None else corpus
    if qa is None:  # the default corpus as QA.from_corpus() loads it (the same doc_ids)
        qa = QA.from_corpus(None if corpus is None and source == default_corpus_path() else source, **options)
    elif options:
        qa = qa.with_settings(**options)
    t1 = time.perf_counter()
    queries, qrels = load_default_questions(questions)
    answers = qa.ask_many(list(queries["query"]), k=min(k, 1000))
    t2 = time.perf_counter()
    run = answers_to_run(answers, list(queries["qid"]))
    if run_out:
        write_run(run, run_out)
    table = evaluate(run, qrels, measures, per_query=per_query)
    if corpus is not None:
        where = "corpus " + (str(corpus) if isinstance(corpus, (str, os.PathLike)) else " ".join(map(str, corpus)))
    else:
        where = "default corpus" if source == default_corpus_path() else f"{questions} corpus"
    name = f"{where}, {questions}" + (" questions" if str(questions) in QUESTION_SETS else "")
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
    workers: int = 1,
    index: str | os.PathLike | None = None,
    qa: Any = None,
    **options: Any,
) -> dict[str, Any]:
    """Index a BEIR data set and evaluate on one split.

    With ``index`` (a saved index of the data set's corpus) or ``qa`` (a
    built one), no index is built; ``options`` are then query-time settings.

    Documents are indexed whole (title and text) unless ``unit="passage"``,
    in which case sentence passages are scored and aggregated per document.
    """
    from ..qa import QA
    from ..settings import Settings

    corpus, queries, qrels = read_beir(path, split)
    t0 = time.perf_counter()
    if qa is not None:
        qa = qa.with_settings(**options) if options else qa
    elif index is not None:
        qa = QA.load(index, **options)
    else:
        options.setdefault("unit", "document")
        qa = QA(corpus, Settings.from_options(options), workers=workers)
    t1 = time.perf_counter()
    run = qa.search(queries, k=k, level="document", aggregate=aggregate)
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
             f"weighting={s['weighting']}" + (f" (k1={s['k1']}, b={s['b']})" if s["weighting"] == "bm25" else "")
             + (f"; document expansion: {s['neighbours']} neighbours, weight {s['neighbour_weight']}"
                if s.get("neighbours") else ""),
             ""]
    width = max(len(m) for m in report["measures"])
    lines += [f"  {m:<{width}}  {v:.4f}" for m, v in report["measures"].items()]
    lines += ["", f"index {report['index_seconds']:.2f}s · queries {report['query_seconds']:.2f}s "
                  f"({report['queries_per_second']} q/s)"]
    return "\n".join(lines)
