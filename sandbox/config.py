"""How big and which world: the knobs every vendor world reads."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sandbox.clock import now_ms

SIZES: dict[str, dict[str, int]] = {
    # syncs per vendor, days of history, AI Squared record rows at T0
    "small": {"syncs": 12, "days": 7, "records": 20_000},
    "default": {"syncs": 36, "days": 28, "records": 200_000},
    "large": {"syncs": 1_000, "days": 28, "records": 5_000_000},
}


@dataclass(frozen=True)
class WorldConfig:
    seed: int = 42
    syncs: int = 36  # per vendor
    days: int = 28  # history before the start time
    records: int = 200_000  # AI Squared sync_records rows visible at the start (approximate)
    start_ms: int = 0  # the world's T0; 0 means "now, to the second"
    timbal_recent_runs: int = 10  # how many runs Timbal's sync detail shows
    paragon_users: int = 3  # connected users, one token each
    anomalies: int = 0  # syncs per vendor with one injected anomaly (sandbox.anomalies)
    # AI Squared records holding 70-bit integers and decimal strings, as the server sends them;
    # off only for clients that cannot parse them (dlt's rest_api in the benchmarks).
    exact_numbers: bool = True

    def __post_init__(self) -> None:
        if self.syncs < 1 or self.days < 1 or self.records < 0 or self.anomalies < 0:
            raise ValueError("syncs and days must be >= 1, records and anomalies >= 0")
        if self.start_ms == 0:
            object.__setattr__(self, "start_ms", now_ms() // 1000 * 1000)

    @classmethod
    def sized(cls, size: str = "default", **overrides: int | bool) -> WorldConfig:
        if size not in SIZES:
            raise ValueError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
        values = {**SIZES[size], **{k: v for k, v in overrides.items() if v is not None}}
        return cls(**values)

    def with_(self, **changes: int) -> WorldConfig:
        return replace(self, **changes)
