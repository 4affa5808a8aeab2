"""Hostile text: time against input size for splitting and question analysis.

Shows that the work grows linearly (doubling the input about doubles the
time): runs of white space in a document, a question made of thousands of
words, and a long question against the intent patterns.

    python benchmarks/hostile.py --out benchmarks/results/hostile
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import spasmqa


def _time(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", help="write OUT.json and OUT.md")
    args = ap.parse_args()
    splitter = spasmqa.SentenceSplitter()
    qa = spasmqa.QA.from_corpus()
    rows = []
    for n in (10_000, 40_000, 160_000, 640_000):
        text = "Back spasms hurt." + " " * n + "Heat helps."
        seconds = _time(lambda text=text: splitter.split(text))
        rows.append({"input": f"{n:,} spaces in a document", "n": n, "seconds": seconds})
    for n in (2_000, 8_000, 32_000):
        q = "what " + "stop " * n
        seconds = _time(lambda q=q: qa.ask(q))
        rows.append({"input": f'question "what " + "stop " * {n:,}', "n": n, "seconds": seconds})
    md = ["| input | seconds |", "|---|---:|"] + [f"| {r['input']} | {r['seconds']:.3f} |" for r in rows]
    print("\n".join(md))
    if args.out:
        Path(args.out + ".json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
        Path(args.out + ".md").write_text("\n".join(md) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
