"""The sharded index without Dask: the same map, reduce and writes in this process, and the loader's checks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shardhelpers import SENTENCES, check_same_as_unsharded, inputs, random_texts

import spasmqa
from spasmqa.errors import IndexFormatError, InputError
from spasmqa.parallel import map_partition, partitions, reduce_partitions
from spasmqa.parts import term_index
from spasmqa.shard_load import is_sharded_index, load_shard, load_sharded, read_top
from spasmqa.shards import (
    build_sharded_serial,
    global_stats,
    new_unit_doc_freq,
    reduce_summaries,
    shard_segment,
    summarize,
)
from spasmqa.storage import _manifest_digest


def _build(corpus, out, shards=3, overwrite=False, map_fn=map_partition, **options):
    docs, opts, s = inputs(corpus, **options)
    return build_sharded_serial(docs, opts, s, out, shards=shards, overwrite=overwrite, map_fn=map_fn)


@pytest.fixture(scope="module")
def default_sharded(tmp_path_factory):
    return _build(spasmqa.load_corpus(None), tmp_path_factory.mktemp("sh") / "idx")


def test_default_corpus_ids_and_statistics_equal_an_unsharded_build(default_sharded, qa):
    assert is_sharded_index(default_sharded)
    loaded = load_sharded(default_sharded)
    assert len(loaded.shards) == 3
    check_same_as_unsharded(loaded, qa)


@pytest.mark.parametrize("options", [{}, {"weighting": "bm25"}, {"unit": "document", "title_boost": 2},
                                     {"pivot_slope": 1.0, "sublinear_tf": False}])
def test_random_corpus_in_three_shards(tmp_path, options):
    texts = random_texts(np.random.default_rng(7))
    corpus = spasmqa.Corpus.from_texts(texts)
    loaded = load_sharded(_build(corpus, tmp_path / "idx", **options), mmap=True)
    check_same_as_unsharded(loaded, spasmqa.QA.from_texts(texts, **options))
    assert loaded.settings == spasmqa.QA.from_texts(texts, **options).settings


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=5).map(" ".join), min_size=1,
                max_size=10), st.integers(1, 4))
def test_map_reduce_numbers_units_and_terms_as_the_unsharded_reduce(texts, n):
    docs, opts, s = inputs(spasmqa.Corpus.from_texts(texts))
    chunks = list(partitions(docs, n))
    parts = [map_partition(c, opts) for c in chunks]
    plan = reduce_summaries([summarize(p) for p in parts])
    stats = global_stats(plan, [new_unit_doc_freq(p, new) for p, new in zip(parts, plan.new_units)])
    whole = reduce_partitions(parts, docs, term_index(s))
    assert plan.vocabulary == whole.index.terms_
    local = whole.index.local_stats()
    assert (stats.n_units, stats.total_length) == (local.n_units, local.total_length)
    np.testing.assert_array_equal(stats.doc_freq, local.doc_freq)
    for part, chunk, umap, tmap in zip(parts, chunks, plan.unit_maps, plan.term_maps):
        seg = shard_segment(part, chunk, tmap, plan.vocabulary, stats, s)
        np.testing.assert_array_equal(seg.index.counts_.toarray(), whole.index.counts_[:, umap].toarray())
        first = whole.table.unit_first_occ[umap]
        np.testing.assert_array_equal(plan.fragment[umap], whole.table.occ_fragment[first])


def test_load_shard_alone_with_the_top_statistics(default_sharded):
    top = read_top(default_sharded)
    rec = top.shards[1]
    shard = load_shard(default_sharded / rec["directory"], top.stats, manifest_sha256=rec["manifest_sha256"],
                       index=1, count=3)
    assert shard.index == 1 and shard.doc_offset == rec["documents"][0]
    with pytest.raises(IndexFormatError, match="shard-00001.*another build"):
        other = type(top.stats)(n_units=top.stats.n_units + 1, doc_freq=top.stats.doc_freq,
                                total_length=top.stats.total_length)
        load_shard(default_sharded / rec["directory"], other)


# -- bad input ---------------------------------------------------------------------------------------------

@pytest.fixture
def sharded(default_sharded, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(default_sharded, copy)
    return copy


def _rewrite_manifest(path: Path, change) -> None:
    m = json.loads(path.read_text())
    change(m)
    m["manifest_sha256"] = _manifest_digest(m)
    path.write_text(json.dumps(m, indent=2))


def test_tampered_shard_bytes_are_refused(sharded):
    f = sharded / "shard-00001" / "counts_data.npy"
    data = bytearray(f.read_bytes())
    data[-1] ^= 1
    f.write_bytes(bytes(data))
    with pytest.raises(IndexFormatError, match="shard-00001.*corrupted"):
        load_sharded(sharded)


def test_missing_shard_is_refused(sharded):
    shutil.rmtree(sharded / "shard-00002")
    with pytest.raises(IndexFormatError, match="shard-00002 is missing"):
        load_sharded(sharded)


def test_truncated_array_is_refused(sharded):
    f = sharded / "shard-00000" / "unit_global.npy"
    f.write_bytes(f.read_bytes()[:-8])
    with pytest.raises(IndexFormatError, match="shard-00000.*unit_global.npy.*truncated"):
        load_sharded(sharded)


def test_shard_from_another_build_is_refused(sharded, tmp_path):
    other = _build(spasmqa.Corpus.from_texts(random_texts(np.random.default_rng(1))), tmp_path / "other")
    shutil.rmtree(sharded / "shard-00001")
    shutil.copytree(other / "shard-00001", sharded / "shard-00001")
    with pytest.raises(IndexFormatError, match="shard-00001.*another build"):
        load_sharded(sharded)


def test_shard_manifest_not_the_one_recorded_is_refused(sharded):
    _rewrite_manifest(sharded / "shard-00000" / "manifest.json", lambda m: m.update(spasmqa_version="0.0.0"))
    with pytest.raises(IndexFormatError, match="shard-00000.*top manifest's record"):
        load_sharded(sharded)


def test_forged_top_manifest_and_statistics_are_refused(sharded):
    top = sharded / "manifest.json"
    original = top.read_text()
    top.write_text(original.replace('"units": 63', '"units": 64', 1))
    with pytest.raises(IndexFormatError, match="manifest_sha256"):
        load_sharded(sharded)
    top.write_text(original)
    _rewrite_manifest(top, lambda m: m["stats"].update(total_length=m["stats"]["total_length"] + 1))
    with pytest.raises(IndexFormatError, match="fingerprint"):
        load_sharded(sharded)
    top.write_text(original)
    f = sharded / "shard-00002" / "unit_global.npy"
    arr = np.load(f)
    arr[0] = 10**6
    np.save(f, arr)
    with pytest.raises(IndexFormatError, match="shard-00002.*unit_global.npy"):
        load_sharded(sharded)


def _forge(root: Path, shard: str, name: str, change) -> None:
    """Change a shard's array and reseal every checksum above it (a forgery, not an accident)."""
    import hashlib

    f = root / shard / name
    arr = np.load(f)
    change(arr)
    np.save(f, arr)
    data = f.read_bytes()
    meta = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    _rewrite_manifest(root / shard / "manifest.json", lambda m: m["shard"]["files"].update({name: meta}))
    sha = hashlib.sha256((root / shard / "manifest.json").read_bytes()).hexdigest()
    _rewrite_manifest(root / "manifest.json", lambda m: next(
        r for r in m["shards"] if r["directory"] == shard).update(manifest_sha256=sha))


