"""Deadlines: one per run and vendor (set by the pipeline), one per request (timeout_seconds).

httpx's timeouts bound each socket operation, not a whole request: a body dripping one byte
every few seconds never trips a read timeout. So every request gets a total deadline, checked
between chunks, and a watchdog shuts the socket down when the deadline passes while a read is
blocked: the read returns at once and the request fails, whatever the server does.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time

_RUN_DEADLINES: dict[str, float] = {}


def set_deadline(vendor: str, deadline: float | None) -> None:
    """Requests of `vendor` fail with DeadlineExceeded past `deadline` (time.monotonic(); None: none).

    The pipeline sets it before a vendor's load (`syncscope run --timeout`) and clears it after.
    """
    if deadline is None:
        _RUN_DEADLINES.pop(vendor, None)
    else:
        _RUN_DEADLINES[vendor] = deadline


def run_deadline(vendor: str) -> float | None:
    return _RUN_DEADLINES.get(vendor)


class Alarm:
    """One armed request: `fired` tells the reader its socket was shut down for the deadline."""

    __slots__ = ("fired", "sock")

    def __init__(self, sock: socket.socket | None) -> None:
        self.sock = sock
        self.fired = False


class Watchdog:
    """One daemon thread for the whole process, waking at the earliest armed deadline."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Alarm]] = []
        self._ids = itertools.count()
        self._armed: set[int] = set()
        self._thread: threading.Thread | None = None

    def arm(self, deadline: float, sock: socket.socket | None) -> tuple[int, Alarm]:
        alarm = Alarm(sock)
        with self._cond:
            key = next(self._ids)
            heapq.heappush(self._heap, (deadline, key, alarm))
            self._armed.add(key)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="http-watchdog", daemon=True)
                self._thread.start()
            self._cond.notify()
        return key, alarm

    def disarm(self, key: int) -> None:
        with self._cond:
            self._armed.discard(key)

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][1] not in self._armed:
                    heapq.heappop(self._heap)  # finished in time
                if not self._heap:
                    self._cond.wait()
                    continue
                deadline, key, alarm = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
                self._armed.discard(key)
                alarm.fired = True
                if alarm.sock is not None:
                    # shutdown() wakes a blocked recv() in the reading thread; close() would not.
                    with contextlib.suppress(OSError):
                        alarm.sock.shutdown(socket.SHUT_RDWR)


WATCHDOG = Watchdog()
