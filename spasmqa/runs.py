"""Helpers for retrieval runs: query tables and passage-to-document aggregation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .validation import check_question

__all__ = ["queries_table", "rowwise_max"]


def rowwise_max(scores: sp.csr_matrix, u2d: sp.csr_matrix) -> sp.csr_matrix:
    """Per query row, the best unit score of each document (vectorised).

    Every stored (query, unit, score) entry is expanded to the documents the
    unit occurs in; the maximum per (query, document) is kept.
    """
    scores = scores.tocoo()
    u2d = u2d.tocsr()
    per_unit = np.diff(u2d.indptr)[scores.col]
    rows = np.repeat(scores.row, per_unit)
    vals = np.repeat(scores.data, per_unit)
    # Positions in u2d.indices of each unit's documents, concatenated.
    starts = np.repeat(u2d.indptr[scores.col] - np.cumsum(per_unit) + per_unit, per_unit)
    docs = u2d.indices[starts + np.arange(len(rows))]
    n_docs = u2d.shape[1]
    key = rows.astype(np.int64) * n_docs + docs
    order = np.lexsort((-vals, key))
    key, vals = key[order], vals[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    key, vals = key[first], vals[first]
    return sp.csr_matrix((vals, (key // n_docs, key % n_docs)), shape=(scores.shape[0], n_docs))


def queries_table(queries: Sequence[str] | Mapping[str, str] | pd.DataFrame) -> tuple[list[str], list[str]]:
    if isinstance(queries, pd.DataFrame):
        missing = {"qid", "query"} - set(queries.columns)
        if missing:
            raise ValueError(f"queries DataFrame needs columns 'qid' and 'query'; missing {sorted(missing)}")
        qids = [str(q) for q in queries["qid"]]
        texts = list(queries["query"])
    elif isinstance(queries, Mapping):
        qids = [str(q) for q in queries]
        texts = list(queries.values())
    elif isinstance(queries, str):
        raise TypeError("queries must be a list of strings, a mapping qid -> text, or a DataFrame")
    else:
        texts = list(queries)
        qids = [str(i) for i in range(1, len(texts) + 1)]
    texts = [check_question(t, f"query {qid!r}") for qid, t in zip(qids, texts)]
    if len(set(qids)) != len(qids):
        raise ValueError("query ids must be unique")
    return qids, texts
