"""Sharded build and serving on Dask (issue #12): exactness, build throughput, memory, latency.

* **Exactness on SciFact**: the 5,183 abstracts (documents, as in
  ``e2e.py``) built unsharded (``QA.from_corpus``) and sharded
  (``build_corpus_sharded``, ``--exact-shards`` shards on a local cluster of
  ``--exact-workers`` workers). Every answer of ``ask_many`` over the 1,109
  claims (k=10: passage ids, sources, scores to 1e-6, answer text, and the
  rest of each passage) and every ``search`` run (k=100, document and unit
  level: docnos, ranks, scores to 1e-6) of the sharded index, served in this
  process (``QA.load(dir)``) and through a Dask client (``QA.load(dir,
  workers=2)``), must equal the unsharded index's. Any difference makes the
  script exit with status 1.
* **Build throughput** on ``e2e.py``'s synthetic corpus (the same documents
  of 10 sentences, one JSONL file): wall time from the file to the index on
  disk, reading included, as ``spasmqa index`` runs it: the sharded build
  (``build_sharded_index``: each worker reads its own byte range of the file)
  on a local cluster of 1 and of 2 workers (shards = workers), and the
  unsharded one-process build (``QA.from_corpus`` + ``save``). The cluster is
  started before the clock starts (its start time is reported apart); the
  workers' first import of spasmqa and nltk is inside the clock. Each build
  runs in its own fresh process.
* **Peak memory**: the peak RSS (the kernel's high-water mark, ``VmHWM``)
  of every Dask worker process (started fresh before each build) and of
  the client process (a ``LocalCluster``'s scheduler runs in it); nothing
  polls during the build.
* **Where the time goes**: the workers' task stream (compute time per task
  kind: read, apply the load decisions, map, summarize, count, write) and
  the transfers between workers.
* **Query latency** on the synthetic index: p50/p95 of ``qa.ask(q, k=10)``
  over ``--questions`` synthetic questions: the unsharded index, the sharded
  index in this process, and through a client of 2 workers.

Usage::

    python benchmarks/sharded.py --scifact ../shared/data/scifact --synthetic 1000000 \\
        --out benchmarks/results/sharded

Needs the ``distributed`` and ``bench`` extras (dask, distributed, psutil).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import platform
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e2e import _latencies, _peak_mb, _reset_peak, _rss_mb, write_corpus

K_ASK = 10
K_SEARCH = 100
TOL = 1e-6


# -- exactness -----------------------------------------------------------------
def _compare_answers(ref: list, got: list) -> dict:
    """Counts of compared items, differences and the largest score difference."""
    out = {"answers": 0, "passages": 0, "answer_diffs": 0, "passage_diffs": 0, "max_score_diff": 0.0,
           "examples": []}
    for a, b in zip(ref, got, strict=True):
        out["answers"] += 1
        bad = a.text != b.text or len(a.passages) != len(b.passages) or a.terms != b.terms
        for p, q in zip(a.passages, b.passages):
            out["passages"] += 1
            d = abs(p.score - q.score)
            out["max_score_diff"] = max(out["max_score_diff"], d)
            same = (p.id == q.id and p.sources == q.sources and d <= TOL and p.text == q.text
                    and p.rank == q.rank and p.doc_id == q.doc_id and p.start == q.start and p.end == q.end
                    and p.near_duplicates == q.near_duplicates and p.context == q.context
                    and p.is_fragment == q.is_fragment and p.is_heading == q.is_heading)
            if not same:
                out["passage_diffs"] += 1
                bad = True
        if bad:
            out["answer_diffs"] += 1
            if len(out["examples"]) < 3:
                out["examples"].append(a.question)
    return out


def _compare_runs(ref: Any, got: Any) -> dict:
    """Two ``search`` frames: same qid/docno/rank rows, scores within TOL."""
    n = len(ref)
    same_rows = (len(got) == n and list(ref["qid"]) == list(got["qid"]) and list(ref["docno"]) == list(got["docno"])
                 and list(ref["rank"]) == list(got["rank"]))
    diff = float(np.max(np.abs(ref["score"].to_numpy() - got["score"].to_numpy()))) if same_rows and n else 0.0
    row_diffs = 0 if same_rows else sum(1 for x, y in zip(ref.itertuples(), got.itertuples())
                                        if (x.qid, x.docno, x.rank) != (y.qid, y.docno, y.rank)) + abs(len(got) - n)
    return {"rows": n, "queries": int(ref["qid"].nunique()), "row_diffs": row_diffs,
            "score_diffs": int(np.sum(np.abs(ref["score"].to_numpy() - got["score"].to_numpy()) > TOL))
            if same_rows else n, "max_score_diff": diff}


def exactness(scifact: str, shards: int, workers: int) -> dict:
    import spasmqa
    from spasmqa.corpus import load_corpus
    from spasmqa.shards import build_corpus_sharded

    src = Path(scifact)
    claims = [json.loads(line)["text"] for line in (src / "queries.jsonl").read_text(encoding="utf-8").splitlines()
              if line.strip()]
    result: dict[str, Any] = {"shards": shards, "build_workers": workers, "claims": len(claims)}
    with tempfile.TemporaryDirectory() as tmp:
        plain, sharded = Path(tmp) / "plain", Path(tmp) / "sharded"
        t = time.perf_counter()
        qa = spasmqa.QA.from_corpus(str(src / "corpus.jsonl"), progress=False)
        qa.save(plain)
        result["unsharded_build_s"] = time.perf_counter() - t
        result["documents"], result["passages"], result["units"] = len(qa.corpus), qa.n_passages, qa.n_units
        del qa
        t = time.perf_counter()
        corpus = load_corpus(str(src / "corpus.jsonl"))
        build_corpus_sharded(corpus, spasmqa.Settings(), sharded, shards=shards, workers=workers)
        result["sharded_build_s"] = time.perf_counter() - t  # includes starting the local cluster
        ref = spasmqa.QA.load(plain)
        ref_answers = ref.ask_many(claims, k=K_ASK)
        ref_runs = {level: ref.search(claims, k=K_SEARCH, level=level) for level in ("document", "unit")}
        del ref
        for mode in ("in_process", "client"):
            qa = spasmqa.QA.load(sharded) if mode == "in_process" else spasmqa.QA.load(sharded, workers=workers)
            try:
                r: dict[str, Any] = {"ask_many": _compare_answers(ref_answers, qa.ask_many(claims, k=K_ASK))}
                for level in ("document", "unit"):
                    r[f"search_{level}"] = _compare_runs(ref_runs[level], qa.search(claims, k=K_SEARCH, level=level))
            finally:
                qa.close()
            result[mode] = r
            print(f"exactness {mode}: {json.dumps(r)}", file=sys.stderr)
    result["exact"] = all(result[m]["ask_many"]["answer_diffs"] == 0
                          and all(result[m][f"search_{lv}"]["row_diffs"] == 0
                                  and result[m][f"search_{lv}"]["score_diffs"] == 0 for lv in ("document", "unit"))
                          for m in ("in_process", "client"))
    return result


# -- build ----------------------------------------------------------------------
class _Poller:
    """Peak RSS (MB) and CPU time of some processes, from the kernel: the high-water mark
    (``VmHWM``) and CPU times read before and after, so nothing runs beside the build (a
    polling thread in the client took CPU from the workers on this 2-core machine)."""

    def __init__(self, pids: list[int]) -> None:
        import psutil

        self.procs = {pid: psutil.Process(pid) for pid in pids}
        self.start_rss = {pid: p.memory_info().rss / 2**20 for pid, p in self.procs.items()}
        self.cpu0 = {pid: sum(p.cpu_times()[:2]) for pid, p in self.procs.items()}
        self.peak: dict[int, float] = {}
        self.cpu_s: dict[int, float] = {}

    def start(self) -> None:
        pass

    def stop(self) -> None:
        for pid, p in self.procs.items():
            self.peak[pid] = _vm_hwm_mb(pid)
            self.cpu_s[pid] = sum(p.cpu_times()[:2]) - self.cpu0[pid]


def _vm_hwm_mb(pid: int) -> float:
    """A process's peak resident set size so far (Linux ``VmHWM``), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _task_profile(stream: list[dict]) -> dict:
    """Per task kind: count, summed and longest compute time on the workers (s)."""
    kinds: dict[str, list[float]] = defaultdict(list)
    transfer = 0.0
    for task in stream:
        name = str(task["key"][0] if isinstance(task["key"], tuple) else task["key"]).split("-", 1)[0]
        for ss in task.get("startstops", ()):
            if ss["action"] == "compute":
                kinds[name].append(ss["stop"] - ss["start"])
            elif ss["action"] == "transfer":
                transfer += ss["stop"] - ss["start"]
    out = {k: {"n": len(v), "sum_s": sum(v), "max_s": max(v)} for k, v in kinds.items()}
    out["transfer_s"] = transfer  # type: ignore[assignment]
    return out


