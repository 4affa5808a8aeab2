"""Term proximity: a candidate gains when the question's adjacent words are near each other in it.

"what causes lower back spasms" is answered by "Lower back spasms often
result from ...", where the question's words stand together, rather than by
a sentence that has "lower", "back" and "spasm" scattered over it. As in
sequential-dependence models and sloppy-phrase boosts, the question's
adjacent analysed terms form pairs ("lower back", "back spasm"); a pair
*occurs* in a passage when its two terms stand within ``window`` analysed
terms of each other, in either order. A candidate's share is the
idf-weighted fraction of the question's pairs that occur in it, and its
bonus is ``weight * share`` (so it lies in ``[0, weight]``).

Everything here is a pure function of the question's terms, the candidates'
terms and the idf of terms: it reorders a candidate list, so a sharded
index applies it after merging its shards' candidates, and ``explain``
recomputes a passage's bonus from its own text alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["proximity_bonus", "proximity_share", "question_pairs"]


def question_pairs(terms: Sequence[str]) -> list[tuple[str, str]]:
    """The question's adjacent term pairs, each once, in question order (a term
    next to itself is no pair)."""
    pairs = [(a, b) for a, b in zip(terms, terms[1:]) if a != b]
    return list(dict.fromkeys(pairs))


def _near(pa: list[int], pb: list[int], window: int) -> bool:
    """Some position of one term within ``window`` of some position of the other."""
    i = j = 0
    while i < len(pa) and j < len(pb):
        d = pa[i] - pb[j]
        if 0 < abs(d) <= window:
            return True
        if d < 0:
            i += 1
        else:
            j += 1
    return False


def proximity_share(pairs: Sequence[tuple[str, str]], weights: Sequence[float], terms: Sequence[str],
                    window: int) -> float:
    """The weighted share (in [0, 1]) of ``pairs`` whose terms stand within
    ``window`` positions of each other in ``terms``."""
    total = float(sum(weights))
    if not pairs or total <= 0:
        return 0.0
    positions: dict[str, list[int]] = {}
    for i, t in enumerate(terms):
        positions.setdefault(t, []).append(i)
    got = sum(w for (a, b), w in zip(pairs, weights)
              if a in positions and b in positions and _near(positions[a], positions[b], window))
    return min(1.0, float(got) / total)


def proximity_bonus(question_terms: Sequence[str], candidates: Sequence[Sequence[str]],
                    idf: Callable[[str], float], window: int, weight: float) -> np.ndarray:
    """Each candidate's bonus, ``weight`` times its share of the question's
    pairs (float64, all >= 0); a pair weighs the sum of its terms' idf."""
    out = np.zeros(len(candidates))
    pairs = question_pairs(question_terms)
    if weight <= 0 or not pairs:
        return out
    weights = [idf(a) + idf(b) for a, b in pairs]
    for i, terms in enumerate(candidates):
        out[i] = weight * proximity_share(pairs, weights, terms, window)
    return out
