"""Measures against pytrec_eval (the oracle), loaders on tiny fixtures."""

import json
import random

import numpy as np
import pandas as pd
import pytest
import pytrec_eval

import spasmqa
from spasmqa.cli import main
from spasmqa.evaluate import (
    answers_to_run,
    evaluate,
    evaluate_default,
    load_default_questions,
    parse_measure,
    read_beir,
    read_qrels,
    read_run,
    write_qrels,
    write_run,
)

PYTREC = {"nDCG@10": "ndcg_cut_10", "nDCG@5": "ndcg_cut_5", "nDCG": "ndcg", "RR": "recip_rank", "AP": "map",
          "P@5": "P_5", "P@10": "P_10", "R@5": "recall_5", "R@100": "recall_100", "AP@10": "map_cut_10"}


def random_case(seed):
    rng = random.Random(seed)
    run, qrels = [], []
    for q in range(12):
        qid = f"q{q}"
        docs = [f"d{i}" for i in range(40)]
        for d in rng.sample(docs, rng.randint(1, 8)):
            qrels.append((qid, d, rng.choice([0, 1, 1, 2, 3])))
        if not any(r[0] == qid and r[2] > 0 for r in qrels):
            qrels.append((qid, "d0", 1))
        for rank, d in enumerate(rng.sample(docs, rng.randint(1, 30)), start=1):
            # coarse scores create ties, which trec_eval breaks by docno
            run.append((qid, d, float(rng.randint(0, 6)), rank))
    return (pd.DataFrame(run, columns=["qid", "docno", "score", "rank"]),
            pd.DataFrame(qrels, columns=["qid", "docno", "label"]))


@pytest.mark.parametrize("seed", range(8))
def test_measures_agree_with_pytrec_eval(seed):
    run, qrels = random_case(seed)
    ours = evaluate(run, qrels, list(PYTREC), per_query=True).set_index("qid")
    qrel_dict, run_dict = {}, {}
    for q, d, lab in qrels.itertuples(index=False):
        qrel_dict.setdefault(q, {})[d] = int(lab)
    for q, d, s, _ in run.itertuples(index=False):
        run_dict.setdefault(q, {})[d] = s
    ev = pytrec_eval.RelevanceEvaluator(qrel_dict, set(PYTREC.values()))
    theirs = ev.evaluate(run_dict)
    for qid, values in theirs.items():
        for ours_name, their_name in PYTREC.items():
            assert ours.loc[qid, ours_name] == pytest.approx(values[their_name], abs=1e-6), (qid, ours_name)


def test_rr_cutoff_equals_pytrec_on_truncated_run():
    run, qrels = random_case(99)
    ours = evaluate(run, qrels, ["RR@3"], per_query=True).set_index("qid")
    cut = run.sort_values(["qid", "score", "docno"], ascending=[True, False, False]).groupby("qid").head(3)
    qrel_dict, run_dict = {}, {}
    for q, d, lab in qrels.itertuples(index=False):
        qrel_dict.setdefault(q, {})[d] = int(lab)
    for q, d, s, _ in cut.itertuples(index=False):
        run_dict.setdefault(q, {})[d] = s
    theirs = pytrec_eval.RelevanceEvaluator(qrel_dict, {"recip_rank"}).evaluate(run_dict)
    for qid, v in theirs.items():
        assert ours.loc[qid, "RR@3"] == pytest.approx(v["recip_rank"], abs=1e-9)


def test_hand_computed_values():
    run = pd.DataFrame({"qid": ["1"] * 3, "docno": ["a", "b", "c"], "score": [3.0, 2.0, 1.0]})
    qrels = pd.DataFrame({"qid": ["1", "1"], "docno": ["b", "z"], "label": [2, 1]})
    r = evaluate(run, qrels, ["RR", "P@2", "R@3", "AP", "nDCG@3"]).iloc[0]
    assert r["RR"] == 0.5 and r["P@2"] == 0.5 and r["R@3"] == 0.5 and r["AP"] == 0.25
    ideal = 2 + 1 / np.log2(3)
    assert r["nDCG@3"] == pytest.approx((2 / np.log2(3)) / ideal)


def test_missing_query_scores_zero_and_unjudged_queries_are_skipped():
    run = pd.DataFrame({"qid": ["1"], "docno": ["a"], "score": [1.0]})
    qrels = pd.DataFrame({"qid": ["1", "2", "3"], "docno": ["a", "a", "a"], "label": [1, 1, 0]})
    table = evaluate(run, qrels, ["RR"], per_query=True)
    assert list(table.qid) == ["1", "2"] and list(table.RR) == [1.0, 0.0]
    assert evaluate(run, qrels, ["RR"]).iloc[0]["RR"] == 0.5


