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

import dlt
import httpx
import orjson

from sources import timestamps

T = TypeVar("T")

BATCH_ROWS = 20_000  # rows per yielded Arrow table: big enough for Arrow, small enough for memory
# The loader file of the tables still yielded as dict rows: dlt's default (insert_values) strips
# NUL characters from text, parquet keeps every character (and loads faster).
DICT_FORMAT = "parquet"


def merged_dict_rows(name: str, key: str | tuple[str, ...], columns: Any = None) -> Any:
    """The `dlt.resource` decorator of a table yielded as dict rows and merged on `key`:
    every such table loads in `DICT_FORMAT` (why above), so it is said here once."""
    return dlt.resource(
        name=name, primary_key=key, write_disposition="merge", columns=columns, file_format=DICT_FORMAT
    )


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
    """Epoch ms of an RFC 3339 timestamp as a vendor writes it (any fraction digits, `t`/`z`)."""
    return timestamps.epoch_us(value) // 1000


def parse_timestamp(value: Any) -> Any:
    """A vendor's RFC 3339 text (checked by sources/validate.py) as a datetime, cut to microseconds
    (sources/timestamps.py); empty text is None, anything else (None, a datetime) is kept as is."""
    if isinstance(value, str):
        return timestamps.parse(value) if value else None
    return value


def short_hash(value: Any, size: int = 8, sort_keys: bool = True) -> str:
    """A stable hex digest of JSON-able data, `size` bytes (kept in dlt state, so never change how
    a given vendor calls it: a new hash would count every row as changed once)."""
    option = orjson.OPT_SORT_KEYS if sort_keys else None
    try:
        data = orjson.dumps(value, option=option)
    except TypeError:  # an integer beyond 64 bits (exact_json keeps them): no earlier hash to match
        data = json.dumps(value, sort_keys=sort_keys, ensure_ascii=False, separators=(",", ":")).encode()
    return blake2b(data, digest_size=size).hexdigest()


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
