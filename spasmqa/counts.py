"""Term-count matrices (counting analysed units, stacking blocks) and gathering CSR rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import scipy.sparse as sp

__all__ = ["column_sums", "count_rows", "row_positions", "stack_rows"]


def count_rows(token_lists: Iterable[Sequence[str]], vocabulary: dict[str, int], grow: bool) -> sp.csr_matrix:
    """Term-count matrix (rows = token lists) over ``vocabulary``.

    With ``grow=True`` unseen terms get new column numbers (in order of first
    occurrence); otherwise they are ignored.
    """
    ids: list[int] = []
    indptr = [0]
    if grow:
        setdefault = vocabulary.setdefault
        for tokens in token_lists:
            ids.extend([setdefault(t, len(vocabulary)) for t in tokens])
            indptr.append(len(ids))
    else:
        get = vocabulary.get
        for tokens in token_lists:
            ids.extend([i for i in map(get, tokens) if i is not None])
            indptr.append(len(ids))
    cols = np.asarray(ids, dtype=np.int32)
    data = np.ones(len(cols), dtype=np.int32)
    m = sp.csr_matrix((data, cols, np.asarray(indptr, dtype=np.int64)), shape=(len(indptr) - 1, len(vocabulary)))
    m.sum_duplicates()  # also sorts indices
    return m


def stack_rows(blocks: list[sp.csr_matrix], n_cols: int) -> sp.csr_matrix:
    """Concatenate CSR row blocks, releasing each block once it is copied."""
    nnz = sum(b.nnz for b in blocks)
    n_rows = sum(b.shape[0] for b in blocks)
    data = np.empty(nnz, dtype=np.int32)
    indices = np.empty(nnz, dtype=np.int32)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    pos = row = 0
    while blocks:
        b = blocks.pop(0)
        data[pos:pos + b.nnz] = b.data
        indices[pos:pos + b.nnz] = b.indices
        indptr[row + 1:row + 1 + b.shape[0]] = b.indptr[1:] + pos
        pos += b.nnz
        row += b.shape[0]
        del b
    return sp.csr_matrix((data, indices, indptr), shape=(n_rows, n_cols))


def column_sums(values: np.ndarray, like: sp.csr_matrix, n_cols: int) -> np.ndarray:
    """Per-column sums of a matrix with ``like``'s pattern and ``values`` as data.

    A sparse mat-vec instead of ``np.bincount(weights=...)``, which would make
    a float64 copy of ``values``.
    """
    m = sp.csr_matrix((values, like.indices, like.indptr), shape=(like.shape[0], n_cols))
    return np.asarray(m.T @ np.ones(like.shape[0], dtype=values.dtype)).ravel()


def row_positions(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions in a CSR matrix's ``indices``/``data`` of the entries of ``rows``
    (concatenated, in row order), and each row's number of entries."""
    counts = indptr[rows + 1] - indptr[rows]
    return np.repeat(indptr[rows] - np.cumsum(counts) + counts, counts) + np.arange(counts.sum()), counts
