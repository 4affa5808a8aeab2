"""The sparse term index: TF-IDF (scikit-learn) or BM25 weights over units.

A *unit* is what gets scored: a distinct sentence passage, or a whole
document. The index keeps term counts and weights in one inverted layout,
a CSR matrix of shape ``(n_terms, n_units)`` whose row ``t`` is the postings
list of term ``t``. Scoring a batch of questions is one sparse product
``Q @ P`` that touches only the postings of the questions' terms, followed by
a partial sort per question; there is no Python loop over units.

Ties are broken by unit number (earlier in corpus order first), so the same
input always gives the same ranking.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer

__all__ = ["QUERY_BLOCK", "TermIndex", "top_k_rows", "Weighting"]

Weighting = Literal["tfidf", "bm25"]
QUERY_BLOCK = 256  # questions scored per sparse product; bounds memory


def _count_block(
    token_lists: Iterable[Sequence[str]], vocabulary: dict[str, int], grow: bool
) -> sp.csr_matrix:
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


def _widen(m: sp.csr_matrix, n_cols: int) -> sp.csr_matrix:
    """The same rows with more (empty) columns."""
    return sp.csr_matrix((m.data, m.indices, m.indptr), shape=(m.shape[0], n_cols))


def _ForwardView(counts: sp.csr_matrix) -> sp.csc_matrix:
    """``counts`` (terms x units, CSR) seen as (units x terms) without copying."""
    return sp.csc_matrix((counts.data, counts.indices, counts.indptr), shape=(counts.shape[1], counts.shape[0]))


def _stack_rows(blocks: list[sp.csr_matrix], n_cols: int) -> sp.csr_matrix:
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


def _column_sums(values: np.ndarray, like: sp.csr_matrix, n_cols: int) -> np.ndarray:
    """Per-column sums of a matrix with ``like``'s pattern and ``values`` as data.

    A sparse mat-vec instead of ``np.bincount(weights=...)``, which would make
    a float64 copy of ``values``.
    """
    m = sp.csr_matrix((values, like.indices, like.indptr), shape=(like.shape[0], n_cols))
    return np.asarray(m.T @ np.ones(like.shape[0], dtype=values.dtype)).ravel()


def top_k_rows(scores: sp.csr_matrix, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Top ``k`` (column, value) of each row of a sparse score matrix.

    Only stored, positive entries count. Order: score descending, then column
    ascending (the documented tie rule).
    """
    out = []
    indptr, indices, data = scores.indptr, scores.indices, scores.data
    for r in range(scores.shape[0]):
        lo, hi = indptr[r], indptr[r + 1]
        cols, vals = indices[lo:hi], data[lo:hi]
        keep = vals > 0
        cols, vals = cols[keep], vals[keep]
        if len(vals) > k:
            # Partial sort: take everything >= the k-th largest value so that
            # ties at the boundary are resolved by the tie rule, not by
            # argpartition's arbitrary choice.
            kth = np.partition(vals, len(vals) - k)[len(vals) - k]
            sel = vals >= kth
            cols, vals = cols[sel], vals[sel]
        order = np.lexsort((cols, -vals))[:k]
        out.append((cols[order].astype(np.int64), vals[order].astype(np.float64)))
    return out


