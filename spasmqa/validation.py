"""Argument checks shared by the public entry points (clear errors up front)."""

from __future__ import annotations

import numpy as np

__all__ = ["check_k", "check_question"]


def check_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"k must be a positive integer, got {type(k).__name__} {k!r}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    return int(k)


def check_question(q: object, where: str = "question") -> str:
    if not isinstance(q, str):
        raise TypeError(f"{where} must be a string, got {type(q).__name__}")
    if not q.strip():
        raise ValueError(f"{where} is empty or only white space")
    return q
