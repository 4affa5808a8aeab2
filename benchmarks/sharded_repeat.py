"""Repeat the 1M synthetic sharded build for given (workers, shards) pairs, wall time only.

    python benchmarks/sharded_repeat.py 1:1 2:2 1:1 2:2

Each build runs ``build_sharded_index``'s path (the JSONL file to an index on
disk, each worker reading its own part) on a local cluster it starts before
the clock. Used to see how much the 2-vs-1-worker speed-up varies between
runs on this machine.
"""

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def main() -> None:
    from e2e import write_corpus

    import spasmqa
    from spasmqa.cluster import start_local_cluster
    from spasmqa.shard_read import build_paths_sharded

    tmp = Path(tempfile.mkdtemp())
    write_corpus("synthetic", tmp / "c.jsonl", None, 1_000_000)
    for k, pair in enumerate(sys.argv[1:]):
        workers, shards = (int(x) for x in pair.split(":"))
        client, cluster = start_local_cluster(workers)
        try:
            t = time.perf_counter()
            build_paths_sharded(str(tmp / "c.jsonl"), str(tmp / f"i{k}"), shards=shards,
                                settings=spasmqa.Settings(), client=client)
            print(workers, shards, round(time.perf_counter() - t, 2), flush=True)
        finally:
            client.close()
            cluster.close()


if __name__ == "__main__":
    main()
