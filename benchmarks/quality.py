"""Quality benchmark: configurations side by side on the shipped question sets
(the default corpus's labelled and check questions, and the techdocs questions
on the Python reference corpus) and on BEIR SciFact, with published reference
numbers.

    python benchmarks/quality.py --scifact ../shared/data/scifact --out benchmarks/results/quality

Parameters were chosen on SciFact's *train* split (``--split train`` shows
those numbers); the README reports the test split. Without ``--scifact`` only
the shipped question sets are evaluated. The techdocs set was written after
the defaults were chosen, on a corpus nothing was tuned on.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from spasmqa import QA
from spasmqa.evaluate import evaluate_beir, evaluate_default, load_default_questions, question_set_corpus, read_beir
from spasmqa.resources import default_corpus_path, techdocs_corpus_path
from spasmqa.settings import INDEX_OPTIONS, Settings


class Indexes:
    """Each index built once: configurations that differ only in query-time
    options share it (``QA.with_settings``)."""

    def __init__(self, build):
        self.build = build
        self.built = {}

    def __call__(self, options):
        fixed = tuple(sorted((k, v) for k, v in options.items() if k in INDEX_OPTIONS))
        if fixed not in self.built:
            self.built[fixed] = self.build(dict(fixed))
        query = {k: v for k, v in options.items() if k not in INDEX_OPTIONS}
        return self.built[fixed], query


DEFAULT_INDEXES = Indexes(lambda fixed: QA.from_corpus(**fixed))
TECHDOCS_INDEXES = Indexes(lambda fixed: QA.from_corpus(paths=techdocs_corpus_path(), **fixed))


def indexes_for(questions):
    """The indexes of the corpus a question set is judged on."""
    corpus = question_set_corpus(questions)
    if corpus == default_corpus_path():
        return DEFAULT_INDEXES
    if corpus == techdocs_corpus_path():
        return TECHDOCS_INDEXES
    raise ValueError(f"no index for question set {questions!r}")

# Published nDCG@10 on SciFact test (see shared/data/SOURCES.md).
REFERENCES = [
    ("BM25, BEIR paper (Table 2)", 0.665),
    ("Pyserini BM25 flat (k1=0.9, b=0.4)", 0.679),
    ("Pyserini BM25 multifield", 0.665),
    ("bm25s, Lucene variant (k1=1.5, b=0.75, stemming)", 0.687),
    ("Elasticsearch BM25 (bm25s benchmark table)", 0.690),
]

SCIFACT_CONFIGS = [
    ("TF-IDF, scikit-learn weighting (raw tf, cosine)", {"sublinear_tf": False, "pivot_slope": 1.0}),
    ("TF-IDF, spasmqa default (sublinear tf, pivot 0.5)", {}),
    ("TF-IDF default + PRF", {"prf": True}),
    ("BM25 (k1=1.2, b=0.75)", {"weighting": "bm25"}),
    ("BM25 (k1=0.9, b=0.4)", {"weighting": "bm25", "k1": 0.9, "b": 0.4}),
    ("BM25 (k1=1.2, b=0.75) + PRF", {"weighting": "bm25", "prf": True}),
    ("BM25, sentence passages, best per document", {"weighting": "bm25", "unit": "passage"}),
    ("BM25 (k1=1.5, b=0.75), title ×3 (earlier choice, train 0.701)", {"weighting": "bm25", "k1": 1.5,
                                                                          "title_boost": 3}),
    ("BM25, title ×2, document expansion (10 neighbours, weight 0.75): best on train",
     {"weighting": "bm25", "title_boost": 2, "neighbours": 10, "neighbour_weight": 0.75}),
]

DEFAULT_CONFIGS = [
    ("TF-IDF, scikit-learn weighting (raw tf, cosine)", {"sublinear_tf": False, "pivot_slope": 1.0}),
    ("TF-IDF, spasmqa default", {}),
    ("BM25 (k1=1.2, b=0.75)", {"weighting": "bm25"}),
]

# Answer-quality features, each switched against the defaults. "plain" is
# stemmed TF-IDF over sentences (plain Snowball) with every feature off.
PLAIN = {"synonyms": False, "intents": False, "heading_weight": 0.0, "heading_penalty": 0.0,
         "anaphora_weight": 0.0, "stem": "snowball", "title_weight": 0.0, "proximity_weight": 0.0}
# The techdocs questions (a corpus nothing was tuned on): the default-corpus
# configurations and plain stemmed TF-IDF.
TECHDOCS_CONFIGS = DEFAULT_CONFIGS + [
    ("plain stemmed TF-IDF (every feature off)", PLAIN),
    ("plain BM25 (k1=1.2, b=0.75; every feature off)", {**PLAIN, "weighting": "bm25"}),
]
ABLATION = [
    ("defaults (all features as shipped)", {}),
    ("plain: every feature off", PLAIN),
    ("− synonyms", {"synonyms": False}),
    ("− intents", {"intents": False}),
    ("− heading context", {"heading_weight": 0.0}),
    ("− anaphora context", {"anaphora_weight": 0.0}),
    ("− heading penalty", {"heading_penalty": 0.0}),
    ("− y-merging stemmer (plain Snowball)", {"stem": "snowball"}),
    ("+ fragment penalty (0.3)", {"fragment_penalty": 0.3}),
    ("+ MMR (λ=0.7)", {"mmr_lambda": 0.7}),
    ("+ PRF", {"prf": True}),
    ("− near-duplicate removal", {"near_duplicate": 1.01}),
    ("− page field", {"title_weight": 0.0}),
    ("− proximity", {"proximity_weight": 0.0}),
    ("+ proximity (0.1, window 3)", {"proximity_weight": 0.1}),
    ("+ proximity (0.05, window 1)", {"proximity_weight": 0.05, "proximity_window": 1}),
    ("plain + synonyms only", {**PLAIN, "synonyms": True}),
    ("plain + intents only", {**PLAIN, "intents": True}),
    ("plain + heading context only", {**PLAIN, "heading_weight": 0.7}),
    ("plain + anaphora context only", {**PLAIN, "anaphora_weight": 0.7}),
    ("plain + y-merging stemmer only", {**PLAIN, "stem": "snowball-y"}),
]
# Ablation columns: the shipped question sets (the labelled set the defaults
# were chosen on, the check set written afterwards, both on the default corpus,
# and the techdocs set on its own corpus); "nDCG@5 all" is over all of them.
ABLATION_SETS = ("labelled", "check", "techdocs")
ABLATION_MEASURES = ("nDCG@5", "nDCG@10")
# The same switches on SciFact (documents: no headings; claims: no intents).
SCIFACT_ABLATION = [
    ("defaults", {}),
    ("− y-merging stemmer (plain Snowball)", {"stem": "snowball"}),
    ("+ synonyms (shipped back-pain table)", {"synonyms": True}),
    ("− intents", {"intents": False}),
    ("+ PRF", {"prf": True}),
    ("sentence passages, best per document", {"unit": "passage"}),
    ("sentence passages, − page field (title)", {"unit": "passage", "title_weight": 0.0}),
    ("sentence passages, − heading and anaphora context", {"unit": "passage", "heading_weight": 0.0,
                                                           "anaphora_weight": 0.0}),
]


def run_default(configs=DEFAULT_CONFIGS, log=print, questions="labelled"):
    """One row per configuration on a shipped question set, over that set's corpus."""
    rows = []
    for name, options in configs:
        qa, query = indexes_for(questions)(options)
        report = evaluate_default(questions=questions, qa=qa, **query)
        rows.append({"config": name, "options": options, **report["measures"]})
        log(f"  {name:<55} " + "  ".join(f"{m} {v:.4f}" for m, v in report["measures"].items()))
    return rows


