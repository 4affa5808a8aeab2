"""Is the defaults' lead on the techdocs questions more than chance?

    python benchmarks/techdocs_margin.py --out benchmarks/results/techdocs_margin

Per question, nDCG@5 and nDCG@10 of the defaults against plain stemmed
TF-IDF and plain BM25 (every answer-quality feature off), with a paired
two-sided randomisation test (sign flips of the per-question differences,
20,000 draws, fixed seed).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from spasmqa.evaluate import evaluate_default

PLAIN = {"synonyms": False, "intents": False, "heading_weight": 0.0, "heading_penalty": 0.0,
         "anaphora_weight": 0.0, "stem": "snowball", "title_weight": 0.0, "proximity_weight": 0.0}
DRAWS = 20_000


def per_question(**options) -> pd.DataFrame:
    return pd.DataFrame(evaluate_default(questions="techdocs", per_query=True, **options)["per_query"]).set_index("qid")


def randomisation_p(diff: np.ndarray, rng: np.random.Generator) -> float:
    signs = rng.choice([-1.0, 1.0], size=(DRAWS, len(diff)))
    extreme = np.abs((signs * diff).mean(axis=1)) >= abs(diff.mean()) - 1e-12
    return float((extreme.sum() + 1) / (DRAWS + 1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", help="write OUT.md")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    defaults = per_question()
    others = {"plain stemmed TF-IDF": per_question(**PLAIN), "plain BM25": per_question(**PLAIN, weighting="bm25")}
    lines = ["| measure | defaults | against | theirs | lead | wins / losses | p (paired randomisation) |",
             "|---|---:|---|---:|---:|---:|---:|"]
    for m in ("nDCG@5", "nDCG@10"):
        for name, other in others.items():
            diff = (defaults[m] - other.loc[defaults.index, m]).to_numpy()
            wins, losses = int((diff > 1e-9).sum()), int((diff < -1e-9).sum())
            lines.append(f"| {m} | {defaults[m].mean():.3f} | {name} | {other[m].mean():.3f} | {diff.mean():+.3f} "
                         f"| {wins} / {losses} | {randomisation_p(diff, rng):.3f} |")
    md = "\n".join(lines)
    print(md)
    if args.out:
        Path(args.out + ".md").write_text(md + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
