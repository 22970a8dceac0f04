"""`[alerts]` settings, read the dlt way (.dlt/config.toml, .dlt/secrets.toml, ALERTS__* env).

Thresholds fall back to `[check]` and then to the built-in defaults, so `check` and `alert`
agree unless told otherwise. Secrets (webhook URLs, routing keys, headers) are read without a
type hint, as pipelines/runner.py does, so dlt treats them as secrets; they are kept on the
config object only and never reach a message, a log line or the warehouse.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import quote

import dlt

from pipelines.check import Thresholds
from pipelines.vendors import VENDORS

DESTINATIONS = ("slack", "pagerduty", "webhook", "email")
SECRET_KEYS = {"slack": "webhook_url", "pagerduty": "routing_key", "webhook": "url"}
PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"
THRESHOLD_KEYS = {
    "min_success_rate": float,
    "max_staleness_factor": float,
    "max_failing_streak": int,
    "max_failed_record_share": float,
}


class AlertConfigError(Exception):
    """A wrong or missing `[alerts]` setting; the message is one line naming the key."""


@dataclass(frozen=True)
class Limits(Thresholds):
    """`check`'s thresholds plus the alert-only failed-record share of the last run."""

    max_failed_record_share: float = 0.1


@dataclass
class Destination:
    name: str  # slack | pagerduty | webhook
    url: str  # secret for slack and webhook
    routing_key: str = ""  # pagerduty, secret
    headers: dict[str, str] = field(default_factory=dict)  # webhook, secret values
    password: str = ""  # email, secret
    settings: dict = field(default_factory=dict)  # email: host, port, security, sender, to, username

    @property
    def secrets(self) -> list[str]:
        values = [self.routing_key, self.password, *self.headers.values()]
        if self.name in ("slack", "webhook"):
            values.append(self.url)
        return [v for v in values if v]


@dataclass
class AlertConfig:
    limits: Limits = field(default_factory=Limits)
    overrides: dict[str, Limits] = field(default_factory=dict)  # "vendor" or "vendor:sync_id"
    mutes: dict[str, datetime] = field(default_factory=dict)  # same keys -> muted until
    remind_after_s: float | None = None
    max_listed: int = 20
    timeout_s: float = 10.0
    max_attempts: int = 4
    max_retry_after_s: float = 60.0
    backoff_s: float = 1.0
    links: dict[str, str] = field(default_factory=dict)  # vendor -> URL template with {sync_id}
    destinations: list[Destination] = field(default_factory=list)

    def link_for(self, vendor: str, sync_id: str) -> str | None:
        template = self.links.get(vendor)
        return template.format(vendor=vendor, sync_id=quote(str(sync_id), safe="")) if template else None

    def limits_for(self, vendor: str, sync_id: str) -> Limits:
        return self.overrides.get(f"{vendor}:{sync_id}") or self.overrides.get(vendor) or self.limits

    def muted_until(self, vendor: str, sync_id: str, as_of: datetime) -> datetime | None:
        """The mute in force for this sync at `as_of` (the sync's own first, then its vendor's)."""
        for key in (f"{vendor}:{sync_id}", vendor):
            until = self.mutes.get(key)
            if until is not None and until > as_of:
                return until
        return None

    @property
    def secrets(self) -> list[str]:
        return [s for d in self.destinations for s in d.secrets]


def parse_duration(value: object, key: str) -> float | None:
    """`4h`, `30m`, `1d`, `90s` or a number of seconds; `off`, empty or 0 is None."""
    if value is None or value in ("", "off", 0):
        return None
    if isinstance(value, int | float):
        return float(value)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", str(value))
    if not match:
        raise AlertConfigError(f"alerts.{key} must be a duration like 4h, 30m or 1d, or off, not {value!r}")
    seconds = float(match[1]) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match[2]]
    return seconds or None


