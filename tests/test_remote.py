"""Indexes at fsspec URLs: saved and built there (manifest last), loaded from a checked local copy.

The in-memory file system ("memory://") stands for an object store: it has no
rename, and nothing in it is a local path.
"""

import numpy as np
import pytest

import spasmqa
from spasmqa.qa import QA

fsspec = pytest.importorskip("fsspec")

QUESTIONS = ["what causes lower back spasms", "how long do back spasms last", "can a physio help"]


@pytest.fixture
def memfs():
    fs = fsspec.filesystem("memory")
    yield fs
    fs.store.clear()
    fs.pseudo_dirs.clear()
    fs.pseudo_dirs.append("")


@pytest.fixture(scope="module")
def qa():
    return QA.from_corpus()


def same(a, b):
    for x, y in zip(a, b, strict=True):
        assert [(p.id, p.sources, p.text) for p in x.passages] == [(p.id, p.sources, p.text) for p in y.passages]
        np.testing.assert_allclose([p.score for p in x.passages], [p.score for p in y.passages], atol=1e-9)


@pytest.mark.parametrize("mmap", [False, True])
def test_save_and_load_at_a_url(memfs, qa, mmap):
    qa.save("memory://bucket/idx")
    assert memfs.exists("/bucket/idx/manifest.json")
    loaded = QA.load("memory://bucket/idx", mmap=mmap)
    same(qa.ask_many(QUESTIONS), loaded.ask_many(QUESTIONS))
    with pytest.raises(FileExistsError, match="already exists"):
        qa.save("memory://bucket/idx")
    qa.with_settings(weighting="bm25").save("memory://bucket/idx", overwrite=True)
    assert QA.load("memory://bucket/idx").settings.weighting == "bm25"


def test_a_url_holding_something_else_is_never_replaced(memfs, qa):
    memfs.pipe("/bucket/data/notes.txt", b"precious")
    with pytest.raises(FileExistsError, match="not a spasmqa index"):
        qa.save("memory://bucket/data", overwrite=True)
    assert memfs.cat("/bucket/data/notes.txt") == b"precious"


def test_a_tampered_remote_index_is_refused(memfs, qa):
    qa.save("memory://bucket/idx")
    name = "/bucket/idx/occ_start.npy"
    data = bytearray(memfs.cat(name))
    data[-1] ^= 0xFF
    memfs.pipe(name, bytes(data))
    with pytest.raises(spasmqa.IndexFormatError, match="occ_start"):
        QA.load("memory://bucket/idx")


def test_missing_remote_index(memfs):
    with pytest.raises(FileNotFoundError):
        QA.load("memory://bucket/nothing")


def test_a_sharded_build_at_a_url_then_loaded(memfs, qa):
    from spasmqa.corpus import load_corpus
    from spasmqa.parts import index_options, resolve_settings
    from spasmqa.passages import SentenceSplitter
    from spasmqa.remote import download
    from spasmqa.shard_load import read_top
    from spasmqa.shardcluster import RemoteShard
    from spasmqa.shards import build_sharded_serial

    corpus = load_corpus(None)
    settings = resolve_settings(qa.settings, corpus, building=True)
    splitter = SentenceSplitter(punkt=settings.punkt, web_rules=settings.web_rules)
    splitter.fit(d.text for d in corpus.values())
    out = build_sharded_serial(list(corpus.values()), index_options(settings, splitter), settings,
                               "memory://bucket/sharded", shards=3)
    assert out == "memory://bucket/sharded" and memfs.exists("/bucket/sharded/shard-00002/manifest.json")
    sq = QA.load("memory://bucket/sharded")
    same(qa.ask_many(QUESTIONS), sq.ask_many(QUESTIONS))
    # What a Dask worker does with its shard: copy it, check it, serve it.
    top = read_top(download("memory://bucket/sharded", top_only=True))
    rec = top.shards[1]
    shard = RemoteShard("memory://bucket/sharded/" + rec["directory"], top.stats,
                        {"fingerprint": top.fingerprint, "manifest_sha256": rec["manifest_sha256"], "index": 1,
                         "count": 3, "vocabulary_sha256": top.vocabulary_sha256})
    assert shard.shard.doc_offset == rec["documents"][0]
    with pytest.raises(FileExistsError):
        build_sharded_serial(list(corpus.values()), index_options(settings, splitter), settings,
                             "memory://bucket/sharded", shards=2)


def test_files_read_on_workers_build_at_a_url(memfs, tmp_path, qa):
    distributed = pytest.importorskip("distributed")
    # Worker threads in this process share the in-memory file system with the test.
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        out = spasmqa.build_sharded_index(None, "memory://bucket/fromfiles", shards=3, client=client)
    assert out == "memory://bucket/fromfiles" and memfs.exists("/bucket/fromfiles/shard-00002/manifest.json")
    same(qa.ask_many(QUESTIONS), QA.load("memory://bucket/fromfiles").ask_many(QUESTIONS))
