"""The corpus: an ordered mapping of documents, made from files, strings or a DataFrame."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError, InputTypeError
from .documents import Document
from .problems import LoadProblem, _Fixer, summarize_problems

__all__ = ["Corpus"]


@dataclass
class Corpus(Mapping[str, Document]):
    """An ordered mapping ``doc_id -> Document``.

    ``problems`` lists files that could not be loaded (binary, not UTF-8,
    unreadable, malformed, unsupported type) and files that were loaded
    with repairs; they are reported, never silently dropped
    (:meth:`problem_summary` gives one line).
    """

    documents: dict[str, Document] = field(default_factory=dict)
    problems: list[LoadProblem] = field(default_factory=list)

    def __getitem__(self, doc_id: str) -> Document:
        try:
            return self.documents[doc_id]
        except KeyError:
            raise KeyError(f"no document with doc_id {doc_id!r} in this corpus") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.documents)

    def __len__(self) -> int:
        return len(self.documents)

    def add(self, doc: Document) -> None:
        if doc.doc_id in self.documents:
            where = f" (from {doc.path})" if doc.path else ""
            raise InputError(f"duplicate doc_id {doc.doc_id!r}{where}: every document needs a unique id")
        self.documents[doc.doc_id] = doc

    def problem_summary(self, *, cli: bool = False) -> str:
        """One line about :attr:`problems` (see :func:`summarize_problems`); ``""`` if none."""
        return summarize_problems(self.problems, cli=cli)

    @classmethod
    def from_texts(cls, texts: Iterable[str], ids: Iterable[str] | None = None) -> Corpus:
        """Build a corpus from Python strings; ids default to ``"0"``, ``"1"``, ...

        Lone surrogates (invalid Unicode) are replaced by U+FFFD and reported
        in ``problems``.
        """
        if isinstance(texts, str):
            raise InputTypeError("texts must be a list of strings, not a single string")
        corpus = cls()
        texts = list(texts)
        id_list = [str(i) for i in range(len(texts))] if ids is None else [str(i) for i in ids]
        if len(id_list) != len(texts):
            raise InputError(f"got {len(texts)} texts but {len(id_list)} ids")
        fixer = _Fixer("texts", strict=False)
        for i, (doc_id, text) in enumerate(zip(id_list, texts)):
            if not isinstance(text, str):
                raise InputTypeError(f"texts[{i}] must be str, got {type(text).__name__}")
            corpus.add(Document(doc_id=fixer(doc_id, f"ids[{i}]"), text=fixer(text, f"texts[{i}]")))
        corpus.problems.extend(fixer.problems())
        return corpus

    @classmethod
    def from_frame(
        cls,
        df: Any,
        id: str = "id",
        text: str = "text",
        title: str | None = None,
        metadata: Sequence[str] | None = None,
    ) -> Corpus:
        """Build a corpus from a pandas DataFrame, one document per row.

        Parameters
        ----------
        df : pandas.DataFrame
        id, text : str
            Column names of the ids (any scalars, turned into strings; unique)
            and texts (strings).
        title : str or None
            Column of titles (strings or nulls). A title is prepended to the
            text as with JSONL.
        metadata : list of str or None
            Columns to keep as :attr:`Document.metadata`; ``None`` keeps every
            other column. Values become JSON scalars (see :func:`load_corpus`).

        Raises
        ------
        ValueError
            A named column is missing or does not hold text, a row has a null
            text or id (the message names the row), or an id repeats.

        Examples
        --------
        >>> import pandas as pd
        >>> c = Corpus.from_frame(pd.DataFrame({"id": [1, 2], "text": ["Heat.", "Ice."], "year": [2020, 2021]}))
        >>> list(c), c["2"].metadata["year"]
        (['1', '2'], 2021)
        """
        import pandas as pd

        if not isinstance(df, pd.DataFrame):
            raise InputTypeError(f"from_frame needs a pandas DataFrame, got {type(df).__name__}")
        fixer = _Fixer("DataFrame", strict=False)
        corpus = cls()
        from .readers import _frame_documents
        for doc in _frame_documents(df, id, text, title, metadata, "DataFrame", None, fixer):
            corpus.add(doc)
        corpus.problems.extend(fixer.problems())
        return corpus

    def __repr__(self) -> str:
        extra = f", {len(self.problems)} problems" if self.problems else ""
        return f"<Corpus: {len(self)} documents{extra}>"
