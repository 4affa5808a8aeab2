"""spasmqa inside PyTerrier pipelines: a retriever transformer and an indexer.

Uses only PyTerrier's Java-free core (package ``pyterrier``; install with
``pip install "spasmqa[pyterrier]"``): :class:`pyterrier.Transformer`,
:class:`pyterrier.Indexer`, the pipeline operators (``>>``, ``%``, ``+``,
...) and :func:`pyterrier.Experiment`. Terrier itself, and so Java, is never
started. (The ``python-terrier`` meta-package installs ``pyterrier[all]``,
which adds the Java bridge; spasmqa does not need it.)

Examples
--------
>>> import pyterrier as pt
>>> from spasmqa.pyterrier import Indexer, Retriever
>>> qa = Indexer(weighting="bm25", unit="document").index([
...     {"docno": "d1", "title": "Back spasms", "text": "Heat relaxes a back spasm."},
...     {"docno": "d2", "text": "Ice reduces swelling after an injury."}])
>>> bm25 = Retriever(qa, k=10)
>>> (bm25 % 1).search("back spasm heat")[["qid", "docno", "rank"]].to_dict("records")
[{'qid': '1', 'docno': 'd1', 'rank': 0}]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from .errors import InputError, InputTypeError, MissingExtraError

try:
    import pyterrier as pt
except ImportError:  # pragma: no cover - exercised by a test that hides pyterrier
    raise MissingExtraError('spasmqa.pyterrier needs PyTerrier, which is not installed: '
                            'pip install "spasmqa[pyterrier]"') from None

from .corpus import Corpus, Document
from .qa import QA
from .settings import Settings

__all__ = ["Retriever", "Indexer"]

_LEVELS = {"document": "document", "unit": "unit", "passage": "unit"}
_RESULT_COLUMNS = ["qid", "docno", "score", "rank"]


class Retriever(pt.Transformer):
    """A PyTerrier retriever backed by a :class:`spasmqa.QA`.

    Takes a query frame (``qid, query`` and any other query columns) and
    returns a result frame: the query columns plus ``docno, score, rank``,
    ``k`` rows per query at most, best first. ``rank`` counts from 0, as
    everywhere in PyTerrier (:meth:`spasmqa.QA.search` counts from 1, as
    TREC run files do); docnos, scores and order are those of ``qa.search``. Composes with PyTerrier's
    operators (``>>``, ``%``, ``+``, ``**``) and runs in ``pt.Experiment``.

    Parameters
    ----------
    qa : spasmqa.QA
        The index to search.
    k : int, default=1000
        Results per query.
    level : {"document", "unit", "passage"}, default="document"
        ``"document"``: docno is the ``doc_id``; a passage index scores each
        document by its passages (``aggregate``). ``"unit"`` (or
        ``"passage"``): docno is the passage id (see
        :func:`spasmqa.passage_id`), or the ``doc_id`` for an index of whole
        documents. As :meth:`spasmqa.QA.search`.
    aggregate : {"max", "sum"}, default="max"
        How passage scores make a document score at document level.

    Examples
    --------
    >>> import spasmqa
    >>> from spasmqa.pyterrier import Retriever
    >>> qa = spasmqa.QA.from_corpus()
    >>> res = Retriever(qa, k=3, level="passage").search("what causes lower back spasms")
    >>> list(res.columns), len(res)
    (['qid', 'query', 'docno', 'score', 'rank'], 3)
    """

    def __init__(self, qa: QA, k: int = 1000, level: str = "document", aggregate: str = "max") -> None:
        if not isinstance(qa, QA):
            raise InputTypeError(f"qa must be a spasmqa.QA, got {type(qa).__name__}")
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise InputError(f"k must be a positive integer, got {k!r}")
        if level not in _LEVELS:
            raise InputError(f"level must be 'document', 'unit' or 'passage', got {level!r}")
        if aggregate not in ("max", "sum"):
            raise InputError(f"aggregate must be 'max' or 'sum', got {aggregate!r}")
        self.qa = qa
        self.k = k
        self.level = level
        self.aggregate = aggregate

    def transform(self, inp: pd.DataFrame) -> pd.DataFrame:
        """Retrieve for every query of ``inp`` (a frame with ``qid`` and ``query``)."""
        if not isinstance(inp, pd.DataFrame):
            raise InputTypeError(f"expected a query DataFrame with columns qid and query, got {type(inp).__name__}")
        pt.validate.query_frame(inp, extra_columns=["query"])
        query_columns = list(inp.columns)
        out_columns = query_columns + [c for c in _RESULT_COLUMNS if c not in query_columns]
        if not len(inp):
            return pd.DataFrame(columns=out_columns)
        keys = inp["qid"].astype(str)
        if keys.duplicated().any():
            raise InputError(f"query frame has duplicate qids: {sorted(set(keys[keys.duplicated()]))[:5]}")
        run = self.qa.search(pd.DataFrame({"qid": keys, "query": inp["query"]}), k=self.k,
                             level=_LEVELS[self.level], aggregate=self.aggregate)  # type: ignore[arg-type]
        queries = inp.assign(_key=keys.to_numpy()).drop(columns=["qid"])
        original_qid = pd.Series(inp["qid"].to_numpy(), index=keys.to_numpy())
        # PyTerrier counts ranks from pt.model.FIRST_RANK (0); qa.search from 1, as TREC files do.
        run["rank"] = run["rank"] - 1 + pt.model.FIRST_RANK
        res = run.rename(columns={"qid": "_key"}).merge(queries, on="_key", how="left", sort=False)
        res.insert(0, "qid", original_qid.loc[res["_key"]].to_numpy() if len(res) else [])
        return res.drop(columns=["_key"])[out_columns].reset_index(drop=True)

    def fuse_rank_cutoff(self, k: int) -> Retriever | None:
        """``retriever % k`` retrieves only ``k`` results (PyTerrier's fusion hook)."""
        return Retriever(self.qa, k=min(k, self.k), level=self.level, aggregate=self.aggregate) if k >= 1 else None

    def __repr__(self) -> str:
        return (f"spasmqa.pyterrier.Retriever(<{self.qa.settings.weighting}, {len(self.qa.corpus)} documents>, "
                f"k={self.k}, level={self.level!r})")

    __str__ = __repr__


class Indexer(pt.Indexer):
    """Build a :class:`spasmqa.QA` from an iterable of dicts (a PyTerrier corpus iterator).

    Each dict needs ``docno`` and ``text`` (names configurable); ``title``,
    when present, is put before the text (title, a blank line, the text) as
    spasmqa's JSONL loader does, and kept as ``Document.title``. Other fields
    are ignored.

    Parameters
    ----------
    settings : spasmqa.Settings, optional
        Index settings; or give them as keyword ``options``
        (``weighting="bm25"``, ``unit="document"``, ...).
    text_field, title_field, docno_field : str
        Field names, ``"text"``, ``"title"`` and ``"docno"`` by default.
    progress : bool or None
        Progress bar while building (``None``: only for large corpora).

    Examples
    --------
    >>> from spasmqa.pyterrier import Indexer
    >>> qa = Indexer(weighting="bm25").index([{"docno": "a", "text": "Heat helps."}])
    >>> list(qa.corpus)
    ['a']
    """

    def __init__(self, settings: Settings | None = None, *, text_field: str = "text", title_field: str = "title",
                 docno_field: str = "docno", progress: bool | None = False, **options: Any) -> None:
        if settings is not None and options:
            raise InputError("give either settings or keyword options, not both")
        if settings is not None and not isinstance(settings, Settings):
            raise InputTypeError(f"settings must be a spasmqa.Settings, got {type(settings).__name__}")
        self.settings = settings if settings is not None else Settings.from_options(options)
        self.text_field = text_field
        self.title_field = title_field
        self.docno_field = docno_field
        self.progress = progress

    def index_inputs(self) -> list[list[str]]:
        return [[self.docno_field, self.text_field]]

    def index(self, iter: Iterable[Mapping[str, Any]], **kwargs: Any) -> QA:
        """Index the documents; returns the :class:`spasmqa.QA`."""
        if isinstance(iter, pd.DataFrame):
            iter = iter.to_dict("records")
        if isinstance(iter, (str, bytes, Mapping)):
            raise InputTypeError("index() takes an iterable of dicts (one per document), not a single "
                            f"{type(iter).__name__}")
        corpus = Corpus()
        for n, rec in enumerate(iter, start=1):
            corpus.add(self._document(n, rec))
        if not len(corpus):
            raise InputError("no documents to index: the iterable was empty")
        return QA(corpus, self.settings, progress=self.progress)

    def _document(self, n: int, rec: Any) -> Document:
        where = f"document {n}"
        if not isinstance(rec, Mapping):
            raise InputTypeError(f"{where}: expected a dict with {self.docno_field!r} and {self.text_field!r}, "
                            f"got {type(rec).__name__}")
        missing = [f for f in (self.docno_field, self.text_field) if f not in rec]
        if missing:
            raise InputError(f"{where}: missing field(s) {missing}; it has {sorted(rec)}")
        docno, text, title = rec[self.docno_field], rec[self.text_field], rec.get(self.title_field)
        if isinstance(title, float) and title != title:
            title = None  # NaN: a DataFrame row without a title
        if not isinstance(docno, (str, int)) or isinstance(docno, bool) or str(docno).strip() == "":
            raise InputError(f"{where}: {self.docno_field!r} must be a non-empty string, got {docno!r}")
        if not isinstance(text, str):
            raise InputError(f"{where} ({docno}): {self.text_field!r} must be a string, got {type(text).__name__}")
        if title is not None and not isinstance(title, str):
            raise InputError(f"{where} ({docno}): {self.title_field!r} must be a string, got {type(title).__name__}")
        title = title.strip() if title and title.strip() else None
        return Document(doc_id=str(docno), text=f"{title}\n\n{text}" if title else text, title=title)
