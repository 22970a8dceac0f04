"""Bounded parallel work for the sources: a few requests in flight, results in completion order.

Submitting every job at once lets finished results pile up while dlt is still writing earlier
ones, so memory grows with the workspace; keeping at most `window` jobs outstanding (and
dropping each result once handed over) keeps memory flat whatever the volume.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def map_completed(
    fn: Callable[[T], R], items: Iterable[T], workers: int, window: int | None = None, name: str = "worker"
) -> Iterator[tuple[T, Future[R]]]:
    """(item, finished future) pairs as they complete; call `.result()` to get or raise."""
    window = window or 2 * workers
    pending: dict[Future[R], T] = {}
    source = iter(items)
    with ThreadPoolExecutor(workers, thread_name_prefix=name) as pool:
        try:
            while True:
                while len(pending) < window:
                    item = next(source, _DONE)
                    if item is _DONE:
                        break
                    pending[pool.submit(fn, item)] = item
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield pending.pop(future), future
        finally:
            for future in pending:
                future.cancel()


_DONE = object()
