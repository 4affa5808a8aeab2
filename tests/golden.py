"""Golden answers: what the shipped question sets were answered with before a
refactor, so that a restructured pipeline can be shown to answer the same.

``python tests/golden.py`` rewrites ``tests/data/golden_answers.json`` from
the current code; only do that when a change of answers is intended.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

GOLDEN = Path(__file__).parent / "data" / "golden_answers.json"

# Configurations that cover every scoring path: the defaults (expansion and
# context), BM25, every feature off, PRF and MMR with fragment penalty, and
# whole documents.
CONFIGS = {
    "defaults": {},
    "bm25": {"weighting": "bm25"},
    "plain": {"synonyms": False, "intents": False, "heading_weight": 0.0, "anaphora_weight": 0.0,
              "heading_penalty": 0.0, "stem": "snowball", "near_duplicate": 1.0},
    "prf_mmr": {"prf": True, "mmr_lambda": 0.7, "fragment_penalty": 0.3, "synonyms": True},
    "document": {"unit": "document", "weighting": "bm25"},
}


def questions() -> list[str]:
    from importlib.resources import files

    out = []
    for name in ("questions.jsonl", "questions_check.jsonl"):
        for line in (files("spasmqa") / "data" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line)["query"])
    return out


def snapshot(qa, qs: list[str], k: int = 10) -> dict:
    answers = []
    for ans in qa.ask_many(qs, k=k):
        answers.append({
            "question": ans.question,
            "text": ans.text,
            "confidence": ans.confidence,
            "terms": list(ans.terms),
            "passages": [{
                "rank": p.rank, "score": p.score, "text": p.text, "doc_id": p.doc_id, "start": p.start,
                "end": p.end, "id": p.id, "is_fragment": p.is_fragment, "is_heading": p.is_heading,
                "sources": [[s.doc_id, s.start, s.end] for s in p.sources],
                "near_duplicates": [[s.doc_id, s.start, s.end] for s in p.near_duplicates],
                "context": None if p.context is None else [p.context.before, p.context.after, p.context.heading],
            } for p in ans.passages],
        })
    runs = {}
    for level in ("unit", "document"):
        run = qa.search(qs, k=20, level=level)
        runs[level] = [[r.qid, r.docno, float(r.score), int(r.rank)] for r in run.itertuples()]
    return {"answers": answers, "runs": runs}


def build_all() -> dict:
    import spasmqa

    qs = questions()
    return {name: snapshot(spasmqa.QA.from_corpus(**opts), qs) for name, opts in CONFIGS.items()}


if __name__ == "__main__":
    data = build_all()
    GOLDEN.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN} ({GOLDEN.stat().st_size} bytes)", file=sys.stderr)
