"""How much two concurrent builds slow each other down on this machine, without Dask.

The map of a sharded build (``parallel.map_partition``: split, analyse,
count) on half of ``e2e.py``'s synthetic corpus, run alone in one process,
then on both halves in two processes at once. The ratio bounds what any
2-worker build can gain over a 1-worker one here::

    python benchmarks/map_contention.py --synthetic 1000000
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e2e import write_corpus

_STATE: dict[str, Any] = {}


def _run(half: int, queue: Any) -> None:
    from spasmqa.parallel import map_partition

    t = time.perf_counter()
    map_partition(_STATE["halves"][half], _STATE["options"])
    queue.put(time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--synthetic", type=int, default=1_000_000)
    args = ap.parse_args()
    import spasmqa
    from spasmqa.corpus import load_corpus
    from spasmqa.parts import index_options, resolve_settings
    from spasmqa.passages import SentenceSplitter
    from spasmqa.shards import _chunks

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.jsonl"
        write_corpus("synthetic", path, None, args.synthetic)
        corpus = load_corpus(str(path))
    settings = resolve_settings(spasmqa.Settings(), corpus, building=True)
    splitter = SentenceSplitter(punkt=settings.punkt, web_rules=settings.web_rules)
    splitter.tokenizer_  # noqa: B018
    _STATE["options"] = index_options(settings, splitter)
    _STATE["halves"] = _chunks(list(corpus.values()), 2)
    ctx = mp.get_context("fork")  # the children inherit the documents
    queue = ctx.Queue()
    p = ctx.Process(target=_run, args=(0, queue))
    p.start()
    alone = queue.get()
    p.join()
    procs = [ctx.Process(target=_run, args=(i, queue)) for i in (0, 1)]
    for p in procs:
        p.start()
    together = [queue.get(), queue.get()]
    for p in procs:
        p.join()
    print(f"half alone: {alone:.2f} s; both halves at once: {together[0]:.2f} s, {together[1]:.2f} s; "
          f"slowest {max(together) / alone - 1:+.1%}; bound on the 2-worker map speed-up: "
          f"{2 * alone / max(together):.2f}x")


if __name__ == "__main__":
    main()
