"""Opening a sharded index: in this process, or served by Dask actors on the workers.

:func:`open_sharded` is what :meth:`spasmqa.QA.load` does with a sharded
index. Without a client the shards are loaded here. With a
``distributed.Client`` (or a worker count: a local cluster is started and
closed with the index) each shard is loaded by a :class:`RemoteShard`
actor on a worker (memory-mapped; from a remote URL, copied to that worker
first), so the data stays on the workers; the front
(:class:`~spasmqa.shardfront.ShardedParts`) calls the actors and merges. A
worker that is gone is a :class:`~spasmqa.errors.ClusterError` saying what
to do; an error a shard raises (a bad filter) comes through unchanged.
"""

from __future__ import annotations

import asyncio
import shutil
import weakref
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .corpus import Corpus
from .errors import ClusterError
from .expansion import Tables
from .fields import section_keys, shared_sections
from .index import CollectionStats, TermIndex
from .parts import field_analyzer, weighting_of
from .remote import download, is_remote, url_join
from .settings import Settings
from .shard_load import _load_shard, is_sharded_index, load_sharded, read_top
from .shardfront import ShardedParts, Terms, owned_norms, pivot_of
from .shardserve import ShardServer
from .validation import check_workers

__all__ = ["RemoteShard", "is_sharded_index", "open_sharded"]


class RemoteShard:
    """A Dask actor: loads its shard on the worker (memory-mapped) and serves it there."""

    def __init__(self, path: str, stats: CollectionStats, check: dict[str, Any]) -> None:
        if is_remote(path):  # a copy on this worker, checked and memory-mapped; removed with the actor
            local = download(path, name=path.rstrip("/").rsplit("/", 1)[-1])
            weakref.finalize(self, shutil.rmtree, str(local.parent), True)
            path = str(local)
        self.shard, loaded, _ = _load_shard(Path(path), stats, mmap=True, **check)
        self.parts = (loaded.splitter, loaded.tables, self.shard.segment.index.vocabulary_)
        self.server: ShardServer | None = None

    def front_parts(self) -> tuple[Any, Tables, dict[str, int]]:
        """(splitter, tables, vocabulary): what the front needs of any one shard."""
        return self.parts

    def owned_norms(self, settings: Settings, stats: CollectionStats) -> tuple[np.ndarray, np.ndarray]:
        return owned_norms(self.shard, settings, stats)

    def section_keys(self) -> tuple[np.ndarray, list[tuple[str, tuple[str, ...]]]]:
        return section_keys(self.shard.segment.table)

    def serve(self, settings: Settings, tables: Tables, stats: CollectionStats,
              sections: tuple[np.ndarray, list[tuple[str, ...]], TermIndex | None]) -> int:
        self.server = ShardServer(self.shard, settings, tables, stats, sections)
        return self.shard.segment.table.n_passages

    def call(self, method: str, *args: Any) -> Any:
        assert self.server is not None
        return getattr(self.server, method)(*args)


