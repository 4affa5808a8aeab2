"""The sharded build on Dask: a local cluster of two worker processes, worker failures, cluster errors."""

from __future__ import annotations

import logging
import sys
import time

import numpy as np
import pytest
from shardhelpers import check_same_as_unsharded, inputs, random_texts

import spasmqa
from spasmqa.cli import main
from spasmqa.errors import ClusterError, MissingExtraError
from spasmqa.parallel import map_partition
from spasmqa.shard_load import load_sharded
from spasmqa.shards import build_sharded

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    import dask

    # A task may see one worker die under it (Dask's default is three), so a worker that keeps dying
    # fails the build after two deaths.
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=None, scheduler_kwargs={"dashboard_address": ":0"},
                                           silence_logs=logging.ERROR)
    c = distributed.Client(cluster, set_as_default=False)
    yield c
    c.close()
    cluster.close()


def test_default_and_random_corpora_on_two_workers(client, tmp_path, qa):
    docs, opts, s = inputs(spasmqa.load_corpus(None))
    out = build_sharded(docs, opts, s, tmp_path / "default", shards=3, client=client)
    check_same_as_unsharded(load_sharded(out), qa)
    texts = random_texts(np.random.default_rng(3), 40)
    docs, opts, s = inputs(spasmqa.Corpus.from_texts(texts), weighting="bm25")
    out = build_sharded(docs, opts, s, tmp_path / "random", shards=3, client=client)
    check_same_as_unsharded(load_sharded(out), spasmqa.QA.from_texts(texts, weighting="bm25"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["default", "random"]


def test_a_worker_killed_mid_build_is_retried(client, tmp_path):
    marker = str(tmp_path / "killed-once")

    def kill_once(docs, options):  # pickled by value to the workers
        import os
        import signal
        from pathlib import Path

        if not Path(marker).exists():
            Path(marker).touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return map_partition(docs, options)

    texts = random_texts(np.random.default_rng(5), 20)
    docs, opts, s = inputs(spasmqa.Corpus.from_texts(texts))
    out = build_sharded(docs, opts, s, tmp_path / "idx", shards=3, client=client, map_fn=kill_once)
    assert (tmp_path / "killed-once").exists()
    check_same_as_unsharded(load_sharded(out), spasmqa.QA.from_texts(texts))
    client.wait_for_workers(2, timeout=30)


def test_a_worker_that_keeps_dying_fails_the_build_and_writes_nothing(client, tmp_path):
    def always_dies(docs, options):
        import os
        import signal

        if any("poison" in d.text for d in docs):
            os.kill(os.getpid(), signal.SIGKILL)
        return map_partition(docs, options)

    docs, opts, s = inputs(spasmqa.Corpus.from_texts(["Heat helps.", "A poison pill."]))
    with pytest.raises(ClusterError, match="the map failed on a Dask worker: KilledWorker"):
        build_sharded(docs, opts, s, tmp_path / "idx", shards=2, client=client, map_fn=always_dies)
    assert list(tmp_path.iterdir()) == []
    client.wait_for_workers(2, timeout=30)


def test_a_task_that_keeps_failing_fails_the_build_and_writes_nothing(client, tmp_path):
    def always_fails(docs, options):
        raise RuntimeError("bad worker")

    docs, opts, s = inputs(spasmqa.Corpus.from_texts(["Heat helps.", "Ice helps."]))
    with pytest.raises(ClusterError, match="the map failed on a Dask worker: RuntimeError: bad worker"):
        build_sharded(docs, opts, s, tmp_path / "idx", shards=2, client=client, map_fn=always_fails, retries=1)
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_scheduler_fails_quickly_with_its_address(tmp_path):
    docs, opts, s = inputs(spasmqa.Corpus.from_texts(["Heat helps."]))
    t0 = time.perf_counter()
    with pytest.raises(ClusterError, match="tcp://127.0.0.1:1"):
        build_sharded(docs, opts, s, tmp_path / "idx", shards=1, scheduler="tcp://127.0.0.1:1", timeout=1)
    assert time.perf_counter() - t0 < 15
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("module", ["distributed", "dask"])
def test_without_dask_the_error_names_the_extra(monkeypatch, tmp_path, module):
    monkeypatch.setitem(sys.modules, module, None)  # import raises ImportError
    docs, opts, s = inputs(spasmqa.Corpus.from_texts(["Heat helps."]))
    with pytest.raises(MissingExtraError, match=r'pip install "spasmqa\[distributed\]"'):
        build_sharded(docs, opts, s, tmp_path / "idx", shards=1, workers=1)


def test_cli_index_sharded(tmp_path, capsys, qa):
    out = tmp_path / "idx"
    assert main(["index", "--out", str(out), "--workers", "2", "--shards", "3"]) == 0
    assert "saved 3 shards" in capsys.readouterr().out
    check_same_as_unsharded(load_sharded(out), qa)
    # ask and search on the sharded index print what they print on the unsharded one
    plain = tmp_path / "plain"
    assert main(["index", "--out", str(plain)]) == 0
    capsys.readouterr()
    for args in (["ask", "what causes lower back spasms", "--k", "5"], ["ask", "how long do spasms last", "--json"]):
        assert main([*args, "--index", str(plain)]) == 0
        expected = capsys.readouterr().out
        assert main([*args, "--index", str(out)]) == 0
        assert capsys.readouterr().out == expected
    assert main(["index", "--out", str(out), "--workers", "2", "--shards", "2"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["index", "--out", str(tmp_path / "x"), "--scheduler", "s3://nowhere"]) == 2
    assert "spasmqa: error:" in capsys.readouterr().err
