"""Slack incoming webhook: `text` (notifications, fallback) plus Block Kit `blocks`.

Limits from Slack's Block Kit reference: at most 50 blocks a message, header text 150
characters (plain_text), section text 3,000 (mrkdwn), context 10 elements. Errors come back
as a plain-text body such as `invalid_payload`, `channel_not_found` or `no_service`.
"""

from __future__ import annotations

from pipelines.alerts.messages import Fleet, headline, line
from pipelines.alerts.transitions import Transition

MAX_LISTED = 45  # 50 blocks minus header, summary, divider, "and N more"
EMOJI = {"trigger": ":red_circle:", "escalate": ":rotating_light:", "remind": ":hourglass:",
         "resolve": ":white_check_mark:"}  # fmt: skip


def escape(text: str) -> str:
    """Slack's mrkdwn control characters (&, <, >) as entities, as its formatting guide asks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def message(fleet: Fleet, transitions: list[Transition], max_listed: int) -> dict:
    shown = transitions[: max(0, min(max_listed, MAX_LISTED))]
    title = f"syncscope: {headline(transitions)}"
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(title, 150)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _cut(escape(fleet.line()), 3000)}},
        {"type": "divider"},
    ]
    for t in shown:
        text = f"{EMOJI[t.kind]} {escape(line(t))}"
        if t.link and not set("|<>") & set(t.link):
            text += f" <{t.link}|open>"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, 3000)}})
    if len(transitions) > len(shown):
        more = f"and {len(transitions) - len(shown)} more (syncscope alert --dry-run lists them all)"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    return {"text": _cut(f"{title}. {fleet.line()}", 3000), "blocks": blocks}


def error(status: int, body: str) -> str:
    """Slack answers errors in plain text (`invalid_payload`, `channel_not_found`, `no_service`)."""
    first = body.strip().splitlines()[0][:200] if body.strip() else ""
    return f"HTTP {status} {first}".rstrip()
