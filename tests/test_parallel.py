"""Building with worker processes gives the index a one-worker build gives."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spasmqa
from spasmqa.parallel import partitions


def _same_index(a: spasmqa.QA, b: spasmqa.QA) -> None:
    ta, tb = a.table_, b.table_
    for name in ("occ_doc", "occ_start", "occ_end", "occ_heading", "occ_fragment", "occ_anaphor", "occ_unit",
                 "unit_first_occ"):
        np.testing.assert_array_equal(getattr(ta, name), getattr(tb, name), err_msg=name)
    ia, ib = a.index_, b.index_
    assert ia.terms_ == ib.terms_
    for name in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(ia.counts_, name), getattr(ib.counts_, name), err_msg=name)
        np.testing.assert_array_equal(getattr(ia.postings_, name), getattr(ib.postings_, name), err_msg=name)


@pytest.mark.parametrize("options", [{}, {"unit": "document", "title_boost": 2}, {"punkt": "train"}])
def test_two_workers_build_the_same_index(options):
    one = spasmqa.QA.from_corpus(**options)
    two = spasmqa.QA.from_corpus(workers=2, **options)
    _same_index(one, two)
    questions = ["what causes lower back spasms", "how long do back spasms last", "can a physio help"]
    for x, y in zip(one.ask_many(questions), two.ask_many(questions)):
        assert x.to_dict() == y.to_dict()


SENTENCES = ["Heat helps.", "Ice helps.", "This lasts a day.", "Rest.", "What helps?", "Stretch daily."]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=5).map(" ".join), min_size=1,
                max_size=12))
def test_duplicates_across_partitions_merge_as_in_a_serial_build(texts):
    _same_index(spasmqa.QA.from_texts(texts), spasmqa.QA.from_texts(texts, workers=2))


def test_partitions_cover_every_document_once_in_order():
    docs = list(spasmqa.Corpus.from_texts([f"text {i} " * (i % 7 + 1) for i in range(50)]).values())
    parts = list(partitions(docs, 8))
    assert [d for p in parts for d in p] == docs and all(parts)


@pytest.mark.parametrize("workers", [0, -1, 2.5, True, "2"])
def test_bad_worker_counts_are_refused(workers):
    with pytest.raises((ValueError, TypeError), match="workers"):
        spasmqa.QA.from_texts(["a b"], workers=workers)


def test_spawned_workers_build_the_same_index(monkeypatch):
    # Where processes cannot fork, partitions (documents with metadata) are pickled to spawned workers.
    import multiprocessing

    texts = ["Heat helps a back spasm. Rest a day.", "Ice helps too. Rest a day.", "Stretch daily."] * 3
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    _same_index(spasmqa.QA.from_texts(texts), spasmqa.QA.from_texts(texts, workers=2))
