"""Context flow, place by place: what a passage gains from its heading and its antecedent.

A *place* is one occurrence of a unit that has context: a heading above it
(at most ``heading_scope`` passages up) or a sentence it refers back to
("This muscle ..."). In one place a passage with its own score ``b``, under
a heading whose own score is ``H`` and after an antecedent whose own score
is ``A`` (0 where there is none), gains the larger of

* a share of its heading's score, ``w_h * H``, and
* part of the way towards its antecedent, ``w_a * max(0, A - b)``,

with weights in [0, 1], so the bonus never exceeds the best
context it has in that place, and a passage that refers back never passes
its antecedent. A unit that occurs in many places gains its *best* place's
bonus, never a sum over places: a sentence repeated on ten pages ranks as it
would on one (and a sharded index, whose places are spread over shards,
gets the same score as the maximum of the shards' maxima).

:func:`place_bonus` is the formula (a pure function over arrays, used by
both scorers and by ``explain``); :class:`ContextPlaces` holds the places of
one segment and finds those a question's scored units can reach.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .counts import row_positions
from .table import PassageTable

__all__ = ["NO_PLACES", "ContextPlaces", "PlaceScores", "best_per_unit", "place_bonus"]

_EMPTY = np.zeros(0, dtype=np.int64)


def place_bonus(own: np.ndarray, heading: np.ndarray, antecedent: np.ndarray, heading_weight: float,
                anaphora_weight: float) -> np.ndarray:
    """The bonus of each place (float64): the larger of the heading's share and
    the way towards the antecedent (weights in [0, 1], as the settings' rules require)."""
    towards = np.maximum(antecedent - own, 0.0)
    towards *= anaphora_weight
    return np.maximum(heading_weight * heading, towards, out=towards)


def best_per_unit(units: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unit, maximum value) per distinct unit, units ascending."""
    if len(units) == 0:
        return _EMPTY, np.zeros(0)
    order = np.argsort(units, kind="stable")
    units, values = units[order], values[order]
    starts = np.flatnonzero(np.r_[True, units[1:] != units[:-1]])
    return units[starts], np.maximum.reduceat(values, starts)


def _by_source(sources: np.ndarray, places: np.ndarray, n_units: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR (indptr, place numbers) of the places each source unit reaches."""
    keep = sources >= 0
    src, pl = sources[keep], places[keep]
    order = np.argsort(src, kind="stable")
    indptr = np.zeros(n_units + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n_units), out=indptr[1:])
    return indptr, pl[order]


@dataclass(frozen=True)
class PlaceScores:
    """Context bonuses of one question: per place with a bonus, its occurrence, unit and bonus."""

    occ: np.ndarray
    unit: np.ndarray
    bonus: np.ndarray


#: No place has a bonus.
NO_PLACES = PlaceScores(_EMPTY, _EMPTY, np.zeros(0))


class ContextPlaces:
    """The places of a segment where context can flow, with the units they depend on.

    Parameters
    ----------
    table : PassageTable
    heading_weight, anaphora_weight : float
        How far a passage moves towards its heading's (antecedent's) score;
        0 turns that kind of context off.
    heading_scope : int
        How many passages below a heading it still counts as their context.
    """

    def __init__(self, table: PassageTable, heading_weight: float, anaphora_weight: float,
                 heading_scope: int) -> None:
        n_occ, n_units = table.n_passages, table.n_units
        heading_of = np.full(n_occ, -1, dtype=np.int64)
        antecedent_of = np.full(n_occ, -1, dtype=np.int64)
        if heading_weight > 0:
            o, h = table.heading_places(heading_scope)
            heading_of[o] = table.occ_unit[h]
        if anaphora_weight > 0:
            o = table.anaphora_places()
            antecedent_of[o] = table.occ_unit[o - 1]
        occ = np.flatnonzero((heading_of >= 0) | (antecedent_of >= 0))
        self.heading_weight = float(heading_weight)
        self.anaphora_weight = float(anaphora_weight)
        self.occ = occ
        self.target = table.occ_unit[occ].astype(np.int64)
        self.doc = table.occ_doc[occ]
        self.heading = heading_of[occ]
        self.antecedent = antecedent_of[occ]
        places = np.arange(len(occ), dtype=np.int64)
        self._from_heading = _by_source(self.heading, places, n_units)
        self._from_antecedent = _by_source(self.antecedent, places, n_units)
        self._is_source = (np.diff(self._from_heading[0]) > 0) | (np.diff(self._from_antecedent[0]) > 0)

    def __len__(self) -> int:
        return len(self.occ)

    def reachable(self, units: np.ndarray) -> np.ndarray:
        """Places whose heading or antecedent is among ``units`` (distinct, any order); ascending."""
        if len(self.occ) == 0 or len(units) == 0:
            return _EMPTY
        units = units[self._is_source[units]]  # most scored units are nobody's heading or antecedent
        found = []
        for indptr, places in (self._from_heading, self._from_antecedent):
            pos, _ = row_positions(indptr, units)
            found.append(places[pos])
        return np.unique(np.concatenate(found))

    def bonuses(self, places: np.ndarray, base: Callable[[np.ndarray], np.ndarray],
                doc_mask: np.ndarray | None = None) -> PlaceScores:
        """The bonus at each of ``places``; ``base(units)`` gives units' own scores
        (float64). Places in documents a filter rejects, and places without a bonus,
        are left out."""
        if doc_mask is not None and len(places):
            places = places[doc_mask[self.doc[places]]]
        if len(places) == 0:
            return NO_PLACES
        h, a = self.heading[places], self.antecedent[places]
        target = self.target[places]
        hs = np.where(h >= 0, base(np.maximum(h, 0)), 0.0)
        as_ = np.where(a >= 0, base(np.maximum(a, 0)), 0.0)
        bonus = place_bonus(base(target), hs, as_, self.heading_weight, self.anaphora_weight)
        keep = bonus > 0
        return PlaceScores(self.occ[places[keep]], target[keep], bonus[keep])
