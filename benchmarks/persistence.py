"""Persistence at scale: build a 1M-passage index from the command line, save,
load, and check that the loaded index answers identically.

    python benchmarks/persistence.py --docs 100000 --sentences 10 --out benchmarks/results/persistence

Steps, each in its own process so that peak memory is the step's own:

1. write a synthetic JSONL corpus (``--docs`` documents of ``--sentences``
   Zipf-word sentences, seeded) to a temporary directory;
2. ``spasmqa index CORPUS --out INDEX --progress`` (timed; peak RSS of the
   process from ``getrusage``);
3. ``QA.load(INDEX)`` in a fresh process (timed after ``import spasmqa``);
4. answers to 200 questions from a fresh build and from the loaded index,
   compared passage by passage (ids, scores, sources).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from speed import synthetic_passages, synthetic_queries

LOAD_AND_ASK = """
import json, sys, time
t = time.perf_counter()
import spasmqa
import_s = time.perf_counter() - t
t = time.perf_counter()
qa = spasmqa.QA.load(sys.argv[1])
load_s = time.perf_counter() - t
questions = json.loads(open(sys.argv[2]).read())
answers = [[(p.id, p.score, [tuple(s.as_dict().values()) for s in p.sources]) for p in a]
           for a in qa.ask_many(questions, k=10)]
print(json.dumps({"import_s": import_s, "load_s": load_s, "answers": answers}))
"""

BUILD_AND_ASK = """
import json, sys
import spasmqa
qa = spasmqa.QA.from_corpus(sys.argv[1], progress=False)
questions = json.loads(open(sys.argv[2]).read())
answers = [[(p.id, p.score, [tuple(s.as_dict().values()) for s in p.sources]) for p in a]
           for a in qa.ask_many(questions, k=10)]
print(json.dumps({"answers": answers}))
"""


def run(cmd: list[str]) -> tuple[str, float, float]:
    """Run a command; return stdout, wall seconds and the peak RSS (MB) of the child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB; max over children so far
    return out, wall, max(peak, before) / 1024


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--sentences", type=int, default=10)
    ap.add_argument("--questions", type=int, default=200)
    ap.add_argument("--out", help="write OUT.json and OUT.md")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="spasmqa-persist-"))
    corpus = work / "corpus.jsonl"
    sentences = synthetic_passages(args.docs * args.sentences, seed=1)
    with open(corpus, "w", encoding="utf-8") as f:
        for i in range(args.docs):
            chunk = sentences[i * args.sentences:(i + 1) * args.sentences]
            f.write(json.dumps({"id": f"d{i}", "text": " ".join(s.capitalize() for s in chunk)}) + "\n")
    questions = work / "questions.json"
    questions.write_text(json.dumps(synthetic_queries(args.questions, seed=3)))
    index = work / "index"
    print(f"corpus: {args.docs:,} documents, {corpus.stat().st_size / 2**20:.0f} MB in {work}")

    # Each step's peak is read after it alone has run (getrusage keeps the max
    # over all children, so the build runs first: it is the largest).
    _, build_s, build_peak = run([sys.executable, "-m", "spasmqa", "index", str(corpus), "--out", str(index),
                                  "--progress"])
    size = sum(f.stat().st_size for f in index.iterdir()) / 2**20
    manifest = json.loads((index / "manifest.json").read_text())
    out, load_wall, _ = run([sys.executable, "-c", LOAD_AND_ASK, str(index), str(questions)])
    loaded = json.loads(out)
    fresh = json.loads(run([sys.executable, "-c", BUILD_AND_ASK, str(corpus), str(questions)])[0])
    identical = loaded["answers"] == fresh["answers"]
    result = {
        "documents": args.docs, "passages": manifest["sizes"]["passages"], "units": manifest["sizes"]["units"],
        "terms": manifest["sizes"]["terms"], "build_s": round(build_s, 1), "build_peak_rss_mb": round(build_peak),
        "index_mb": round(size), "load_s": round(loaded["load_s"], 2), "import_s": round(loaded["import_s"], 2),
        "load_process_s": round(load_wall, 1), "answers_identical": identical,
        "questions": args.questions,
    }
    table = "\n".join([
        "| passages | build (CLI, s) | build peak RSS (MB) | index on disk (MB) | load (s) | load / build "
        "| answers identical |",
        "|---:|---:|---:|---:|---:|---:|---|",
        f"| {result['passages']:,} | {result['build_s']} | {result['build_peak_rss_mb']} | {result['index_mb']} | "
        f"{result['load_s']} | {result['load_s'] / result['build_s']:.2f} | {identical} ({args.questions} questions) |",
    ])
    print(json.dumps(result, indent=2))
    print(table)
    if args.out:
        out_path = Path(args.out)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.with_suffix(".json").write_text(json.dumps(result, indent=2))
        out_path.with_suffix(".md").write_text(table + "\n")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
