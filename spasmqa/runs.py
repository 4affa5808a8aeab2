"""Retrieval runs: query tables in, ``qid, docno, score, rank`` frames out.

A run ranks units (passages or documents) per query, or documents with
passage scores aggregated per document (the best passage, or the sum).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .counts import row_positions
from .errors import InputError, InputTypeError
from .topk import top_k
from .validation import check_question

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .analysis import Analyzer
    from .scorer import Scorer
    from .table import PassageTable

__all__ = ["queries_table", "search_run"]


def queries_table(queries: Any) -> tuple[list[str], list[str]]:
    """(qids, texts) from a list of strings, a mapping qid -> text, or a DataFrame with ``qid, query``."""
    import pandas as pd

    if isinstance(queries, pd.DataFrame):
        missing = {"qid", "query"} - set(queries.columns)
        if missing:
            raise InputError(f"queries DataFrame needs columns 'qid' and 'query'; missing {sorted(missing)}")
        qids = [str(q) for q in queries["qid"]]
        texts = list(queries["query"])
    elif isinstance(queries, Mapping):
        qids = [str(q) for q in queries]
        texts = list(queries.values())
    elif isinstance(queries, str) or not isinstance(queries, Sequence):
        raise InputTypeError("queries must be a list of strings, a mapping qid -> text, or a DataFrame")
    else:
        texts = list(queries)
        qids = [str(i) for i in range(1, len(texts) + 1)]
    texts = [check_question(t, f"query {qid!r}") for qid, t in zip(qids, texts)]
    if len(set(qids)) != len(qids):
        raise InputError("query ids must be unique")
    return qids, texts


def _per_document(units: np.ndarray, scores: np.ndarray, u2d: sp.csr_matrix, how: str
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Unit scores aggregated per document: the best unit ("max") or all of them ("sum")."""
    ptr, docs_of = u2d.indptr, u2d.indices
    pos, counts = row_positions(ptr, units)
    docs = docs_of[pos].astype(np.int64)
    vals = np.repeat(scores, counts)
    if len(docs) == 0:
        return docs, vals
    order = np.argsort(docs, kind="stable")
    docs, vals = docs[order], vals[order]
    starts = np.flatnonzero(np.r_[True, docs[1:] != docs[:-1]])
    return docs[starts], (np.maximum if how == "max" else np.add).reduceat(vals, starts)


def search_run(scorer: Scorer, table: PassageTable, analyzer: Analyzer, unit_kind: str, queries: Any, k: int,
               level: str, aggregate: str, masks: tuple[np.ndarray, np.ndarray] | None = None) -> pd.DataFrame:
    """The run of :meth:`spasmqa.QA.search` (arguments already checked there)."""
    import pandas as pd

    qids, texts = queries_table(queries)
    u2d = table.unit_doc_matrix() if level == "document" else None
    how = "sum" if unit_kind == "document" else aggregate  # a document unit is one document
    rows_q: list[np.ndarray] = []
    rows_d: list[np.ndarray] = []
    rows_s: list[np.ndarray] = []
    for i, text in enumerate(texts):
        units, scores = scorer.score_one(analyzer(text), text)
        if masks is not None:  # a metadata filter: passing units, then passing documents
            keep = masks[1][units]
            units, scores = units[keep], scores[keep]
        if u2d is not None:
            units, scores = _per_document(units, scores, u2d, how)
            if masks is not None:
                keep = masks[0][units]
                units, scores = units[keep], scores[keep]
        cols, vals = top_k(units, scores, k)
        rows_q.append(np.full(len(cols), i))
        rows_d.append(cols)
        rows_s.append(vals)
    qi = np.concatenate(rows_q) if rows_q else np.zeros(0, int)
    di = np.concatenate(rows_d) if rows_d else np.zeros(0, int)
    sc = np.concatenate(rows_s) if rows_s else np.zeros(0)
    if u2d is not None:
        docnos = [table.doc_ids[d] for d in di.tolist()]
    else:
        docnos = [table.unit_docno(u, unit_kind) for u in di.tolist()]
    # Results of a query are contiguous and best first: rank = position within the query.
    ranks = np.concatenate([np.arange(1, len(r) + 1) for r in rows_q]) if rows_q else np.zeros(0, int)
    return pd.DataFrame({"qid": [qids[i] for i in qi.tolist()], "docno": docnos, "score": sc, "rank": ranks})
