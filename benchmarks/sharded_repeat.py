"""Repeat the 1M synthetic sharded build for given (workers, shards) pairs, wall time only.

    python benchmarks/sharded_repeat.py 2:2 1:1 2:4 1:4

Documents are loaded once; each build starts its own local cluster. Used to
see how much the 2-vs-1-worker speed-up varies between runs on this machine.
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
    from spasmqa.corpus import load_corpus
    from spasmqa.parts import index_options, resolve_settings
    from spasmqa.passages import SentenceSplitter
    from spasmqa.shards import build_sharded

    tmp = Path(tempfile.mkdtemp())
    write_corpus("synthetic", tmp / "c.jsonl", None, 1_000_000)
    corpus = load_corpus(str(tmp / "c.jsonl"))
    docs = list(corpus.values())
    settings = resolve_settings(spasmqa.Settings(), corpus, building=True)
    splitter = SentenceSplitter(punkt=settings.punkt, web_rules=settings.web_rules)
    splitter.fit([])
    options = index_options(settings, splitter)
    for pair in sys.argv[1:]:
        workers, shards = (int(x) for x in pair.split(":"))
        client, cluster = start_local_cluster(workers)
        try:
            t = time.perf_counter()
            build_sharded(docs, options, settings, str(tmp / f"i{workers}_{shards}"), shards=shards, client=client)
            print(workers, shards, round(time.perf_counter() - t, 2), flush=True)
        finally:
            client.close()
            cluster.close()


if __name__ == "__main__":
    main()
