"""Vendor settings checked before the vendor's first request, each error one line naming the key.

Left to dlt, `http_concurrency = 0` surfaced as a pool timeout after minutes of retries, `ftp://`
as "cannot reach" after six attempts, `lookback_seconds = -7200` silently skipped new runs and
`max_attempts = 0` was accepted. Here every numeric knob and the base URL are read from their own
key (`sources.<vendor>.<name>`, env SOURCES__<VENDOR>__<NAME>), coerced and range-checked, and
handed to the source explicitly, so a generic `MAX_ATTEMPTS` meant for another tool never
reaches a vendor either. A key left unset gets the source's own default.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import dlt


class SettingInvalid(ValueError):
    """A setting's value cannot be used; the message is one line naming the key, never a secret."""


@dataclass(frozen=True)
class Knob:
    kind: type  # int or float
    minimum: float
    strict: bool = False  # True: must be greater than `minimum`, not equal
    maximum: float | None = None  # a typo of a few zeros must not start 100,000 threads


KNOBS: dict[str, Knob] = {
    "http_concurrency": Knob(int, 1, maximum=256),
    "max_attempts": Knob(int, 1, maximum=100),
    "timeout_seconds": Knob(float, 0, strict=True),
    "lookback_seconds": Knob(int, 0),
    "runs_per_page": Knob(int, 1),
    "records_per_page": Knob(int, 1),
}


def coerce_knob(key: str, value: object, knob: Knob) -> int | float:
    """`value` as the knob's type, or SettingInvalid saying what was expected."""
    what = "a whole number" if knob.kind is int else "a number"
    if isinstance(value, bool):
        raise SettingInvalid(f"{key} must be {what}, not {value!r}")
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SettingInvalid(f"{key} must be {what}, not {value!r}") from None
    if not math.isfinite(number) or (knob.kind is int and number != int(number)):
        raise SettingInvalid(f"{key} must be {what}, not {value!r}")
    typed = int(number) if knob.kind is int else number
    bound = f"{knob.minimum:g}"
    if knob.strict and typed <= knob.minimum:
        raise SettingInvalid(f"{key} must be greater than {bound}, not {value}")
    if not knob.strict and typed < knob.minimum:
        raise SettingInvalid(f"{key} must be at least {bound}, not {value}")
    if knob.maximum is not None and typed > knob.maximum:
        raise SettingInvalid(f"{key} must be at most {knob.maximum:g}, not {value}")
    return typed


def check_base_url(key: str, value: object) -> str:
    """An http(s) URL with a host and no user-info; the error never repeats a password."""
    text = str(value).strip()
    try:
        parts = urlsplit(text)
        port = parts.port  # raises on a port that is not a number
    except ValueError:
        raise SettingInvalid(f"{key} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        shown = redact_url(text)
        raise SettingInvalid(f"{key} must be an http:// or https:// URL with a host, not {shown!r}")
    if parts.username is not None or parts.password is not None:
        raise SettingInvalid(
            f"{key} must not carry user:password@ (credentials go in their own secret keys), "
            f"e.g. {parts.scheme}://{parts.hostname}{'' if port is None else f':{port}'}{parts.path}"
        )
    return text


def redact_url(text: str) -> str:
    """`scheme://user:pass@host/...` -> `scheme://***@host/...`; anything else unchanged."""
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text
    authority, slash, tail = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rsplit("@", 1)[1]
    return f"{scheme}{sep}{authority}{slash}{tail}"


def vendor_settings(
    vendor: str, factory: Callable[..., object], pinned: dict[str, object]
) -> dict[str, object]:
    """Every knob the vendor's source takes, checked; `pinned` (read by the runner) checked too."""
    try:
        parameters = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        parameters = {}  # type: ignore[assignment]
    out: dict[str, object] = {}
    if pinned.get("base_url") not in (None, ""):
        out["base_url"] = check_base_url(f"sources.{vendor}.base_url", pinned["base_url"])
    for name, knob in KNOBS.items():
        parameter = parameters.get(name)
        if parameter is None:
            continue
        key = f"sources.{vendor}.{name}"
        value = dlt.config.get(key)
        if value is None or value == "":
            if parameter.default is not inspect.Parameter.empty:
                out[name] = parameter.default  # pinned: never filled from a generic variable
            continue
        out[name] = coerce_knob(key, value, knob)
    return out