def _build_child(kind: str, corpus_path: str, out: str, workers: int, queue: Any) -> None:
    try:
        queue.put(_build(kind, corpus_path, out, workers))
    except Exception as exc:
        import traceback

        queue.put({"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()})


#: Shards per Dask worker in the synthetic builds (--shards-per-worker; an environment
#: variable, so the build's child process sees it however it is started).
SHARDS_PER_WORKER = int(os.environ.get("SPASMQA_BENCH_SHARDS_PER_WORKER", "1"))


def _build(kind: str, corpus_path: str, out: str, workers: int) -> dict:
    """Files to an index on disk, as ``spasmqa index`` runs it: the clock covers reading the corpus."""
    import spasmqa

    r: dict[str, Any] = {"kind": kind, "workers": workers, "from": "files"}
    if kind == "unsharded":
        base = _rss_mb()
        _reset_peak()
        t = time.perf_counter()
        qa = spasmqa.QA.from_corpus(corpus_path, progress=False)
        r["build_only_s"] = time.perf_counter() - t
        qa.save(out, overwrite=True)
        r["build_s"] = time.perf_counter() - t
        r["client_peak_mb"] = _peak_mb()
        r["client_peak_added_mb"] = _peak_mb() - base
        r["passages"], r["units"], r["documents"] = qa.n_passages, qa.n_units, len(qa.corpus)
        return r
    import distributed

    from spasmqa.cluster import start_local_cluster
    from spasmqa.shard_load import read_top
    from spasmqa.shard_read import build_paths_sharded

    t = time.perf_counter()
    client, cluster = start_local_cluster(workers)
    r["cluster_start_s"] = time.perf_counter() - t
    try:
        pids = list(client.run(os.getpid).values())
        poller = _Poller([*pids, os.getpid()])
        base = _rss_mb()
        _reset_peak()
        poller.start()
        with distributed.get_task_stream(client=client) as ts:
            t = time.perf_counter()
            build_paths_sharded(corpus_path, out, shards=workers * SHARDS_PER_WORKER, settings=spasmqa.Settings(),
                                client=client, overwrite=True)
            r["build_s"] = time.perf_counter() - t
        poller.stop()
        r["client_peak_mb"] = _peak_mb()
        r["client_peak_added_mb"] = _peak_mb() - base
        r["worker_start_mb"] = [poller.start_rss[p] for p in pids]
        r["worker_peak_mb"] = [poller.peak[p] for p in pids]
        r["worker_cpu_s"] = [poller.cpu_s[p] for p in pids]  # CPU time each worker got during the build
        r["client_cpu_s"] = poller.cpu_s[os.getpid()]
        r["tasks"] = _task_profile(ts.data)
        sizes = read_top(out).sizes
        r["passages"], r["units"], r["shards"], r["documents"] = (sizes["passages"], sizes["units"],
                                                                  sizes["shards"], sizes["documents"])
    finally:
        client.close()
        cluster.close()
    return r


def _in_child(fn: Any, *args: Any) -> dict:
    load0 = os.getloadavg()[0]
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    p = ctx.Process(target=fn, args=(*args, queue))
    p.start()
    result = queue.get()
    p.join()
    result["loadavg_1min"] = [load0, os.getloadavg()[0]]  # before and after: other load on the machine
    if "error" in result:
        print(result.get("traceback", result["error"]), file=sys.stderr)
    return result


# -- latency --------------------------------------------------------------------
def _latency_child(mode: str, index: str, questions: list[str], workers: int, queue: Any) -> None:
    try:
        import spasmqa

        t = time.perf_counter()
        qa = spasmqa.QA.load(index, workers=workers) if mode == "client" else spasmqa.QA.load(index)
        load_s = time.perf_counter() - t
        try:
            p50, p95 = _latencies(lambda q: qa.ask(q, k=K_ASK), questions)
            t = time.perf_counter()
            qa.ask_many(questions, k=K_ASK)
            qps = len(questions) / (time.perf_counter() - t)
        finally:
            qa.close()
        queue.put({"mode": mode, "load_s": load_s, "p50_ms": p50, "p95_ms": p95, "batch_qps": qps,
                   "questions": len(questions)})
    except Exception as exc:
        queue.put({"error": f"{type(exc).__name__}: {exc}"})


# -- main -------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scifact", help="BEIR SciFact directory (exactness)")
    ap.add_argument("--exact-shards", type=int, default=3)
    ap.add_argument("--exact-workers", type=int, default=2)
    ap.add_argument("--synthetic", type=int, default=0, help="synthetic corpus size in sentences (0: skip)")
    ap.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="Dask workers (= shards) per build")
    ap.add_argument("--questions", type=int, default=300, help="synthetic questions for latency")
    ap.add_argument("--shards-per-worker", type=int, default=1,
                    help="shards per worker in the synthetic builds (more: documents ship while others are mapped)")
    ap.add_argument("--out", help="write OUT.json and OUT.md")
    ap.add_argument("--update", action="store_true", help="keep the parts of an existing OUT.json not run now")
    args = ap.parse_args()
    os.environ["SPASMQA_BENCH_SHARDS_PER_WORKER"] = str(args.shards_per_worker)
    old = {}
    if args.update and args.out and Path(args.out + ".json").exists():
        old = json.loads(Path(args.out + ".json").read_text(encoding="utf-8"))
    report: dict[str, Any] = {**old, "machine": f"{os.cpu_count()} cores, {platform.machine()}, "
                                         f"Python {platform.python_version()}"}
    try:
        import dask
        import distributed
        report["dask"] = f"dask {dask.__version__}, distributed {distributed.__version__}"
    except ImportError:
        pass
    if args.scifact:
        report["exactness"] = exactness(args.scifact, args.exact_shards, args.exact_workers)
    if args.synthetic:
        with tempfile.TemporaryDirectory() as tmp:
            corpus = Path(tmp) / "corpus.jsonl"
            questions = write_corpus("synthetic", corpus, None, args.synthetic)[:args.questions]
            builds = []
            plain = str(Path(tmp) / "plain")
            builds.append(_in_child(_build_child, "unsharded", str(corpus), plain, 1))
            print(json.dumps(builds[-1]), file=sys.stderr)
            sharded = {}
            for w in args.workers:
                sharded[w] = str(Path(tmp) / f"sharded{w}")
                builds.append(_in_child(_build_child, "sharded", str(corpus), sharded[w], w))
                print(json.dumps(builds[-1]), file=sys.stderr)
            report["synthetic"] = {"sentences": args.synthetic, "builds": builds}
            served = sharded[max(args.workers)]
            latency = [
                {"index": "unsharded", **_in_child(_latency_child, "in_process", plain, questions, 0)},
                {"index": f"sharded ({max(args.workers) * SHARDS_PER_WORKER} shards)",
                 **_in_child(_latency_child, "in_process", served, questions, 0)},
                {"index": f"sharded ({max(args.workers) * SHARDS_PER_WORKER} shards)",
                 **_in_child(_latency_child, "client", served, questions, 2)},
            ]
            for row in latency:
                print(json.dumps(row), file=sys.stderr)
            report["synthetic"]["latency"] = latency
    md = render(report)
    print(md)
    if args.out:
        Path(args.out + ".json").write_text(json.dumps(report, indent=2), encoding="utf-8")
        Path(args.out + ".md").write_text(md + "\n", encoding="utf-8")
    if "exactness" in report and not report["exactness"]["exact"]:
        print("EXACTNESS FAILED: the sharded index differs from the unsharded one", file=sys.stderr)
        return 1
    return 0


def _f(x: float, d: int = 2) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.{d}f}"


