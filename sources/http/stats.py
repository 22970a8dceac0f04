"""Per-vendor request counters (for the run summary) and the clients a source opened."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol

from .ratelimit import gate_for


@dataclass
class HttpStats:
    """What the run summary reports per vendor."""

    requests: int = 0
    retries: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, status: int) -> None:
        with self._lock:
            self.requests += 1
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def retried(self) -> None:
        with self._lock:
            self.retries += 1

    def reset(self) -> None:
        with self._lock:
            self.requests = self.retries = 0
            self.statuses = {}


class _Closable(Protocol):
    def close(self) -> None: ...


_STATS: dict[str, HttpStats] = {}
_CLIENTS: dict[str, list[_Closable]] = {}


def stats_for(vendor: str) -> HttpStats:
    """The process-wide counters of one vendor, read by the run summary."""
    return _STATS.setdefault(vendor, HttpStats())


def register_client(vendor: str, client: _Closable) -> None:
    _CLIENTS.setdefault(vendor, []).append(client)


def close_clients(vendor: str) -> None:
    """Close every client a vendor's source opened (dlt gives a source no hook to do it itself)
    and forget the rate limit the load learnt."""
    for client in _CLIENTS.pop(vendor, []):
        client.close()
    gate_for(vendor).reset()
