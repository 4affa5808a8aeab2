"""Tuning query-time settings on one index: a grid search without rebuilds.

scikit-learn's ``GridSearchCV`` refits an estimator per parameter setting;
in spasmqa every weighting, expansion and context parameter is query-time,
so a grid is searched over one built index with :meth:`spasmqa.QA.with_settings`
(weights are recomputed from the stored counts, nothing is re-analysed).
Choose on a training split, report on the test split.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..errors import InputError
from .measures import evaluate

__all__ = ["tune"]


def tune(qa: Any, queries: Any, qrels: pd.DataFrame, grid: Mapping[str, Sequence[Any]], *,
         measure: Any = "nDCG@10", k: int = 100, level: str = "document", aggregate: str = "max") -> pd.DataFrame:
    """Score every combination of ``grid`` (query-time settings) on ``queries``.

    Parameters
    ----------
    qa : spasmqa.QA
        A built or loaded index.
    queries, qrels : DataFrame
        As from :func:`spasmqa.evaluate.read_beir` (use the training split).
    grid : mapping of option name -> values
        Query-time options only (an index-time option is an error naming it).
    measure : str or ir_measures measure, default="nDCG@10"

    Returns
    -------
    DataFrame
        One row per combination (its options and the measure), best first;
        ties keep grid order.

    Examples
    --------
    >>> import pandas as pd, spasmqa
    >>> from spasmqa.evaluate import tune
    >>> qa = spasmqa.QA.from_texts(["heat eases a back spasm", "ice eases swelling", "rest a day"],
    ...                            ids=["d1", "d2", "d3"], unit="document")
    >>> queries = pd.DataFrame({"qid": ["1"], "query": ["back spasm heat"]})
    >>> qrels = pd.DataFrame({"qid": ["1"], "docno": ["d1"], "label": [1]})
    >>> tune(qa, queries, qrels, {"weighting": ["bm25"], "k1": [0.9, 1.2]}).columns.tolist()
    ['weighting', 'k1', 'nDCG@10']
    """
    if not isinstance(grid, Mapping) or not grid or not all(isinstance(v, Sequence) and len(v) for v in grid.values()):
        raise InputError("grid must map each option name to a non-empty list of values")
    name = str(measure)
    rows = []
    for combo in itertools.product(*grid.values()):
        options = dict(zip(grid, combo))
        run = qa.with_settings(**options).search(queries, k=k, level=level, aggregate=aggregate)
        value = float(evaluate(run, qrels, [measure]).iloc[0, 0])
        rows.append({**options, name: value})
    table = pd.DataFrame(rows)
    return table.sort_values(name, ascending=False, kind="stable").reset_index(drop=True)