def run_ablation(configs=ABLATION, sets=ABLATION_SETS, measures=ABLATION_MEASURES, log=print):
    """One row per configuration: each measure on each question set, and the
    question-weighted mean of nDCG@5 over all sets."""
    rows = []
    for name, options in configs:
        row = {"config": name, "options": options}
        total = weight = 0.0
        for qs in sets:
            qa, query = indexes_for(qs)(options)
            report = evaluate_default(questions=qs, measures=measures, qa=qa, **query)
            for m in measures:
                row[f"{m} {qs}"] = report["measures"][m]
            total += report["measures"]["nDCG@5"] * report["queries"]
            weight += report["queries"]
        row["nDCG@5 all"] = total / weight
        rows.append(row)
        log(f"  {name:<55} " + "  ".join(f"{k} {v:.4f}" for k, v in row.items() if k not in ("config", "options")))
    return rows


def ablation_columns(sets=ABLATION_SETS, measures=ABLATION_MEASURES):
    return [f"{m} {qs}" for qs in sets for m in measures] + ["nDCG@5 all"]


# Questions the default corpus cannot answer, for the confidence report.
OFF_TOPIC = [
    "what is the capital of france", "how do I bake sourdough bread", "who won the world cup in 2018",
    "how do I fix a flat bicycle tire", "what is the boiling point of water", "how do I learn python programming",
    "what causes migraines", "how much does a new car cost", "what is quantum entanglement",
    "when is the best time to plant tomatoes",
]