@pytest.mark.parametrize("name", ["nDCG@0", "MAP", "P", "R", "ndcg@10", "", 5])
def test_bad_measure_names(name):
    with pytest.raises(ValueError):
        parse_measure(name)


def test_bad_frames():
    good = pd.DataFrame({"qid": ["1"], "docno": ["a"], "label": [1]})
    with pytest.raises(ValueError, match="missing column"):
        evaluate(pd.DataFrame({"qid": ["1"]}), good)
    with pytest.raises(TypeError):
        evaluate([("1", "a", 1.0)], good)
    assert evaluate(pd.DataFrame({"qid": ["1"], "docno": ["a"], "score": [1.0]}),
                    good.rename(columns={"label": "relevance"}), ["RR"]).iloc[0]["RR"] == 1.0


def test_trec_files_round_trip(tmp_path):
    run, qrels = random_case(3)
    write_run(run, tmp_path / "run.txt")
    write_qrels(qrels, tmp_path / "qrels.txt")
    back = read_run(tmp_path / "run.txt")
    assert list(back.docno) == list(run.docno) and np.allclose(back.score, run.score)
    assert read_qrels(tmp_path / "qrels.txt").equals(qrels)


def test_malformed_trec_lines(tmp_path):
    (tmp_path / "run.txt").write_text("1 Q0 a 1 2.0 tag\n1 Q0 b 2\n")
    with pytest.raises(ValueError, match=r"run.txt:2: a TREC run line has 6 fields"):
        read_run(tmp_path / "run.txt")
    (tmp_path / "q.txt").write_text("1 0 a 1\n1 0 b x\n")
    with pytest.raises(ValueError, match=r"q.txt:2: relevance label 'x'"):
        read_qrels(tmp_path / "q.txt")


def test_malformed_queries_name_the_line(tmp_path):
    from spasmqa.evaluate import read_queries
    (tmp_path / "queries.jsonl").write_text('{"_id": "1", "text": "ok"}\n\n{"text": "no id"}\n')
    with pytest.raises(ValueError, match=r"queries.jsonl:3: malformed query line"):
        read_queries(tmp_path / "queries.jsonl")


