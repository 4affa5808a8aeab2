"""Top-k selection with the documented tie rule: score descending, then unit ascending."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["top_k", "top_k_rows"]


def top_k_rows(scores: sp.csr_matrix, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Top ``k`` (column, value) of each row of a sparse score matrix.

    Only stored, positive entries count. Order: score descending, then column
    ascending (the documented tie rule).
    """
    indptr, indices, data = scores.indptr, scores.indices, scores.data
    return [top_k(indices[indptr[r]:indptr[r + 1]], data[indptr[r]:indptr[r + 1]], k)
            for r in range(scores.shape[0])]


def top_k(cols: np.ndarray, vals: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` positive (column, value) pairs: value descending, then column ascending."""
    n = len(vals)
    if n > k:
        # Partial sort: take everything >= the k-th largest value so that
        # ties at the boundary are resolved by the tie rule, not by
        # argpartition's arbitrary choice. When fewer than k values are
        # positive, the k-th largest is not, and the positives are all kept.
        kth = np.partition(vals, n - k)[n - k]
        sel = vals >= kth if kth > 0 else vals > 0
    else:
        sel = vals > 0
    cols, vals = cols[sel], vals[sel]
    order = np.lexsort((cols, -vals))[:k]
    return cols[order].astype(np.int64), vals[order].astype(np.float64)
