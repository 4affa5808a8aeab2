"""Where a sharded build's wall time goes, phase by phase (a profile for ``sharded.py``'s build numbers).

Builds ``e2e.py``'s synthetic corpus (one JSONL file, read by the workers:
``build_paths_sharded``) on a local Dask cluster with a runner that
timestamps every submit and gather on the client, times the plan, the
settling and the reduce, and
prints the workers' task stream (compute and transfer per task, seconds from
the first task's start)::

    python benchmarks/sharded_phases.py --synthetic 1000000 --workers 2
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e2e import write_corpus


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--synthetic", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2, help="Dask workers (= shards)")
    args = ap.parse_args()

    import distributed

    import spasmqa
    from spasmqa import shard_read
    from spasmqa import shards as sh
    from spasmqa.cluster import DaskRunner, start_local_cluster

    marks: list[tuple[str, float]] = []

    class Timed(DaskRunner):
        def submit(self, fn: Any, *a: Any) -> Any:
            handle = super().submit(fn, *a)
            marks.append((f"submitted {fn.__name__}", time.perf_counter()))
            return handle

        def gather(self, handles: Any, *, what: str) -> list[Any]:
            marks.append((f"gather start: {what}", time.perf_counter()))
            out = super().gather(handles, what=what)
            marks.append((f"gathered: {what}", time.perf_counter()))
            return out

    def timed(fn: Any, name: str) -> Any:
        def run(*a: Any, **kw: Any) -> Any:
            t = time.perf_counter()
            out = fn(*a, **kw)
            marks.append((f"{name} on the client took {time.perf_counter() - t:.2f} s", time.perf_counter()))
            return out
        return run

    sh.reduce_summaries = timed(sh.reduce_summaries, "reduce")  # type: ignore[assignment]
    shard_read.settle = timed(shard_read.settle, "settle")  # type: ignore[assignment]
    shard_read.plan_pieces = timed(shard_read.plan_pieces, "plan")  # type: ignore[assignment]
    shard_read.DaskRunner = Timed  # type: ignore[misc]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.jsonl"
        write_corpus("synthetic", path, None, args.synthetic)
        client, cluster = start_local_cluster(args.workers)
        try:
            with distributed.get_task_stream(client=client) as ts:
                t0 = time.perf_counter()
                shard_read.build_paths_sharded(str(path), Path(tmp) / "idx", shards=args.workers,
                                               settings=spasmqa.Settings(), client=client)
                t1 = time.perf_counter()
        finally:
            client.close()
            cluster.close()
    print("client (s from the start of the build):")
    for name, t in marks:
        print(f"{t - t0:8.2f}  {name}")
    print(f"{t1 - t0:8.2f}  done")
    start = min(ss["start"] for task in ts.data for ss in task["startstops"])
    print("workers (task, action, start s from the first task, duration s):")
    for task in sorted(ts.data, key=lambda x: x["startstops"][0]["start"]):
        kind = str(task["key"]).split("-")[0]
        for ss in task["startstops"]:
            print(f"  {kind:20s} {ss['action']:12s} {ss['start'] - start:8.2f} {ss['stop'] - ss['start']:7.2f}")


if __name__ == "__main__":
    main()
