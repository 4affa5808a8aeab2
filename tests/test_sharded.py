"""A sharded index answers exactly as the unsharded index over the same corpus.

Shards are cut from a built segment in this process (:func:`split_segment`);
the sharded build on Dask makes the same shards on workers (tests/test_shards_build.py).
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spasmqa
from spasmqa.evaluate.reports import load_default_questions
from spasmqa.qa import QA
from spasmqa.shardfront import ShardedParts
from spasmqa.shardserve import split_segment


def sharded(qa: QA, n: int) -> QA:
    seg = qa._parts.segment
    parts = ShardedParts.in_process(split_segment(seg, n), qa.settings, qa.tables_, seg.index.stats_)
    return QA._from_shards(qa.settings, qa.corpus, qa.splitter_, parts)


def view(answer):
    return ([(p.id, p.doc_id, p.start, p.end, p.sources, p.near_duplicates, p.context, p.text, p.is_fragment,
              p.is_heading, p.metadata) for p in answer.passages],
            [p.score for p in answer.passages], answer.text, answer.confidence)


def assert_same_answers(a, b):
    for x, y in zip(a, b, strict=True):
        vx, vy = view(x), view(y)
        assert vx[0] == vy[0], x.question
        np.testing.assert_allclose(vx[1], vy[1], rtol=0, atol=1e-6)
        assert vx[2:] == vy[2:]


def assert_same_runs(r1, r2):
    assert list(r1.qid) == list(r2.qid) and list(r1.docno) == list(r2.docno) and list(r1["rank"]) == list(r2["rank"])
    np.testing.assert_allclose(r1.score.values, r2.score.values, rtol=0, atol=1e-6)


QUESTIONS = (list(load_default_questions("labelled")[0]["query"])
             + list(load_default_questions("check")[0]["query"]))


@pytest.fixture(scope="module")
def default_qa():
    return QA.from_corpus()


@pytest.mark.parametrize("options", [{}, {"weighting": "bm25"}, {"mmr_lambda": 0.7, "fragment_penalty": 0.3},
                                     {"synonyms": False, "intents": False}])
@pytest.mark.parametrize("n_shards", [2, 3])
def test_default_corpus_answers_and_runs_equal_unsharded(default_qa, options, n_shards):
    qa = default_qa.with_settings(**options) if options else default_qa
    sq = sharded(default_qa, n_shards)
    sq = sq.with_settings(**options) if options else sq
    assert_same_answers(qa.ask_many(QUESTIONS, k=10), sq.ask_many(QUESTIONS, k=10))
    for level in ("unit", "document"):
        assert_same_runs(qa.search(QUESTIONS, k=200, level=level), sq.search(QUESTIONS, k=200, level=level))


def test_filters_on_shards():
    import pandas as pd

    texts = [" ".join(QUESTIONS[i:i + 4]) + "." for i in range(0, 60, 4)]
    df = pd.DataFrame({"id": [f"d{i}" for i in range(len(texts))], "text": texts,
                       "year": [2000 + i if i % 3 else None for i in range(len(texts))],
                       "source": ["a" if i < 5 else "b" for i in range(len(texts))]})
    qa = QA.from_frame(df, metadata=["year", "source"])
    sq = sharded(qa, 3)
    for where in ({"source": "a"}, {"source": "b"}, {"year": (2004, 2011)}, {"year": None},
                  {"source": "b", "year": (None, 2009)}):
        assert_same_answers(qa.ask_many(QUESTIONS[:12], k=5, where=where), sq.ask_many(QUESTIONS[:12], k=5, where=where))
        assert_same_runs(qa.search(QUESTIONS[:12], where=where), sq.search(QUESTIONS[:12], where=where))
    with pytest.raises(spasmqa.InputError, match="unknown metadata field 'lang'"):
        sq.ask("back pain", where={"lang": "en"})


def test_explain_and_views_on_shards(default_qa):
    sq = sharded(default_qa, 3)
    q = "what is the QL muscle"
    for p in sq.ask(q, k=5).passages:
        e, e0 = sq.explain(q, p), default_qa.explain(q, p)
        assert abs(e.total - p.score) < 1e-6 and abs(e0.score - e.score) < 1e-9
    p = sq.ask(q).passages[0]
    assert str(sq.in_context(p)) == str(default_qa.in_context(p))
    assert sq.n_units == default_qa.n_units and sq.n_passages == default_qa.n_passages
    assert "3 shards" in repr(sq)
    with pytest.raises(spasmqa.InputError, match="sharded"):
        sq.add(texts=["More text."])
    with pytest.raises(spasmqa.InputError, match="prf"):
        sq.with_settings(prf=True)


words = st.sampled_from(["alpha", "beta", "gamma", "delta", "spasm", "back", "pain", "heat", "this", "it"])
sentence = st.lists(words, min_size=1, max_size=7).map(lambda ws: " ".join(ws).capitalize() + ".")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pool=st.lists(sentence, min_size=2, max_size=12),
       picks=st.lists(st.lists(st.integers(0, 11), min_size=1, max_size=6), min_size=3, max_size=9),
       n_shards=st.integers(2, 4), weighting=st.sampled_from(["tfidf", "bm25"]),
       questions=st.lists(st.lists(words, min_size=1, max_size=3).map(" ".join), min_size=1, max_size=4))
def test_random_corpora_with_duplicates_across_shards(pool, picks, n_shards, weighting, questions):
    docs = [" ".join(pool[i % len(pool)] for i in pick) for pick in picks]
    qa = QA.from_texts(docs, weighting=weighting)
    sq = sharded(qa, min(n_shards, len(docs)))
    assert_same_answers(qa.ask_many(questions, k=5), sq.ask_many(questions, k=5))
    assert_same_runs(qa.search(questions, k=50, level="unit"), sq.search(questions, k=50, level="unit"))
    assert_same_runs(qa.search(questions, k=50), sq.search(questions, k=50))


def test_saved_sharded_index_loads_in_process_and_on_dask(tmp_path, default_qa):
    pytest.importorskip("distributed")
    from spasmqa.cluster import start_local_cluster

    client, cluster = start_local_cluster(2)  # a client that is not Dask's default one
    try:
        # Titled pages (a page field whose section index travels to the workers) on the same client.
        pages = _markdown_corpus(tmp_path / "pages" if (tmp_path / "pages").mkdir() is None else tmp_path)
        spasmqa.build_sharded_index(pages, tmp_path / "pages.idx", shards=3, client=client)
        with QA.load(tmp_path / "pages.idx", client=client) as sq:
            questions = ["how do I add a test", "what is the build type", "add_library signature"]
            plain = QA.from_corpus(pages)
            assert_same_answers(plain.ask_many(questions, k=5), sq.ask_many(questions, k=5))
        spasmqa.build_sharded_index(None, tmp_path / "idx", shards=3, client=client)
        for kw in ({}, {"workers": 2}, {"client": client}):
            with QA.load(tmp_path / "idx", **kw) as sq:
                assert_same_answers(default_qa.ask_many(QUESTIONS, k=10), sq.ask_many(QUESTIONS, k=10))
                assert_same_runs(default_qa.search(QUESTIONS, k=100), sq.search(QUESTIONS, k=100))
                bm = sq.with_settings(weighting="bm25", sublinear_tf=False)
                assert_same_answers(default_qa.with_settings(weighting="bm25").ask_many(QUESTIONS[:10]),
                                    bm.ask_many(QUESTIONS[:10]))
                assert_same_answers(default_qa.with_settings(pivot_slope=0.3).ask_many(QUESTIONS[:10]),
                                    sq.with_settings(pivot_slope=0.3).ask_many(QUESTIONS[:10]))
                p = sq.ask(QUESTIONS[0]).passages[0]
                assert abs(sq.explain(QUESTIONS[0], p).total - p.score) < 1e-6
    finally:
        client.close()
        cluster.close()


def _markdown_corpus(root):
    pages = {
        "add_test.md": "# add_test\n\nAdd a test to the project to be run by ctest.\n\n## Signature\n\n"
                       "The name may contain arbitrary characters. This option is documented elsewhere.\n",
        "add_library.md": "# add_library\n\nAdd a library to the project using the specified source files.\n\n"
                          "## Signature\n\nThe name may contain arbitrary characters.\n",
        "build_type.md": "# CMAKE_BUILD_TYPE\n\nSpecifies the build type on single-configuration generators.\n\n"
                         "## Notes\n\nThis option is documented elsewhere. It is read once.\n",
        "enable_testing.md": "# enable_testing\n\nEnable testing for this directory and below.\n\n"
                             "This command should be in the source directory root because ctest expects to find "
                             "a test file in the build directory root.\n",
    }
    for name, text in pages.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize("options", [{}, {"proximity_weight": 0.1}, {"weighting": "bm25", "title_weight": 1.0}])
def test_titled_markdown_pages_page_field_and_proximity_on_shards(tmp_path, options):
    qa = QA.from_corpus(_markdown_corpus(tmp_path), **options)
    questions = ["how do I add a test", "what is the build type", "add_library signature", "enable testing ctest",
                 "CMAKE_BUILD_TYPE", "what characters may the name contain"]
    for n in (2, 3):
        sq = sharded(qa, n)
        assert_same_answers(qa.ask_many(questions, k=10), sq.ask_many(questions, k=10))
        assert_same_runs(qa.search(questions, k=50, level="unit"), sq.search(questions, k=50, level="unit"))
        assert_same_runs(qa.search(questions, k=50), sq.search(questions, k=50))


def test_a_dead_shard_worker_is_a_clear_error(tmp_path):
    pytest.importorskip("distributed")
    spasmqa.build_sharded_index(None, tmp_path / "idx", shards=2, workers=2)
    with QA.load(tmp_path / "idx", workers=2) as sq:
        assert sq.ask("back pain").passages
        with pytest.raises(spasmqa.InputError, match="unknown metadata field"):  # errors on a worker come through
            sq.ask("back pain", where={"nope": 1})
        client = sq._shards.owner.client
        client.cluster.scale(0)  # every worker goes away
        import time

        deadline = time.time() + 20
        while client.scheduler_info()["workers"] and time.time() < deadline:
            time.sleep(0.1)
        with pytest.raises(spasmqa.ClusterError, match="worker is gone"):
            sq.ask("back pain")


def test_workers_for_an_unsharded_index_is_an_error(tmp_path, default_qa):
    default_qa.save(tmp_path / "plain")
    with pytest.raises(spasmqa.InputError, match="not sharded"):
        QA.load(tmp_path / "plain", workers=2)


def test_term_index_pickles_without_its_lock():
    import pickle

    from spasmqa.index import TermIndex

    index = TermIndex().fit([["back", "spasm"], ["spasm", "stretch"]])
    index.forward()
    copy = pickle.loads(pickle.dumps(index))
    assert (copy.postings_ != index.postings_).nnz == 0
    assert np.allclose(copy.forward().toarray(), index.forward().toarray())


def test_sharded_index_with_titles_served_on_dask(tmp_path):
    """Documents with titles have a section index, sent to each shard's actor (it was unpicklable: a hang)."""
    pytest.importorskip("distributed")
    import json

    from spasmqa.corpus import load_corpus
    from spasmqa.shards import build_corpus_sharded

    docs = [{"id": f"d{i}", "title": title, "text": text} for i, (title, text) in enumerate([
        ("Back spasms", "Back spasms are sudden tightening of muscles. Heat and gentle stretching help."),
        ("Leg cramps", "Leg cramps often happen at night. Drinking water may prevent them."),
        ("Stretching", "Stretching the lower back eases spasms. Hold each stretch for thirty seconds."),
        ("Magnesium", "Magnesium deficiency can cause muscle cramps and spasms."),
    ])]
    path = tmp_path / "docs.jsonl"
    path.write_text("\n".join(json.dumps(d) for d in docs), encoding="utf-8")
    qa = QA.from_corpus(str(path))
    build_corpus_sharded(load_corpus(str(path)), spasmqa.Settings(), tmp_path / "idx", shards=2, workers=2)
    questions = ["how to stop back spasms", "what causes leg cramps at night", "magnesium and cramps"]
    with QA.load(tmp_path / "idx", workers=2) as sq:
        assert_same_answers(qa.ask_many(questions, k=5), sq.ask_many(questions, k=5))
        assert_same_runs(qa.search(questions, k=10, level="unit"), sq.search(questions, k=10, level="unit"))
