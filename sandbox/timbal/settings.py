"""A sync's editable configuration, its change log, and validation of requested changes.

Every accepted change is one new version valid from the clock's `now`, so the truth can tell a
test which configuration the API showed at any instant, and the run cache knows when to refresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sandbox.clock import SECOND
from sandbox.timbal.catalog import SyncSetup

MIN_INTERVAL_SECS = 60  # shorter intervals would flood a world with runs
MAX_INTERVAL_SECS = 30 * 24 * 3600


class ChangeError(ValueError):
    """A requested change names an unknown field or gives a value of the wrong type."""


@dataclass(frozen=True)
class Settings:
    """The editable part of a sync at one moment."""

    enabled: bool
    interval_secs: int
    name: str | None
    cursor_column: str
    dest_table: str
    updated_ms: int

    @classmethod
    def initial(cls, setup: SyncSetup, t0: int) -> Settings:
        """As at T0: a `disabled` profile was switched off before T0, every other is on."""
        disabled_at = setup.profile.disabled_at_ms
        return cls(
            enabled=disabled_at is None or disabled_at > t0,
            interval_secs=setup.profile.interval_ms // SECOND,
            name=setup.name,
            cursor_column=setup.cursor_column,
            dest_table=setup.dest_table,
            updated_ms=setup.updated_ms,
        )


@dataclass
class SettingsLog:
    """Versions of one sync's settings, oldest first; the last one is current."""

    versions: list[Settings] = field(default_factory=list)

    @property
    def current(self) -> Settings:
        return self.versions[-1]

    @property
    def version(self) -> int:
        return len(self.versions)

    def apply(self, changes: dict[str, object], now_ms: int) -> tuple[Settings, Settings]:
        """Record `changes` at `now_ms`; returns (before, after)."""
        before = self.current
        after = replace(before, **changes, updated_ms=now_ms)  # type: ignore[arg-type]
        self.versions.append(after)
        return before, after


def _non_empty_str(field_name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ChangeError(f"{field_name} must be a non-empty string")
    return value


def _check_name(value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ChangeError("name must be a string or null")
    return value


def _check_enabled(value: object) -> bool:
    if not isinstance(value, bool):
        raise ChangeError("enabled must be a boolean")
    return value


def _check_interval(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ChangeError("interval_secs must be an integer")
    if not MIN_INTERVAL_SECS <= value <= MAX_INTERVAL_SECS:
        raise ChangeError(
            f"interval_secs must lie in [{MIN_INTERVAL_SECS}, {MAX_INTERVAL_SECS}], got {value}"
        )
    return value


CHECKS = {
    "enabled": _check_enabled,
    "interval_secs": _check_interval,
    "name": _check_name,
    "cursor_column": lambda v: _non_empty_str("cursor_column", v),
    "dest_table": lambda v: _non_empty_str("dest_table", v),
}


def validate_changes(changes: object) -> dict[str, object]:
    """The changes, checked: a non-empty mapping of known fields with values of the right type."""
    if not isinstance(changes, dict) or not changes:
        raise ChangeError(f"expected a non-empty JSON object with any of: {', '.join(CHECKS)}")
    unknown = sorted(set(changes) - set(CHECKS))
    if unknown:
        raise ChangeError(f"unknown fields: {', '.join(unknown)}; allowed: {', '.join(CHECKS)}")
    return {name: CHECKS[name](value) for name, value in changes.items()}
