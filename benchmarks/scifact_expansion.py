"""Choose a document-expansion configuration for SciFact on its train split.

    python benchmarks/scifact_expansion.py ../shared/data/scifact --out benchmarks/results/scifact_expansion

BM25 (k1=1.2, b=0.75) over whole documents, a grid over the title boost
(index time) and document expansion (``neighbours`` and ``neighbour_weight``,
query time). The configuration with the best *train* nDCG@10 is chosen;
test numbers are printed beside every row for transparency but choose
nothing. Rows without expansion (``neighbours=0``) are the baseline.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

from spasmqa import QA
from spasmqa.evaluate import evaluate_beir, read_beir
from spasmqa.settings import Settings

TITLE_BOOSTS = (2, 3, 4)
NEIGHBOURS = (0, 10, 20, 30)
WEIGHTS = (0.5, 0.75, 1.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scifact", help="BEIR SciFact directory")
    ap.add_argument("--out", help="write OUT.json and OUT.md")
    args = ap.parse_args()
    corpus = read_beir(args.scifact, "test")[0]
    rows = []
    for tb in TITLE_BOOSTS:
        base = QA(corpus, Settings(unit="document", weighting="bm25", k1=1.2, b=0.75, title_boost=tb))
        for n, w in itertools.product(NEIGHBOURS, WEIGHTS):
            if n == 0 and w != WEIGHTS[0]:
                continue  # the weight means nothing without neighbours
            qa = base.with_settings(neighbours=n, neighbour_weight=w)
            got = {s: evaluate_beir(args.scifact, split=s, qa=qa)["measures"]["nDCG@10"] for s in ("train", "test")}
            rows.append({"title_boost": tb, "neighbours": n, "neighbour_weight": w if n else None, **got})
            print(json.dumps(rows[-1]), flush=True)
    best = max(rows, key=lambda r: r["train"])
    plain = max((r for r in rows if r["neighbours"] == 0), key=lambda r: r["train"])
    lines = ["| title boost | neighbours | weight | train nDCG@10 | test nDCG@10 |", "|---:|---:|---:|---:|---:|"]
    for r in rows:
        mark = " **(chosen)**" if r is best else ""
        w = "" if r["neighbour_weight"] is None else f"{r['neighbour_weight']:g}"
        lines.append(f"| {r['title_boost']} | {r['neighbours']} | {w} | {r['train']:.4f}{mark} | {r['test']:.4f} |")
    lines += ["", f"- Chosen on train: title ×{best['title_boost']}, neighbours={best['neighbours']}, "
                  f"weight={best['neighbour_weight']}: train {best['train']:.4f}, **test {best['test']:.4f}**",
              f"- Best without expansion on train: title ×{plain['title_boost']}: train {plain['train']:.4f}, "
              f"test {plain['test']:.4f}"]
    md = "\n".join(lines)
    print(md)
    if args.out:
        Path(args.out + ".json").write_text(json.dumps({"rows": rows, "chosen": best}, indent=2), encoding="utf-8")
        Path(args.out + ".md").write_text(md + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
