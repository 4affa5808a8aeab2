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

from .files import read_beir, read_qrels, read_queries, read_run, write_qrels, write_run
from .measures import DEFAULT_MEASURES, evaluate, parse_measure
from .reports import (
    QUESTION_SET_CORPORA,
    QUESTION_SETS,
    answers_to_run,
    evaluate_beir,
    evaluate_default,
    format_table,
    load_default_questions,
    question_set_corpus,
)
from .tuning import tune

__all__ = [
    "DEFAULT_MEASURES",
    "QUESTION_SETS",
    "QUESTION_SET_CORPORA",
    "answers_to_run",
    "evaluate",
    "evaluate_beir",
    "evaluate_default",
    "format_table",
    "load_default_questions",
    "question_set_corpus",
    "parse_measure",
    "read_beir",
    "read_qrels",
    "read_queries",
    "read_run",
    "tune",
    "write_qrels",
    "write_run",
]
