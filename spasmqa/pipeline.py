"""The question-answering pipeline: corpus -> passages -> index -> answers.

:class:`QA` is the public entry point. Building it splits every document into
passages, merges passages with the same text into one *unit* (remembering
every place it occurs), analyses each unit once and indexes it. Asking
retrieves candidate units, drops near-duplicates, and returns up to ``k``
distinct passages with their provenance.

The batch methods (:meth:`QA.ask_many`, :meth:`QA.search`) are the primary
path; :meth:`QA.ask` is a one-question convenience over ``ask_many``.
"""

from __future__ import annotations

import sys
import threading
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .analysis import Analyzer
from .answer import (
    Answer,
    Context,
    ContextView,
    Passage,
    Source,
    make_highlighter,
    normalize_text,
    passage_id,
)
from .corpus import Corpus, Document, PathLike, default_corpus_path, load_corpus
from .expansion import Expander, IntentTable, SynonymTable
from .index import QUERY_BLOCK, TermIndex, top_k_rows
from .passages import ANAPHOR, SentenceSplitter
from .runs import queries_table, rowwise_max
from .settings import Settings
from .validation import check_k, check_question

__all__ = ["QA", "Settings"]

# Occurrence fields and their array typecodes. Compact arrays rather than
# lists of Python ints: at 10^6 passages this saves hundreds of megabytes.
_OCC_FIELDS = {"doc": "i", "start": "q", "end": "q", "heading": "b", "fragment": "b", "anaphor": "b", "unit": "i"}


_OCC_DTYPES = {"doc": np.int32, "start": np.int64, "end": np.int64, "heading": bool, "fragment": bool,
               "anaphor": bool, "unit": np.int32}


def _occurrence_arrays() -> dict[str, array]:
    return {name: array(code) for name, code in _OCC_FIELDS.items()}
# A passage that opens by referring back to the one before it.