@pytest.mark.parametrize("name,change,problem", [
    ("unit_global.npy", lambda a: a.__setitem__(0, 10**6), "outside"),
    ("unit_global.npy", lambda a: a.__setitem__(1, a[0]), "same global unit"),
    ("unit_global.npy", lambda a: a.__setitem__(slice(0, 2), a[1::-1].copy()), "corpus order"),
    ("unit_owned.npy", lambda a: a.__setitem__(0, not a[0]), "unit_owned"),
    ("unit_global_heading.npy", lambda a: a.view(np.uint8).__setitem__(0, 2), "0 or 1"),
])
def test_forged_shard_arrays_are_refused(sharded, name, change, problem):
    _forge(sharded, "shard-00001", name, change)
    with pytest.raises(IndexFormatError, match=problem):
        load_sharded(sharded)


def test_a_shard_with_another_vocabulary_is_refused(sharded):
    import hashlib

    root, shard = sharded, "shard-00002"
    f = root / shard / "vocabulary.json"
    terms = json.loads(f.read_text())
    terms[0] = terms[0] + "x"
    f.write_text(json.dumps(terms))
    meta = {"sha256": hashlib.sha256(f.read_bytes()).hexdigest(), "bytes": len(f.read_bytes())}
    _rewrite_manifest(root / shard / "manifest.json", lambda m: m["files"].update({"vocabulary.json": meta}))
    sha = hashlib.sha256((root / shard / "manifest.json").read_bytes()).hexdigest()
    _rewrite_manifest(root / "manifest.json", lambda m: m["shards"][2].update(manifest_sha256=sha))
    with pytest.raises(IndexFormatError, match="shard-00002.*global vocabulary"):
        load_sharded(sharded)


def test_a_global_unit_in_no_shard_is_refused(sharded):
    top = sharded / "manifest.json"
    _rewrite_manifest(top, lambda m: m["shards"].pop() and m["sizes"].update(shards=2))
    with pytest.raises(IndexFormatError, match="document ranges|in no shard"):
        load_sharded(sharded)


