"""Hostile input: nothing crashes, every span reproduces its text."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spasmqa
from spasmqa import QA

WEIRD = [
    "Back spasms\x00 hurt\x07 a lot.\x1b[31m Really.",           # control characters
    "تشنج العضلات مؤلم. Back spasms hurt.",                         # right-to-left text
    "\u202eReversed text. Back spasms hurt.\u202c",                # bidi override
    "🙂🙂 Back spasms 🔥 hurt. 😀",                                # emoji
    "...!!!???·····———",                                          # only punctuation
    "a" * 100_000,                                                # one 100k-character word
    ("Back spasms hurt and heat helps " * 4000).strip(),          # a 100k+ character line, no full stop
    "\u0301\u0301 combining marks. Ｆｕｌｌｗｉｄｔｈ spasms. ﬁne.",
    "\r\n\r\n\t \u2028 \u2029 Spasms\u00a0hurt.\u3000End.",
]


def check(qa, answer):
    for p in answer.passages:
        assert qa.corpus[p.doc_id].text[p.start:p.end] == p.text
        for s in p.sources:
            assert spasmqa.normalize_text(qa.corpus[s.doc_id].text[s.start:s.end]) == spasmqa.normalize_text(p.text)


def test_weird_documents():
    qa = QA.from_texts(WEIRD)
    for q in ["back spasms", "heat", "fullwidth spasms", "تشنج", "🙂", "a" * 50, "fine"]:
        check(qa, qa.ask(q, k=10))
    assert qa.ask("back spasms hurt", k=3).passages


def test_one_megabyte_question(qa):
    question = ("what causes lower back spasms " * 35_000)[:1_000_000]
    ans = qa.ask(question, k=3)
    check(qa, ans)
    assert ans.passages


def test_question_of_control_characters_and_emoji(qa):
    for q in ["\x00\x01\x02", "🙂🙂🙂", "\u202e", "spasms\x00causes"]:
        check(qa, qa.ask(q))


def test_corpus_of_only_punctuation_is_empty():
    with pytest.raises(ValueError, match="corpus is empty"):
        QA.from_texts(["...", "!!!", "·—·"])


documents = st.lists(st.text(min_size=0, max_size=300), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.text(min_size=1, max_size=60))
def test_random_corpora_and_questions(docs, question):
    try:
        qa = QA.from_texts(docs)
    except ValueError as exc:  # a corpus with no words at all
        assert "corpus is empty" in str(exc)
        return
    if not question.strip():
        with pytest.raises(ValueError):
            qa.ask(question)
        return
    for unit in (qa,):
        ans = unit.ask(question, k=5)
        check(unit, ans)
        for p in ans.passages:
            unit.in_context(p)


@settings(max_examples=25, deadline=None)
@given(documents)
def test_random_corpora_round_trip(tmp_path_factory, docs):
    try:
        qa = QA.from_texts(docs, unit="document")
    except ValueError:
        return
    path = tmp_path_factory.mktemp("idx") / "i"
    qa.save(path)
    loaded = QA.load(path)
    probe = [d for d in docs if d.strip()][:2] or ["x"]
    for q in probe:
        assert [(p.id, p.score) for p in loaded.ask(q)] == [(p.id, p.score) for p in qa.ask(q)]


def test_a_huge_k_costs_no_more_than_the_matches():
    import tracemalloc

    import spasmqa
    from spasmqa.compose import MAX_RERANK

    texts = [f"Back spasm note {i}: heat and rest help muscle number {i}." for i in range(3 * MAX_RERANK)]
    qa = spasmqa.QA.from_texts(texts)
    tracemalloc.start()
    answer = qa.ask("back spasm heat rest", k=10**9)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(answer.passages) == len(texts)  # every match, in rank order
    assert peak < 400 * 2**20  # far below a matches x matches similarity matrix (~2.8 GB here)
