"""Secrets kept out of everything syncscope or dlt writes: messages, logs, dlt's trace, files.

An exception can carry a credential: httpx quotes a header with a stray CR/LF, a URL can hold
`user:password@`. dlt stores every step's exception chain in `trace.pickle`, so each
configured secret is registered here when the runner reads it, and `scrub` replaces it (in
every form an exception may quote it: raw, repr-escaped, split at control characters) and any
URL user-info with `***`. A dlt tracking hook scrubs each step of the trace before dlt pickles
it; a logging filter does the same for log records; `lock_down` makes dlt's working files
0600 and folders 0700.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
from pathlib import Path
from typing import Any

MASK = "***"
MIN_PIECE = 6  # shorter fragments of a secret are too common to mask without mangling text
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")
_AUTH_HEADER = re.compile(r"(?i)(authorization['\"]?\s*[:=,]\s*['\"]?(?:bearer|basic|token)?\s*)[^\s'\",]+")
_secrets: set[str] = set()
_lock = threading.Lock()


def register(value: object) -> None:
    """Remember a secret (a string, or a list of them) so that `scrub` masks it."""
    if isinstance(value, list | tuple | set):
        for item in value:
            register(item)
        return
    if not isinstance(value, str) or not value.strip():
        return
    forms = {value, value.strip(), repr(value)[1:-1], repr(value.encode())[2:-1]}
    forms.update(p for p in re.split(r"[\x00-\x1f\x7f\s]+", value) if len(p) >= MIN_PIECE)
    with _lock:
        _secrets.update(f for f in forms if len(f) >= MIN_PIECE or f == value.strip())


def registered() -> list[str]:
    with _lock:
        return sorted(_secrets, key=len, reverse=True)  # longest first: no partial leftovers


def scrub(text: str) -> str:
    """`text` with every registered secret, URL user-info and Authorization value masked."""
    for secret in registered():
        if secret in text:
            text = text.replace(secret, MASK)
    text = _USERINFO.sub(lambda m: m.group(1) + MASK + "@", text)
    return _AUTH_HEADER.sub(lambda m: m.group(1) + MASK, text)


def scrub_deep(value: Any) -> Any:
    """`scrub` through strings, bytes, lists, tuples, named tuples and dicts."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, bytes):
        return scrub(value.decode("utf-8", "replace")).encode()
    if isinstance(value, dict):
        return {scrub_deep(k): scrub_deep(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_replace"):
        return value._replace(**{f: scrub_deep(getattr(value, f)) for f in value._fields})  # type: ignore[attr-defined]
    if isinstance(value, list | tuple):
        return type(value)(scrub_deep(v) for v in value)
    return value


def scrub_exception(exc: BaseException) -> None:
    """Mask secrets in the messages of every exception of a chain, in place."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        with contextlib.suppress(TypeError, AttributeError):
            current.args = tuple(scrub_deep(a) for a in current.args)
        current = current.__cause__ or current.__context__


class _TraceScrubber:
    """A dlt tracking module: runs after each step is added to the trace, before it is saved."""

    def on_start_trace(self, trace: Any, step: Any, pipeline: Any) -> None:
        pass

    def on_start_trace_step(self, trace: Any, step: Any, pipeline: Any) -> None:
        pass

    def on_end_trace_step(self, trace: Any, step: Any, pipeline: Any, info: Any, send_state: bool) -> None:
        for index, item in enumerate(trace.steps):
            trace.steps[index] = item._replace(
                step_exception=scrub_deep(item.step_exception),
                exception_traces=scrub_deep(item.exception_traces),
            )

    def on_end_trace(self, trace: Any, pipeline: Any, send_state: bool) -> None:
        pass


_SCRUBBER = _TraceScrubber()


def install_trace_scrubber() -> None:
    """Put the scrubber among dlt's tracking modules (once)."""
    from dlt.pipeline import trace

    if _SCRUBBER not in trace.TRACKING_MODULES:
        trace.TRACKING_MODULES.insert(0, _SCRUBBER)


class ScrubFilter(logging.Filter):
    """Masks secrets in a record's message and traceback before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = scrub(record.getMessage()), ()
        if record.exc_info:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def lock_down(folder: Path) -> None:
    """Folders 0700, files 0600 under `folder` (dlt's state, packages and trace)."""
    if not folder.exists():
        return
    os.chmod(folder, 0o700)
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o700)
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, 0o600)