def run_confidence(log=print):
    """How often answers are marked low confidence: on-topic vs off-topic questions."""
    from spasmqa.answer import Answer

    qa = QA.from_corpus()
    out = {}
    for name in ("labelled", "check", "techdocs"):
        queries, _ = load_default_questions(name)
        on = qa if name != "techdocs" else TECHDOCS_INDEXES({})[0]
        answers = on.ask_many(list(queries["query"]))
        out[name] = (sum(a.confidence >= Answer.LOW_CONFIDENCE for a in answers), len(answers))
    answers = qa.ask_many(OFF_TOPIC)
    out["off-topic"] = (sum(a.confidence >= Answer.LOW_CONFIDENCE for a in answers), len(answers))
    for name, (confident, n) in out.items():
        log(f"  {name:<10} {confident} of {n} answers at confidence >= 0.5")
    return out


_SCIFACT: dict = {}


def run_scifact(path, split="test", configs=SCIFACT_CONFIGS, log=print):
    if path not in _SCIFACT:
        corpus = read_beir(path, split)[0]
        _SCIFACT[path] = Indexes(lambda fixed: QA(corpus, Settings(**{"unit": "document", **fixed})))
    indexes = _SCIFACT[path]
    rows = []
    for name, options in configs:
        qa, query = indexes({"unit": "document", **options})
        report = evaluate_beir(path, split=split, k=1000, qa=qa, **query)
        rows.append({"config": name, "options": options, "index_s": report["index_seconds"],
                     "query_s": report["query_seconds"], **report["measures"]})
        log(f"  {name:<55} " + "  ".join(f"{m} {v:.4f}" for m, v in report["measures"].items()))
    return rows


def markdown(rows, measures) -> str:
    out = ["| configuration | " + " | ".join(measures) + " |", "|---|" + "---:|" * len(measures)]
    for r in rows:
        out.append(f"| {r['config']} | " + " | ".join(f"{r[m]:.3f}" for m in measures) + " |")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scifact", help="BEIR SciFact directory")
    ap.add_argument("--split", default="test")
    ap.add_argument("--out", help="write OUT.json and OUT.md")
    args = ap.parse_args(argv)
    print("Default corpus, labelled questions (answers after de-duplication)")
    default_rows = run_default()
    print("\nDefault corpus, check questions")
    check_rows = run_default(questions="check")
    print("\nTechdocs corpus (Python reference), techdocs questions")
    techdocs_rows = run_default(TECHDOCS_CONFIGS, questions="techdocs")
    print("\nAblation: labelled, check and techdocs questions")
    ablation_rows = run_ablation()
    print("\nConfidence (default corpus)")
    confidence = run_confidence()
    dm = ["nDCG@5", "nDCG@10", "RR@10", "R@10", "AP"]
    n = {qs: len(load_default_questions(qs)[0]) for qs in ABLATION_SETS}
    md = [f"### Default corpus: labelled questions ({n['labelled']})", "", markdown(default_rows, dm),
          "", f"### Default corpus: check questions ({n['check']})", "", markdown(check_rows, dm),
          "", f"### Techdocs corpus (Python reference topics): techdocs questions ({n['techdocs']})", "",
          markdown(techdocs_rows, dm),
          "", "### Ablation: answer-quality features (labelled and check: default corpus; techdocs: its own)", "",
          markdown(ablation_rows, ablation_columns()),
          "", "### Confidence (defaults; each set on its own corpus)", "", "| questions | confidence ≥ 0.5 |",
          "|---|---:|"]
    md += [f"| {name} | {c} of {n} |" for name, (c, n) in confidence.items()]
    result = {"default": default_rows, "default_check": check_rows, "techdocs": techdocs_rows,
              "ablation": ablation_rows,
              "confidence": {k: {"confident": c, "questions": n} for k, (c, n) in confidence.items()}}
    if args.scifact:
        print(f"\nSciFact ({args.split} split)")
        sf = run_scifact(args.scifact, args.split)
        print(f"\nAblation, SciFact ({args.split} split)")
        sf_ab = run_scifact(args.scifact, args.split, SCIFACT_ABLATION)
        result["scifact"] = sf
        result["scifact_ablation"] = sf_ab
        md += ["", f"### SciFact ({args.split} split)", "", markdown(sf, ["nDCG@10", "RR@10", "R@100", "AP"]),
               "", "Published nDCG@10 on SciFact test, for reference:", "",
               "| system | nDCG@10 |", "|---|---:|"] + [f"| {n} | {v:.3f} |" for n, v in REFERENCES]
        md += ["", f"### Ablation on SciFact ({args.split} split)", "",
               markdown(sf_ab, ["nDCG@10", "RR@10", "R@100", "AP"])]
    text = "\n".join(md)
    print("\n" + text)
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.with_suffix(".json").write_text(json.dumps(result, indent=2))
        out.with_suffix(".md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
