"""Retrieval runs: query tables in, ``qid, docno, score, rank`` frames out.

A run ranks units (passages or documents) per query, or documents with
passage scores aggregated per document (the best passage, or the sum).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .context import PlaceScores
from .counts import row_positions
from .errors import InputError, InputTypeError
from .topk import top_k
from .validation import check_question

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .analysis import Analyzer
    from .scorer import Scorer
    from .table import PassageTable

__all__ = ["queries_table", "search_run", "search_scores"]


def queries_table(queries: Any) -> tuple[list[str], list[str]]:
    """(qids, texts) from a list of strings, a mapping qid -> text, a DataFrame with ``qid, query``,
    or one string (one query, qid ``"1"``, as PyTerrier's ``search``)."""
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
    elif isinstance(queries, str):
        qids, texts = ["1"], [queries]
    elif not isinstance(queries, Sequence):
        raise InputTypeError("queries must be a string, a list of strings, a mapping qid -> text, or a DataFrame")
    else:
        texts = list(queries)
        qids = [str(i) for i in range(1, len(texts) + 1)]
    texts = [check_question(t, f"query {qid!r}") for qid, t in zip(qids, texts)]
    if len(set(qids)) != len(qids):
        raise InputError("query ids must be unique")
    return qids, texts


def _per_document(units: np.ndarray, base: np.ndarray, places: PlaceScores, u2d: sp.csr_matrix,
                  occ_doc: np.ndarray, how: str, doc_mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Passage scores aggregated per document: the best passage ("max") or all
    of them ("sum"). A passage counts in a document with its own score plus
    the best context bonus it has there (not in another document)."""
    pos, counts = row_positions(u2d.indptr, units)
    pair_unit = np.concatenate([np.repeat(units, counts), places.unit])
    pair_doc = np.concatenate([u2d.indices[pos].astype(np.int64), occ_doc[places.occ].astype(np.int64)])
    pair_val = np.concatenate([np.repeat(base, counts), _own(units, base, places.unit) + places.bonus])
    if doc_mask is not None:
        keep = doc_mask[pair_doc]
        pair_unit, pair_doc, pair_val = pair_unit[keep], pair_doc[keep], pair_val[keep]
    if len(pair_doc) == 0:
        return pair_doc, pair_val
    if how == "max" or len(places.unit) == 0:
        # The best passage of a document is its best pair (whatever the unit); without places each
        # (document, unit) pair is unique and a stable sort by document keeps the units in order.
        order = np.argsort(pair_doc, kind="stable")
        return _reduce_by_document(pair_doc[order], pair_val[order], how)
    return aggregate_pairs(pair_unit, pair_doc, pair_val, how)


def aggregate_pairs(pair_unit: np.ndarray, pair_doc: np.ndarray, pair_val: np.ndarray,
                    how: str) -> tuple[np.ndarray, np.ndarray]:
    """The general aggregation of (unit, document, score) pairs: per (document, unit) the best
    pair, then per document the max or the sum over units (documents ascending)."""
    order = np.lexsort((-pair_val, pair_unit, pair_doc))
    pair_unit, pair_doc, pair_val = pair_unit[order], pair_doc[order], pair_val[order]
    first = np.r_[True, (pair_doc[1:] != pair_doc[:-1]) | (pair_unit[1:] != pair_unit[:-1])]
    return _reduce_by_document(pair_doc[first], pair_val[first], how)


def _reduce_by_document(docs: np.ndarray, vals: np.ndarray, how: str) -> tuple[np.ndarray, np.ndarray]:
    """Max or sum of ``vals`` per run of equal ``docs`` (sorted by document)."""
    starts = np.flatnonzero(np.r_[True, docs[1:] != docs[:-1]])
    return docs[starts], (np.maximum if how == "max" else np.add).reduceat(vals, starts)


def _own(units: np.ndarray, base: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Own scores of ``targets`` (0 for units the question's terms did not score)."""
    if len(units) == 0:
        return np.zeros(len(targets))
    pos = np.minimum(np.searchsorted(units, targets), len(units) - 1)
    return np.where(units[pos] == targets, base[pos], 0.0)


def search_scores(scorer: Scorer, table: PassageTable, terms: Sequence[str], text: str, unit_kind: str,
                  level: str, aggregate: str, masks: tuple[np.ndarray, np.ndarray] | None,
                  u2d: sp.csr_matrix | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One query's (unit or document number, score) pairs, unranked."""
    how = "sum" if unit_kind == "document" else aggregate  # a document unit is one document
    doc_mask = None if masks is None else masks[0]
    if level == "document":
        units, base, places = scorer.score_parts(terms, text, doc_mask)
        u2d = table.unit_doc_matrix() if u2d is None else u2d
        return _per_document(units, base, places, u2d, table.occ_doc, how, doc_mask)
    units, scores = scorer.score_one(terms, text, doc_mask)  # with_context(score_parts), in fewer steps
    if masks is not None:  # a metadata filter: passing units
        keep = masks[1][units]
        units, scores = units[keep], scores[keep]
    return units, scores


def search_run(scorer: Scorer, table: PassageTable, analyzer: Analyzer, unit_kind: str, queries: Any, k: int,
               level: str, aggregate: str, masks: tuple[np.ndarray, np.ndarray] | None = None) -> pd.DataFrame:
    """The run of :meth:`spasmqa.QA.search` (arguments already checked there)."""
    import pandas as pd

    qids, texts = queries_table(queries)
    u2d = table.unit_doc_matrix() if level == "document" else None
    rows_q: list[np.ndarray] = []
    rows_d: list[np.ndarray] = []
    rows_s: list[np.ndarray] = []
    for i, text in enumerate(texts):
        units, scores = search_scores(scorer, table, analyzer(text), text, unit_kind, level, aggregate, masks, u2d)
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