# -- writing -----------------------------------------------------------------------------------------------

def test_overwrite_semantics(tmp_path):
    corpus = spasmqa.Corpus.from_texts(["Heat helps. Ice helps.", "Rest helps.", "Stretch daily."])
    out = tmp_path / "idx"
    _build(corpus, out)
    with pytest.raises(FileExistsError, match="overwrite"):
        _build(corpus, out)
    _build(spasmqa.Corpus.from_texts(["Other text.", "More text."]), out, shards=2, overwrite=True)
    assert load_sharded(out).stats.n_units == 2
    spasmqa.QA.from_texts(["a plain index"]).save(tmp_path / "plain")
    _build(corpus, tmp_path / "plain", overwrite=True)  # a spasmqa index of either kind may be replaced
    assert is_sharded_index(tmp_path / "plain")
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not a spasmqa index"):
        _build(corpus, other, overwrite=True)
    assert (other / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx", "notes", "plain"]  # nothing left beside


def test_a_failed_build_leaves_nothing(tmp_path):
    corpus = spasmqa.Corpus.from_texts(["Heat helps.", "Ice helps.", "Rest."])
    _build(corpus, tmp_path / "idx")
    before = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}

    def failing(docs, options):
        if any("Rest" in d.text for d in docs):
            raise RuntimeError("worker failure")
        return map_partition(docs, options)

    with pytest.raises(RuntimeError, match="worker failure"):
        _build(spasmqa.Corpus.from_texts(["New.", "Newer.", "Rest."]), tmp_path / "idx", overwrite=True,
               map_fn=failing)
    after = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before


def test_empty_and_blank_inputs(tmp_path):
    with pytest.raises(InputError, match="empty"):
        _build(spasmqa.Corpus.from_texts([" ", ""]), tmp_path / "a")
    with pytest.raises((InputError, TypeError), match="shards"):
        _build(spasmqa.Corpus.from_texts(["x y"]), tmp_path / "b", shards=0)
    # blank documents join a neighbouring shard instead of making an empty one
    texts = ["Heat helps.", " ", "  ", "Ice helps.", "Rest now."]
    loaded = load_sharded(_build(spasmqa.Corpus.from_texts(texts), tmp_path / "c", shards=5))
    check_same_as_unsharded(loaded, spasmqa.QA.from_texts(texts))


def test_url_outputs(tmp_path):
    corpus = spasmqa.Corpus.from_texts(["Heat helps.", "Ice helps."])
    with pytest.raises(InputError, match="s3://"):
        _build(corpus, "s3://bucket/idx")
    out = _build(corpus, f"file://{tmp_path / 'idx'}", shards=2)
    assert load_sharded(out).stats.n_units == 2


def test_partial_shards_of_dead_attempts_are_not_left_in_the_index(tmp_path, monkeypatch):
    import spasmqa.shards as shards_module

    real = shards_module.write_shard

    def after_a_dead_attempt(root, **kw):
        (Path(root) / f".shard-{kw['index']:05d}.partial-1-dead").mkdir()  # what a killed worker leaves
        return real(root, **kw)

    monkeypatch.setattr(shards_module, "write_shard", after_a_dead_attempt)
    out = _build(spasmqa.Corpus.from_texts(["Heat helps.", "Ice helps.", "Rest helps.", "Walk."]), tmp_path / "idx",
                 shards=2)
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "shard-00000", "shard-00001",
                                                     "stats_doc_freq.npy"]
    assert load_sharded(out).stats.n_units == 4


def _numbering_by_dict(hashes):
    seen, maps, news = {}, [], []
    for h in hashes:
        keys = [h[i:i + 16] for i in range(0, len(h), 16)]
        maps.append([seen.setdefault(k, len(seen)) for k in keys])
        news.append([])
    first = {}
    for p, h in enumerate(hashes):
        for i in range(0, len(h), 16):
            first.setdefault(h[i:i + 16], (p, i // 16))
    for p, h in enumerate(hashes):
        news[p] = [first[h[i:i + 16]] == (p, i // 16) for i in range(0, len(h), 16)]
    return maps, news, len(seen)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 12), max_size=25), min_size=1, max_size=5))
def test_vectorised_unit_numbering_equals_first_occurrence_order(parts):
    from spasmqa.shards import number_units

    # Keys 0-5 share their first 8 bytes (prefix collisions take the full 16-byte sort).
    def key(i):
        return (b"\x01" * 8 + bytes([i]) * 8) if i < 6 else bytes([i]) * 16

    hashes = [b"".join(key(i) for i in p) for p in parts]
    maps, news, n = number_units(hashes)
    ref_maps, ref_news, ref_n = _numbering_by_dict(hashes)
    assert n == ref_n
    assert [m.tolist() for m in maps] == ref_maps and [x.tolist() for x in news] == ref_news