def render(report: dict) -> str:
    lines = [f"Machine: {report['machine']}; {report.get('dask', '')}", ""]
    ex = report.get("exactness")
    if ex:
        lines += [f"**Exactness on SciFact** ({ex['documents']:,} documents, {ex['passages']:,} passages, "
                  f"{ex['units']:,} units; {ex['shards']} shards built on {ex['build_workers']} workers; "
                  f"{ex['claims']:,} claims): {'all equal' if ex['exact'] else 'DIFFERENCES'}", "",
                  "| served | ask_many k=10: answers / passages compared | differing | max score diff "
                  "| search k=100 document: rows | differing | max diff | search k=100 unit: rows | differing "
                  "| max diff |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for mode in ("in_process", "client"):
            r = ex[mode]
            a, d, u = r["ask_many"], r["search_document"], r["search_unit"]
            lines.append(f"| {'QA.load(dir)' if mode == 'in_process' else 'QA.load(dir, workers=2)'} | "
                         f"{a['answers']:,} / {a['passages']:,} | {a['answer_diffs']} / {a['passage_diffs']} | "
                         f"{a['max_score_diff']:.1e} | {d['rows']:,} | {d['row_diffs'] + d['score_diffs']} | "
                         f"{d['max_score_diff']:.1e} | {u['rows']:,} | {u['row_diffs'] + u['score_diffs']} | "
                         f"{u['max_score_diff']:.1e} |")
        lines.append("")
    syn = report.get("synthetic")
    if syn:
        n = syn["sentences"]
        lines += [f"**Build, synthetic {n:,} sentences** (the JSONL file to an index on disk, reading included; "
                  "shards = workers; sharded: `build_sharded_index`, each worker reading its own part of the file)",
                  "",
                  "| build | workers | shards | passages | wall (s) | sentences/s | speed-up vs 1 worker "
                  "| client peak MB | worker peak MB (each) | worker CPU s (each) | load avg before/after "
                  "| cluster start (s) |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        one = next((b for b in syn["builds"] if b.get("kind") == "sharded" and b.get("workers") == 1), None)
        for b in syn["builds"]:
            if "error" in b:
                lines.append(f"| error: {b['error']} |||||||||")
                continue
            sharded = b["kind"] == "sharded"
            speed = _f(one["build_s"] / b["build_s"]) if sharded and one else ""
            workers_mb = ", ".join(f"{m:,.0f}" for m in b.get("worker_peak_mb", []))
            workers_cpu = ", ".join(f"{m:,.0f}" for m in b.get("worker_cpu_s", []))
            load = " / ".join(f"{x:.1f}" for x in b.get("loadavg_1min", []))
            lines.append(f"| {'sharded on Dask' if sharded else 'unsharded QA.from_corpus + save'} | "
                         f"{b['workers'] if sharded else '1 (this process)'} | {b.get('shards', 1)} | "
                         f"{b['passages']:,} | {_f(b['build_s'])} | {n / b['build_s']:,.0f} | {speed} | "
                         f"{b['client_peak_mb']:,.0f} | {workers_mb} | {workers_cpu} | {load} | "
                         f"{_f(b.get('cluster_start_s'))} |")
        lines += ["", "Where the sharded build's time goes (compute on the workers, summed over tasks, and the "
                  "longest task; transfers between workers):", "",
                  "| workers | wall (s) | read (s, max task) | apply | map | summarize | doc freq | write "
                  "| transfers (s) |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for b in syn["builds"]:
            if b.get("kind") != "sharded" or "error" in b:
                continue
            t = defaultdict(lambda: {"n": 0, "sum_s": 0.0, "max_s": 0.0})
            for key, v in b["tasks"].items():
                if key != "transfer_s":
                    kind = t[key.split("-", 1)[0]]
                    kind.update(n=kind["n"] + v["n"], sum_s=kind["sum_s"] + v["sum_s"],
                                max_s=max(kind["max_s"], v["max_s"]))
            t["transfer_s"] = b["tasks"]["transfer_s"]

            def cell(name: str, t: Any = t) -> str:
                v = t[name] if name in t else None
                return f"{v['sum_s']:.2f} ({v['max_s']:.2f})" if v else ""

            lines.append(f"| {b['workers']} | {_f(b['build_s'])} | {cell('_read')} | {cell('_apply')} | "
                         f"{cell('_concat_and_map')} | {cell('summarize')} | {cell('new_unit_doc_freq')} | "
                         f"{cell('_write_task')} | {_f(float(t['transfer_s']))} |")
        lines += ["", f"**Query latency, synthetic {n:,}** (`qa.ask(q, k=10)`, one question at a time)", "",
                  "| index | served | load (s) | p50 ms | p95 ms | ask_many q/s |", "|---|---|---:|---:|---:|---:|"]
        for row in syn["latency"]:
            if "error" in row:
                lines.append(f"| {row['index']} | error: {row['error']} |||||")
                continue
            served = "QA.load(dir, workers=2)" if row["mode"] == "client" else "QA.load(dir)"
            lines.append(f"| {row['index']} | {served} | {_f(row['load_s'])} | {row['p50_ms']:.3f} | "
                         f"{row['p95_ms']:.3f} | {row['batch_qps']:,.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