class _ActorServer:
    """The front's handle of a remote shard: a method call is an actor call (gathered later)."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor

    def __getattr__(self, method: str) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            try:
                return self.actor.call(method, *args)
            except Exception as exc:
                err = _lost(exc)
                if err is None:
                    raise
                raise err from None

        return call


def _remote_parts(loaded: Any, settings: Settings, tables: Tables, client: Any, owner: Any) -> ShardedParts:
    """Actors, one per shard, spread over the workers; the pivot gathered from them."""
    top, actors = loaded
    stats = top.stats
    if settings.weighting == "tfidf" and settings.pivot_slope < 1.0:
        got = [a.owned_norms(settings, replace(stats, norm_pivot=None)).result() for a in actors]
        stats = replace(stats, norm_pivot=pivot_of([g[0] for g in got], [g[1] for g in got]))
    maps, labels, index = shared_sections([a.section_keys().result() for a in actors], field_analyzer(settings))
    n_passages = sum(f.result() for f in [a.serve(settings, tables, stats, (m, labels, index))
                                          for a, m in zip(actors, maps)])
    vocabulary = actors[0].front_parts().result()[2]
    terms = TermIndex(**weighting_of(settings)).set_counts(
        vocabulary, sp.csr_matrix((len(vocabulary), 0), dtype=np.float64), stats)
    parts = ShardedParts([_ActorServer(a) for a in actors], settings, tables, Terms(terms), stats.n_units,
                         n_passages, gather=_actor_result, owner=owner)
    parts._rebuild = lambda new, t: _remote_parts(loaded, new, t, client, owner)
    return parts


def _lost(exc: BaseException) -> ClusterError | None:
    """A :class:`ClusterError` if ``exc`` says a shard's worker is gone, else None."""
    gone = (isinstance(exc, (OSError, TimeoutError, asyncio.CancelledError))
            or (isinstance(exc, RuntimeError) and "Worker holding Actor was lost" in str(exc))
            or type(exc).__name__ in ("KilledWorker", "FutureCancelledError", "CancelledError"))
    if not gone:
        return None
    return ClusterError(f"a shard's Dask worker is gone ({type(exc).__name__}: {exc}); load the index again "
                        f"(QA.load with the client) to serve it from the workers that remain")


def _actor_result(future: Any) -> Any:
    """An actor call's result; a worker that is gone is a :class:`ClusterError` saying what to do."""
    try:
        return future.result()
    except Exception as exc:
        err = _lost(exc)
        if err is None:
            raise
        raise err from None


def open_sharded(path: Any, *, mmap: bool, client: Any, workers: int | None) -> tuple[Any, Any, Any, ShardedParts]:
    """(settings, corpus, splitter, parts) of a saved sharded index; with ``client`` or
    ``workers``, each shard is served by an actor on a Dask worker."""
    if client is None and workers is None:
        loaded = load_sharded(path, mmap=mmap)
        parts = ShardedParts.in_process(loaded.shards, loaded.settings, loaded.tables, loaded.stats)
        return loaded.settings, loaded.corpus, loaded.splitter, parts
    from .cluster import start_local_cluster

    owner = None
    if client is None:
        client, cluster = start_local_cluster(check_workers(workers))
        owner = _Owned(client, cluster)
    try:
        with client.as_current():  # actor handles bind to this client (it need not be the default one)
            return _open_remote(path, client, owner)
    except BaseException:
        if owner is not None:
            owner.close()
        raise


def _open_remote(path: Any, client: Any, owner: Any) -> tuple[Any, Any, Any, ShardedParts]:
    if is_remote(path):  # the top manifest and statistics here; each worker copies its own shards
        local = download(str(path), top_only=True)
        try:
            top = read_top(local)
        finally:
            shutil.rmtree(local.parent, ignore_errors=True)
    else:
        top = read_top(path)
    names = sorted(client.scheduler_info()["workers"])
    actors = []
    for i, rec in enumerate(top.shards):
        check = {"fingerprint": top.fingerprint, "manifest_sha256": rec["manifest_sha256"], "index": i,
                 "count": len(top.shards), "vocabulary_sha256": top.vocabulary_sha256}
        where = url_join(str(path), rec["directory"]) if is_remote(path) else str(top.root / rec["directory"])
        actors.append(client.submit(RemoteShard, where, top.stats, check, actor=True,
                                    workers=[names[i % len(names)]]).result())
    splitter, tables, _ = actors[0].front_parts().result()
    parts = _remote_parts((top, actors), top.settings, tables, client, owner)
    return top.settings, Corpus(), splitter, parts


class _Owned:
    """A local cluster started for an index: closed with it (or at exit)."""

    def __init__(self, client: Any, cluster: Any) -> None:
        self.client, self.cluster = client, cluster
        weakref.finalize(self, _close, client, cluster)

    def close(self) -> None:
        _close(self.client, self.cluster)


def _close(client: Any, cluster: Any) -> None:
    if client.status != "closed":
        client.close()
    cluster.close()
