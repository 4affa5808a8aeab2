"""ir_measures measures in spasmqa.evaluate.evaluate, checked against ir_measures itself."""

import sys

import pandas as pd
import pytest
from test_evaluate import random_case

from spasmqa.evaluate import evaluate, parse_measure
from spasmqa.evaluate.irm import split_measures

irm = pytest.importorskip("ir_measures")

OWN = [irm.nDCG @ 10, irm.nDCG @ 5, irm.nDCG, irm.RR, irm.AP, irm.AP @ 10,
       irm.P @ 5, irm.P @ 10, irm.R @ 5, irm.R @ 100]
DELEGATED = [irm.Success @ 10, irm.RR(rel=2), irm.nDCG(gains={0: 0, 1: 1, 2: 3, 3: 7}) @ 10, irm.P(rel=2) @ 5, irm.Judged @ 10]


def theirs(run, qrels, measures):
    ir_qrels = qrels.rename(columns={"qid": "query_id", "docno": "doc_id", "label": "relevance"})
    ir_run = run.rename(columns={"qid": "query_id", "docno": "doc_id"})[["query_id", "doc_id", "score"]]
    # One measure per call: in one pytrec_eval invocation ir_measures can let
    # nDCG(gains=...)'s gains apply to plain nDCG as well, depending on how it
    # groups the measures (set order, which varies between processes).
    values = {}
    aggregate = {}
    for measure in measures:
        for m in irm.iter_calc([measure], ir_qrels, ir_run):
            values[(m.query_id, str(m.measure))] = m.value
        aggregate.update(irm.calc_aggregate([measure], ir_qrels, ir_run))
    return values, aggregate


@pytest.mark.parametrize("seed", range(6))
def test_measure_objects_agree_with_ir_measures(seed):
    run, qrels = random_case(seed)  # coarse scores and grades 0-3
    # Distinct scores: how ir_measures' providers order tied documents depends
    # on the provider (and for some on hash order, which varies between
    # processes); spasmqa's tie rule is tested against pytrec_eval elsewhere.
    run = run.assign(score=run["score"] + 1e-4 * (pd.Series(range(len(run)), index=run.index) % 997))
    measures = OWN + DELEGATED
    ours = evaluate(run, qrels, measures, per_query=True).set_index("qid")
    per_query, means = theirs(run, qrels, measures)
    assert list(ours.columns) == [str(m) for m in measures]
    for (qid, name), value in per_query.items():
        assert ours.loc[qid, name] == pytest.approx(value, abs=1e-6), (qid, name)
    ours_means = evaluate(run, qrels, measures).iloc[0]
    for m in measures:
        assert ours_means[str(m)] == pytest.approx(means[m], abs=1e-6), str(m)


def test_rr_cutoff_agrees_with_ir_measures_without_ties():
    # ir_measures computes RR@k with its msmarco provider, which breaks ties by
    # docno ascending; spasmqa (like trec_eval, and ir_measures' RR without a
    # cut-off) breaks them descending. Without ties the two agree.
    for seed in range(6):
        run, qrels = random_case(seed)
        run = run.assign(score=run["score"] + run.index.to_numpy() * 1e-4)  # distinct scores
        measures = [irm.RR @ 10, irm.RR @ 3, irm.RR @ 1]
        ours = evaluate(run, qrels, measures, per_query=True).set_index("qid")
        per_query, _ = theirs(run, qrels, measures)
        for (qid, name), value in per_query.items():
            assert ours.loc[qid, name] == pytest.approx(value, abs=1e-9), (seed, qid, name)


def test_objects_and_names_mix_and_spasmqa_computes_its_own():
    own, delegated, names = split_measures([irm.nDCG @ 10, "RR@10", irm.AP, irm.RR(rel=1) @ 3, irm.Success @ 1],
                                           parse_measure)
    assert own == [("nDCG@10", "nDCG", 10), ("RR@10", "RR", 10), ("AP", "AP", None), ("RR@3", "RR", 3)]
    assert [c for c, _ in delegated] == ["Success@1"]
    assert names == ["nDCG@10", "RR@10", "AP", "RR@3", "Success@1"]
    run, qrels = random_case(3)
    a = evaluate(run, qrels, [irm.nDCG @ 10, "RR@10"])
    b = evaluate(run, qrels, ["nDCG@10", "RR@10"])
    pd.testing.assert_frame_equal(a, b)


def test_hand_computed_with_objects():
    run = pd.DataFrame({"qid": ["1", "1", "1"], "docno": ["a", "b", "c"], "score": [3.0, 2.0, 1.0]})
    qrels = pd.DataFrame({"qid": ["1", "1"], "docno": ["b", "c"], "label": [1, 2]})
    r = evaluate(run, qrels, [irm.RR, irm.RR(rel=2), irm.Success @ 1, "Success@2"]).iloc[0]
    assert (r["RR"], r["RR(rel=2)"], r["Success@1"], r["Success@2"]) == (0.5, pytest.approx(1 / 3), 0.0, 1.0)


def test_delegated_measure_scores_zero_for_a_query_without_results():
    run = pd.DataFrame({"qid": ["1"], "docno": ["a"], "score": [1.0]})
    qrels = pd.DataFrame({"qid": ["1", "2"], "docno": ["a", "b"], "label": [1, 1]})
    table = evaluate(run, qrels, [irm.Success @ 10, irm.nDCG @ 10], per_query=True).set_index("qid")
    assert table.loc["1"].tolist() == [1.0, 1.0] and table.loc["2"].tolist() == [0.0, 0.0]


@pytest.mark.parametrize("measures,msg", [
    (["nDCG@10", irm.nDCG @ 10], "given twice"),
    (["Foo@3"], "ir_measures does not know"),
    ([3.5], "must be a name"),
    ([], "no measures"),
])
def test_bad_measures(measures, msg):
    run, qrels = random_case(0)
    with pytest.raises((ValueError, TypeError), match=msg):
        evaluate(run, qrels, measures)


def test_unknown_name_without_ir_measures_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ir_measures", None)  # import fails as if not installed
    run, qrels = random_case(0)
    with pytest.raises(ValueError, match=r'spasmqa\[ir-measures\]'):
        evaluate(run, qrels, ["Success@10"])
    assert evaluate(run, qrels, ["nDCG@10"]).shape == (1, 1)  # own names need no ir_measures

