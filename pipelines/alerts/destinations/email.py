"""Email through SMTP (stdlib smtplib): one plain-text message per run to `alerts.email.to`.

Security `starttls` (default, port 587), `ssl` (port 465) or `none` (a local relay). SMTP 4xx
replies, refused or dropped connections and timeouts are retried like HTTP 5xx; 5xx replies
fail at once with the server's one-line reason. The password is a secret
(`alerts.email.password`, ALERTS__EMAIL__PASSWORD) and never appears in a message.
"""

from __future__ import annotations

import smtplib
import socket
from email.message import EmailMessage

from pipelines.alerts.messages import Fleet, headline, line
from pipelines.alerts.transitions import Transition

SECURITY = ("starttls", "ssl", "none")


def message(fleet: Fleet, transitions: list[Transition]) -> dict:
    """The message as JSON-able parts (so `--dry-run --json` can show it)."""
    body = [fleet.line(), ""] + [line(t) + (f"\n  {t.link}" if t.link else "") for t in transitions]
    return {"subject": f"syncscope: {headline(transitions)}", "text": "\n".join(body) + "\n"}


def send(settings: dict, password: str, body: dict, timeout: float) -> tuple[int, str]:
    """Send once: (SMTP reply code, "" or a one-line error). Raises OSError/SMTP errors that are transient."""
    mail = EmailMessage()
    mail["Subject"] = body["subject"]
    mail["From"] = settings["sender"]
    mail["To"] = ", ".join(settings["to"])
    mail.set_content(body["text"])
    kind = smtplib.SMTP_SSL if settings["security"] == "ssl" else smtplib.SMTP
    with kind(settings["host"], settings["port"], timeout=timeout) as smtp:
        if settings["security"] == "starttls":
            smtp.starttls()
        if settings.get("username"):
            smtp.login(settings["username"], password)
        refused = smtp.send_message(mail)
    if refused:
        first, (code, reason) = next(iter(refused.items()))
        return code, f"SMTP {code} {_text(reason)} for {first}"
    return 250, ""


def _text(reason: object) -> str:
    raw = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
    return raw.strip().splitlines()[0][:200] if raw.strip() else ""


def classify(exc: Exception) -> tuple[int | None, str, bool]:
    """(code, one-line error, retry?) for an exception from `send`."""
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        return code, f"SMTP {code} {_text(exc.smtp_error)}", 400 <= code < 500
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reason = next(iter(exc.recipients.values()))
        return code, f"SMTP {code} {_text(reason)}", 400 <= code < 500
    if isinstance(exc, socket.timeout | TimeoutError):
        return None, "no response", True
    return None, f"cannot reach it ({type(exc).__name__})", True
