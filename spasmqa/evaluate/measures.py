"""Measures over runs and qrels, with trec_eval's conventions (see :mod:`spasmqa.evaluate`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, InputTypeError
from .irm import delegated_values, split_measures

__all__ = ["DEFAULT_MEASURES", "evaluate", "parse_measure"]

DEFAULT_MEASURES = ("nDCG@10", "RR@10", "R@100", "AP")
_MEASURE = re.compile(r"^(nDCG|RR|P|R|AP)(?:@(\d+))?$")


def parse_measure(name: str) -> tuple[str, int | None]:
    """``"nDCG@10" -> ("nDCG", 10)``; raises ValueError for unknown names."""
    m = _MEASURE.match(name.strip()) if isinstance(name, str) else None
    if not m:
        raise InputError(f"unknown measure {name!r}; use nDCG[@k], RR[@k], P@k, R@k or AP[@k]")
    kind, cut = m.group(1), int(m.group(2)) if m.group(2) else None
    if kind in ("P", "R") and cut is None:
        raise InputError(f"measure {name!r} needs a cut-off, e.g. {kind}@10")
    if cut is not None and cut < 1:
        raise InputError(f"measure {name!r}: cut-off must be >= 1")
    return kind, cut


def _check_frame(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise InputTypeError(f"{what} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(f"{what} is missing column(s) {missing}; it has {list(df.columns)}")


def _one_query(docnos: np.ndarray, scores: np.ndarray, judged: Mapping[str, int],
               measures: Sequence[tuple[str, str, int | None]]) -> dict[str, float]:
    # trec_eval order: score descending, then docno descending.
    order = sorted(range(len(docnos)), key=lambda i: (-scores[i], _Desc(str(docnos[i]))))
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
            assert cut is not None  # parse_measure requires a cut-off for P
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
        raise InputError("no measures given")
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
