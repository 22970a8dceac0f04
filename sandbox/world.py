"""The world: one clock, one lock and the three vendor worlds that read them."""

from __future__ import annotations

import threading
from typing import Protocol

from sandbox.clock import WorldClock
from sandbox.config import WorldConfig
from sandbox.http import Router

VENDORS = ("ai_squared", "timbal", "paragon")


class VendorWorld(Protocol):
    """What the service needs from each vendor's world."""

    name: str

    def router(self) -> Router:
        """The vendor's public endpoints."""
        ...

    def add_admin_routes(self, admin: Router) -> None:
        """Vendor-specific `/_sandbox/...` endpoints: truth, config changes."""
        ...

    def env(self, base_url: str) -> dict[str, str]:
        """`SOURCES__<VENDOR>__...` variables that point a pipeline at this world."""
        ...


class World:
    def __init__(self, config: WorldConfig | None = None) -> None:
        from sandbox.ai_squared import AiSquaredWorld
        from sandbox.paragon import ParagonWorld
        from sandbox.timbal import TimbalWorld

        self.config = config or WorldConfig()
        self.clock = WorldClock(self.config.start_ms)
        # Handlers and clock moves hold this lock, so a request never sees half an advance.
        self.lock = threading.RLock()
        self.ai_squared = AiSquaredWorld(self.config, self.clock)
        self.timbal = TimbalWorld(self.config, self.clock)
        self.paragon = ParagonWorld(self.config, self.clock)

    def vendor(self, name: str) -> VendorWorld:
        if name not in VENDORS:
            raise ValueError(f"unknown vendor {name!r}; choose one of {', '.join(VENDORS)}")
        return getattr(self, name)

    @property
    def now(self) -> int:
        return self.clock.now

    def advance(self, seconds: float) -> int:
        with self.lock:
            return self.clock.advance(round(seconds * 1000))
