"""A readers-writer lock: many threads may ask while no one adds; adding waits for askers and excludes them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["RWLock"]


class RWLock:
    """Writer-preferring readers-writer lock.

    Any number of threads may hold it for reading at once; a writer holds it
    alone. Once a writer is waiting, new readers wait too, so a stream of
    readers cannot starve it (``QA.add`` is not delayed forever by ``ask``
    calls). Re-entrant per thread: a thread that already reads or writes may
    read again, and a writer may write again, without deadlock. A thread
    that holds only a read lock and asks to write gets ``RuntimeError``
    (upgrading would deadlock).

    Examples
    --------
    >>> lock = RWLock()
    >>> with lock.reading():
    ...     pass  # e.g. QA.ask
    >>> with lock.writing():
    ...     pass  # e.g. QA.add
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer: int | None = None  # thread id
        self._writer_depth = 0
        self._waiting_writers = 0
        self._local = threading.local()

    def _depth(self) -> int:
        return getattr(self._local, "depth", 0)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the lock for reading (shared) inside the ``with`` block."""
        me = threading.get_ident()
        nested = self._depth() > 0 or self._writer == me
        with self._cond:
            if not nested:
                while self._writer is not None or self._waiting_writers:
                    self._cond.wait()
            self._readers += 1
        self._local.depth = self._depth() + 1
        try:
            yield
        finally:
            self._local.depth -= 1
            with self._cond:
                self._readers -= 1
                if self._readers == 0:
                    self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the lock for writing (exclusive) inside the ``with`` block."""
        me = threading.get_ident()
        with self._cond:
            if self._writer == me:
                self._writer_depth += 1
            else:
                if self._depth() > 0:
                    raise RuntimeError("cannot write while holding the lock for reading in the same thread")
                self._waiting_writers += 1
                try:
                    while self._writer is not None or self._readers:
                        self._cond.wait()
                finally:
                    self._waiting_writers -= 1
                self._writer, self._writer_depth = me, 1
        try:
            yield
        finally:
            with self._cond:
                self._writer_depth -= 1
                if self._writer_depth == 0:
                    self._writer = None
                    self._cond.notify_all()
