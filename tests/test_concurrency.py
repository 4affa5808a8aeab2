"""Questions from many threads, also while documents are added."""

from __future__ import annotations

import threading

import spasmqa

QUESTIONS = ["what causes lower back spasms", "how long do back spasms last", "can a physio help",
             "is heat good for a sore back", "what is the QL muscle"]
NEW = [f"Heat packs ease muscle spasm number {i} within minutes, and warm baths help too." for i in range(40)]


def _key(answer):
    return [(p.id, p.doc_id, p.start, round(p.score, 9), len(p.sources)) for p in answer.passages]


def test_threads_answer_as_one_thread_does():
    qa = spasmqa.QA.from_corpus()
    want = {q: _key(qa.ask(q)) for q in QUESTIONS}
    errors, got = [], []

    def worker():
        try:
            for _ in range(20):
                for q in QUESTIONS:
                    got.append((q, _key(qa.ask(q))))
        except Exception as exc:  # any failure is the finding
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(k == want[q] for q, k in got)


def test_add_while_asking_shows_the_index_before_or_after():
    qa = spasmqa.QA.from_corpus()
    before = {q: _key(qa.ask(q)) for q in QUESTIONS}
    after_qa = spasmqa.QA.from_corpus()
    after_qa.add(texts=NEW, ids=[f"new{i}" for i in range(len(NEW))])
    after = {q: _key(after_qa.ask(q)) for q in QUESTIONS}
    assert any(before[q] != after[q] for q in QUESTIONS)  # the addition changes answers
    errors, seen = [], []
    stop = threading.Event()

    def asker():
        try:
            while not stop.is_set():
                for q in QUESTIONS:
                    seen.append((q, _key(qa.ask(q))))
        except Exception as exc:  # any failure is the finding
            errors.append(exc)

    threads = [threading.Thread(target=asker) for _ in range(4)]
    for t in threads:
        t.start()
    qa.add(texts=NEW, ids=[f"new{i}" for i in range(len(NEW))])
    for q in QUESTIONS:  # at least one round after the addition
        seen.append((q, _key(qa.ask(q))))
    stop.set()
    for t in threads:
        t.join()
    assert not errors
    assert all(k in (before[q], after[q]) for q, k in seen)
    assert all(_key(qa.ask(q)) == after[q] for q in QUESTIONS)
