"""The front: :class:`QA` builds, loads, saves and asks, and delegates the rest.

The question's path runs one way through the parts: analysis
(:mod:`~spasmqa.analysis`) -> scoring (:mod:`~spasmqa.scorer`) over the
segment's term index and passage table -> selection and composition
(:mod:`~spasmqa.compose`) -> :class:`~spasmqa.answer.Answer`. A QA holds the
index-time parts (analyzer, splitter, segment) and, derived from the
query-time settings, the expansion tables, scorer and composer.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .analysis import Analyzer
from .answer import Answer, Passage, Source
from .build import Segment, build_segment, extend_segment
from .compose import Composer
from .corpus import Corpus, PathLike, load_corpus
from .errors import InputError, InputTypeError
from .expansion import Tables, load_tables
from .fields import sections_of
from .parts import (
    Parts,
    analyzer_for,
    expander_for,
    field_analyzer,
    index_options,
    refuse_expansion,
    resolve_settings,
    term_index,
    weighting_of,
)
from .passages import SentenceSplitter
from .remote import download, is_remote, remote_index_format, replace_remote
from .runs import search_run
from .scorer import Scorer
from .settings import Settings
from .shard_format import SHARDED_FORMAT_NAME
from .shardcluster import is_sharded_index, open_sharded
from .shardfront import ShardedParts
from .validation import check_choice, check_k, check_question, check_workers
from .views import Views

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .explain import Explanation

__all__ = ["QA"]


class QA(Views):
    """Question answering over a corpus, with provenance.

    Build one with :meth:`from_corpus` (files), :meth:`from_texts` (strings)
    or :meth:`load` (a saved index); change query-time settings with
    :meth:`with_settings`.

    Examples
    --------
    >>> import spasmqa
    >>> qa = spasmqa.QA.from_corpus()
    >>> ans = qa.ask("what causes lower back spasms", k=3)
    >>> p = ans.passages[0]
    >>> qa.corpus[p.doc_id].text[p.start:p.end] == p.text
    True
    >>> plain = qa.with_settings(intents=False, synonyms=False)   # no rebuild
    >>> plain.settings.intents, plain.n_units == qa.n_units
    (False, True)
    """

    def __init__(self, corpus: Corpus, settings: Settings | None = None, *, progress: bool | None = None,
                 workers: int = 1) -> None:
        if not isinstance(corpus, Corpus):
            raise InputTypeError(
                f"corpus must be a spasmqa.Corpus, got {type(corpus).__name__}; use QA.from_corpus(paths)")
        if settings is not None and not isinstance(settings, Settings):
            raise InputTypeError(f"settings must be a spasmqa.Settings, got {type(settings).__name__}")
        settings = resolve_settings(settings or Settings(), corpus, building=True)
        analyzer = analyzer_for(settings)
        splitter = SentenceSplitter(punkt=settings.punkt, web_rules=settings.web_rules)
        splitter.fit(d.text for d in corpus.values())
        index = term_index(settings)
        docs = list(corpus.values())
        if check_workers(workers) > 1:
            from .parallel import build_parallel

            options = index_options(settings, splitter)
            segment = build_parallel(docs, options, index, workers)
        else:
            segment = build_segment(docs, unit=settings.unit, title_boost=settings.title_boost,
                                    splitter=splitter, analyzer=analyzer, index=index, progress=progress)
        self._assemble(settings, corpus, analyzer, splitter, segment, load_tables(settings))

    def _assemble(self, settings: Settings, corpus: Corpus, analyzer: Analyzer, splitter: SentenceSplitter,
                  segment: Segment, tables: Tables) -> None:
        self.settings = settings
        self.corpus = corpus
        self.analyzer_ = analyzer
        self.splitter_ = splitter
        self.tables_ = tables
        self.expander_ = expander_for(settings, analyzer, tables)
        self._write_lock = threading.Lock()  # serialises add(); questions take no lock
        self._shards: ShardedParts | None = None
        self._parts = self._make_parts(segment)

    def _make_parts(self, segment: Segment) -> Parts:
        s = self.settings
        # The page field is for passages; a whole document already holds its title.
        use = s.title_weight > 0 and s.unit == "passage"
        sections = sections_of(segment, field_analyzer(s)).weighted(weighting_of(s)) if use else None
        return Parts(segment, Scorer(segment, s, self.expander_, sections),
                      Composer(segment.table, segment.index, s, self.analyzer_, self.expander_))

    @classmethod
    def _from_shards(cls, settings: Settings, corpus: Corpus, splitter: SentenceSplitter,
                     shards: ShardedParts) -> QA:
        refuse_expansion(settings.neighbours)
        qa = cls.__new__(cls)
        qa.settings, qa.corpus, qa.splitter_, qa.tables_ = settings, corpus, splitter, shards.tables
        qa.analyzer_ = analyzer_for(settings)
        qa.expander_ = shards.front.expander
        qa._write_lock, qa._shards = threading.Lock(), shards
        return qa

    @classmethod
    def from_parts(cls, settings: Settings, corpus: Corpus, splitter: SentenceSplitter, segment: Segment,
                   tables: Tables) -> QA:
        """A QA over parts built elsewhere (a loaded or sharded index)."""
        qa = cls.__new__(cls)
        analyzer = analyzer_for(settings)
        qa._assemble(settings, corpus, analyzer, splitter, segment, tables)
        return qa

    # -- construction -----------------------------------------------------
    @classmethod
    def from_corpus(cls, paths: PathLike | Sequence[PathLike] | None = None, *, strict: bool = False,
                    progress: bool | None = None, workers: int = 1, text_extensions: Iterable[str] | str = (),
                    **options: Any) -> QA:
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
            Show a progress bar; ``None`` shows one only for large corpora
            (building with one worker).
        text_extensions : extensions or comma-separated str, default=()
            Other file extensions to read as plain text (``".adoc,.tex"``).
        workers : int, default=1
            Processes that split and analyse documents in parallel (a map
            over partitions and a reduce, see :mod:`spasmqa.parallel`); the
            index is identical to a one-worker build.
        **options
            Any field of :class:`Settings` (``weighting="bm25"``,
            ``unit="document"``, ``near_duplicate=0.9``, ...).
        """
        settings = Settings.from_options(options)
        corpus = load_corpus(paths, split=settings.split, strict=strict, text_extensions=text_extensions)
        return cls(corpus, settings, progress=progress, workers=workers)

    @classmethod
    def from_texts(cls, texts: Iterable[str], ids: Iterable[str] | None = None, *, progress: bool | None = None,
                   workers: int = 1, **options: Any) -> QA:
        """Build from Python strings (one document each)."""
        return cls(Corpus.from_texts(texts, ids), Settings.from_options(options), progress=progress,
                   workers=workers)

    @classmethod
    def from_frame(cls, df: Any, *, id: str = "id", text: str = "text", title: str | None = None,
                   metadata: Sequence[str] | None = None, progress: bool | None = None, workers: int = 1,
                   **options: Any) -> QA:
        """Build from a pandas DataFrame: one document per row.

        ``id`` and ``text`` name the columns of ids and texts, ``title`` an
        optional title column; the other columns (or those named in
        ``metadata``) become document metadata, usable in ``where=`` filters.
        A missing or non-text column is an error naming it.

        Examples
        --------
        >>> import pandas as pd, spasmqa
        >>> df = pd.DataFrame({"id": ["a", "b"], "text": ["Heat eases spasms.", "Ice eases swelling."],
        ...                    "source": ["clinic", "blog"]})
        >>> qa = spasmqa.QA.from_frame(df)
        >>> qa.ask("spasms", where={"source": "clinic"}).passages[0].doc_id
        'a'
        """
        corpus = Corpus.from_frame(df, id=id, text=text, title=title, metadata=metadata)
        return cls(corpus, Settings.from_options(options), progress=progress, workers=workers)

    def with_settings(self, **options: Any) -> QA:
        """The same index under other query-time settings, without a rebuild.

        Weighting parameters, expansion, context, near-duplicates and
        candidates can change; an index-time option (splitting, analysis,
        units) raises :class:`~spasmqa.errors.InputError` naming it.

        Examples
        --------
        >>> import spasmqa
        >>> qa = spasmqa.QA.from_corpus()
        >>> qa.with_settings(weighting="bm25").settings.weighting
        'bm25'
        """
        settings = resolve_settings(self.settings.with_query_options(options), self.corpus, building=False)
        if self._shards is not None:
            return QA._from_shards(settings, self.corpus, self.splitter_, self._shards.with_settings(
                settings, load_tables(settings, self.tables_, self.settings)))
        segment = self._parts.segment
        index = segment.index.reweighted(**weighting_of(settings))
        other = type(self).__new__(type(self))
        other._assemble(settings, self.corpus, self.analyzer_, self.splitter_, Segment(segment.table, index),
                        load_tables(settings, self.tables_, self.settings))
        return other

    def save(self, path: PathLike, *, overwrite: bool = False) -> None:
        """Save the index to the directory ``path`` as arrays and JSON (see :mod:`spasmqa.storage`).

        Raises FileExistsError if ``path`` exists and ``overwrite`` is False.
        """
        from .storage import save_index

        parts = {"settings": self.settings, "segment": self._local().segment, "splitter": self.splitter_,
                 "tables": self.tables_}
        if not is_remote(path):
            save_index(path, **parts, overwrite=overwrite)
            return
        with tempfile.TemporaryDirectory(prefix="spasmqa-save-") as tmp:  # written here, uploaded manifest last
            save_index(Path(tmp) / "index", **parts)
            replace_remote(Path(tmp) / "index", str(path), overwrite=overwrite)

    @classmethod
    def load(cls, path: PathLike, *, mmap: bool = False, client: Any = None, workers: int | None = None,
             **options: Any) -> QA:
        """Load an index saved with :meth:`save`, optionally with other query-time settings.

        A saved index is treated as untrusted input: every file, array and
        setting is checked (see :mod:`spasmqa.storage`), and a missing,
        truncated, edited, forged or newer-format index raises
        :class:`spasmqa.IndexFormatError` (a ``ValueError``) naming the file
        and the problem. ``mmap=True`` memory-maps the count and occurrence
        arrays instead of reading them (large indexes open at once, and
        processes loading the same index share those pages). ``options`` are
        query-time settings, as for :meth:`with_settings`.

        A sharded index (``spasmqa index --shards``) answers exactly as the
        unsharded index would; with ``client`` (a ``distributed.Client``) or
        ``workers`` (a local Dask cluster is started), each worker holds its
        shards and questions are scattered to them (see :mod:`spasmqa.shardcluster`).
        """
        from .storage import load_index

        if is_remote(path) and not (client is not None or workers is not None) or (
                is_remote(path) and remote_index_format(str(path)) != SHARDED_FORMAT_NAME):
            local = download(str(path))  # checked like any index, from a local copy
            try:
                qa = cls.load(local, mmap=mmap, client=client, workers=workers, **options)
            finally:
                if not mmap:
                    shutil.rmtree(local.parent, ignore_errors=True)
            if mmap:
                weakref.finalize(qa, shutil.rmtree, str(local.parent), True)
            return qa
        if is_remote(path) or is_sharded_index(path):
            settings, corpus, splitter, shards = open_sharded(path, mmap=bool(mmap), client=client, workers=workers)
            qa = cls._from_shards(settings, corpus, splitter, shards)
            return qa.with_settings(**options) if options else qa
        if client is not None or workers is not None:
            raise InputError(f"client= and workers= serve a sharded index on Dask; {path} is not sharded "
                             f"(build one with spasmqa.build_sharded_index or spasmqa index --shards)")
        parts = load_index(path, mmap=bool(mmap))
        qa = cls.from_parts(parts.settings, parts.corpus, parts.splitter, parts.segment, parts.tables)
        return qa.with_settings(**options) if options else qa

    def add(self, paths: PathLike | Sequence[PathLike] | None = None, *, texts: Iterable[str] | None = None,
            ids: Iterable[str] | None = None, strict: bool = False, progress: bool | None = None,
            text_extensions: Iterable[str] | str = ()) -> int:
        """Add documents without re-analysing the ones already indexed.

        Give either ``paths`` (files and directories, loaded as in
        :meth:`from_corpus`) or ``texts`` (with optional ``ids``). Existing
        doc_ids, passage ids and unit numbers do not change; a passage whose
        text is already indexed gains a source. Weights (idf, lengths) are
        recomputed from the stored counts. Questions asked meanwhile from
        other threads are answered from the index as it was before.

        Returns
        -------
        int
            The number of documents added.
        """
        if (paths is None) == (texts is None):
            raise InputTypeError("give either paths or texts to add()")
        new = Corpus.from_texts(texts, ids) if texts is not None else load_corpus(
            paths, split=self.settings.split, strict=strict, text_extensions=text_extensions)
        self._local()
        with self._write_lock:
            clash = [d for d in new if d in self.corpus.documents]
            if clash:
                raise InputError(
                    f"doc_id {clash[0]!r} is already in the index ({len(clash)} clash(es)); doc_ids must be unique")
            docs = list(new.values())
            s = self.settings
            segment = extend_segment(self._parts.segment, docs, unit=s.unit, title_boost=s.title_boost,
                                     splitter=self.splitter_, analyzer=self.analyzer_, progress=progress)
            parts = self._make_parts(segment)
            for doc in docs:
                self.corpus.add(doc)
            self.corpus.problems.extend(new.problems)
            self._parts = parts  # one reference swap: questions see before or after
        return len(docs)

    # -- asking -----------------------------------------------------------
    def ask_many(self, questions: Sequence[str], k: int = 5, *, where: Mapping[str, Any] | None = None
                 ) -> list[Answer]:
        """Answer many questions.

        Parameters
        ----------
        questions : sequence of str
        k : int, default=5
            Maximum number of distinct passages per answer.
        where : mapping, optional
            A metadata filter (see :mod:`spasmqa.filters`):
            ``{"source": "cmake", "year": (2020, None), "lang": ["en", "de"]}``.
            Only passages found in matching documents are scored; a field no
            document has is an :class:`~spasmqa.errors.InputError` naming it.

        Returns
        -------
        list of Answer, in the order of ``questions``.
        """
        k = check_k(k)
        if isinstance(questions, str):
            raise InputTypeError("questions must be a list of strings; use ask() for one question")
        questions = [check_question(q, f"questions[{i}]") for i, q in enumerate(questions)]
        terms = [self.analyzer_(q) for q in questions]
        if self._shards is not None:
            return self._shards.answer_many(questions, terms, k, where)
        parts = self._parts
        masks = parts.segment.table.masks(where)
        docs = masks[0] if masks is not None else None
        hits = parts.scorer.retrieve(terms, questions, parts.composer.candidates(k), masks)
        compose = parts.composer
        return [compose.answer(q, t, compose.select(u, s, k, t), docs) for q, t, (u, s) in zip(questions, terms, hits)]

    def ask(self, question: str, k: int = 5, *, where: Mapping[str, Any] | None = None) -> Answer:
        """Answer one question: up to ``k`` distinct passages, best first.

        A question that shares no term with the corpus (including one made
        only of stop words) gets an empty answer. ``where`` is a metadata
        filter, as for :meth:`ask_many`.

        Raises
        ------
        TypeError
            ``question`` is not a string or ``k`` not an integer.
        ValueError
            ``question`` is empty or white space, or ``k < 1``.
        """
        return self.ask_many([check_question(question)], k, where=where)[0]

    def search(self, queries: str | Sequence[str] | Any, k: int = 1000, *,
               level: Literal["unit", "document"] | None = None,
               aggregate: Literal["max", "sum"] = "max", where: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """A retrieval run: ``qid, docno, score, rank`` for every query.

        Parameters
        ----------
        queries : str, list of str, mapping qid -> text, or DataFrame with
            ``qid`` and ``query`` columns. A list gets qids "1", "2", ...;
            one string is one query with qid "1".
        k : int, default=1000
            Results per query.
        level : {"unit", "document"} or None
            ``"unit"``: docno is the passage id (passage indexes) or the
            doc_id (document indexes). ``"document"``: docno is always a
            doc_id; passage scores are aggregated per document with
            ``aggregate`` (``"max"``: the best passage; ``"sum"``: all
            matching passages). Default: ``"document"``.
        where : mapping, optional
            A metadata filter, as for :meth:`ask_many`.
        """
        k = check_k(k)
        by = str(check_choice("level", level or "document", ("unit", "document")))
        how = str(check_choice("aggregate", aggregate, ("max", "sum")))
        if self._shards is not None:
            return self._shards.search_frame(queries, self.analyzer_, self.settings.unit, k, by, how, where)
        parts = self._parts
        return search_run(parts.scorer, parts.segment.table, self.analyzer_, self.settings.unit, queries, k, by, how,
                          parts.segment.table.masks(where))

    def explain(self, question: str, passage: Passage | Source) -> Explanation:
        """Why ``passage`` scored what it did for ``question``: parts that sum to its score.

        Each question term's contribution (tf, idf, length), synonym groups,
        intent cues, feedback, heading and reference-back context, and the
        heading and fragment penalties; and the near-duplicates dropped in
        its favour (see :mod:`spasmqa.explain`).
        """
        from .explain import explain

        if self._shards is not None:
            return self._shards.explain(question, passage)
        return explain(self, question, passage)
