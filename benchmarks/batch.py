"""Batch questions: ``qa.ask_many`` against a loop of ``qa.ask`` on one index.

    python benchmarks/batch.py --passages 100000 --questions 1000

Both return the same answers (checked); the difference is vectorised
scoring of the whole batch (one sparse product per block of 256 questions).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from speed import synthetic_passages, synthetic_queries

import spasmqa


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--passages", type=int, default=100_000)
    ap.add_argument("--questions", type=int, default=1000)
    ap.add_argument("--k", type=int, default=10)
    args = ap.parse_args(argv)
    qa = spasmqa.QA.from_texts(synthetic_passages(args.passages), progress=False)
    questions = synthetic_queries(args.questions, seed=11)
    qa.ask_many(questions[:10], k=args.k)  # warm-up (lazy structures)
    t = time.perf_counter()
    loop = [qa.ask(q, k=args.k) for q in questions]
    t_loop = time.perf_counter() - t
    t = time.perf_counter()
    batch = qa.ask_many(questions, k=args.k)
    t_batch = time.perf_counter() - t
    same = [[p.id for p in a] for a in loop] == [[p.id for p in a] for a in batch]
    print(f"{qa.n_units:,} passages, {len(questions)} questions, k={args.k}")
    print(f"loop of ask : {1000 * t_loop / len(questions):.3f} ms per question")
    print(f"ask_many    : {1000 * t_batch / len(questions):.3f} ms per question  "
          f"({t_loop / t_batch:.1f}x faster; same answers: {same})")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
