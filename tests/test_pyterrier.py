"""spasmqa.pyterrier: the retriever and indexer inside PyTerrier, without Java."""

import importlib
import json
import random
import sys

import pandas as pd
import pytest

pt = pytest.importorskip("pyterrier")
irm = pytest.importorskip("ir_measures")
# PyTerrier 1.1 itself uses a pandas keyword that pandas 3 deprecates; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.drop is deprecated")

import spasmqa  # noqa: E402
from spasmqa.evaluate import evaluate, read_beir  # noqa: E402
from spasmqa.pyterrier import Indexer, Retriever  # noqa: E402

TOPICS = {
    "heat": "heat pad warm bath relaxes tight muscle".split(),
    "ice": "ice pack cold swelling inflammation injury".split(),
    "stretch": "stretching yoga hamstring flexibility posture".split(),
    "sleep": "sleep mattress pillow night position".split(),
    "drink": "water hydration electrolytes potassium magnesium".split(),
    "doctor": "doctor physiotherapist diagnosis scan referral".split(),
}
FILLER = "the a often can help people with back pain after some days when most".split()


def make_beir(root, seed=0):
    """A small BEIR directory: corpus.jsonl (with titles), queries.jsonl, qrels/test.tsv."""
    rng = random.Random(seed)
    docs, topic_of = [], {}
    for i in range(60):
        topic, other = rng.sample(sorted(TOPICS), 2)
        words = rng.sample(TOPICS[topic], rng.randint(1, 4)) + rng.sample(TOPICS[other], rng.randint(1, 3))
        words += rng.sample(FILLER, rng.randint(2, 12))
        rng.shuffle(words)
        docs.append({"_id": f"doc{i:02d}", "title": f"{topic} advice" if i % 3 == 0 else "",
                     "text": " ".join(words).capitalize() + ". " + " ".join(rng.sample(FILLER, 5)) + "."})
        topic_of[docs[-1]["_id"]] = topic
    queries, qrels = [], []
    for q, topic in enumerate(sorted(TOPICS) * 2):
        words = rng.sample(TOPICS[topic], 2)
        queries.append({"_id": f"q{q}", "text": " ".join(words)})
        for d in docs:
            on_topic = topic_of[d["_id"]] == topic
            if on_topic or rng.random() < 0.1:  # judged: the topic's documents and a few others
                qrels.append((f"q{q}", d["_id"], int(on_topic) + int(on_topic and words[0] in d["text"].lower())))
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    (root / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in queries), encoding="utf-8")
    (root / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t{g}\n" for q, d, g in qrels), encoding="utf-8")
    return docs


@pytest.fixture(scope="module")
def beir(tmp_path_factory):
    root = tmp_path_factory.mktemp("beir")
    docs = make_beir(root)
    corpus, queries, qrels = read_beir(root)
    return docs, corpus, queries, qrels


def pt_docs(docs):
    return [{"docno": d["_id"], "title": d["title"], "text": d["text"]} for d in docs]


def test_experiment_equals_spasmqa_evaluate(beir):
    docs, corpus, queries, qrels = beir
    configs = {"tfidf": dict(unit="document"), "bm25": dict(unit="document", weighting="bm25")}
    systems, expected = {}, {}
    for name, options in configs.items():
        qa = Indexer(**options).index(iter(pt_docs(docs)))   # PyTerrier's iter-dict corpus
        systems[name] = Retriever(qa, k=100)
        # the same index built the ordinary way, evaluated by spasmqa on qa.search runs
        reference = spasmqa.QA(corpus, spasmqa.Settings(**options))
        run = reference.search(queries, k=100)
        expected[name] = evaluate(run, qrels, ["nDCG@10", "RR", "AP"]).iloc[0]
    table = pt.Experiment(list(systems.values()), queries, qrels, eval_metrics=[irm.nDCG @ 10, irm.RR, irm.AP],
                          names=list(systems), verbose=False).set_index("name")
    for name in configs:
        for measure in ["nDCG@10", "RR", "AP"]:
            assert table.loc[name, measure] == pytest.approx(expected[name][measure], abs=1e-9), (name, measure)
    assert 0.3 < table.loc["bm25", "nDCG@10"] < 1 and table.loc["tfidf", "nDCG@10"] != table.loc["bm25", "nDCG@10"]
    assert not pt.java.started()  # nothing here needed Java


def test_composes_with_pyterrier_operators_and_components(beir):
    docs, _, queries, qrels = beir
    tfidf = Retriever(Indexer(unit="document").index(pt_docs(docs)), k=50)
    bm25 = Retriever(Indexer(unit="document", weighting="bm25").index(pt_docs(docs)), k=50)
    top5 = (tfidf % 5)(queries)
    assert top5.groupby("qid").size().max() == 5 and set(top5["rank"]) == {0, 1, 2, 3, 4}
    assert pt.inspect.transformer_outputs(tfidf, ["qid", "query"]) == ["qid", "query", "docno", "score", "rank"]
    fused = (tfidf + bm25)(queries)                       # CombSUM of the two
    one = fused[fused["qid"] == "q0"].set_index("docno")["score"]
    a = tfidf(queries).query("qid == 'q0'").set_index("docno")["score"]
    b = bm25(queries).query("qid == 'q0'").set_index("docno")["score"]
    both = a.index.intersection(b.index)[0]
    assert one[both] == pytest.approx(a[both] + b[both])
    # beside PyTerrier's own components: a query rewriter and a stored run
    lower = pt.apply.query(lambda row: row["query"].upper()) >> tfidf
    assert lower(queries)["docno"].tolist() == tfidf(queries)["docno"].tolist()
    stored = pt.Transformer.from_df(bm25(queries))
    table = pt.Experiment([tfidf, bm25, stored, lower % 10], queries, qrels, eval_metrics=[irm.nDCG @ 10],
                          names=["tfidf", "bm25", "stored", "rewritten"], verbose=False).set_index("name")
    assert table.loc["stored", "nDCG@10"] == pytest.approx(table.loc["bm25", "nDCG@10"])
    assert table.loc["rewritten", "nDCG@10"] == pytest.approx(table.loc["tfidf", "nDCG@10"])
    assert not pt.java.started()


def test_passage_level_on_the_default_corpus():
    qa = spasmqa.QA.from_corpus()
    topics = pd.DataFrame({"qid": [7, 8], "query": ["what causes lower back spasms", "how long do back spasms last"],
                           "user": ["ann", "bob"]})
    res = Retriever(qa, k=3, level="passage")(topics)
    assert list(res.columns) == ["qid", "query", "user", "docno", "score", "rank"]
    assert res["qid"].tolist() == [7, 7, 7, 8, 8, 8] and res["user"].tolist()[-1] == "bob"  # query columns kept
    run = qa.search(topics.assign(qid=topics["qid"].astype(str)), k=3, level="unit")
    assert res["docno"].tolist() == run["docno"].tolist() and res["score"].tolist() == run["score"].tolist()
    best = qa.ask("what causes lower back spasms", k=1).passages[0]
    assert res["docno"].iloc[0] == best.id and best.text.startswith("The inflammation leads to a back spasm")
    docs = Retriever(qa, k=3)(topics)                     # document level: doc_ids
    assert docs["docno"].iloc[0] == best.doc_id


def test_indexer_keeps_titles_and_spans():
    qa = Indexer().index(pd.DataFrame([{"docno": "a", "title": "Heat or ice?", "text": "Heat relaxes a spasm."},
                                       {"docno": "b", "text": "Ice numbs.", "url": "ignored"}]))
    assert qa.corpus["a"].text == "Heat or ice?\n\nHeat relaxes a spasm." and qa.corpus["a"].title == "Heat or ice?"
    p = qa.ask("does heat relax a spasm", k=1).passages[0]
    assert qa.corpus[p.doc_id].text[p.start:p.end] == p.text == "Heat relaxes a spasm."


@pytest.mark.parametrize("docs,error,msg", [
    ([{"docno": "a"}], ValueError, r"document 1: missing field\(s\) \['text'\]"),
    ([{"docno": "a", "text": "x"}, {"docno": "a", "text": "y"}], ValueError, "duplicate doc_id 'a'"),
    ([{"docno": "a", "text": 3}], ValueError, "'text' must be a string"),
    ([{"docno": "", "text": "x"}], ValueError, "non-empty"),
    (["just text"], TypeError, "document 1: expected a dict"),
    ([], ValueError, "no documents"),
    ({"docno": "a", "text": "x"}, TypeError, "iterable of dicts"),
])
def test_indexer_errors(docs, error, msg):
    with pytest.raises(error, match=msg):
        Indexer().index(docs)


def test_retriever_errors(qa):
    with pytest.raises(ValueError, match="level must be"):
        Retriever(qa, level="sentence")
    with pytest.raises(ValueError, match="k must be a positive integer"):
        Retriever(qa, k=0)
    with pytest.raises(TypeError, match="spasmqa.QA"):
        Retriever("index")
    with pytest.raises(KeyError, match="query"):                  # PyTerrier's own validation error
        Retriever(qa)(pd.DataFrame({"qid": ["1"]}))
    with pytest.raises(ValueError, match="duplicate qids"):
        Retriever(qa)(pd.DataFrame({"qid": ["1", "1"], "query": ["heat", "ice"]}))
    with pytest.raises(ValueError, match="empty"):
        Retriever(qa)(pd.DataFrame({"qid": ["1"], "query": ["  "]}))
    empty = Retriever(qa)(pd.DataFrame({"qid": [], "query": []}))
    assert list(empty.columns) == ["qid", "query", "docno", "score", "rank"] and len(empty) == 0


def test_missing_pyterrier_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyterrier", None)
    monkeypatch.delitem(sys.modules, "spasmqa.pyterrier")
    with pytest.raises(ImportError, match=r'pip install "spasmqa\[pyterrier\]"'):
        importlib.import_module("spasmqa.pyterrier")
