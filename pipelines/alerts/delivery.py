"""POST one JSON body to one destination: timeouts, bounded retries, one-line errors.

- 2xx: delivered.
- 429: wait `Retry-After` seconds (Slack and PagerDuty send it) and try again, unless the wait
  is longer than `max_retry_after_seconds` (then the attempt fails and the next run retries).
- 5xx, timeouts, refused or dropped connections: retried up to `max_attempts` with doubling
  back-off.
- other 4xx: not retried; the destination's own error text in one line.
No message ever carries the URL or a header: for Slack and the generic webhook the URL is the
secret. httpx logs every request URL at INFO, so its loggers are filtered here too.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import ClassVar

import httpx

from pipelines.alerts.config import AlertConfig, Destination
from pipelines.alerts.destinations import email


@dataclass
class Delivery:
    ok: bool
    status: int | None
    attempts: int
    error: str = ""


class _Redact(logging.Filter):
    """Drops the secrets given to `protect` from any record of the HTTP libraries."""

    secrets: ClassVar[set[str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(s and s in message for s in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, ()
        return True


_FILTER = _Redact()
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).addFilter(_FILTER)


def protect(secrets: list[str]) -> None:
    _Redact.secrets.update(s for s in secrets if s)


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _wait(seconds: float) -> None:
    """Back-off and Retry-After waits (one place, so tests can record them instead of sleeping)."""
    time.sleep(seconds)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def post(
    client: httpx.Client, name: str, url: str, body: dict, config: AlertConfig,
    error_text: object, headers: dict[str, str] | None = None,
) -> Delivery:  # fmt: skip
    """Deliver `body` to destination `name`; `error_text(status, body)` words its errors."""
    secrets = [url, *(headers or {}).values()]
    last = ""
    status: int | None = None
    for attempt in range(1, config.max_attempts + 1):
        try:
            response = client.post(url, json=body, headers=headers or {}, timeout=config.timeout_s)
        except httpx.TimeoutException:
            status, last = None, f"no response within {config.timeout_s:g}s"
        except httpx.TransportError as exc:
            status, last = None, f"cannot reach it ({type(exc).__name__})"
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # not worth retrying; never quote the URL
            return Delivery(False, None, attempt, f"{name}: request failed ({type(exc).__name__})")
        else:
            status = response.status_code
            if 200 <= status < 300:
                return Delivery(True, status, attempt)
            text = redact(error_text(status, response.text), secrets)
            if status == 429:
                wait = _retry_after(response)
                if wait is not None and wait > config.max_retry_after_s:
                    return Delivery(False, status, attempt,
                                    f"{name}: HTTP 429, asked to wait {wait:g}s (more than "
                                    f"alerts.max_retry_after_seconds); the next run retries")  # fmt: skip
                last = text
                if attempt < config.max_attempts:
                    _wait(wait if wait is not None else config.backoff_s * 2 ** (attempt - 1))
                continue
            if status < 500:
                return Delivery(False, status, attempt, f"{name}: {text}")
            last = text
        if attempt < config.max_attempts:
            _wait(config.backoff_s * 2 ** (attempt - 1))
    tries = f"after {config.max_attempts} attempt{'s' * (config.max_attempts != 1)}"
    return Delivery(False, status, config.max_attempts, f"{name}: {last} {tries}")


def mail(destination: Destination, body: dict, config: AlertConfig) -> Delivery:
    """Email with the same retry policy: SMTP 4xx and connection trouble retried, 5xx not."""
    last, code = "", None
    for attempt in range(1, config.max_attempts + 1):
        try:
            code, refused = email.send(destination.settings, destination.password, body, config.timeout_s)
        except (OSError, email.smtplib.SMTPException) as exc:
            code, last, retry = email.classify(exc)
            last = redact(last, destination.secrets)
            if not retry:
                return Delivery(False, code, attempt, f"email: {last}")
        else:
            if not refused:
                return Delivery(True, code, attempt)
            return Delivery(False, code, attempt, f"email: {redact(refused, destination.secrets)}")
        if attempt < config.max_attempts:
            _wait(config.backoff_s * 2 ** (attempt - 1))
    tries = f"after {config.max_attempts} attempt{'s' * (config.max_attempts != 1)}"
    return Delivery(False, code, config.max_attempts, f"email: {last} {tries}")
