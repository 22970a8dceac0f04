"""Bounded parallel work for the sources: a few requests in flight, results in completion order.

Submitting every job at once lets finished results pile up while dlt is still writing earlier
ones, so memory grows with the workspace; keeping at most `window` jobs outstanding (and
dropping each result once handed over) keeps memory flat whatever the volume.

Completions arrive through a queue fed by each future's done-callback, so handing over one
result costs the same whatever the window: `concurrent.futures.wait` builds a waiter and locks
every pending future on each call, which showed in profiles of full loads (bench/RESULTS.md).
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def map_completed(
    fn: Callable[[T], R], items: Iterable[T], workers: int, window: int | None = None, name: str = "worker"
) -> Iterator[tuple[T, Future[R]]]:
    """(item, finished future) pairs as they complete; call `.result()` to get or raise."""
    window = window or 2 * workers
    pending: dict[Future[R], T] = {}
    finished: queue.SimpleQueue[Future[R]] = queue.SimpleQueue()
    source = iter(items)
    with ThreadPoolExecutor(workers, thread_name_prefix=name) as pool:
        try:
            while True:
                while len(pending) < window:
                    item = next(source, _DONE)
                    if item is _DONE:
                        break
                    future = pool.submit(fn, item)
                    pending[future] = item
                    future.add_done_callback(finished.put)
                if not pending:
                    return
                future = finished.get()
                yield pending.pop(future), future
        finally:
            for future in pending:
                future.cancel()


_DONE = object()