@pytest.fixture()
def beir_dir(tmp_path):
    d = tmp_path / "tiny"
    (d / "qrels").mkdir(parents=True)
    docs = [("d1", "Heat", "Heat therapy relaxes back muscles."), ("d2", "Ice", "Ice reduces swelling."),
            ("d3", "Water", "Drinking water prevents cramps."), ("d4", "", "Magnesium and cramps.")]
    (d / "corpus.jsonl").write_text("\n".join(json.dumps({"_id": i, "title": t, "text": x}) for i, t, x in docs))
    (d / "queries.jsonl").write_text("\n".join(json.dumps({"_id": q, "text": t}) for q, t in
                                               [("1", "heat for back muscles"), ("2", "how to prevent cramps"),
                                                ("3", "unjudged query")]))
    (d / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n1\td1\t1\n2\td3\t2\n2\td4\t1\n")
    return d


def test_read_beir(beir_dir):
    corpus, queries, qrels = read_beir(beir_dir)
    assert list(corpus) == ["d1", "d2", "d3", "d4"] and corpus["d1"].title == "Heat"
    assert list(queries.qid) == ["1", "2"]
    assert qrels.to_dict("records")[1] == {"qid": "2", "docno": "d3", "label": 2}
    with pytest.raises(FileNotFoundError, match="qrels/dev.tsv is missing"):
        read_beir(beir_dir, split="dev")


def test_cli_eval_beir(beir_dir, tmp_path, capsys):
    out = tmp_path / "run.trec"
    assert main(["eval", "--beir", str(beir_dir), "--json", "--run-out", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["measures"]) == {"nDCG@10", "RR@10", "R@100", "AP"}
    assert report["measures"]["RR@10"] == 1.0 and report["queries"] == 2
    assert read_run(out).qid.isin(["1", "2"]).all()
    assert main(["eval", "--beir", str(beir_dir), "--weighting", "bm25", "--unit", "passage"]) == 0
    assert "nDCG@10" in capsys.readouterr().out


def test_passage_aggregation_max_matches_brute_force():
    qa = spasmqa.QA.from_corpus()
    units = qa.search(["lower back spasms inflammation"], k=1000, level="unit")
    frame = qa.passages_frame()
    best = {}
    for docno, score in zip(units.docno, units.score):
        for doc_id in frame.loc[frame.id == docno, "doc_id"]:
            best[doc_id] = max(best.get(doc_id, 0), score)
    docs = qa.search(["lower back spasms inflammation"], k=1000, level="document")
    assert dict(zip(docs.docno, docs.score)) == pytest.approx(best)


@pytest.mark.parametrize("name", [None, "labelled", "check"])
def test_default_questions_are_judged_on_existing_passages(qa, name):
    queries, qrels = load_default_questions(name)
    assert len(queries) >= 30 and queries.qid.is_unique
    assert set(qrels.docno) <= set(qa.passages_frame().id)
    assert set(qrels.label) == {1, 2}
    assert set(qrels.qid) == set(queries.qid)


def test_check_questions_are_new_questions():
    labelled, _ = load_default_questions("labelled")
    check, _ = load_default_questions("check")
    assert not set(labelled["query"]) & set(check["query"])
    assert not set(labelled.qid) & set(check.qid)


def test_cli_eval_check_set(capsys):
    assert main(["eval", "--questions", "check", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["queries"] == len(load_default_questions("check")[0])


def test_cli_eval_missing_question_file(capsys, tmp_path):
    assert main(["eval", "--questions", str(tmp_path / "none.jsonl")]) == 2
    assert "none.jsonl" in capsys.readouterr().err


def test_evaluate_default_on_the_check_set():
    report = evaluate_default(questions="check", measures=["nDCG@5"])
    assert report["queries"] == len(load_default_questions("check")[0])
    assert 0 < report["measures"]["nDCG@5"] <= 1


def test_cli_eval_default(capsys):
    assert main(["eval", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["queries"] >= 30 and 0 < report["measures"]["nDCG@5"] <= 1


def test_answers_to_run(qa):
    answers = qa.ask_many(["heat therapy", "zebra"], k=3)
    run = answers_to_run(answers, ["a", "b"])
    assert list(run.qid) == ["a"] * 3 and list(run["rank"]) == [1, 2, 3]


def test_tune_searches_query_time_settings_without_rebuilding():
    import spasmqa
    from spasmqa.evaluate import evaluate, tune

    texts = ["heat eases a back spasm quickly", "ice eases swelling after a strain", "rest for a day or two",
             "heat and ice both help back pain", "a spasm is a sudden contraction of a muscle"]
    qa = spasmqa.QA.from_texts(texts, ids=[f"d{i}" for i in range(5)], unit="document")
    queries = pd.DataFrame({"qid": ["1", "2"], "query": ["back spasm heat", "swelling ice"]})
    qrels = pd.DataFrame({"qid": ["1", "1", "2"], "docno": ["d0", "d3", "d1"], "label": [2, 1, 1]})
    table = tune(qa, queries, qrels, {"weighting": ["bm25"], "k1": [0.5, 1.2, 2.0], "b": [0.3, 0.75]})
    assert len(table) == 6 and list(table.columns) == ["weighting", "k1", "b", "nDCG@10"]
    assert table["nDCG@10"].is_monotonic_decreasing
    best = table.iloc[0]
    run = qa.with_settings(weighting="bm25", k1=best["k1"], b=best["b"]).search(queries, k=100)
    assert evaluate(run, qrels, ["nDCG@10"]).iloc[0, 0] == pytest.approx(best["nDCG@10"])
    with pytest.raises(ValueError, match="unit"):
        tune(qa, queries, qrels, {"unit": ["passage"]})


def test_cli_eval_beir_on_a_sharded_index_reports_what_the_unsharded_one_does(beir_dir, tmp_path, capsys):
    pytest.importorskip("distributed")
    corpus = str(beir_dir / "corpus.jsonl")
    assert main(["index", corpus, "--out", str(tmp_path / "plain")]) == 0
    assert main(["index", corpus, "--out", str(tmp_path / "sharded"), "--workers", "2", "--shards", "2"]) == 0
    capsys.readouterr()
    reports = []
    for idx in ("plain", "sharded"):
        assert main(["eval", "--beir", str(beir_dir), "--index", str(tmp_path / idx), "--json"]) == 0
        reports.append(json.loads(capsys.readouterr().out)["measures"])
    assert reports[0] == reports[1]
