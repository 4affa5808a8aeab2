"""Term weighting formulas, each a small pure function over numpy arrays.

The index (:mod:`spasmqa.index`) applies them to its postings with
collection statistics passed in, so a segment of a larger collection weighs
its postings exactly as the whole collection would.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["bm25_idf", "bm25_tf", "neighbour_counts", "tfidf_idf", "tfidf_query", "sublinear"]


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


def neighbour_counts(counts: sp.csr_matrix, unit_length: np.ndarray, idf: np.ndarray, k: int, weight: float,
                     block: int = 1024) -> sp.csr_matrix:
    """Term counts (terms x units, float64) with each unit expanded by its ``k`` nearest neighbours.

    Document expansion (cluster smoothing; Tao et al., 2006; Kurland & Lee,
    2004): a unit's neighbours are the ``k`` other units with the highest
    cosine similarity of sublinear tf-idf vectors (``idf`` per term), and
    each term's count becomes ``tf + weight * length * sum_n s_n tf_n / length_n``,
    the neighbours' term distributions weighted by their shares ``s_n`` of
    the similarity, scaled to the unit's own length. Costs a similarity
    row per unit against all units (in blocks of ``block``): quadratic in
    the number of units.
    """
    n_units = counts.shape[1]
    fwd = counts.T.tocsr().astype(np.float64)  # units x terms
    if k <= 0 or weight <= 0 or n_units < 2 or fwd.nnz == 0:
        return counts.astype(np.float64)
    k = min(k, n_units - 1)
    vec = fwd.copy()
    sublinear(vec.data)
    vec.data *= idf[vec.indices]
    norms = np.sqrt(np.asarray(vec.multiply(vec).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    vec = (sp.diags(1.0 / norms) @ vec).tocsr()
    vec_t = vec.T.tocsr()
    cols = np.empty((n_units, k), dtype=np.int64)
    sims = np.empty((n_units, k))
    block = max(1, min(block, 2**24 // n_units))  # a block of similarity rows stays within 128 MB
    for lo in range(0, n_units, block):
        hi = min(lo + block, n_units)
        s = (vec[lo:hi] @ vec_t).toarray()
        s[np.arange(hi - lo), np.arange(lo, hi)] = -np.inf  # not its own neighbour
        top = np.argpartition(-s, k - 1, axis=1)[:, :k]
        cols[lo:hi], sims[lo:hi] = top, np.maximum(np.take_along_axis(s, top, axis=1), 0.0)
    total = sims.sum(axis=1, keepdims=True)
    shares = np.divide(sims, total, out=np.zeros_like(sims), where=total > 0)
    lengths = np.maximum(unit_length.astype(np.float64), 1.0)
    near = sp.csr_matrix((shares.ravel(), cols.ravel(), np.arange(0, n_units * k + 1, k)), shape=(n_units, n_units))
    spread = near @ (sp.diags(1.0 / lengths) @ fwd)  # units x terms: neighbours' term distributions
    expanded = (fwd + sp.diags(weight * unit_length.astype(np.float64)) @ spread).T.tocsr()
    expanded.indices = expanded.indices.astype(np.int32, copy=False)
    return expanded
