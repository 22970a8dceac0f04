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
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

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


class Part(Generic[R]):
    """One value an item's iterator produced, the item's end (`last`), or the error that ended it."""

    __slots__ = ("error", "last", "value")

    def __init__(
        self, value: R | None = None, last: bool = False, error: BaseException | None = None
    ) -> None:
        self.value, self.last, self.error = value, last, error

    def result(self) -> R | None:
        """The value (None for the end mark); raises the item's error, in the caller's thread."""
        if self.error is not None:
            raise self.error
        return self.value


def stream_completed(
    fn: Callable[[T], Iterable[R]],
    items: Iterable[T],
    workers: int,
    window: int | None = None,
    name: str = "worker",
) -> Iterator[tuple[T, Part[R]]]:
    """(item, part) pairs: each value of `fn(item)` as soon as it is produced, then one end mark
    (`part.last`) once the item's iterator is exhausted, or one part that raises its error.

    `map_completed` hands over an item's whole result at once: for a paged fetch that means every
    page of an item held until its last one is read. Here `window` bounds the *values* produced
    and not yet handed over (plus one per worker, produced and waiting for room), whatever an
    item's size. An item's parts come in order; parts of different items interleave. Closing
    the iterator stops the workers (each finishes the value it is producing) and waits for them.
    """
    window = window or 2 * workers
    todo: queue.SimpleQueue[T] = queue.SimpleQueue()
    for item in items:
        todo.put(item)
    parts: queue.Queue[Any] = queue.Queue(maxsize=window)
    stop = threading.Event()

    def put(entry: Any) -> bool:
        """Wait for room unless the consumer has gone away (then nobody will ever make room)."""
        while not stop.is_set():
            try:
                parts.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            while not stop.is_set():
                try:
                    item = todo.get_nowait()
                except queue.Empty:
                    return
                values: Iterator[R] | None = None
                try:
                    values = iter(fn(item))
                    for value in values:
                        if not put((item, Part(value))):
                            return
                except BaseException as exc:
                    if not put((item, Part(error=exc))):
                        return
                    continue
                finally:  # a generator left early (consumer gone) releases its connection now
                    close = getattr(values, "close", None)
                    if close is not None:
                        close()
                if not put((item, Part(last=True))):
                    return
        finally:
            put(_DONE)  # this worker has stopped

    count = min(workers, todo.qsize())
    threads = [threading.Thread(target=work, name=f"{name}_{n}", daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    try:
        running = len(threads)
        while running:
            entry = parts.get()
            if entry is _DONE:
                running -= 1
                continue
            yield entry
    finally:
        stop.set()
        for thread in threads:
            thread.join()
