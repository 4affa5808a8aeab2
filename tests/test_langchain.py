"""spasmqa.langchain: a LangChain retriever, in a chain without any model."""

import asyncio
import importlib
import sys

import pytest

pytest.importorskip("langchain_core")

from langchain_core.runnables import RunnableLambda

import spasmqa
from spasmqa.langchain import Retriever

QUESTION = "what causes lower back spasms"


def format_docs(docs):
    return "\n".join(f"[{d.metadata['rank']}] {d.page_content} ({d.metadata['doc_id']})" for d in docs)


def test_chain_gives_real_answers(qa):
    chain = Retriever(qa=qa, k=3) | RunnableLambda(format_docs)
    text = chain.invoke(QUESTION)
    lines = text.splitlines()
    assert len(lines) == 3
    assert lines[0] == ("[1] The inflammation leads to a back spasm, and it is the back spasm that can cause both "
                        "severe lower back pain and difficulty moving. (back_spasms.txt#4)")
    assert "how long" not in text.lower()


def test_documents_carry_provenance(qa):
    docs = Retriever(qa=qa, k=5).invoke("lower back spasms result from inflammation")
    answer = qa.ask("lower back spasms result from inflammation", k=5)
    assert [d.page_content for d in docs] == [p.text for p in answer.passages]
    for d, p in zip(docs, answer.passages):
        m = d.metadata
        assert qa.corpus[m["doc_id"]].text[m["start"]:m["end"]] == d.page_content
        assert (m["score"], m["rank"], m["passage_id"], d.id) == (p.score, p.rank, p.id, p.id)
        assert m["sources"] == [{"doc_id": s.doc_id, "start": s.start, "end": s.end} for s in p.sources]
        assert m["is_fragment"] == p.is_fragment and m["is_heading"] == p.is_heading
        assert m["heading"] == p.context.heading
        assert "title" not in m and m["path"].endswith(".txt")   # the shipped corpus has no titles
    assert len(docs[0].metadata["sources"]) == 2                  # the sentence occurs twice


def test_async_and_batch_equal_sync(qa):
    retriever = Retriever(qa=qa, k=4)
    questions = [QUESTION, "how long do back spasms last", "can a physio help"]
    sync = [retriever.invoke(q) for q in questions]
    assert asyncio.run(retriever.ainvoke(QUESTION)) == sync[0]
    assert retriever.batch(questions) == sync

    async def gather():
        return await asyncio.gather(*(retriever.ainvoke(q) for q in questions))

    assert asyncio.run(gather()) == sync
    chain = retriever | RunnableLambda(format_docs)
    assert asyncio.run(chain.ainvoke(QUESTION)) == chain.invoke(QUESTION)


def test_title_in_metadata():
    corpus = spasmqa.Corpus()
    corpus.add(spasmqa.Document("faq-1", "Heat or ice?\n\nUse ice first, then heat.", title="Heat or ice?"))
    corpus.add(spasmqa.Document("faq-2", "Stretch gently every morning."))
    docs = Retriever(qa=spasmqa.QA(corpus), k=2).invoke("should I use ice")
    assert docs[0].metadata["doc_id"] == "faq-1" and docs[0].metadata["title"] == "Heat or ice?"
    assert "path" not in docs[0].metadata


def test_unanswerable_and_bad_input(qa):
    assert Retriever(qa=qa).invoke("zebra giraffe") == []
    with pytest.raises(ValueError, match="empty"):
        Retriever(qa=qa).invoke("   ")
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        Retriever(qa=qa, k=0)
    with pytest.raises(ValueError, match="QA"):
        Retriever(qa="not an index")


def test_missing_langchain_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "langchain_core.retrievers", None)
    monkeypatch.delitem(sys.modules, "spasmqa.langchain")
    with pytest.raises(ImportError, match=r'pip install "spasmqa\[langchain\]"'):
        importlib.import_module("spasmqa.langchain")
