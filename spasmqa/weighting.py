"""Term weighting formulas, each a small pure function over numpy arrays.

The index (:mod:`spasmqa.index`) applies them to its postings with
collection statistics passed in, so a segment of a larger collection weighs
its postings exactly as the whole collection would.
"""

from __future__ import annotations

import numpy as np

__all__ = ["bm25_idf", "bm25_tf", "tfidf_idf", "tfidf_query", "sublinear"]


def tfidf_idf(doc_freq: np.ndarray, n_units: int) -> np.ndarray:
    """scikit-learn's smooth idf: ``ln((1 + N) / (1 + df)) + 1`` (float64).

    The same operations as ``TfidfTransformer(smooth_idf=True)``, so scores
    equal ``TfidfVectorizer``'s (oracle-tested).
    """
    df = doc_freq.astype(np.float64) + 1.0
    return np.log((n_units + 1.0) / df) + 1.0


def bm25_idf(doc_freq: np.ndarray, n_units: int) -> np.ndarray:
    """Lucene's BM25 idf: ``ln(1 + (N - df + 0.5) / (df + 0.5))`` (float64)."""
    df = doc_freq.astype(np.float64)
    return np.log1p((n_units - df + 0.5) / (df + 0.5))


def sublinear(tf: np.ndarray) -> np.ndarray:
    """``1 + ln(tf)`` in place (tf >= 1); returns ``tf``."""
    np.log(tf, out=tf)
    tf += 1
    return tf


def bm25_tf(tf: np.ndarray, unit_length: np.ndarray, avgdl: float, k1: float, b: float) -> np.ndarray:
    """BM25's saturated term frequency ``tf (k1 + 1) / (tf + k1 (1 - b + b dl / avgdl))``, in place.

    ``tf`` and ``unit_length`` are aligned per posting (same dtype); written
    for memory, since at 10^7 postings every float64 temporary costs 80 MB.
    """
    denom = unit_length
    denom *= k1 * b / max(avgdl, 1e-12)
    denom += k1 * (1.0 - b)
    denom += tf
    tf *= k1 + 1.0
    tf /= denom
    return tf


def tfidf_query(counts: np.ndarray, idf: np.ndarray, sublinear_tf: bool) -> np.ndarray:
    """L2-normalised tf-idf weights of one question's distinct terms (float64).

    ``counts`` are the question's term counts, ``idf`` the terms' idf; the
    same operations as ``TfidfTransformer.transform`` on one row.
    """
    w = counts.astype(np.float64)
    if sublinear_tf:
        sublinear(w)
    w *= idf
    norm = np.sqrt(np.dot(w, w))
    if norm > 0:
        w /= norm
    return w
