"""A run's deadline (`syncscope run --timeout`), so a hung vendor never holds the warehouse forever.

A run that never ends keeps the warehouse lock, and every later scheduled run then exits 5 and
nobody hears of it. The deadline is enforced twice: between vendors (a vendor not yet started
is not started, and the run exits 9), and by a watchdog thread that ends the process at the
deadline even when a vendor is stuck inside a request: it prints one line, flushes, and exits
9 at once; the OS then releases the warehouse lock (an flock dies with its process), and the
next run finishes or retries whatever was pending.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from pipelines.exit_codes import EXIT_DEADLINE

DEFAULT_TIMEOUT_S = 3600  # 4 schedule ticks of 15 minutes


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def expired(self) -> bool:
        return time.monotonic() >= self.ends

    def remaining(self) -> float:
        return max(0.0, self.ends - time.monotonic())


@contextmanager
def watchdog(deadline: Deadline | None, on_expire: Callable[[], None]) -> Iterator[None]:
    """While active, end the process with exit 9 at the deadline (after `on_expire` reports it)."""
    if deadline is None:
        yield
        return
    stop = threading.Event()

    def watch() -> None:
        if stop.wait(deadline.remaining()):
            return
        try:
            on_expire()
        finally:
            for stream in (sys.stdout, sys.stderr):
                with suppress(Exception):
                    stream.flush()
            os._exit(EXIT_DEADLINE)

    thread = threading.Thread(target=watch, name="syncscope-deadline", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
