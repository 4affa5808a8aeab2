"""spasmqa as a LangChain retriever.

Needs ``langchain-core`` only (``pip install "spasmqa[langchain]"``); no
model, no network. :class:`Retriever` is a
:class:`langchain_core.retrievers.BaseRetriever`, so it is a Runnable: it
has ``invoke``/``ainvoke``/``batch`` and composes with ``|`` in chains.

Examples
--------
>>> import spasmqa
>>> from spasmqa.langchain import Retriever
>>> retriever = Retriever(qa=spasmqa.QA.from_corpus(), k=3)
>>> docs = retriever.invoke("what causes lower back spasms")
>>> docs[0].metadata["rank"], docs[0].metadata["doc_id"]
(1, 'back_spasms.txt#4')
"""

from __future__ import annotations

import asyncio
from typing import Any

from .errors import MissingExtraError

try:
    from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
    from langchain_core.documents import Document as LCDocument
    from langchain_core.retrievers import BaseRetriever
except ImportError:  # pragma: no cover - exercised by a test that hides langchain_core
    raise MissingExtraError('spasmqa.langchain needs LangChain (langchain-core), which is not installed: '
                            'pip install "spasmqa[langchain]"') from None

from pydantic import ConfigDict, Field

from .answer import Answer, Passage
from .qa import QA

__all__ = ["Retriever", "passage_to_document"]


def passage_to_document(passage: Passage, qa: QA | None = None) -> LCDocument:
    """A LangChain ``Document`` for one passage.

    ``page_content`` is the passage text; ``metadata`` holds ``doc_id, start,
    end, score, rank, passage_id, sources`` (a list of ``{doc_id, start,
    end}``: every place the text occurs), ``near_duplicates``,
    ``is_fragment``, ``is_heading``, ``heading`` (the heading above it, or
    None) and, when ``qa`` is given and the document has them, its ``title``
    and ``path``.
    """
    meta: dict[str, Any] = {
        "doc_id": passage.doc_id,
        "start": passage.start,
        "end": passage.end,
        "score": float(passage.score),
        "rank": passage.rank,
        "passage_id": passage.id,
        "sources": [s.as_dict() for s in passage.sources],
        "near_duplicates": [s.as_dict() for s in passage.near_duplicates],
        "is_fragment": passage.is_fragment,
        "is_heading": passage.is_heading,
        "heading": passage.context.heading if passage.context is not None else None,
    }
    if qa is not None:
        doc = qa.corpus[passage.doc_id]
        if doc.title:
            meta["title"] = doc.title
        if doc.path:
            meta["path"] = doc.path
    return LCDocument(page_content=passage.text, metadata=meta, id=passage.id)


class Retriever(BaseRetriever):
    """A LangChain retriever that answers from a :class:`spasmqa.QA`.

    Each call runs ``qa.ask(query, k=k)`` and returns one LangChain
    ``Document`` per passage, best first (see :func:`passage_to_document` for
    the metadata). An unanswerable query gives an empty list; an empty query
    raises ``ValueError``.

    Parameters
    ----------
    qa : spasmqa.QA
        The index to answer from.
    k : int, default=5
        Passages per query.

    Examples
    --------
    >>> import spasmqa
    >>> from langchain_core.runnables import RunnableLambda
    >>> from spasmqa.langchain import Retriever
    >>> retriever = Retriever(qa=spasmqa.QA.from_corpus(), k=2)
    >>> chain = retriever | RunnableLambda(lambda docs: [d.metadata["rank"] for d in docs])
    >>> chain.invoke("how long do back spasms last")
    [1, 2]
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    qa: QA
    k: int = Field(default=5, ge=1)

    def _answer(self, query: str) -> Answer:
        return self.qa.ask(query, k=self.k)

    def _documents(self, answer: Answer) -> list[LCDocument]:
        return [passage_to_document(p, self.qa) for p in answer.passages]

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        return self._documents(self._answer(query))

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        # qa.ask is safe to call from several threads; keep the event loop free meanwhile.
        answer = await asyncio.get_running_loop().run_in_executor(None, self._answer, query)
        return self._documents(answer)
