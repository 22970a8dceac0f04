"""RFC 3339 date-times as the vendors may write them, read into microseconds.

The excerpts type times as `format: date-time`, i.e. RFC 3339, which allows more than Python's
`datetime.fromisoformat` or Arrow's string cast read: any number of fraction digits (a Go or Rust
server prints nanoseconds), lower-case `t` and `z` (§5.6, note), `-00:00` (UTC, offset unknown)
and a leap second (`:60`). The warehouse keeps microseconds, so digits past the sixth are cut off,
never rounded: `23:59:59.9999999Z` stays in its second. A leap second is read as the last
microsecond of its minute (`23:59:60.5Z` -> `23:59:59.999999Z`), so the order of times holds.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?"
)


def parse(text: str) -> datetime:
    """An aware datetime (the text's own offset; UTC when it names none); ValueError otherwise."""
    match = RFC3339.fullmatch(text.strip())
    if match is None:
        moment = datetime.fromisoformat(text.strip())  # other ISO 8601 forms (a bare date, ...)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    year, month, day, hour, minute, second = (int(match[i]) for i in range(1, 7))
    micro = int((match[7] or "")[:6].ljust(6, "0"))
    if second == 60:  # a leap second: the last microsecond of the minute
        second, micro = 59, 999_999
    zone = UTC
    if match[9]:
        offset = timedelta(hours=int(match[10]), minutes=int(match[11]))
        if offset >= timedelta(hours=24):
            raise ValueError(f"offset out of range in {text!r}")
        zone = timezone(-offset if match[9] == "-" else offset)
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=zone)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_us(value: str | datetime) -> int:
    """Microseconds since 1970 (UTC) of an RFC 3339 time or an aware datetime. Counted by
    subtraction, so an instant an offset moves before year 1 or past 9999 still has its number."""
    moment = parse(value) if isinstance(value, str) else value
    return (moment - EPOCH) // timedelta(microseconds=1)
