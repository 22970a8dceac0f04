"""Where log records, stray output and tracebacks go: text for people, JSON lines for shippers.

With `--log-format json`, a scheduler often appends stdout and stderr to one file (`2>&1`, as the
cron recipe does), so every line either stream carries must be a JSON object, whatever dlt,
DuckDB, a warning or a crash prints. So in JSON mode:

* log records (syncscope's, dlt's, any library's) become `{"event": "log", ...}` objects on
  stderr; dlt keeps its logger's first handler, so ours is in place before dlt creates one;
* anything else written to `sys.stdout` or `sys.stderr` that is not already a JSON object is
  wrapped, line by line, as `{"event": "output", "stream": ..., "message": ...}`;
* an uncaught exception is one `{"event": "error", ...}` object with the traceback inside.

In both modes every record passes `redact.ScrubFilter`, so no secret reaches a log.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TextIO

from pipelines.redact import ScrubFilter, scrub

_installed: str | None = None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def json_line(event: str, **fields: Any) -> str:
    record = {"ts": _now(), "event": event, **fields}
    return json.dumps(record, ensure_ascii=False, default=str)


class JsonLines(io.TextIOBase):
    """A text stream that lets JSON-object lines through and wraps every other line."""

    def __init__(self, target: TextIO, name: str) -> None:
        self.target, self.name, self._buffer = target, name, ""

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.target.fileno()

    def write(self, text: str) -> int:
        self._buffer += text
        while "\n" in self._buffer:
            line, self._buffer = self._buffer.split("\n", 1)
            self._emit(line)
        return len(text)

    def _emit(self, line: str) -> None:
        if not line.strip():
            return
        try:
            is_object = isinstance(json.loads(line), dict)
        except ValueError:
            is_object = False
        out = line if is_object else json_line("output", stream=self.name, message=scrub(line))
        self.target.write(out + "\n")
        self.target.flush()

    def flush(self) -> None:
        if self._buffer:
            line, self._buffer = self._buffer, ""
            self._emit(line)
        self.target.flush()


class JsonLogHandler(logging.Handler):
    """One JSON object per log record; keeps its format when dlt sets another formatter."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream
        self.addFilter(ScrubFilter())

    def setFormatter(self, fmt: logging.Formatter | None) -> None:
        """dlt sets its text formatter on the handler it finds: JSON stays JSON."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            fields: dict[str, Any] = {"level": record.levelname.lower(), "logger": record.name}
            fields["message"] = record.getMessage()
            if record.exc_text:
                fields["traceback"] = record.exc_text
            self.stream.write(json_line("log", **fields) + "\n")
            self.stream.flush()
        except Exception:
            self.handleError(record)


def _text_handler() -> logging.Handler:
    handler = logging.StreamHandler()
    handler.addFilter(ScrubFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    return handler


def _json_excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    text = scrub("".join(traceback.format_exception(kind, exc, tb)))
    message = scrub(str(exc).splitlines()[0] if str(exc) else kind.__name__)
    sys.stderr.write(json_line("error", error=kind.__name__, message=message, traceback=text) + "\n")
    sys.stderr.flush()


def setup(log_format: str) -> None:
    """Install handlers for `log_format` ("text" or "json") once per process."""
    global _installed
    if _installed == log_format:
        return
    _installed = log_format
    if log_format == "json":
        if not isinstance(sys.stdout, JsonLines):
            sys.stdout = JsonLines(sys.stdout, "stdout")
        if not isinstance(sys.stderr, JsonLines):
            sys.stderr = JsonLines(sys.stderr, "stderr")
        sys.excepthook = _json_excepthook
        handlers: list[logging.Handler] = [JsonLogHandler(sys.stderr), JsonLogHandler(sys.stderr)]
    else:
        handlers = [_text_handler(), _text_handler()]
    root, dlt_logger = logging.getLogger(), logging.getLogger("dlt")
    for logger, handler in zip((root, dlt_logger), handlers, strict=True):
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.addHandler(handler)
    root.setLevel(logging.WARNING)
    dlt_logger.propagate = False


class QuietArrowMerge(logging.Filter):
    """Drops dlt's warning on every Arrow table whose columns differ from their dlt hints: both of
    syncscope's loads do it on purpose (the vendor loads send JSON as text, which DuckDB stores as
    JSON; delivery sends timestamps to PostgreSQL as text, pipelines/deliver/transport.py)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "when merging arrow schema with dlt schema" not in record.getMessage()


def quiet_arrow_merge_warnings() -> None:
    """Install `QuietArrowMerge` on dlt's logger (once, however often called)."""
    dlt_log = logging.getLogger("dlt")
    if not any(isinstance(f, QuietArrowMerge) for f in dlt_log.filters):
        dlt_log.addFilter(QuietArrowMerge())
