"""Speed benchmark: spasmqa next to bm25s, rank_bm25 and brute-force scikit-learn.

Every library gets the same token lists (spasmqa's analysis: stop words and
Snowball stemming), so the comparison is of indexing and scoring, not of
tokenisers. Each library runs in its own forked process, which measures:

* ``build_s``: building the index from the token lists;
* ``peak_mb``: peak resident memory added by the build (Linux ``VmHWM``,
  reset at the start of the child with ``/proc/self/clear_refs``);
* ``p50_ms`` / ``p95_ms``: single-query latency, top 10, one query at a time;
* ``batch_qps``: queries per second when all queries are given at once.

spasmqa's BM25 scores equal bm25s's ("lucene" method, which leaves out the
constant ``k1 + 1`` factor) and its rankings differ only in the order of
tied passages; ``tests/test_index.py`` checks this.

Corpora: synthetic passages with Zipf-distributed words (seeded) at the
requested sizes, and optionally SciFact's abstracts split into sentence
passages by spasmqa. Usage::

    python benchmarks/speed.py --sizes 10000 100000 1000000 \\
        --scifact ../shared/data/scifact --out benchmarks/results/speed

Needs the ``bench`` extra: ``pip install ".[bench]"``.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing as mp
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

import spasmqa
from spasmqa.analysis import Analyzer
from spasmqa.index import TermIndex

K = 10
K1, B = 1.2, 0.75
RANK_BM25_MAX = 100_000  # rank_bm25 scores in Python; beyond this it takes hours


# -- data -----------------------------------------------------------------
_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "be", "da", "fu", "go", "hi", "ju", "pe",
              "qua", "ri", "so", "tu", "xe", "ya", "zo", "an", "el", "is", "om", "ur"]
_STOP = ["the", "of", "and", "to", "in", "is", "for", "with"]


def _vocabulary(size: int) -> list[str]:
    """Real stop words first, then distinct pseudo-words (word i spelled in base-27 syllables)."""
    words = list(_STOP)
    i = 27
    while len(words) < size:
        w, x = [], i
        while x:
            w.append(_SYLLABLES[x % 27])
            x //= 27
        words.append("".join(w))
        i += 1
    return words


def _zipf(ranks: np.ndarray, s: float = 1.07) -> np.ndarray:
    p = 1.0 / ranks.astype(np.float64) ** s
    return p / p.sum()


def synthetic_passages(n: int, seed: int = 42, vocab: int = 200_000, mean_len: int = 18) -> list[str]:
    """``n`` passages of Zipf-distributed words, lengths 3 + Poisson(mean_len - 3)."""
    rng = np.random.default_rng(seed)
    words = np.array(_vocabulary(vocab), dtype=object)
    lengths = 3 + rng.poisson(mean_len - 3, size=n)
    tokens = rng.choice(vocab, size=int(lengths.sum()), p=_zipf(np.arange(1, vocab + 1)))
    ends = np.cumsum(lengths)
    return [" ".join(words[tokens[e - ln:e]]) + "." for e, ln in zip(ends, lengths)]


def synthetic_queries(n: int, seed: int = 7, vocab: int = 200_000) -> list[str]:
    """``n`` queries of 2-5 words from the content-word part of the same Zipf law (ranks 50-20,000)."""
    rng = np.random.default_rng(seed)
    words = _vocabulary(20_000)
    ranks = np.arange(50, 20_000)
    p = _zipf(ranks)
    return [" ".join(words[int(r) - 1] for r in rng.choice(ranks, size=rng.integers(2, 6), p=p)) for _ in range(n)]


def scifact_passages(path: str) -> tuple[list[str], list[str]]:
    """SciFact abstracts split into sentence passages, and its test queries."""
    from spasmqa.evaluate import read_beir
    corpus, queries, _ = read_beir(path, "test")
    splitter = spasmqa.SentenceSplitter()
    passages = [d.text[s.start:s.end] for d in corpus.values() for s in splitter.split(d.text)]
    return passages, list(queries["query"])


# -- libraries --------------------------------------------------------------
class Spasmqa:
    name = "spasmqa"

    def build(self, docs):
        self.index = TermIndex(weighting="bm25", k1=K1, b=B).fit(docs)

    def query(self, q):
        return self.index.search([q], K)[0][0]

    def batch(self, qs):
        return [u for u, _ in self.index.search(qs, K)]


class Bm25s:
    name = "bm25s"

    def build(self, docs):
        import bm25s
        self.r = bm25s.BM25(k1=K1, b=B, method="lucene")
        self.r.index(docs, show_progress=False)

    def query(self, q):
        return self.r.retrieve([q], k=K, show_progress=False)[0][0]

    def batch(self, qs):
        return list(self.r.retrieve(qs, k=K, show_progress=False)[0])


class RankBm25:
    name = "rank_bm25"

    def build(self, docs):
        from rank_bm25 import BM25Okapi
        self.r = BM25Okapi(docs, k1=K1, b=B)

    def query(self, q):
        s = self.r.get_scores(q)
        top = np.argpartition(-s, K)[:K]
        return top[np.argsort(-s[top], kind="stable")]

    def batch(self, qs):
        return [self.query(q) for q in qs]


class SklearnBrute:
    """TF-IDF with scikit-learn and a dense dot product over every passage."""
    name = "sklearn (brute force)"

    def build(self, docs):
        from sklearn.feature_extraction.text import TfidfVectorizer
        self.v = TfidfVectorizer(analyzer=lambda toks: toks)
        self.X = self.v.fit_transform(docs).tocsr()

    def _top(self, dense):
        top = np.argpartition(-dense, K)[:K]
        return top[np.argsort(-dense[top], kind="stable")]

    def query(self, q):
        return self._top((self.X @ self.v.transform([q]).T).toarray().ravel())

    def batch(self, qs):
        out = []
        for lo in range(0, len(qs), 64):
            scores = (self.X @ self.v.transform(qs[lo:lo + 64]).T).toarray()
            out.extend(self._top(scores[:, j]) for j in range(scores.shape[1]))
        return out


LIBRARIES = {c.name: c for c in (Spasmqa, Bm25s, RankBm25, SklearnBrute)}


# -- measurement --------------------------------------------------------------
def _status(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    return 0


def _run_library(name, docs, queries, n_single, conn):
    try:
        lib = LIBRARIES[name]()
        gc.collect()
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")  # reset the peak RSS counter (VmHWM)
        except OSError:
            pass
        base = _status("VmRSS:")
        t0 = time.perf_counter()
        lib.build(docs)
        build = time.perf_counter() - t0
        peak = _status("VmHWM:") - base
        single = queries[:n_single]
        for q in single[:5]:
            lib.query(q)  # warm-up
        lat = []
        tops = []
        for q in single:
            t = time.perf_counter()
            top = lib.query(q)
            lat.append(time.perf_counter() - t)
            tops.append([int(x) for x in top])
        t = time.perf_counter()
        lib.batch(queries)
        batch = time.perf_counter() - t
        conn.send({"library": name, "build_s": build, "peak_mb": peak / 2**20,
                   "p50_ms": 1000 * float(np.percentile(lat, 50)), "p95_ms": 1000 * float(np.percentile(lat, 95)),
                   "batch_qps": len(queries) / batch, "tops": tops})
    except Exception as exc:  # report, do not hang the parent
        conn.send({"library": name, "error": f"{type(exc).__name__}: {exc}"})
    finally:
        conn.close()


def measure(name, docs, queries, n_single):
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_run_library, args=(name, docs, queries, n_single, child))
    p.start()
    child.close()
    result = parent.recv()
    p.join()
    return result


def bench_corpus(label, texts, query_texts, libraries, n_single=200, n_batch=1000, log=print):
    analyzer = Analyzer()
    t0 = time.perf_counter()
    docs = [analyzer(t) for t in texts]
    analysis = time.perf_counter() - t0
    queries = [analyzer(q) for q in query_texts[:n_batch]]
    queries = [q for q in queries if q]
    log(f"{label}: {len(docs):,} passages, analysis {analysis:.1f}s, {len(queries)} queries")
    rows = []
    for name in libraries:
        if name == "rank_bm25" and len(docs) > RANK_BM25_MAX:
            continue
        qs = queries[:100] if name == "rank_bm25" else queries
        r = measure(name, docs, qs, min(n_single, 50) if name == "rank_bm25" else n_single)
        if "error" in r:
            log(f"  {name}: {r['error']}")
            continue
        r.pop("tops")
        r.update({"corpus": label, "passages": len(docs), "analysis_s": analysis})
        log(f"  {name:<22} build {r['build_s']:7.2f}s  peak {r['peak_mb']:8.1f} MB  "
            f"p50 {r['p50_ms']:7.3f} ms  p95 {r['p95_ms']:7.3f} ms  batch {r['batch_qps']:9.1f} q/s")
        rows.append(r)
    return rows


def markdown(rows) -> str:
    out = ["| corpus | passages | library | build (s) | peak MB | p50 ms | p95 ms | batch q/s |",
           "|---|---:|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['corpus']} | {r['passages']:,} | {r['library']} | {r['build_s']:.2f} | {r['peak_mb']:.0f} | "
                   f"{r['p50_ms']:.3f} | {r['p95_ms']:.3f} | {r['batch_qps']:,.0f} |")
    return "\n".join(out)


def machine() -> dict:
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "spasmqa": spasmqa.__version__}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--scifact", help="BEIR SciFact directory (adds its sentence passages)")
    ap.add_argument("--libraries", nargs="*", default=list(LIBRARIES))
    ap.add_argument("--queries", type=int, default=1000, help="queries for batch throughput")
    ap.add_argument("--single", type=int, default=200, help="queries timed one at a time")
    ap.add_argument("--out", help="write OUT.json and OUT.md")
    args = ap.parse_args(argv)
    rows = []
    qtexts = synthetic_queries(args.queries)
    for n in args.sizes:
        rows += bench_corpus(f"synthetic {n:,}", synthetic_passages(n), qtexts, args.libraries, args.single,
                             args.queries)
    if args.scifact:
        passages, queries = scifact_passages(args.scifact)
        rows += bench_corpus("SciFact sentences", passages, queries, args.libraries, args.single, args.queries)
    table = markdown(rows)
    print("\n" + table)
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.with_suffix(".json").write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2))
        out.with_suffix(".md").write_text(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
