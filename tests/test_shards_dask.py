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


def _tree(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _mixed_corpus(root):
    import json

    root.mkdir()
    rows = [json.dumps({"id": f"r{i}", "title": f"Record {i}", "text": f"Muscle spasm note {i}. Heat helps {i % 7}."})
            for i in range(400)]
    (root / "big.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (root / "clash.jsonl").write_text('{"id": "r3", "text": "Another record three. It clashes."}\n', encoding="utf-8")
    (root / "notes.txt").write_text("Back spasms hurt. Rest helps.\n\nStretch daily, slowly.", encoding="utf-8")
    (root / "page.md").write_text("# Cramps\n\nNight cramps hit the calf. Stretching helps.\n", encoding="utf-8")
    (root / "image.bin").write_bytes(b"\x00\x01")
    return root


def test_files_read_on_the_workers_give_the_client_loaded_index(client, tmp_path):
    from spasmqa.shards import build_corpus_sharded

    corpus_dir = _mixed_corpus(tmp_path / "corpus")
    with pytest.warns(UserWarning, match="skipped") as caught:
        loaded = spasmqa.load_corpus(corpus_dir)
    build_corpus_sharded(loaded, spasmqa.Settings(), tmp_path / "a", shards=3, client=client)
    with pytest.warns(UserWarning) as got:
        spasmqa.build_sharded_index(corpus_dir, tmp_path / "b", shards=3, client=client)
    summary = str(caught[0].message).removesuffix(". See Corpus.problems.")
    assert [str(w.message).split(". See ")[0] for w in got] == [summary]
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")  # the same index, byte for byte
    with spasmqa.QA.load(tmp_path / "b") as sq:
        assert "r3" not in {p.doc_id for p in sq.ask("record three clashes", k=5).passages}
        assert {"big.jsonl#r3", "clash.jsonl#r3"} <= set(sq.corpus)
    # the default corpus (one file, never cut) still gives the shards asked for
    spasmqa.build_sharded_index(None, tmp_path / "d", shards=3, client=client)
    assert len(load_sharded(tmp_path / "d").shards) == 3


def test_files_read_on_the_workers_raise_what_load_corpus_raises(client, tmp_path):
    corpus_dir = _mixed_corpus(tmp_path / "corpus")
    with pytest.raises(spasmqa.InputError) as expected:
        spasmqa.load_corpus(corpus_dir, strict=True)
    with pytest.raises(spasmqa.InputError) as got:
        spasmqa.build_sharded_index(corpus_dir, tmp_path / "idx", shards=3, client=client, strict=True)
    assert str(got.value) == str(expected.value)
    (tmp_path / "dup").mkdir()
    lines = [f'{{"id": "d{i % 150}", "text": "Row {i}."}}' for i in range(200)]  # d0 again at line 151
    (tmp_path / "dup" / "c.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(spasmqa.InputError) as expected:
        spasmqa.load_corpus(tmp_path / "dup" / "c.jsonl")
    with pytest.raises(spasmqa.InputError) as got:
        spasmqa.build_sharded_index(tmp_path / "dup" / "c.jsonl", tmp_path / "idx", shards=3, client=client)
    assert str(got.value) == str(expected.value) and ":151: duplicate doc_id 'd0'" in str(got.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(spasmqa.InputError, match="no documents were loaded"):
        spasmqa.build_sharded_index(tmp_path / "empty", tmp_path / "idx", shards=2, client=client)
    assert not (tmp_path / "idx").exists()


def test_punkt_trained_on_the_corpus_reads_it_on_the_client(client, tmp_path):
    from spasmqa.shards import build_corpus_sharded

    corpus_dir = _mixed_corpus(tmp_path / "corpus")
    with pytest.warns(UserWarning):
        build_corpus_sharded(spasmqa.load_corpus(corpus_dir), spasmqa.Settings(punkt="train"), tmp_path / "a",
                             shards=2, client=client)
        spasmqa.build_sharded_index(corpus_dir, tmp_path / "b", shards=2, client=client, punkt="train")
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")


def test_cli_index_sharded_reports_load_problems(tmp_path, capsys):
    corpus_dir = _mixed_corpus(tmp_path / "corpus")
    assert main(["index", str(corpus_dir), "--out", str(tmp_path / "idx"), "--workers", "2", "--shards", "2"]) == 0
    captured = capsys.readouterr()
    assert "saved 2 shards" in captured.out and "skipped" in captured.err
