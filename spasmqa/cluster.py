"""Dask clients for distributed work: one given, one connected to, or a local cluster started and closed.

Dask is an optional extra (``pip install "spasmqa[distributed]"``), imported
only here and only when a client is needed. Work is handed to a *runner*
with two operations, ``submit(fn, *args)`` and ``gather(handles, what=...)``:
:class:`DaskRunner` submits to a cluster (results stay on the workers as
futures until gathered; failed tasks are retried), :class:`SerialRunner` runs
each function at once in this process (the same code path without Dask).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .errors import ClusterError, InputError, InputTypeError, SpasmqaError, require
from .validation import check_workers

__all__ = ["CONNECT_TIMEOUT", "DaskRunner", "SerialRunner", "dask_client", "require_distributed", "start_local_cluster"]

#: Seconds to wait for a scheduler given by address.
CONNECT_TIMEOUT = 10.0
_FEATURE = "a sharded build on Dask"


def require_distributed() -> Any:
    """The ``distributed`` module, or :class:`~spasmqa.errors.MissingExtraError` naming the extra."""
    require("dask", "distributed", _FEATURE)
    return require("distributed", "distributed", _FEATURE)


@contextmanager
def dask_client(client: Any = None, *, workers: int | None = None, scheduler: str | None = None,
                timeout: float = CONNECT_TIMEOUT) -> Iterator[Any]:
    """A ``distributed.Client`` for the duration of the ``with`` block.

    * ``client`` given: it is used (and left open).
    * ``scheduler`` given (``"tcp://host:8786"``): a client connects to it
      within ``timeout`` seconds, or :class:`~spasmqa.errors.ClusterError`
      names the address; the client is closed afterwards (the cluster is not).
    * neither: a ``LocalCluster`` of ``workers`` processes (one thread each,
      no dashboard, quiet logs) is started and closed afterwards.
    """
    if client is not None:
        if scheduler is not None:
            raise InputError("give either a Dask client or a scheduler address, not both")
        yield client
        return
    distributed = require_distributed()
    if scheduler is not None:
        if not isinstance(scheduler, str) or not scheduler.strip():
            raise InputTypeError(f"scheduler must be an address such as 'tcp://host:8786', got {scheduler!r}")
        try:
            connected = distributed.Client(scheduler, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(f"cannot reach the Dask scheduler at {scheduler} within {timeout:g} s "
                               f"({type(exc).__name__}: {exc})") from None
        try:
            yield connected
        finally:
            connected.close()
        return
    n = check_workers(workers if workers is not None else 1)
    local, cluster = start_local_cluster(n)
    try:
        try:
            yield local
        finally:
            local.close()
    finally:
        cluster.close()


def start_local_cluster(workers: int) -> tuple[Any, Any]:
    """(client, cluster): a ``LocalCluster`` of ``workers`` processes, one thread each, quiet;
    the caller closes both."""
    distributed = require_distributed()
    # No dashboard; the scheduler's HTTP routes (health, metrics) on any free port, not 8787, which
    # another cluster may hold (Dask would warn).
    cluster = distributed.LocalCluster(n_workers=check_workers(workers), threads_per_worker=1, processes=True,
                                       dashboard_address=None, scheduler_kwargs={"dashboard_address": ":0"},
                                       silence_logs=logging.ERROR)
    try:
        return distributed.Client(cluster, set_as_default=False), cluster
    except BaseException:
        cluster.close()
        raise


class SerialRunner:
    """Runs each submitted function at once, in this process; handles are the results."""

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return fn(*args)

    def gather(self, handles: Sequence[Any], *, what: str) -> list[Any]:
        return list(handles)

    def cancel(self, handles: Sequence[Any]) -> None:
        pass


class DaskRunner:
    """Submits to a Dask client; a task that raises is retried ``retries`` times.

    A worker that dies is handled by the scheduler (its tasks are run
    again elsewhere, up to Dask's ``allowed-failures``). A task that fails
    for good raises :class:`~spasmqa.errors.ClusterError` (or the
    :class:`~spasmqa.errors.SpasmqaError` the task raised, unchanged).
    """

    def __init__(self, client: Any, retries: int = 2) -> None:
        self.client = client
        self.retries = retries

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(fn, *args, retries=self.retries, pure=False)

    def gather(self, handles: Sequence[Any], *, what: str) -> list[Any]:
        try:
            return list(self.client.gather(list(handles)))
        except SpasmqaError:
            raise
        except Exception as exc:
            raise ClusterError(f"{what} failed on a Dask worker: {type(exc).__name__}: {exc}") from exc

    def cancel(self, handles: Sequence[Any]) -> None:
        """Cancel what has not run yet (a running task finishes; its output is deleted by the caller)."""
        try:
            self.client.cancel(list(handles))
        except Exception:  # best effort, after a failure already being reported
            pass
