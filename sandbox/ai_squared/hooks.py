"""Actions on the AI Squared world, done now or armed to fire between two requests of a crawl.

A race (records moving while a run's records are paged, a sync edited while the list is paged)
only matters at an exact point of a crawl, so a test arms a hook: "after the 1st request whose
path starts with /api/v1/syncs/3/sync_runs/300012/sync_records is answered, move 5 of that run's
records to a newer run". Hooks count the requests the vendor app answers (a faulted request never
reaches it) and fire under the world lock, so no request sees half an edit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

ACTIONS = ("touch_run", "move_records", "edit_sync", "rename_connector", "delete_sync", "advance")
WHEN = ("after", "before")


@dataclass
class Hook:
    id: int
    action: dict
    path: str
    exact: bool
    nth: int
    when: str
    seen: int = 0
    result: dict | None = None
    error: str | None = None
    fired: bool = False
    fired_on: str | None = None  # the request target it fired on

    def matches(self, path: str) -> bool:
        return path == self.path if self.exact else path.startswith(self.path)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "action": self.action,
            "match": {"path" if self.exact else "path_prefix": self.path, "nth": self.nth, "when": self.when},
            "seen": self.seen,
            "fired": self.fired,
            "fired_on": self.fired_on,
            "result": self.result,
            "error": self.error,
        }


@dataclass
class HookBook:
    world: object  # AiSquaredWorld (import cycle avoided)
    hooks: list[Hook] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # doing -----------------------------------------------------------------------------------
    def act(self, action: dict) -> dict:
        """Do one action now; ValueError / LookupError describe a bad one."""
        if not isinstance(action, dict) or action.get("type") not in ACTIONS:
            raise ValueError(f"action must be an object with type one of {', '.join(ACTIONS)}")
        w = self.world
        kind, a = action["type"], action
        if kind == "touch_run":
            return w.touch_run(_int(a, "sync_id"), _int(a, "run_id"))
        if kind == "move_records":
            return w.move_records(
                _int(a, "sync_id"), _int(a, "run_id"), _int(a, "count", None), _int(a, "to_run_id", None)
            )
        if kind == "edit_sync":
            changes = a.get("changes") or {}
            if not isinstance(changes, dict):
                raise ValueError("changes must be an object of sync attributes")
            return w.edit_sync(_int(a, "sync_id"), changes)
        if kind == "rename_connector":
            if not isinstance(a.get("name"), str) or not a["name"]:
                raise ValueError("name must be a non-empty string")
            return w.rename_connector(_int(a, "connector_id"), a["name"])
        if kind == "delete_sync":
            sync_id = _int(a, "sync_id")
            if not w.remove_sync(sync_id):
                raise LookupError(f"no sync {sync_id}")
            return {"deleted": sync_id}
        seconds = a.get("seconds")
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
            raise ValueError("seconds must be a number >= 0")
        return {"now_ms": w.clock.advance(round(seconds * 1000))}

    # arming ----------------------------------------------------------------------------------
    def arm(self, spec: dict) -> dict:
        """Arm a hook: {"action": {...}, "path_prefix" | "path": str, "nth": 1, "when": "after"}."""
        if not isinstance(spec, dict):
            raise ValueError("body must be a JSON object")
        action = spec.get("action")
        if not isinstance(action, dict) or action.get("type") not in ACTIONS:
            raise ValueError(f"action must be an object with type one of {', '.join(ACTIONS)}")
        exact = "path" in spec
        path = spec.get("path", spec.get("path_prefix"))
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError("give path_prefix (or path, matched exactly): a request path starting with /")
        nth = _int(spec, "nth", 1)
        when = spec.get("when", "after")
        if nth < 1 or when not in WHEN:
            raise ValueError("nth must be >= 1 and when one of after, before")
        with self._lock:
            hook = Hook(len(self.hooks) + 1, action, path, exact, nth, when)
            self.hooks.append(hook)
        return hook.to_dict()

    def listing(self) -> list[dict]:
        return [h.to_dict() for h in self.hooks]

    def clear(self) -> None:
        with self._lock:
            self.hooks.clear()

    # firing ----------------------------------------------------------------------------------
    def around(self, handler: Callable) -> Callable:
        """`handler` with the armed hooks fired before or after it answers."""

        def wrapped(request, **params):
            due = self._count(request.path)
            self._fire(due, "before", request.target)
            response = handler(request, **params)
            self._fire(due, "after", request.target)
            return response

        return wrapped

    def _count(self, path: str) -> list[Hook]:
        due = []
        with self._lock:
            for hook in self.hooks:
                if not hook.fired and hook.matches(path):
                    hook.seen += 1
                    if hook.seen == hook.nth:
                        due.append(hook)
        return due

    def _fire(self, due: list[Hook], when: str, target: str) -> None:
        for hook in due:
            if hook.when != when:
                continue
            hook.fired, hook.fired_on = True, target
            try:
                hook.result = self.act(hook.action)
            except (ValueError, LookupError) as exc:
                hook.error = str(exc)


def _int(body: dict, name: str, default: object = ...) -> int:
    value = body.get(name, default)
    if value is ...:
        raise ValueError(f"{name} is required")
    if value is None:
        return None  # type: ignore[return-value]
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise ValueError(f"{name} must be a non-negative integer")
    return int(value)