def _mapping(value: object, key: str) -> dict:
    """A TOML table, or the JSON object an environment variable carries."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise AlertConfigError(f"alerts.{key} must be a table (or a JSON object)") from None
    if not isinstance(value, dict):
        raise AlertConfigError(f"alerts.{key} must be a table (or a JSON object)")
    return dict(value)


def _scope_key(key: str, setting: str) -> str:
    vendor = key.split(":", 1)[0]
    if vendor not in VENDORS:
        raise AlertConfigError(
            f"alerts.{setting} key {key!r} must be a vendor ({', '.join(VENDORS)}) or vendor:sync_id"
        )
    return key


def _number(value: object, kind: type, key: str) -> float | int:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise AlertConfigError(f"alerts.{key} must be a number, not {value!r}") from None
    if number < 0:
        raise AlertConfigError(f"alerts.{key} must not be negative, not {value!r}")
    return number


def _setting(name: str) -> object:
    return dlt.config.get(f"alerts.{name}")


def load_limits(flags: dict[str, object] | None = None) -> Limits:
    """Flags, else `[alerts]`, else `[check]`, else the built-in default, key by key."""
    values: dict[str, object] = {}
    for name, kind in THRESHOLD_KEYS.items():
        value = (flags or {}).get(name)
        for source in (f"alerts.{name}", f"check.{name}"):
            if value is None:
                value = dlt.config.get(source)
        if value is not None:
            values[name] = _number(value, kind, name)
    return Limits(**values)


def _overrides(base: Limits) -> dict[str, Limits]:
    out = {}
    for key, table in _mapping(_setting("overrides"), "overrides").items():
        scope = _scope_key(str(key), "overrides")
        table = _mapping(table, f"overrides.{key}")
        unknown = sorted(set(table) - set(THRESHOLD_KEYS))
        if unknown:
            raise AlertConfigError(f"alerts.overrides.{key} has unknown key {unknown[0]!r}")
        values = {n: _number(v, THRESHOLD_KEYS[n], f"overrides.{key}.{n}") for n, v in table.items()}
        out[scope] = replace(base, **values)
    return out


def _mutes() -> dict[str, datetime]:
    out = {}
    for key, until in _mapping(_setting("mute"), "mute").items():
        scope = _scope_key(str(key), "mute")
        try:
            moment = until if isinstance(until, datetime) else datetime.fromisoformat(str(until))
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise AlertConfigError(
                f"alerts.mute.{key} must be an ISO time with a zone (2026-12-01T00:00:00Z), not {until!r}"
            )
        out[scope] = moment
    return out


def _links() -> dict[str, str]:
    out = {}
    for vendor, template in _mapping(_setting("links"), "links").items():
        _scope_key(str(vendor), "links")
        try:
            str(template).format(vendor=vendor, sync_id="1")
        except (KeyError, IndexError, ValueError):
            raise AlertConfigError(
                f"alerts.links.{vendor} may only use {{sync_id}} and {{vendor}}, not {template!r}"
            ) from None
        out[str(vendor)] = str(template)
    return out


def _secret(key: str) -> str:
    # No type hint: dlt then treats the lookup as a secret and keeps it out of its trace.
    value = dlt.secrets.get(key)
    return value.strip() if isinstance(value, str) else ""


def _destinations(wanted: object) -> list[Destination]:
    """Every destination whose secret is set, or exactly `alerts.destinations` when given."""
    if isinstance(wanted, str):
        wanted = json.loads(wanted) if wanted.lstrip().startswith("[") else wanted.split(",")
    names = [str(n).strip() for n in wanted] if wanted else []
    for name in names:
        if name not in DESTINATIONS:
            raise AlertConfigError(
                f"unknown destination {name!r} in alerts.destinations (known: {', '.join(DESTINATIONS)})"
            )
    out = []
    email = _email(required="email" in names)
    for name in DESTINATIONS[:3]:
        key = f"alerts.{name}.{SECRET_KEYS[name]}"
        secret = _secret(key)
        if not secret:
            if name in names:
                env = key.upper().replace(".", "__")
                raise AlertConfigError(f"{name} needs {key} (or {env}) in secrets")
            continue
        if names and name not in names:
            continue
        if name != "pagerduty" and not re.match(r"https?://[^\s/]+", secret):
            raise AlertConfigError(f"{key} must be an http(s) URL (its value is a secret, so not shown)")
        if name == "pagerduty":
            url = str(dlt.config.get("alerts.pagerduty.url") or PAGERDUTY_URL)
            if not re.match(r"https?://[^\s/]+", url):
                raise AlertConfigError(f"alerts.pagerduty.url must be an http(s) URL, not {url!r}")
            out.append(Destination(name, str(url), routing_key=secret))
        elif name == "webhook":
            headers = _mapping(dlt.secrets.get("alerts.webhook.headers"), "webhook.headers")
            out.append(Destination(name, secret, headers={str(k): str(v) for k, v in headers.items()}))
        else:
            out.append(Destination(name, secret))
    if email is not None and (not names or "email" in names):
        out.append(email)
    return out


def _email(required: bool) -> Destination | None:
    """Email when `alerts.email.host` is set (README "Alerts"); the password is a secret."""
    host = dlt.config.get("alerts.email.host")
    if not host:
        if required:
            raise AlertConfigError("email needs alerts.email.host (or ALERTS__EMAIL__HOST)")
        return None
    security = str(dlt.config.get("alerts.email.security") or "starttls")
    if security not in ("starttls", "ssl", "none"):
        raise AlertConfigError(f"alerts.email.security must be one of starttls, ssl, none, not {security!r}")
    to = dlt.config.get("alerts.email.to")
    if isinstance(to, str):
        to = json.loads(to) if to.lstrip().startswith("[") else to.split(",")
    recipients = [str(t).strip() for t in to or [] if str(t).strip()]
    if not recipients:
        raise AlertConfigError("email needs alerts.email.to, one address or a list")
    default_port = {"starttls": 587, "ssl": 465, "none": 25}[security]
    settings = {
        "host": str(host),
        "port": int(_number(dlt.config.get("alerts.email.port") or default_port, int, "email.port")),
        "security": security,
        "sender": str(dlt.config.get("alerts.email.sender") or "syncscope@localhost"),
        "to": recipients,
        "username": str(dlt.config.get("alerts.email.username") or ""),
    }
    return Destination("email", "", password=_secret("alerts.email.password"), settings=settings)


def load_config(flags: dict[str, object] | None = None) -> AlertConfig:
    """Everything `syncscope alert` needs; AlertConfigError (exit 2) on a wrong setting."""
    limits = load_limits(flags)
    remind = (flags or {}).get("remind_after")
    config = AlertConfig(
        limits=limits,
        overrides=_overrides(limits),
        mutes=_mutes(),
        links=_links(),
        remind_after_s=parse_duration(
            remind if remind is not None else _setting("remind_after"), "remind_after"
        ),
        destinations=_destinations(_setting("destinations")),
    )
    for name, attr, kind in (("max_listed", "max_listed", int), ("timeout_seconds", "timeout_s", float),
                             ("max_attempts", "max_attempts", int),
                             ("max_retry_after_seconds", "max_retry_after_s", float),
                             ("retry_backoff_seconds", "backoff_s", float)):  # fmt: skip
        value = _setting(name)
        if value is not None:
            setattr(config, attr, _number(value, kind, name))
    config.max_attempts = max(1, config.max_attempts)
    return config
