"""RFC 3339 date-times: a generator of the whole grammar, and the instant each one names.

RFC 3339 §5.6 allows any number of fraction digits, `t`/`z` in lower case (its note), numeric
offsets up to ±23:59 and `-00:00`, and any date from 0001 to 9999. The expected instant is
computed here by plain arithmetic, independently of the sources (and of `datetime`, which cannot
hold the instant of `0001-01-01T00:00:00+01:00`): epoch microseconds, the fraction cut after its
sixth digit (the warehouse keeps microseconds; the README documents that truncation).
"""

from __future__ import annotations

import re

from hypothesis import strategies as st

GRAMMAR = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def epoch_us(text: str) -> int:
    """The instant an RFC 3339 date-time names, in microseconds since the epoch (UTC)."""
    match = GRAMMAR.fullmatch(text)
    assert match, f"not an RFC 3339 date-time: {text!r}"
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, zulu, sign, off_h, off_m = match.groups()[6:]
    micros = int(((fraction or "") + "000000")[:6])
    local = (days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second) * 10**6
    offset = 0 if zulu else (int(off_h) * 3600 + int(off_m) * 60) * 10**6 * (1 if sign == "+" else -1)
    return local + micros - offset


def fractions() -> st.SearchStrategy[str]:
    """None, or 1 to 12 digits; 7-9 (what Go and Rust services print) drawn often."""
    digits = st.one_of(st.integers(1, 6), st.integers(7, 9), st.integers(10, 12))
    return st.one_of(
        st.just(""),
        digits.flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)).map(lambda d: "." + d),
    )


def offsets() -> st.SearchStrategy[str]:
    numeric = st.tuples(st.sampled_from("+-"), st.integers(0, 23), st.integers(0, 59)).map(
        lambda t: f"{t[0]}{t[1]:02d}:{t[2]:02d}"
    )
    return st.one_of(st.sampled_from(["Z", "z", "-00:00", "+00:00"]), numeric)


def date_times(min_year: int = 1, max_year: int = 9999) -> st.SearchStrategy[str]:
    """Any RFC 3339 date-time (no leap second: the excerpts' validator refuses `:60`)."""
    from datetime import date

    edges = [date(min_year, 1, 1), date(max_year, 12, 31), date(2000, 2, 29), date(1970, 1, 1)]
    dates = st.one_of(
        st.dates(date(max(min_year, 1970), 1, 1), date(min(max_year, 2100), 12, 31)),
        st.dates(date(min_year, 1, 1), date(max_year, 12, 31)),
        st.sampled_from(edges),  # 0001-01-01T00:30+01:00 names an instant before year 1
    )
    texts = st.builds(
        lambda d, h, m, s, sep, frac, off: f"{d.isoformat()}{sep}{h:02d}:{m:02d}:{s:02d}{frac}{off}",
        dates,
        st.integers(0, 23),
        st.integers(0, 59),
        st.integers(0, 59),
        st.sampled_from("Tt"),
        fractions(),
        offsets(),
    )
    return texts
