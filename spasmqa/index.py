"""The term index of one segment: counts, collection statistics, weights.

A *unit* is what gets scored: a distinct sentence passage, or a whole
document. :class:`TermIndex` keeps term counts in one inverted layout, a CSR
matrix of shape ``(n_terms, n_units)`` whose row ``t`` is the postings list
of term ``t``, and derives weights from them with the formulas of
:mod:`spasmqa.weighting`. Weights depend on collection statistics
(:class:`CollectionStats`: unit count, document frequencies, total length),
which default to the index's own but can be passed in, so a segment of a
larger collection is weighted as the whole collection would be.

Weighting parameters are not part of what is stored: :meth:`TermIndex.reweighted`
gives the same counts under other parameters without re-analysing anything.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from .counts import column_sums, count_rows, stack_rows
from .errors import InputError
from .settings import Params, check_option
from .topk import top_k, top_k_rows
from .weighting import bm25_idf, bm25_tf, neighbour_counts, sublinear, tfidf_idf

__all__ = ["CollectionStats", "MAX_NEIGHBOUR_UNITS", "QUERY_BLOCK", "TermIndex", "Weighting", "mean_norm", "top_k",
           "top_k_rows"]

#: Document expansion (``neighbours``) is quadratic in the number of units:
#: beyond this many it is refused rather than left to run for hours.
MAX_NEIGHBOUR_UNITS = 100_000

Weighting = Literal["tfidf", "bm25"]
QUERY_BLOCK = 256  # questions scored per sparse product; bounds memory


@dataclass(frozen=True)
class CollectionStats:
    """What weights need to know about the whole collection.

    ``doc_freq`` is indexed by the segment's term numbers. A sharded index
    computes these once over all shards (a sum per field) and passes them to
    every segment.
    """

    n_units: int
    doc_freq: np.ndarray
    total_length: float
    #: TF-IDF with ``pivot_slope < 1``: the mean unit norm of the whole
    #: collection (it depends on the weighting parameters, so a sharded
    #: index computes it when it weighs its shards); None: the segment's own.
    norm_pivot: float | None = None

    @property
    def avgdl(self) -> float:
        return self.total_length / self.n_units if self.n_units else 1.0


def mean_norm(norms: np.ndarray, has_terms: np.ndarray) -> float:
    """The pivot of pivoted normalisation: the mean norm of the units that have terms."""
    return float(norms[has_terms].mean()) if has_terms.any() else 1.0


class TermIndex(Params):
    """Sparse inverted index with TF-IDF or BM25 weighting.

    Parameters
    ----------
    weighting : {"tfidf", "bm25"}, default="tfidf"
        ``"tfidf"``: scikit-learn's ``TfidfTransformer`` idf (smooth idf,
        L2-normalised questions), so with ``pivot_slope=1`` scores are cosine
        similarities in ``[0, 1]``. ``"bm25"``: Okapi BM25 with Lucene's idf
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
    neighbours, neighbour_weight : int, float, default=0, 0.75
        Document expansion: units' counts gain their ``neighbours`` most
        similar units' terms (see :func:`spasmqa.weighting.neighbour_counts`)
        before weighting (kept as ``expanded_counts_``); BM25 lengths and
        idf stay the units' own. ``postings_`` then holds more entries than
        ``counts_``. 0 turns it off; refused beyond
        :data:`MAX_NEIGHBOUR_UNITS` units.
    dtype : numpy dtype, default=numpy.float32
        Dtype of the stored weights.

    Attributes
    ----------
    vocabulary_ : dict[str, int]
        Term to row number of the postings matrix.
    terms_ : list of str
        The terms in row order.
    counts_ : scipy.sparse.csr_matrix, shape (n_terms, n_units)
        Term counts in the inverted layout.
    postings_ : scipy.sparse.csr_matrix, shape (n_terms, n_units)
        Weights, same sparsity pattern as ``counts_``.
    idf_ : ndarray of shape (n_terms,)
    stats_ : CollectionStats
        The statistics the weights were computed with.

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
        neighbours: int = 0,
        neighbour_weight: float = 0.75,
        dtype: Any = np.float32,
    ) -> None:
        self.weighting = weighting
        self.k1 = k1
        self.b = b
        self.sublinear_tf = sublinear_tf
        self.pivot_slope = pivot_slope
        self.neighbours = neighbours
        self.neighbour_weight = neighbour_weight
        self.dtype = dtype

    def _validate(self) -> None:
        for name in ("weighting", "k1", "b", "sublinear_tf", "pivot_slope", "neighbours", "neighbour_weight"):
            check_option(name, getattr(self, name))

    # -- building ---------------------------------------------------------
    def fit(self, token_lists: Iterable[Sequence[str]], *, block_size: int = 100_000) -> TermIndex:
        """Build the index from analysed units (lists of terms).

        Units are consumed in blocks of ``block_size``, so ``token_lists`` may
        be a generator over a corpus larger than memory would allow as lists.
        """
        self._validate()
        vocabulary: dict[str, int] = {}
        blocks = []
        batch: list[Sequence[str]] = []
        for tokens in token_lists:
            batch.append(tokens)
            if len(batch) >= block_size:
                blocks.append(count_rows(batch, vocabulary, grow=True))
                batch = []
        if batch or not blocks:
            blocks.append(count_rows(batch, vocabulary, grow=True))
        n_terms = len(vocabulary)
        forward = stack_rows(blocks, n_terms)  # empties `blocks` as it copies
        # CSC of (units x terms) *is* the inverted layout: reinterpret it as
        # CSR of (terms x units) instead of transposing a second time.
        inverted = forward.tocsc()
        del forward
        self.set_counts(vocabulary, sp.csr_matrix((inverted.data, inverted.indices, inverted.indptr),
                                                  shape=(n_terms, inverted.shape[0])))
        return self

    def add(self, token_lists: Iterable[Sequence[str]]) -> TermIndex:
        """A new index with units appended, without re-analysing existing ones.

        Existing units keep their numbers; new terms get new rows; weights
        (idf, average length) are recomputed from the stored counts. This
        index is left unchanged, so questions can go on using it meanwhile.
        """
        vocabulary = dict(self.vocabulary_)
        new = count_rows(list(token_lists), vocabulary, grow=True)
        n_terms = len(vocabulary)
        old = self.counts_
        # Growing the vocabulary appends empty postings rows to the old part.
        old = sp.csr_matrix(
            (old.data, old.indices, np.concatenate([old.indptr, np.full(n_terms - old.shape[0], old.indptr[-1])])),
            shape=(n_terms, old.shape[1]),
        )
        new = sp.csr_matrix((new.data, new.indices, new.indptr), shape=(new.shape[0], n_terms))
        return TermIndex(**self.get_params()).set_counts(vocabulary, sp.hstack([old, new.T.tocsr()], format="csr"))

    def set_counts(self, vocabulary: dict[str, int], counts: sp.csr_matrix,
                   stats: CollectionStats | None = None) -> TermIndex:
        """Install term counts (terms x units) and compute weights.

        ``stats`` gives collection statistics from outside (a sharded
        index); by default they are this index's own.
        """
        self._validate()
        counts.sum_duplicates()
        counts.indices = counts.indices.astype(np.int32, copy=False)
        self.vocabulary_ = vocabulary
        self.counts_ = counts
        self.terms_ = sorted(vocabulary, key=vocabulary.__getitem__)
        self.doc_freq_ = np.diff(counts.indptr).astype(np.int64)
        self.unit_length_ = column_sums(counts.data.astype(np.float64), counts, counts.shape[1])
        self.stats_ = stats if stats is not None else self.local_stats()
        self._compute_weights()
        return self

    def unit_norms(self, stats: CollectionStats, sublinear_tf: bool | None = None) -> np.ndarray:
        """TF-IDF: each unit's L2 norm under ``stats``' idf (and ``sublinear_tf``, by
        default this index's), before pivoting: what a sharded index averages over
        all shards for the collection's pivot."""
        return self._tfidf_weights(tfidf_idf(stats.doc_freq, stats.n_units), sublinear_tf)[1]

    def _tfidf_weights(self, idf: np.ndarray, sublinear_tf: bool | None = None,
                       counts: sp.csr_matrix | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(tf x idf per posting of ``counts`` (default: ``counts_``), each unit's L2 norm), in the index dtype."""
        counts = self.counts_ if counts is None else counts
        dtype = np.dtype(self.dtype)
        data = counts.data.astype(dtype)  # tf
        if self.sublinear_tf if sublinear_tf is None else sublinear_tf:
            sublinear(data)
        data *= np.repeat(idf.astype(dtype), np.diff(counts.indptr))
        norms = np.sqrt(column_sums(data * data, counts, counts.shape[1]))
        norms[norms == 0] = 1.0
        return data, norms

    def local_stats(self) -> CollectionStats:
        """This index's own collection statistics."""
        return CollectionStats(n_units=int(self.counts_.shape[1]), doc_freq=self.doc_freq_,
                               total_length=float(self.unit_length_.sum()))

    def reweighted(self, **params: Any) -> TermIndex:
        """The same counts under other weighting parameters (no re-analysis).

        Shares the count arrays with this index; returns ``self`` when
        nothing changes.
        """
        merged = {**self.get_params(), **params}
        if merged == self.get_params():
            return self
        other = TermIndex(**merged)
        other.set_counts(self.vocabulary_, self.counts_, self.stats_)
        return other

    def _compute_weights(self) -> None:
        # Written for memory: at 10^7 postings every float64 temporary costs
        # 80 MB, so weights are computed in place in the index dtype, and the
        # weight matrix shares its index arrays with the count matrix.
        counts, stats = self.counts_, self.stats_
        dtype = np.dtype(self.dtype)
        self.expanded_counts_ = None
        if self.neighbours > 0:
            if stats.n_units > MAX_NEIGHBOUR_UNITS:
                raise InputError(f"neighbours (document expansion) compares every unit with every other; "
                                 f"this index has {stats.n_units:,} units, more than the limit of "
                                 f"{MAX_NEIGHBOUR_UNITS:,}: set neighbours=0")
            counts = self.expanded_counts_ = neighbour_counts(
                counts, self.unit_length_, tfidf_idf(stats.doc_freq, stats.n_units), self.neighbours,
                self.neighbour_weight)
        postings_per_term = np.diff(counts.indptr)
        if self.weighting == "tfidf":
            self.idf_ = tfidf_idf(stats.doc_freq, stats.n_units)
            data, norms = self._tfidf_weights(self.idf_, counts=counts)
            self.unit_norm_ = norms  # before pivoting (replaced below, not changed in place)
            if self.pivot_slope < 1.0:
                # Pivoted normalisation (Singhal et al. 1996): divide by a
                # length that grows more slowly than the unit's L2 norm,
                # pivoting around the average norm, so long units are not
                # penalised as much as under cosine normalisation.
                pivot = (stats.norm_pivot if stats.norm_pivot is not None
                         else mean_norm(norms, self.unit_length_ > 0))
                norms = (1.0 - self.pivot_slope) * pivot + self.pivot_slope * norms
            data /= norms.astype(dtype)[counts.indices]
        else:
            data = counts.data.astype(dtype)  # tf
            self.idf_ = bm25_idf(stats.doc_freq, stats.n_units)
            lengths = self.unit_length_.astype(dtype)[counts.indices]
            bm25_tf(data, lengths, stats.avgdl, self.k1, self.b)
            del lengths
            data *= np.repeat(self.idf_.astype(dtype), postings_per_term)
        self.postings_ = sp.csr_matrix((data, counts.indices, counts.indptr), shape=counts.shape)
        self._forward: sp.csr_matrix | None = None
        self._forward_arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._forward_lock = threading.Lock()

    # -- serialising (a Dask worker receives indexes, as scikit-learn estimators can be sent) --
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        for name in ("_forward_lock", "_forward", "_forward_arrays"):  # a lock and caches: made again
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if "postings_" in state:
            self._forward = None
            self._forward_arrays = None
            self._forward_lock = threading.Lock()

    # -- scoring ----------------------------------------------------------
    @property
    def n_units(self) -> int:
        return int(self.counts_.shape[1])

    def query_matrix(self, token_lists: Sequence[Sequence[str]]) -> sp.csr_matrix:
        """Question vectors, shape ``(n_questions, n_terms)``, weighted as units are."""
        n_terms = len(self.vocabulary_)
        q = count_rows(token_lists, self.vocabulary_, grow=False)
        if self.weighting == "tfidf" and n_terms and q.nnz:
            data = q.data.astype(np.float64)
            if self.sublinear_tf:
                sublinear(data)
            data *= self.idf_[q.indices]
            rows = np.repeat(np.arange(q.shape[0]), np.diff(q.indptr))
            norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=q.shape[0]))
            norms[norms == 0] = 1.0
            data /= norms[rows]
            q = sp.csr_matrix((data, q.indices, q.indptr), shape=q.shape)
        return sp.csr_matrix(q, shape=(q.shape[0], n_terms), dtype=self.dtype)

    def question_terms(self, tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray, float]:
        """One question's known terms: (term ids ascending, float64 weights, norm).

        The weights are those of :meth:`query_matrix` before its cast to
        ``dtype``; ``norm`` is what TF-IDF divided them by (0 when the
        question has no known term; 1 for BM25).
        """
        get = self.vocabulary_.get
        counter: dict[int, int] = {}
        for i in map(get, tokens):
            if i is not None:
                counter[i] = counter.get(i, 0) + 1
        if not counter:
            return np.zeros(0, np.int64), np.zeros(0), 0.0
        ids = sorted(counter)
        tids = np.array(ids, dtype=np.int64)
        data = np.array([counter[i] for i in ids], dtype=np.float64)
        if self.weighting != "tfidf":
            return tids, data, 1.0
        if self.sublinear_tf:
            sublinear(data)
        data *= self.idf_[tids]
        norm = float(np.sqrt(sum(x * x for x in data.tolist())))  # sequential, as query_matrix's bincount
        if norm > 0:
            data /= norm
        return tids, data, norm

    def query_norms(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """Per question, the norm :meth:`query_matrix` divides its tf-idf by (1 for BM25, or none)."""
        n = len(token_lists)
        if self.weighting != "tfidf" or not self.vocabulary_:
            return np.ones(n)
        q = count_rows(token_lists, self.vocabulary_, grow=False)
        data = q.data.astype(np.float64)
        if self.sublinear_tf:
            sublinear(data)
        data *= self.idf_[q.indices]
        rows = np.repeat(np.arange(n), np.diff(q.indptr))
        return np.sqrt(np.bincount(rows, weights=data * data, minlength=n))

    def weigh_terms(self, rows: Sequence[Mapping[str, float]], norms: np.ndarray, dtype: Any = None) -> sp.csr_matrix:
        """Vectors of weighted extra terms (expansion): each ``{term: weight}``
        weighs ``weight`` times one occurrence of a question term, scaled by
        idf and divided by its row's ``norms`` entry for TF-IDF."""
        r_, c_, v_ = [], [], []
        for r, terms in enumerate(rows):
            for t, w in terms.items():
                c = self.vocabulary_.get(t)
                if c is not None and w > 0:
                    r_.append(r)
                    c_.append(c)
                    v_.append(float(w))
        m = sp.csr_matrix((v_, (r_, c_)), shape=(len(rows), len(self.vocabulary_)))
        if self.weighting == "tfidf" and self.vocabulary_:
            m = sp.diags(1.0 / np.asarray(norms, dtype=np.float64)) @ m.multiply(self.idf_).tocsr()
        return sp.csr_matrix(m, dtype=dtype or self.dtype)

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
            results.extend(top_k_rows(self.score(token_lists[lo:lo + QUERY_BLOCK]), k))
        return results

    def forward_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The unit-major layout of :meth:`forward` as arrays ``(indptr, terms, values)``."""
        arrays = self._forward_arrays
        if arrays is None:
            f = self.forward()
            arrays = self._forward_arrays = (f.indptr, f.indices, f.data)
        return arrays

    def forward(self) -> sp.csr_matrix:
        """Row-normalised unit vectors ``(n_units, n_terms)``, for similarity
        between units (near-duplicates, diversity). Built on first use."""
        with self._forward_lock:
            if self._forward is None:
                f = self.postings_.T.tocsr().astype(np.float64)
                norms = np.sqrt(np.asarray(f.multiply(f).sum(axis=1)).ravel())
                norms[norms == 0] = 1.0
                self._forward = (sp.diags(1.0 / norms) @ f).tocsr()
            return self._forward
