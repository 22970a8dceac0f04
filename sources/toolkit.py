"""What the vendor sources share beyond HTTP: the vendor's clock, epoch milliseconds, short content
hashes, a once-per-load value, JSON lists in settings, and the Arrow batch size.

Each was written once per vendor before; one copy means a fix (a `Date` header without a zone,
an unreadable one) reaches every vendor, and a state hash keeps one definition.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from hashlib import blake2b
from typing import Any, Generic, TypeVar

import httpx
import orjson

T = TypeVar("T")

BATCH_ROWS = 20_000  # rows per yielded Arrow table: big enough for Arrow, small enough for memory


def poll_time(response: httpx.Response) -> datetime:
    """When the vendor answered, from its `Date` header (UTC, to the second); the local clock when
    the header is missing or unreadable, UTC when it names no zone."""
    try:
        when = parsedate_to_datetime(response.headers["date"])
    except (KeyError, TypeError, ValueError, IndexError):
        return datetime.now(UTC)
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def epoch_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def from_epoch_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


def iso_ms(value: str) -> int:
    """Epoch ms of an ISO 8601 timestamp as a vendor writes it."""
    return epoch_ms(datetime.fromisoformat(value))


def parse_timestamp(value: Any) -> Any:
    """A vendor's ISO 8601 text (checked by sources/validate.py) as a datetime; empty text is None,
    anything else (None, a datetime already) is kept as it is."""
    if isinstance(value, str):
        return datetime.fromisoformat(value) if value else None
    return value


def short_hash(value: Any, size: int = 8, sort_keys: bool = True) -> str:
    """A stable hex digest of JSON-able data, `size` bytes (kept in dlt state, so never change how
    a given vendor calls it: a new hash would count every row as changed once)."""
    option = orjson.OPT_SORT_KEYS if sort_keys else None
    return blake2b(orjson.dumps(value, option=option), digest_size=size).hexdigest()


def json_list(text: str) -> list | None:
    """`'["t1", "t2"]'` (a list setting from an environment variable) as a list; None when the
    text is no JSON list (TOML gives a list already)."""
    if not text.lstrip().startswith("["):
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, list) else None


class Once(Generic[T]):
    """A value made on first use and shared by every resource of one load (thread-safe); a `make`
    that raises is tried again by the next caller."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._value: T | None = None
        self._made = False
        self._lock = threading.Lock()

    def get(self) -> T:
        with self._lock:
            if not self._made:
                self._value, self._made = self._make(), True
            return self._value  # type: ignore[return-value]
