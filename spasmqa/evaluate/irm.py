"""Measures given as ir_measures objects (``ir_measures.nDCG@10``) or as names.

:func:`spasmqa.evaluate.evaluate` takes both. This module sorts them into
the measures spasmqa computes itself (``nDCG``, ``RR``, ``P``, ``R``, ``AP``
with a cut-off and otherwise default parameters) and the ones handed to
ir_measures (anything else ir_measures knows, e.g. ``Success@10``,
``RR(rel=2)``, ``nDCG(dcg='exp-log2')@10``). ir_measures is imported only
when a measure object is given, or a name spasmqa does not know.

Examples
--------
>>> from spasmqa.evaluate import parse_measure
>>> split_measures(["nDCG@10", "AP"], parse_measure)
([('nDCG@10', 'nDCG', 10), ('AP', 'AP', None)], [], ['nDCG@10', 'AP'])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from ..errors import InputError, InputTypeError, MissingExtraError

__all__ = ["is_measure_object", "split_measures", "delegated_values"]

INSTALL_HINT = 'pip install "spasmqa[ir-measures]"'
# ir_measures parameters whose default value spasmqa's own computation follows.
_DEFAULTS = {"rel": 1, "dcg": "log2", "judged_only": False}
_OWN = {"nDCG", "RR", "P", "R", "AP"}


def is_measure_object(m: Any) -> bool:
    """True for an ir_measures measure (duck-typed: ``NAME`` and ``params``)."""
    return not isinstance(m, str) and hasattr(m, "NAME") and isinstance(getattr(m, "params", None), Mapping)


def _import_ir_measures():
    try:
        import ir_measures
    except ImportError:
        raise MissingExtraError(f"this measure needs ir_measures, which is not installed: {INSTALL_HINT}") from None
    return ir_measures


def _own(m: Any) -> tuple[str, int | None] | None:
    """(kind, cut-off) if spasmqa computes ``m`` exactly as ir_measures defines it, else None."""
    params = dict(m.params)
    cut = params.pop("cutoff", None)
    if m.NAME not in _OWN or any(k not in _DEFAULTS or v != _DEFAULTS[k] for k, v in params.items()):
        return None
    if m.NAME in ("P", "R") and cut is None:
        return None  # ir_measures' P and R without a cut-off: let it compute them
    return m.NAME, (int(cut) if cut is not None else None)


def split_measures(
    measures: Iterable[Any], parse_name
) -> tuple[list[tuple[str, str, int | None]], list[tuple[str, Any]], list[str]]:
    """Sort measures into spasmqa's own ``(column, kind, cut)`` and ``(column, ir_measures object)``.

    The third value is the column names in the order given: a name as given,
    an ir_measures object as ``str(measure)`` (``"nDCG@10"``).

    ``parse_name`` parses spasmqa's names (``"nDCG@10" -> ("nDCG", 10)``).
    Names spasmqa does not know are parsed by ir_measures when it is
    installed; a name neither knows raises ValueError.
    """
    if isinstance(measures, str) or is_measure_object(measures):
        measures = [measures]
    own: list[tuple[str, str, int | None]] = []
    delegated: list[tuple[str, Any]] = []
    seen: set[str] = set()
    seen_order: list[str] = []
    for m in measures:
        if isinstance(m, str):
            try:
                kind, cut = parse_name(m)
                own.append((m, kind, cut))
                column = m
            except ValueError as exc:
                try:
                    irm = _import_ir_measures()
                except ImportError:
                    raise InputError(f"{exc}; other measures need ir_measures ({INSTALL_HINT})") from None
                try:
                    obj = irm.parse_measure(m)
                except (ValueError, TypeError, NameError, SyntaxError, AttributeError):
                    raise InputError(f"{exc}; ir_measures does not know {m!r} either") from None
                column = m
                delegated.append((column, obj))
        elif is_measure_object(m):
            column = str(m)
            spec = _own(m)
            if spec is None:
                delegated.append((column, m))
            else:
                own.append((column, *spec))
        else:
            raise InputTypeError(f"a measure must be a name such as 'nDCG@10' or an ir_measures measure, "
                            f"got {type(m).__name__}")
        if column in seen:
            raise InputError(f"measure {column!r} is given twice")
        seen.add(column)
        seen_order.append(column)
    return own, delegated, list(seen_order)


def delegated_values(run: pd.DataFrame, qrels: pd.DataFrame, measures: list[tuple[str, Any]],
                     qids: Iterable[str]) -> dict[str, dict[str, float]]:
    """Per query (of ``qids``), the values ir_measures computes for ``measures``.

    A query with no result in the run gets 0, as with spasmqa's own measures.
    """
    irm = _import_ir_measures()
    by_measure = {obj: column for column, obj in measures}
    qids = list(qids)
    out: dict[str, dict[str, float]] = {q: {c: 0.0 for c, _ in measures} for q in qids}
    ir_qrels = pd.DataFrame({"query_id": qrels["qid"].astype(str), "doc_id": qrels["docno"].astype(str),
                             "relevance": qrels["label"].astype(int)})
    ir_run = pd.DataFrame({"query_id": run["qid"].astype(str), "doc_id": run["docno"].astype(str),
                           "score": run["score"].astype(float)})
    if not len(ir_run):
        return out
    try:
        # One measure per call: given several at once, ir_measures 0.4 can run
        # them in one pytrec_eval evaluation whose gains (nDCG(gains=...))
        # then apply to every nDCG in it.
        for measure in by_measure:
            for metric in irm.iter_calc([measure], ir_qrels, ir_run):
                if metric.query_id in out:
                    out[metric.query_id][by_measure[metric.measure]] = float(metric.value)
    except Exception as exc:  # ir_measures' providers raise many kinds (subprocess, Java, import ...)
        names = ", ".join(column for column, _ in measures)
        raise InputError(f"ir_measures could not compute {names}: {type(exc).__name__}: {exc}".strip()) from exc
    return out
