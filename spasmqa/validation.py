"""Argument checks shared by the public entry points (clear errors up front)."""

from __future__ import annotations

import numpy as np

from .errors import InputError, InputTypeError

__all__ = ["check_choice", "check_k", "check_question", "check_workers"]


def check_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise InputTypeError(f"k must be a positive integer, got {type(k).__name__} {k!r}")
    if k < 1:
        raise InputError(f"k must be >= 1, got {k}")
    return int(k)


def check_question(q: object, where: str = "question") -> str:
    if not isinstance(q, str):
        raise InputTypeError(f"{where} must be a string, got {type(q).__name__}")
    if not q.strip():
        raise InputError(f"{where} is empty or only white space")
    return q


def check_workers(workers: object) -> int:
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)):
        raise InputTypeError(f"workers must be a positive integer, got {type(workers).__name__} {workers!r}")
    if not 1 <= workers <= 1024:
        raise InputError(f"workers must be between 1 and 1024, got {workers}")
    return int(workers)


def check_choice(name: str, value: object, choices: tuple) -> object:
    if value not in choices:
        raise InputError(f"{name} must be one of {choices}, got {value!r}")
    return value
