"""End-to-end speed: raw text in, answers out, next to tantivy and bm25s.

What a user feels, measured on this machine, one library at a time in its
own fresh process (so that build memory is its own):

* ``build_s``: from the raw corpus to a queryable index. spasmqa:
  ``QA.from_corpus(corpus.jsonl)`` (JSON parsing, sentence splitting,
  analysis, de-duplication, indexing). Peers index the very sentence
  passages spasmqa produced (they do no splitting, which favours them),
  with their own tokenisers: tantivy's ``en_stem`` (one writer thread),
  bm25s with PyStemmer and its English stop words.
* ``peak_mb``: peak resident memory added by the build (``VmHWM``).
* ``p50_ms`` / ``p95_ms``: one raw question string at a time, top 10.
  spasmqa: ``qa.ask(q, k=10)``, the whole answer with provenance,
  de-duplication, context and expansion (defaults on); tantivy: parse the
  string leniently and search (scores and addresses only: fetching stored
  documents would add to its time); bm25s: tokenise and retrieve.
* ``batch_qps``: all questions at once (``qa.ask_many``; tantivy has no
  batch call, so its rate is one at a time; bm25s ``retrieve`` on all).
* ``search_p50_ms``: spasmqa's ``qa.search([q], k=10)`` for one question.

Cold start (``cold_s``): a new Python process running ``import spasmqa``,
``QA.load(index)`` and one ``ask``, timed inside the process, and the whole
``spasmqa ask --index`` command timed from outside; best of five after one
warm-up run. The children may write bytecode (``PYTHONDONTWRITEBYTECODE`` is
dropped from their environment) as an installed package has it: an editable
install in an environment that forbids bytecode compiles spasmqa's sources
at every start instead.

Usage::

    python benchmarks/e2e.py --scifact ../shared/data/scifact --synthetic 200000 1000000 \\
        --out benchmarks/results/e2e

Needs the ``bench`` extra (tantivy, bm25s, PyStemmer, psutil).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from speed import synthetic_passages, synthetic_queries

K = 10
LIBRARIES = ("spasmqa", "tantivy", "bm25s")


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _latencies(fn, questions, warm: int = 20) -> tuple[float, float]:
    for q in questions[:warm]:
        fn(q)
    ts = []
    for q in questions:
        t = time.perf_counter()
        fn(q)
        ts.append(time.perf_counter() - t)
    return float(np.percentile(ts, 50) * 1e3), float(np.percentile(ts, 95) * 1e3)


def _run_spasmqa(corpus: str, passages_out: str, questions: list[str], index_dir: str, workers: int) -> dict:
    import spasmqa

    base = _rss_mb()
    _reset_peak()
    t = time.perf_counter()
    qa = spasmqa.QA.from_corpus(corpus, progress=False, **({"workers": workers} if workers > 1 else {}))
    build = time.perf_counter() - t
    peak = _peak_mb() - base
    table = qa.table_
    Path(passages_out).write_text("\n".join(json.dumps(table.unit_text(u)) for u in range(table.n_units)),
                                  encoding="utf-8")
    qa.save(index_dir, overwrite=True)
    p50, p95 = _latencies(lambda q: qa.ask(q, k=K), questions)
    s50, _ = _latencies(lambda q: qa.search([q], k=K, level="unit"), questions[:300])
    t = time.perf_counter()
    qa.ask_many(questions, k=K)
    qps = len(questions) / (time.perf_counter() - t)
    return {"build_s": build, "peak_mb": peak, "p50_ms": p50, "p95_ms": p95, "batch_qps": qps,
            "search_p50_ms": s50, "units": table.n_units, "passages": table.n_passages}


def _run_tantivy(passages: list[str], questions: list[str]) -> dict:
    import tantivy

    base = _rss_mb()
    _reset_peak()
    t = time.perf_counter()
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("body", stored=False, tokenizer_name="en_stem")
    schema = sb.build()
    tmp = tempfile.mkdtemp(prefix="tantivy-")
    index = tantivy.Index(schema, path=tmp)
    writer = index.writer(heap_size=200_000_000, num_threads=1)
    for p in passages:
        writer.add_document(tantivy.Document(body=p))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()
    build = time.perf_counter() - t
    peak = _peak_mb() - base

    def ask(q):
        query, _ = index.parse_query_lenient(q, ["body"])
        return searcher.search(query, K).hits

    p50, p95 = _latencies(ask, questions)
    t = time.perf_counter()
    for q in questions:
        ask(q)
    qps = len(questions) / (time.perf_counter() - t)
    return {"build_s": build, "peak_mb": peak, "p50_ms": p50, "p95_ms": p95, "batch_qps": qps}


def _run_bm25s(passages: list[str], questions: list[str]) -> dict:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    base = _rss_mb()
    _reset_peak()
    t = time.perf_counter()
    tokens = bm25s.tokenize(passages, stopwords="en", stemmer=stemmer, show_progress=False)
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    build = time.perf_counter() - t
    peak = _peak_mb() - base

    def ask(q):
        qt = bm25s.tokenize([q], stopwords="en", stemmer=stemmer, show_progress=False)
        return retriever.retrieve(qt, k=min(K, len(passages)), show_progress=False)

    p50, p95 = _latencies(ask, questions)
    t = time.perf_counter()
    qt = bm25s.tokenize(questions, stopwords="en", stemmer=stemmer, show_progress=False)
    retriever.retrieve(qt, k=K, show_progress=False, n_threads=1)
    qps = len(questions) / (time.perf_counter() - t)
    return {"build_s": build, "peak_mb": peak, "p50_ms": p50, "p95_ms": p95, "batch_qps": qps}


def _child(lib: str, args: tuple, queue) -> None:
    try:
        if lib == "spasmqa":
            queue.put(_run_spasmqa(*args))
        else:
            passages_file, questions = args
            passages = [json.loads(line) for line in Path(passages_file).read_text(encoding="utf-8").splitlines()]
            queue.put(_run_tantivy(passages, questions) if lib == "tantivy" else _run_bm25s(passages, questions))
    except Exception as exc:  # reported in the table, not raised in the parent
        queue.put({"error": f"{type(exc).__name__}: {exc}"})


def _in_process(lib: str, args: tuple) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    p = ctx.Process(target=_child, args=(lib, args, queue))
    p.start()
    result = queue.get()
    p.join()
    return result


def cold_start(index_dir: str, question: str, repeats: int = 5) -> dict:
    """import + load + first answer in a new process, and the CLI command, best of ``repeats``."""
    code = (f"import time; t=time.perf_counter(); import spasmqa; qa=spasmqa.QA.load({index_dir!r}); "
            f"qa.ask({question!r}); print(time.perf_counter()-t)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, env=env)  # warm-up
    inside, whole = [], []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
        inside.append(float(out.stdout.strip().splitlines()[-1]))
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "spasmqa", "ask", question, "--index", index_dir],
                       capture_output=True, check=True, env=env)
        whole.append(time.perf_counter() - t)
    return {"cold_s": min(inside), "cold_cli_s": min(whole)}


def write_corpus(name: str, path: Path, scifact: str | None, n_sentences: int) -> list[str]:
    """Write the raw corpus as JSONL; return its questions."""
    if name == "SciFact":
        src = Path(scifact)
        path.write_bytes((src / "corpus.jsonl").read_bytes())
        return [json.loads(line)["text"] for line in (src / "queries.jsonl").read_text(encoding="utf-8").splitlines()
                if line.strip()]
    sentences = [s[0].upper() + s[1:] for s in synthetic_passages(n_sentences)]
    with open(path, "w", encoding="utf-8") as f:
        for d in range(0, len(sentences), 10):
            f.write(json.dumps({"id": f"d{d // 10}", "text": " ".join(sentences[d:d + 10])}) + "\n")
    return synthetic_queries(1000)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scifact", help="BEIR SciFact directory")
    ap.add_argument("--synthetic", type=int, nargs="*", default=[], help="synthetic corpus sizes in sentences")
    ap.add_argument("--libraries", nargs="*", default=list(LIBRARIES))
    ap.add_argument("--workers", type=int, default=1, help="spasmqa build workers")
    ap.add_argument("--out", help="write OUT.json and OUT.md")
    args = ap.parse_args()
    corpora = ([("SciFact", 0)] if args.scifact else []) + [(f"synthetic {n:,}", n) for n in args.synthetic]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, n in corpora:
            corpus = Path(tmp) / "corpus.jsonl"
            questions = write_corpus(name, corpus, args.scifact, n)
            passages_file = str(Path(tmp) / "passages.jsonl")
            index_dir = str(Path(tmp) / "index")
            result = {}
            for lib in args.libraries:
                if lib == "spasmqa":
                    r = _in_process(lib, (str(corpus), passages_file, questions, index_dir, args.workers))
                    if "error" not in r:
                        r.update(cold_start(index_dir, questions[0]))
                else:
                    r = _in_process(lib, (passages_file, questions))
                result[lib] = r
                rows.append({"corpus": name, "library": lib, **r})
                print(json.dumps(rows[-1]), file=sys.stderr)
    report = {"machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
              "rows": rows}
    md = render(rows)
    print(md)
    if args.out:
        Path(args.out + ".json").write_text(json.dumps(report, indent=2), encoding="utf-8")
        Path(args.out + ".md").write_text(md + "\n", encoding="utf-8")


def render(rows: list[dict]) -> str:
    lines = ["| corpus | library | build (s) | peak MB | p50 ms | p95 ms | batch q/s | search p50 ms "
             "| cold start (s) |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['corpus']} | {r['library']} | error: {r['error']} |||||||")
            continue
        cold = f"{r['cold_s']:.2f} (CLI {r['cold_cli_s']:.2f})" if "cold_s" in r else ""
        search = f"{r['search_p50_ms']:.3f}" if "search_p50_ms" in r else ""
        lines.append(f"| {r['corpus']} | {r['library']} | {r['build_s']:.2f} | {r['peak_mb']:.0f} | "
                     f"{r['p50_ms']:.3f} | {r['p95_ms']:.3f} | {r['batch_qps']:,.0f} | {search} | {cold} |")
    by = {(r["corpus"], r["library"]): r for r in rows if "error" not in r}
    lines.append("")
    for corpus in dict.fromkeys(r["corpus"] for r in rows):
        s, t, b = (by.get((corpus, lib)) for lib in LIBRARIES)
        if s and t:
            lines.append(f"- {corpus}: ask p50 / tantivy p50 = {s['p50_ms'] / t['p50_ms']:.2f}; "
                         f"ask_many q/s / tantivy q/s = {s['batch_qps'] / t['batch_qps']:.2f}; "
                         f"build / tantivy build = {s['build_s'] / t['build_s']:.2f}")
        if s and b:
            lines.append(f"- {corpus}: ask p50 / bm25s p50 = {s['p50_ms'] / b['p50_ms']:.2f}; "
                         f"build / bm25s build = {s['build_s'] / b['build_s']:.2f}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