class _Progress:
    """tqdm when asked for (or on long work when ``progress=None``), else nothing."""

    def __init__(self, progress: bool | None, total: int, desc: str, threshold: int = 20_000):
        show = progress if progress is not None else total >= threshold
        self.bar = None
        if show:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=desc, unit="doc", file=sys.stderr, mininterval=0.5)

    def update(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class QA:
    """Question answering over a corpus, with provenance.

    Build one with :meth:`from_corpus` (files), :meth:`from_texts` (strings)
    or :meth:`load` (a saved index).

    Examples
    --------
    >>> import spasmqa
    >>> qa = spasmqa.QA.from_corpus()
    >>> ans = qa.ask("what causes lower back spasms", k=3)
    >>> p = ans.passages[0]
    >>> qa.corpus[p.doc_id].text[p.start:p.end] == p.text
    True
    """

    def __init__(self, corpus: Corpus, settings: Settings | None = None, *, progress: bool | None = None) -> None:
        if not isinstance(corpus, Corpus):
            raise TypeError(f"corpus must be a spasmqa.Corpus, got {type(corpus).__name__}; use QA.from_corpus(paths)")
        settings = settings or Settings()
        if settings.synonyms == "auto":
            default = str(default_corpus_path())
            uses_default = len(corpus) > 0 and all(d.path == default for d in corpus.values())
            settings = replace(settings, synonyms=uses_default)
        self.settings = settings
        self.corpus = corpus
        self._init_state()
        self._make_components()
        self.splitter_.fit(d.text for d in corpus.values())
        self._build(list(corpus.values()), progress)

    # -- construction -----------------------------------------------------
    @classmethod
    def from_corpus(
        cls,
        paths: PathLike | Sequence[PathLike] | None = None,
        *,
        strict: bool = False,
        progress: bool | None = None,
        **options: Any,
    ) -> QA:
        """Load documents and build the index.

        Parameters
        ----------
        paths : path, list of paths, or None
            Files and directories (see :func:`spasmqa.load_corpus`); ``None``
            is the default corpus shipped with spasmqa.
        strict : bool, default=False
            Fail on the first unloadable file inside a directory instead of
            reporting it in ``qa.corpus.problems``.
        progress : bool or None, default=None
            Show a progress bar; ``None`` shows one only for large corpora.
        **options
            Any field of :class:`Settings` (``weighting="bm25"``,
            ``unit="document"``, ``near_duplicate=0.9``, ...).
        """
        settings = Settings.from_options(options)
        corpus = load_corpus(paths, split=settings.split, strict=strict)
        return cls(corpus, settings, progress=progress)

    @classmethod
    def from_texts(
        cls, texts: Iterable[str], ids: Iterable[str] | None = None, *, progress: bool | None = None, **options: Any
    ) -> QA:
        """Build from Python strings (one document each)."""
        return cls(Corpus.from_texts(texts, ids), Settings.from_options(options), progress=progress)

    def _init_state(self) -> None:
        self._lock = threading.Lock()  # serialises add(); ask() takes no lock

    def save(self, path: PathLike, *, overwrite: bool = False) -> None:
        """Save the index to the directory ``path`` as arrays and JSON (see :mod:`spasmqa.storage`).

        Raises FileExistsError if ``path`` exists and ``overwrite`` is False.
        """
        from .storage import save_qa

        save_qa(self, path, overwrite=overwrite)

    @classmethod
    def load(cls, path: PathLike) -> QA:
        """Load an index saved with :meth:`save`.

        The files' checksums and the arrays' shapes and ranges are verified;
        a missing, truncated, edited or newer-format index raises
        :class:`spasmqa.IndexFormatError` (a ``ValueError``) naming the problem.
        """
        from .storage import load_qa

        return load_qa(path)

    def add(
        self,
        paths: PathLike | Sequence[PathLike] | None = None,
        *,
        texts: Iterable[str] | None = None,
        ids: Iterable[str] | None = None,
        strict: bool = False,
        progress: bool | None = None,
    ) -> int:
        """Add documents without re-analysing the ones already indexed.

        Give either ``paths`` (files and directories, loaded as in
        :meth:`from_corpus`) or ``texts`` (with optional ``ids``). Existing
        doc_ids, passage ids and unit numbers do not change; a passage whose
        text is already indexed gains a source. Weights (idf, lengths) are
        recomputed from the stored counts.

        Not to be called while other threads are in :meth:`ask`.

        Returns
        -------
        int
            The number of documents added.
        """
        if (paths is None) == (texts is None):
            raise TypeError("give either paths or texts to add()")
        new = Corpus.from_texts(texts, ids) if texts is not None else load_corpus(
            paths, split=self.settings.split, strict=strict)
        clash = [d for d in new if d in self.corpus.documents]
        if clash:
            raise ValueError(f"doc_id {clash[0]!r} is already in the index ({len(clash)} clash(es)); doc_ids must be unique")
        with self._lock:
            key_to_unit = {normalize_text(self._occ_text(int(o))): u for u, o in enumerate(self.unit_first_occ_)}
            n_units_before = len(key_to_unit)
            occ = _occurrence_arrays()
            first_occ: array = array("q")
            docs = list(new.values())
            token_lists = list(self._occurrences(docs, len(self.doc_ids_), key_to_unit, first_occ, occ, progress))
            assert len(key_to_unit) == n_units_before + len(token_lists)
            self.index_.add(token_lists)
            for doc in docs:
                self.corpus.add(doc)
            self.corpus.problems.extend(new.problems)
            self.doc_ids_ = self.doc_ids_ + [d.doc_id for d in docs]
            n_occ = self.n_passages
            merged = {name: np.concatenate([getattr(self, f"occ_{name}_"), np.asarray(occ[name], dtype=dtype)])
                      for name, dtype in _OCC_DTYPES.items()}
            self._set_arrays(merged, np.concatenate([self.unit_first_occ_, np.asarray(first_occ, dtype=np.int64) + n_occ]))
        return len(docs)

    def _make_components(self, tables: Mapping[str, str] | None = None) -> None:
        """Analyzer, splitter, index and expansion tables for the settings.

        ``tables`` overrides where the synonym/intent tables are read from
        (a saved index carries its own copies).
        """
        s = self.settings
        self.analyzer_ = Analyzer(stop_words=s.stop_words, stem=s.stem)
        self.splitter_ = SentenceSplitter(punkt=s.punkt, web_rules=s.web_rules)
        self.index_ = TermIndex(weighting=s.weighting, k1=s.k1, b=s.b, sublinear_tf=s.sublinear_tf,
                                pivot_slope=s.pivot_slope)
        synonyms = s.synonyms if tables is None else tables.get("synonyms", s.synonyms)
        intents = s.intents if tables is None else tables.get("intents", s.intents)
        self.synonyms_ = SynonymTable.load(None if synonyms is True else synonyms) if synonyms not in (False, "auto") else None
        self.intents_ = IntentTable.load(None if intents is True else intents) if intents else None
        self._make_expander()

    def _make_expander(self) -> None:
        s = self.settings
        self.expander_ = None
        if self.synonyms_ is not None or self.intents_ is not None:
            self.expander_ = Expander(self.analyzer_, synonyms=self.synonyms_, synonym_weight=s.synonym_weight,
                                      intents=self.intents_, intent_weight=s.intent_weight)

    def _spans(self, doc: Document) -> list[tuple[int, int, bool, bool]]:
        if self.settings.unit == "document":
            text = doc.text
            s, e = 0, len(text)
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            return [(s, e, False, False)] if s < e else []
        return [(sp_.start, sp_.end, sp_.heading, sp_.fragment) for sp_ in self.splitter_.split(doc.text)]

    def _occurrences(
        self, docs: list[Document], first_doc: int, key_to_unit: dict[str, int], new_units: list[int],
        occ: dict[str, list], progress: bool | None,
    ) -> Iterator[list[str]]:
        """Split documents, record every occurrence, yield terms of new units."""
        bar = _Progress(progress, len(docs), "indexing")
        analyze = self.analyzer_
        boost_title = self.settings.unit == "document" and self.settings.title_boost > 1
        try:
            for di, doc in enumerate(docs, start=first_doc):
                text = doc.text
                for s, e, heading, fragment in self._spans(doc):
                    piece = text[s:e]
                    key = normalize_text(piece)
                    u = key_to_unit.get(key)
                    if u is None:
                        u = len(key_to_unit)
                        key_to_unit[key] = u
                        new_units.append(len(occ["doc"]))
                        terms = analyze(piece)
                        if boost_title and doc.title:
                            terms = analyze(doc.title) * (self.settings.title_boost - 1) + terms
                        yield terms
                    occ["doc"].append(di)
                    occ["start"].append(s)
                    occ["end"].append(e)
                    occ["heading"].append(heading)
                    occ["fragment"].append(fragment)
                    occ["anaphor"].append(ANAPHOR.match(piece) is not None)
                    occ["unit"].append(u)
                bar.update()
        finally:
            bar.close()

    def _build(self, docs: list[Document], progress: bool | None) -> None:
        occ = _occurrence_arrays()
        key_to_unit: dict[str, int] = {}
        first_occ: array = array("q")
        self.index_.fit(self._occurrences(docs, 0, key_to_unit, first_occ, occ, progress))
        self.doc_ids_ = [d.doc_id for d in docs]
        self._set_arrays(occ, first_occ)
        if len(self.unit_first_occ_) == 0:
            raise ValueError(
                "the corpus is empty: no document contains any text"
                if len(docs) else "the corpus is empty: no documents were loaded"
            )

    def _set_arrays(self, occ: Mapping[str, list], first_occ: Sequence[int]) -> None:
        for name, dtype in _OCC_DTYPES.items():  # copies: never views of the build's buffers
            setattr(self, f"occ_{name}_", np.array(occ[name], dtype=dtype))
        self.unit_first_occ_ = np.array(first_occ, dtype=np.int64)
        self._derive()

    def _derive(self) -> None:
        """Lookup structures computed from the occurrence arrays."""
        n_units = len(self.unit_first_occ_)
        order = np.argsort(self.occ_unit_, kind="stable")  # occurrences of each unit, in corpus order
        self.unit_occ_indptr_ = np.concatenate([[0], np.cumsum(np.bincount(self.occ_unit_, minlength=n_units))])
        self.unit_occ_ = order
        self.unit_fragment_ = self.occ_fragment_[self.unit_first_occ_] if n_units else np.zeros(0, bool)
        self.unit_heading_ = self.occ_heading_[self.unit_first_occ_] if n_units else np.zeros(0, bool)
        # Index of the nearest heading at or before each occurrence in its document (-1: none).
        n = len(self.occ_doc_)
        idx = np.where(self.occ_heading_, np.arange(n), -1)
        last = np.maximum.accumulate(idx) if n else idx
        valid = (last >= 0) & (self.occ_doc_[np.clip(last, 0, None)] == self.occ_doc_) if n else last >= 0
        self.occ_heading_of_ = np.where(valid, last, -1)
        self.context_matrix_ = self._context_matrix()
        self.anaphora_matrix_ = self._anaphora_matrix()
        self._anaphora_in = (np.asarray(self.anaphora_matrix_.sum(axis=0)).ravel()
                             if self.anaphora_matrix_ is not None else None)

    def _context_matrix(self) -> sp.csr_matrix | None:
        """Sparse (n_units, n_units) heading matrix H: scores flow as ``S + S @ H``.

        ``H[h, u]`` is ``heading_weight`` when unit u occurs under heading h
        (within ``heading_scope`` passages). Where several places give a
        weight, it is capped at ``heading_weight``.
        """
        s = self.settings
        n = len(self.occ_doc_)
        if s.heading_weight <= 0 or n == 0:
            return None
        o = np.arange(n)
        h = self.occ_heading_of_
        ok = (h >= 0) & (h != o) & (o - h <= s.heading_scope) & ~self.occ_heading_
        return self._unit_links(self.occ_unit_[h[ok]], self.occ_unit_[ok], s.heading_weight)

    def _anaphora_matrix(self) -> sp.csr_matrix | None:
        """Sparse (n_units, n_units) matrix A: ``A[p, u]`` is ``anaphora_weight``
        when an occurrence of u refers back ("This muscle ...") to the
        passage p just before it. Fragments ("It.") refer to nothing."""
        s = self.settings
        n = len(self.occ_doc_)
        if s.anaphora_weight <= 0 or n < 2:
            return None
        o = np.flatnonzero(self.occ_anaphor_[1:]) + 1
        o = o[(self.occ_doc_[o - 1] == self.occ_doc_[o]) & ~self.occ_fragment_[o]]
        return self._unit_links(self.occ_unit_[o - 1], self.occ_unit_[o], s.anaphora_weight)

    def _unit_links(self, r: np.ndarray, c: np.ndarray, weight: float) -> sp.csr_matrix | None:
        n_units = len(self.unit_first_occ_)
        keep = r != c
        if not keep.any():
            return None
        m = sp.coo_matrix((np.full(int(keep.sum()), weight), (r[keep], c[keep])), shape=(n_units, n_units)).tocsr()
        m.sum_duplicates()
        np.minimum(m.data, weight, out=m.data)
        return m

    # -- provenance -------------------------------------------------------
    @property
    def n_passages(self) -> int:
        """Number of passage occurrences (before de-duplication)."""
        return len(self.occ_doc_)

    @property
    def n_units(self) -> int:
        """Number of distinct passages (or documents) indexed."""
        return len(self.unit_first_occ_)

    def _occ_text(self, o: int) -> str:
        doc = self.corpus.documents[self.doc_ids_[self.occ_doc_[o]]]
        return doc.text[self.occ_start_[o]:self.occ_end_[o]]

    def _source(self, o: int) -> Source:
        return Source(self.doc_ids_[self.occ_doc_[o]], int(self.occ_start_[o]), int(self.occ_end_[o]))

    def sources(self, unit: int) -> tuple[Source, ...]:
        """Every place unit ``unit`` occurs, in corpus order."""
        occs = self.unit_occ_[self.unit_occ_indptr_[unit]:self.unit_occ_indptr_[unit + 1]]
        return tuple(self._source(o) for o in occs)

    def context(self, o: int) -> Context:
        """Sentences before and after occurrence ``o``, and its heading."""
        d = self.occ_doc_[o]
        before = self._occ_text(o - 1) if o > 0 and self.occ_doc_[o - 1] == d else ""
        after = self._occ_text(o + 1) if o + 1 < len(self.occ_doc_) and self.occ_doc_[o + 1] == d else ""
        h = self.occ_heading_of_[o]
        heading = self._occ_text(h) if h >= 0 and h != o else None
        return Context(before=before, after=after, heading=heading)

    def in_context(self, passage: Passage | Source, sentences: int = 2) -> ContextView:
        """Show a passage (or any source of one) inside its document: up to
        ``sentences`` passages before and after it, the passage highlighted.

        The view displays as HTML in a notebook and as text in a terminal.
        """
        if not isinstance(passage, (Passage, Source)):
            raise TypeError(f"expected a Passage or Source, got {type(passage).__name__}")
        if isinstance(sentences, bool) or not isinstance(sentences, int) or sentences < 0:
            raise ValueError(f"sentences must be an integer >= 0, got {sentences!r}")
        doc = self.corpus[passage.doc_id]
        d = self.doc_ids_.index(passage.doc_id)
        occs = np.flatnonzero(self.occ_doc_ == d)
        here = occs[(self.occ_start_[occs] == passage.start) & (self.occ_end_[occs] == passage.end)]
        if len(here) == 0:
            raise ValueError(f"no passage at {passage.doc_id} [{passage.start}:{passage.end}]")
        i = int(np.searchsorted(occs, here[0]))
        lo = int(self.occ_start_[occs[max(0, i - sentences)]])
        hi = int(self.occ_end_[occs[min(len(occs) - 1, i + sentences)]])
        return ContextView(doc_id=doc.doc_id, text=doc.text[lo:hi], mark_start=passage.start - lo,
                           mark_end=passage.end - lo, offset=lo, path=doc.path)

    def passages_frame(self) -> pd.DataFrame:
        """Every passage occurrence: ``id, text, doc_id, start, end, unit, is_heading, is_fragment``."""
        texts = [self._occ_text(o) for o in range(self.n_passages)]
        return pd.DataFrame({
            "id": [passage_id(t) for t in texts],
            "text": texts,
            "doc_id": [self.doc_ids_[d] for d in self.occ_doc_],
            "start": self.occ_start_,
            "end": self.occ_end_,
            "unit": self.occ_unit_,
            "is_heading": self.occ_heading_,
            "is_fragment": self.occ_fragment_,
        })

    # -- scoring ----------------------------------------------------------
    def score(self, terms: Sequence[Sequence[str]], questions: Sequence[str] | None = None) -> sp.csr_matrix:
        """Sparse scores ``(n_questions, n_units)`` for analysed questions.

        Applies, as configured: synonym and intent expansion (needs the
        question texts), pseudo-relevance feedback, and context flow.
        """
        groups = cues = None
        if self.expander_ is not None and questions is not None:
            vocab = self.index_.vocabulary_
            groups, cues = zip(*[self.expander_.extra_terms(qt, t, vocab) for qt, t in zip(questions, terms)])
        scores = self._score_query(self.index_.query_matrix(terms))
        if groups is not None and any(groups):
            scores = (scores + self._synonym_scores(terms, groups)).tocsr()
        if cues is not None and any(cues) and scores.nnz:
            # Intent cues never make an answer on their own: they count only
            # for questions whose own terms (or synonyms) match something.
            # Within such a question they may lift a passage that states the
            # asked-for relation ("results from") without repeating the words.
            cue_q = self.index_.query_matrix([[] for _ in terms], cues, like=terms)
            answered = (np.diff(scores.indptr) > 0).astype(np.float64)
            cue_scores = sp.diags(answered) @ (cue_q @ self.index_.postings_)
            scores = (scores + cue_scores).tocsr()
        if scores.nnz and (self.context_matrix_ is not None or self.anaphora_matrix_ is not None):
            scores = self._context_flow(scores)
        return scores

    def _context_flow(self, scores: sp.csr_matrix) -> sp.csr_matrix:
        """Add what passages inherit from their heading and their antecedent.

        A passage under a heading adds ``heading_weight`` times the heading's
        score. A passage that refers back moves ``anaphora_weight`` of the
        way towards the score of the sentence it refers to, and never past
        it: ``own + w * max(0, antecedent - own)`` (summed over its places).
        So a reference can lift "This muscle runs ..." for a question about
        the muscle named before it, but can never make a document outscore
        its own best sentence; where sentences are aggregated per document
        (SciFact), document scores do not change.
        """
        out = scores
        if self.context_matrix_ is not None:
            out = out + scores @ self.context_matrix_
        if self.anaphora_matrix_ is not None:
            lead = (scores @ self.anaphora_matrix_ - scores.multiply(self._anaphora_in[None, :])).tocsr()
            np.maximum(lead.data, 0.0, out=lead.data)
            lead.eliminate_zeros()
            out = out + lead
        return sp.csr_matrix(out)

    def _synonym_scores(self, terms: Sequence[Sequence[str]],
                        groups: Sequence[Sequence[Sequence[Mapping[str, float]]]]) -> sp.csr_matrix:
        """Scores from synonym groups: per group, the best member a passage matches.

        A group stands for one question word, so a passage naming three
        synonyms of it ("contraction, twinge or seizure") scores as one that
        names the best of them, not three times as much. One row per
        (question, group, member) is scored in a single product; rows are
        then reduced by maximum within each group and summed per question.
        """
        index = self.index_
        n_q, n_units = len(terms), index.postings_.shape[1]
        union: list[dict[str, float]] = []
        for gs in groups:
            u: dict[str, float] = {}
            for g in gs:
                for m in g:
                    for t, w in m.items():
                        u[t] = max(u.get(t, 0.0), w)
            union.append(u)
        q_norms = index.extra_norms(terms, union)  # each question's scale, as for its own terms
        member_rows, row_norm, row_group, group_question = [], [], [], []
        for qi, gs in enumerate(groups):
            for g in gs:
                for m in g:
                    member_rows.append(m)
                    row_norm.append(q_norms[qi])
                    row_group.append(len(group_question))
                group_question.append(qi)
        if not member_rows:
            return sp.csr_matrix((n_q, n_units))
        q = index.query_matrix([()] * len(member_rows), member_rows, norms=np.asarray(row_norm))
        m = (q @ index.postings_).tocoo()
        if m.nnz == 0:
            return sp.csr_matrix((n_q, n_units))
        key = np.asarray(row_group, dtype=np.int64)[m.row] * n_units + m.col
        order = np.argsort(key, kind="stable")
        key, data = key[order], m.data[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        best = np.maximum.reduceat(data, starts)
        key = key[starts]
        rows = np.asarray(group_question)[key // n_units]
        # (question, unit) entries from different groups are summed.
        return sp.csr_matrix((best, (rows, key % n_units)), shape=(n_q, n_units))

    def _score_query(self, q: sp.csr_matrix) -> sp.csr_matrix:
        index = self.index_
        scores = (q @ index.postings_).tocsr()
        s = self.settings
        if not s.prf or scores.nnz == 0:
            return scores
        # Feedback units: the top prf_docs of each question, equally weighted.
        rows, cols = [], []
        for r, (units, _) in enumerate(top_k_rows(scores, s.prf_docs)):
            rows.extend([r] * len(units))
            cols.extend(units.tolist())
        fb = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=scores.shape)
        centroid = (fb @ index.forward()).tocsr()
        keep = top_k_rows(centroid, s.prf_terms)
        rows = np.repeat(np.arange(len(keep)), [len(c) for c, _ in keep])
        cols = np.concatenate([c for c, _ in keep]) if keep else np.zeros(0, int)
        vals = np.concatenate([v for _, v in keep]) if keep else np.zeros(0)
        expansion = sp.csr_matrix((vals, (rows, cols)), shape=q.shape)
        # Scale the expansion to prf_weight times each question's own norm,
        # so the question's terms keep their weight and scores stay comparable.
        q_norm = np.sqrt(np.asarray(q.multiply(q).sum(axis=1)).ravel())
        e_norm = np.sqrt(np.asarray(expansion.multiply(expansion).sum(axis=1)).ravel())
        factor = np.divide(s.prf_weight * q_norm, e_norm, out=np.zeros_like(q_norm), where=e_norm > 0)
        expanded = (q + sp.diags(factor) @ expansion).astype(index.postings_.dtype)
        return (expanded @ index.postings_).tocsr()

    def _score_blocks(self, terms: Sequence[Sequence[str]], questions: Sequence[str]
                      ) -> Iterator[tuple[int, sp.csr_matrix]]:
        """(offset, scores) per block of questions; blocks bound the score matrix's size."""
        for lo in range(0, len(terms), QUERY_BLOCK):
            yield lo, self.score(terms[lo:lo + QUERY_BLOCK], questions[lo:lo + QUERY_BLOCK])

    def _retrieve(self, terms: Sequence[Sequence[str]], questions: Sequence[str], k: int
                  ) -> list[tuple[np.ndarray, np.ndarray]]:
        return [hit for _, scores in self._score_blocks(terms, questions) for hit in top_k_rows(scores, k)]

    # -- answering --------------------------------------------------------
    def _select(self, units: np.ndarray, scores: np.ndarray, k: int) -> list[tuple[int, float, list[int]]]:
        """Choose up to k distinct units from ranked candidates.

        Returns (unit, score, near-duplicate units) triples, best first.
        """
        s = self.settings
        if len(units) == 0:
            return []
        scores = scores.copy()
        if s.fragment_penalty > 0 or s.heading_penalty > 0:
            factor = np.ones(len(units))
            factor[self.unit_fragment_[units]] *= 1.0 - s.fragment_penalty
            factor[self.unit_heading_[units]] *= 1.0 - s.heading_penalty
            scores = scores * factor
        # Order: score, then complete sentences before fragments of equal
        # score, then corpus order (the documented tie rule).
        order = np.lexsort((units, self.unit_fragment_[units], -scores))
        units, scores = units[order], scores[order]
        need_sims = s.near_duplicate < 1.0 or s.mmr_lambda < 1.0
        if not need_sims:
            return [(int(u), float(v), []) for u, v in zip(units[:k], scores[:k])]
        f = self.index_.forward()[units]
        sims = (f @ f.T).toarray()
        chosen: list[int] = []
        dropped: dict[int, list[int]] = {}
        remaining = list(range(len(units)))
        top = scores[0] if scores[0] > 0 else 1.0
        while remaining and len(chosen) < k:
            if s.mmr_lambda < 1.0 and chosen:
                rel = scores[remaining] / top
                red = sims[np.ix_(remaining, chosen)].max(axis=1)
                mmr = s.mmr_lambda * rel - (1.0 - s.mmr_lambda) * red
                pick = remaining[int(np.argmax(mmr))]  # argmax: first of equals = better ranked
            else:
                pick = remaining[0]
            remaining.remove(pick)
            dup_of = next((c for c in chosen if sims[pick, c] >= s.near_duplicate), None)
            if dup_of is not None:
                dropped.setdefault(dup_of, []).append(int(units[pick]))
                continue
            chosen.append(pick)
        return [(int(units[c]), float(scores[c]), dropped.get(c, [])) for c in chosen]

    def _answer(self, question: str, terms: list[str], picked: list[tuple[int, float, list[int]]]) -> Answer:
        passages = []
        for rank, (u, score, dups) in enumerate(picked, start=1):
            o = int(self.unit_first_occ_[u])
            src = self._source(o)
            text = self._occ_text(o)
            near = tuple(self._source(int(self.unit_first_occ_[d])) for d in dups)
            passages.append(Passage(
                text=text, score=score, doc_id=src.doc_id, start=src.start, end=src.end,
                sources=self.sources(u), rank=rank, id=passage_id(text),
                is_fragment=bool(self.occ_fragment_[o]), is_heading=bool(self.occ_heading_[o]),
                near_duplicates=near, context=self.context(o),
            ))
        text, confidence = self._summary(question, terms, passages)
        return Answer(question=question, passages=passages, terms=tuple(dict.fromkeys(terms)), text=text,
                      confidence=confidence, _highlight=make_highlighter(self.analyzer_.term_of, terms))

    def _summary(self, question: str, terms: list[str], passages: list[Passage]) -> tuple[str, float]:
        """Extractive answer text with [n] citations, and a confidence in [0, 1].

        Confidence is the idf-weighted share of the question's terms that the
        best passage covers, with its heading and the sentence before it. A
        term is covered by itself, by a synonym (of it, or of a phrase it is
        part of), or, for the words that ask the question's type ("how
        long", "signs"), by that type's answer cues ("last", "minutes").
        Terms unknown to the corpus weigh as the rarest term. 1.0: every
        term is covered.
        """
        if not passages:
            return "", 0.0
        vocab = self.index_.vocabulary_
        idf = self.index_.idf_
        max_idf = float(idf.max()) if len(idf) else 1.0
        uniq = list(dict.fromkeys(terms))
        weights = {t: float(idf[vocab[t]]) if t in vocab else max_idf for t in uniq}
        best = passages[0]
        # What the reader sees: the passage, its heading and the sentence before.
        seen = set(self.analyzer_(best.text))
        if best.context is not None:
            seen.update(self.analyzer_(f"{best.context.heading or ''} {best.context.before}"))
        if self.expander_ is not None:
            covered = self.expander_.covered(question, terms, seen)
        else:
            covered = seen.intersection(terms)
        total = sum(weights.values()) or 1.0
        confidence = sum(w for t, w in weights.items() if t in covered) / total
        top = passages[0].score
        parts = [f"{p.text} [{p.rank}]" for p in passages
                 if not p.is_fragment and not p.is_heading and p.score >= 0.5 * top][:3]
        if not parts:
            parts = [f"{passages[0].text} [1]"]
        return " ".join(parts), round(confidence, 4)

    def ask_many(self, questions: Sequence[str], k: int = 5) -> list[Answer]:
        """Answer many questions at once (vectorised scoring).

        Parameters
        ----------
        questions : sequence of str
        k : int, default=5
            Maximum number of distinct passages per answer.

        Returns
        -------
        list of Answer, in the order of ``questions``.
        """
        k = check_k(k)
        if isinstance(questions, str):
            raise TypeError("questions must be a list of strings; use ask() for one question")
        questions = [check_question(q, f"questions[{i}]") for i, q in enumerate(questions)]
        terms = [self.analyzer_(q) for q in questions]
        st = self.settings
        reranks = st.near_duplicate < 1 or st.mmr_lambda < 1 or st.fragment_penalty > 0 or st.heading_penalty > 0
        n_cand = max(k, st.candidates) if reranks else k
        hits = self._retrieve(terms, questions, n_cand)
        return [self._answer(q, t, self._select(u, s, k)) for q, t, (u, s) in zip(questions, terms, hits)]

    def ask(self, question: str, k: int = 5) -> Answer:
        """Answer one question: up to ``k`` distinct passages, best first.

        A question that shares no term with the corpus (including one made
        only of stop words) gets an empty answer.

        Raises
        ------
        TypeError
            ``question`` is not a string or ``k`` not an integer.
        ValueError
            ``question`` is empty or white space, or ``k < 1``.
        """
        return self.ask_many([check_question(question)], k)[0]

    # -- retrieval runs (evaluation) -------------------------------------
    def search(
        self,
        queries: Sequence[str] | Mapping[str, str] | pd.DataFrame,
        k: int = 1000,
        *,
        level: Literal["unit", "document"] | None = None,
        aggregate: Literal["max", "sum"] = "max",
    ) -> pd.DataFrame:
        """A retrieval run: ``qid, docno, score, rank`` for every query.

        Parameters
        ----------
        queries : list of str, mapping qid -> text, or DataFrame with
            ``qid`` and ``query`` columns. A list gets qids "1", "2", ...
        k : int, default=1000
            Results per query.
        level : {"unit", "document"} or None
            ``"unit"``: docno is the passage id (passage indexes) or the
            doc_id (document indexes). ``"document"``: docno is always a
            doc_id; passage scores are aggregated per document with
            ``aggregate`` (``"max"``: the best passage; ``"sum"``: all
            matching passages). Default: ``"document"``.
        """
        k = check_k(k)
        qids, texts = queries_table(queries)
        level = level or "document"
        if level not in ("unit", "document"):
            raise ValueError(f"level must be 'unit' or 'document', got {level!r}")
        if aggregate not in ("max", "sum"):
            raise ValueError(f"aggregate must be 'max' or 'sum', got {aggregate!r}")
        terms = [self.analyzer_(t) for t in texts]
        rows_q: list[np.ndarray] = []
        rows_d: list[np.ndarray] = []
        rows_s: list[np.ndarray] = []
        by_doc = level == "document"
        if by_doc:
            u2d = self._unit_doc_matrix()
        for lo, scores in self._score_blocks(terms, texts):
            if by_doc:
                if aggregate == "sum" or self.settings.unit == "document":
                    doc_scores = (scores @ u2d).tocsr()
                else:
                    doc_scores = rowwise_max(scores, u2d)
                hits = top_k_rows(doc_scores, k)
            else:
                hits = top_k_rows(scores, k)
            for j, (cols, vals) in enumerate(hits):
                rows_q.append(np.full(len(cols), lo + j))
                rows_d.append(cols)
                rows_s.append(vals)
        qi = np.concatenate(rows_q) if rows_q else np.zeros(0, int)
        di = np.concatenate(rows_d) if rows_d else np.zeros(0, int)
        sc = np.concatenate(rows_s) if rows_s else np.zeros(0)
        if by_doc:
            docnos = np.asarray(self.doc_ids_, dtype=object)[di] if len(di) else np.zeros(0, object)
        else:
            docnos = np.asarray([self._unit_docno(int(u)) for u in di], dtype=object)
        run = pd.DataFrame({"qid": np.asarray(qids, dtype=object)[qi] if len(qi) else [], "docno": docnos, "score": sc})
        run["rank"] = run.groupby("qid", sort=False).cumcount() + 1
        return run[["qid", "docno", "score", "rank"]].reset_index(drop=True)

    def _unit_docno(self, u: int) -> str:
        if self.settings.unit == "document":
            return self.doc_ids_[self.occ_doc_[self.unit_first_occ_[u]]]
        return passage_id(self._occ_text(int(self.unit_first_occ_[u])))

    def _unit_doc_matrix(self) -> sp.csr_matrix:
        """Binary (n_units, n_docs): which documents each unit occurs in."""
        m = sp.csr_matrix(
            (np.ones(len(self.occ_unit_), dtype=np.float32), (self.occ_unit_, self.occ_doc_)),
            shape=(self.n_units, len(self.doc_ids_)),
        )
        m.data[:] = 1.0  # a unit twice in one document still counts once
        return m

    def __repr__(self) -> str:
        s = self.settings
        return (f"<spasmqa.QA: {len(self.corpus)} documents, {self.n_passages} {s.unit}s "
                f"({self.n_units} distinct), {len(self.index_.vocabulary_)} terms, {s.weighting}>")