class TermIndex:
    """Sparse inverted index with TF-IDF or BM25 weighting.

    Parameters
    ----------
    weighting : {"tfidf", "bm25"}, default="tfidf"
        ``"tfidf"``: scikit-learn's ``TfidfTransformer`` weights (smooth idf,
        L2-normalised units and questions), so scores are cosine similarities
        in ``[0, 1]``. ``"bm25"``: Okapi BM25 with Lucene's idf
        ``log(1 + (N - df + 0.5) / (df + 0.5))``; a question's score is the
        sum over its terms (repeated terms count repeatedly).
    k1, b : float, default=1.2, 0.75
        BM25 parameters (ignored for TF-IDF).
    sublinear_tf : bool, default=False
        TF-IDF only: use ``1 + log(tf)`` instead of raw counts.
    pivot_slope : float in [0, 1], default=1.0
        TF-IDF only: each unit's weights are divided by
        ``(1 - slope) * pivot + slope * norm``, where ``norm`` is its L2 norm
        and ``pivot`` the mean norm (Singhal et al., 1996). 1.0 is cosine
        normalisation, exactly as scikit-learn; lower slopes penalise long
        units less; 0 applies no length normalisation.
    dtype : numpy dtype, default=numpy.float32
        Dtype of the stored weights.

    Attributes
    ----------
    vocabulary_ : dict[str, int]
        Term to row number of the postings matrix.
    counts_ : scipy.sparse.csr_matrix, shape (n_terms, n_units)
        Term counts in the inverted layout.
    postings_ : scipy.sparse.csr_matrix, shape (n_terms, n_units)
        Weights, same sparsity pattern as ``counts_``.
    idf_ : ndarray of shape (n_terms,)

    Examples
    --------
    >>> from spasmqa.analysis import Analyzer
    >>> a = Analyzer()
    >>> index = TermIndex().fit([a("back spasms hurt"), a("drink water")])
    >>> [(int(i), round(float(s), 3)) for i, s in zip(*index.search([a("spasm")], k=5)[0])]
    [(0, 0.577)]
    """

    def __init__(
        self,
        *,
        weighting: Weighting = "tfidf",
        k1: float = 1.2,
        b: float = 0.75,
        sublinear_tf: bool = False,
        pivot_slope: float = 1.0,
        dtype: type = np.float32,
    ) -> None:
        self.weighting = weighting
        self.k1 = k1
        self.b = b
        self.sublinear_tf = sublinear_tf
        self.pivot_slope = pivot_slope
        self.dtype = dtype

    # -- validation -------------------------------------------------------
    def _validate(self) -> None:
        if self.weighting not in ("tfidf", "bm25"):
            raise ValueError(f"weighting must be 'tfidf' or 'bm25', got {self.weighting!r}")
        for name, value, lo, hi in (("k1", self.k1, 0.0, float("inf")), ("b", self.b, 0.0, 1.0),
                                    ("pivot_slope", self.pivot_slope, 0.0, 1.0)):
            if not isinstance(value, (int, float)) or not (lo <= float(value) <= hi):
                raise ValueError(f"{name} must be a number in [{lo}, {hi}], got {value!r}")

    def get_params(self) -> dict[str, object]:
        return {
            "weighting": self.weighting,
            "k1": float(self.k1),
            "b": float(self.b),
            "sublinear_tf": bool(self.sublinear_tf),
            "pivot_slope": float(self.pivot_slope),
            "dtype": np.dtype(self.dtype).name,
        }

    # -- building ---------------------------------------------------------
    def fit(self, token_lists: Iterable[Sequence[str]], *, block_size: int = 100_000) -> TermIndex:
        """Build the index from analysed units (lists of terms).

        Units are consumed in blocks of ``block_size``, so ``token_lists`` may
        be a generator over a corpus larger than memory would allow as lists.
        """
        self._validate()
        self.vocabulary_: dict[str, int] = {}
        blocks = []
        batch: list[Sequence[str]] = []
        for tokens in token_lists:
            batch.append(tokens)
            if len(batch) >= block_size:
                blocks.append(_count_block(batch, self.vocabulary_, grow=True))
                batch = []
        if batch or not blocks:
            blocks.append(_count_block(batch, self.vocabulary_, grow=True))
        n_terms = len(self.vocabulary_)
        forward = _stack_rows(blocks, n_terms)  # empties `blocks` as it copies
        # CSC of (units x terms) *is* the inverted layout: reinterpret it as
        # CSR of (terms x units) instead of transposing a second time.
        inverted = forward.tocsc()
        del forward
        self._set_counts(sp.csr_matrix((inverted.data, inverted.indices, inverted.indptr),
                                       shape=(n_terms, inverted.shape[0])))
        return self

    def add(self, token_lists: Iterable[Sequence[str]]) -> TermIndex:
        """Append units without re-analysing existing ones.

        Existing units keep their numbers; new terms get new rows; weights
        (idf, average length) are recomputed from the stored counts.
        """
        new = _count_block(list(token_lists), self.vocabulary_, grow=True)
        n_terms = len(self.vocabulary_)
        old = self.counts_
        # Growing the vocabulary appends empty postings rows to the old part.
        old = sp.csr_matrix(
            (old.data, old.indices, np.concatenate([old.indptr, np.full(n_terms - old.shape[0], old.indptr[-1])])),
            shape=(n_terms, old.shape[1]),
        )
        self._set_counts(sp.hstack([old, _widen(new, n_terms).T.tocsr()], format="csr"))
        return self

    def _set_counts(self, counts: sp.csr_matrix) -> None:
        counts.sum_duplicates()
        counts.indices = counts.indices.astype(np.int32, copy=False)
        self.counts_ = counts
        self.terms_ = sorted(self.vocabulary_, key=self.vocabulary_.__getitem__)
        self._compute_weights()

    def _compute_weights(self) -> None:
        # Written for memory: at 10^7 postings every float64 temporary costs
        # 80 MB, so weights are computed in place in the index dtype, and the
        # weight matrix shares its index arrays with the count matrix.
        counts = self.counts_
        n_terms, n_units = counts.shape
        dtype = np.dtype(self.dtype)
        postings_per_term = np.diff(counts.indptr)
        df = postings_per_term.astype(np.float64)
        self.doc_freq_ = postings_per_term.astype(np.int64)
        self.unit_length_ = _column_sums(counts.data.astype(np.float64), counts, n_units)
        data = counts.data.astype(dtype)  # tf
        if self.weighting == "tfidf":
            # scikit-learn's TfidfTransformer owns the idf formula and weights
            # questions; units are weighted with the same formula here, in the
            # inverted layout (the oracle test compares with TfidfVectorizer).
            self._tfidf = TfidfTransformer(norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=self.sublinear_tf)
            if n_terms:
                self._tfidf.fit(_ForwardView(counts) if n_units else sp.csr_matrix((1, n_terms)))
                self.idf_ = self._tfidf.idf_
            else:  # nothing to weigh; every question scores nothing
                self.idf_ = np.zeros(0)
            if self.sublinear_tf:
                np.log(data, out=data)
                data += 1
            data *= np.repeat(self.idf_.astype(dtype), postings_per_term)
            norms = np.sqrt(_column_sums(data * data, counts, n_units))
            norms[norms == 0] = 1.0
            if self.pivot_slope < 1.0:
                # Pivoted normalisation (Singhal et al. 1996): divide by a
                # length that grows more slowly than the unit's L2 norm,
                # pivoting around the average norm, so long units are not
                # penalised as much as under cosine normalisation.
                has_terms = self.unit_length_ > 0
                pivot = norms[has_terms].mean() if has_terms.any() else 1.0
                norms = (1.0 - self.pivot_slope) * pivot + self.pivot_slope * norms
            data /= norms.astype(dtype)[counts.indices]
        else:
            self.idf_ = np.log1p((n_units - df + 0.5) / (df + 0.5))
            avgdl = float(self.unit_length_.mean()) if n_units else 1.0
            # w = idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))
            denom = self.unit_length_.astype(dtype)[counts.indices]
            denom *= self.k1 * self.b / max(avgdl, 1e-12)
            denom += self.k1 * (1.0 - self.b)
            denom += data
            data *= self.k1 + 1.0
            data /= denom
            del denom
            data *= np.repeat(self.idf_.astype(dtype), postings_per_term)
        self.postings_ = sp.csr_matrix((data, counts.indices, counts.indptr), shape=counts.shape)
        self._forward = None
        self._forward_lock = threading.Lock()

    # -- scoring ----------------------------------------------------------
    @property
    def n_units(self) -> int:
        return int(self.counts_.shape[1])

    def query_matrix(
        self,
        token_lists: Sequence[Sequence[str]],
        extra: Sequence[Mapping[str, float]] | None = None,
        *,
        like: Sequence[Sequence[str]] | None = None,
        norms: np.ndarray | None = None,
    ) -> sp.csr_matrix:
        """Question vectors, shape ``(n_questions, n_terms)``.

        ``extra`` optionally gives, per question, expansion terms with weights
        relative to one occurrence of a question term; they are weighted
        (idf, normalisation) exactly as the question's own terms. With
        ``like``, the normalisation is that of those questions instead (to
        weigh extra terms on their own, on the scale of the questions); with
        ``norms`` (from :meth:`extra_norms`), it is given per row.
        """
        n_terms = len(self.vocabulary_)
        q = _count_block(token_lists, self.vocabulary_, grow=False)
        q = sp.csr_matrix((q.data, q.indices, q.indptr), shape=(q.shape[0], n_terms))
        e = self._extra_matrix(extra, q.shape) if extra is not None and any(extra) else None
        if self.weighting == "tfidf" and n_terms:
            if e is not None:
                e = e.multiply(self.idf_).tocsr()
                if norms is None:
                    norms = self._norms(token_lists if like is None else like, e)
                e = sp.diags(1.0 / np.asarray(norms, dtype=np.float64)) @ e
            q = self._tfidf.transform(q)
        if e is not None:
            q = q + e
        return sp.csr_matrix(q, dtype=self.dtype)

    def extra_norms(self, token_lists: Sequence[Sequence[str]], extra: Sequence[Mapping[str, float]]) -> np.ndarray:
        """The norm :meth:`query_matrix` divides each question's extra terms by."""
        if self.weighting != "tfidf" or not len(self.vocabulary_):
            return np.ones(len(token_lists))
        e = self._extra_matrix(extra, (len(token_lists), len(self.vocabulary_))).multiply(self.idf_).tocsr()
        return self._norms(token_lists, e)

    def _extra_matrix(self, extra: Sequence[Mapping[str, float]], shape: tuple[int, int]) -> sp.csr_matrix:
        rows, cols, vals = [], [], []
        for r, terms in enumerate(extra):
            for t, w in terms.items():
                c = self.vocabulary_.get(t)
                if c is not None and w > 0:
                    rows.append(r)
                    cols.append(c)
                    vals.append(float(w))
        return sp.csr_matrix((vals, (rows, cols)), shape=shape)

    def _norms(self, token_lists: Sequence[Sequence[str]], e: sp.csr_matrix) -> np.ndarray:
        """The norm the transformer divides each question by (to put extra
        terms, already idf-weighted in ``e``, on the same scale)."""
        n_terms = len(self.vocabulary_)
        counts = _count_block(token_lists, self.vocabulary_, grow=False)
        raw = sp.csr_matrix(counts, shape=(counts.shape[0], n_terms), dtype=np.float64)
        if self.sublinear_tf:
            raw.data = 1.0 + np.log(raw.data)
        raw = raw.multiply(self.idf_).tocsr()
        norms = np.sqrt(np.asarray(raw.multiply(raw).sum(axis=1)).ravel())
        # A question with no known term of its own ("physio"): its
        # expansion stands in for it, normalised on its own.
        e_norms = np.sqrt(np.asarray(e.multiply(e).sum(axis=1)).ravel())
        norms = np.where(norms > 0, norms, e_norms)
        norms[norms == 0] = 1.0
        return norms

    def score(self, token_lists: Sequence[Sequence[str]]) -> sp.csr_matrix:
        """Sparse scores, shape ``(n_questions, n_units)``; zeros not stored."""
        return (self.query_matrix(token_lists) @ self.postings_).tocsr()

    def search(self, token_lists: Sequence[Sequence[str]], k: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Top ``k`` units for each analysed question.

        Returns a list with one ``(unit_numbers, scores)`` pair per question,
        best first; questions that share no term with the index get empty
        arrays.
        """
        results: list[tuple[np.ndarray, np.ndarray]] = []
        for lo in range(0, len(token_lists), QUERY_BLOCK):
            block = token_lists[lo:lo + QUERY_BLOCK]
            results.extend(top_k_rows(self.score(block), k))
        return results

    def forward(self) -> sp.csr_matrix:
        """Row-normalised unit vectors ``(n_units, n_terms)``, for similarity
        between units (near-duplicates, diversity). Built on first use."""
        with self._forward_lock:
            if self._forward is None:
                f = self.postings_.T.tocsr().astype(np.float64)
                norms = np.sqrt(np.asarray(f.multiply(f).sum(axis=1)).ravel())
                norms[norms == 0] = 1.0
                self._forward = sp.diags(1.0 / norms) @ f
                self._forward = self._forward.tocsr()
            return self._forward
