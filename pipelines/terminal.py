"""Vendor text made safe to print: no control characters, no rich markup.

Sync names, error bodies and messages come from vendors. Printed through rich, `orders
[/archive]` is a closing tag (rich raises), `legacy [v1]` loses `[v1]`; printed anywhere, an
ANSI escape or a carriage return rewrites the operator's terminal. Everything a vendor wrote
goes through `plain` (control and bidi-override characters removed, line breaks and tabs made
spaces) before any output, and through `markup` (or `rich.text.Text`) before rich sees it.
"""

from __future__ import annotations

import re

from rich.markup import escape

# C0 and C1 controls, DEL, and the bidirectional overrides/isolates that reorder what is shown.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_SPACES = re.compile(r"[\t\n\r]+")


def plain(value: object) -> str:
    """`value` as one printable line: ANSI sequences dropped, controls removed, breaks as spaces."""
    text = "" if value is None else str(value)
    return _CONTROL.sub("", _SPACES.sub(" ", _ANSI.sub("", text)))


def plain_lines(value: object) -> str:
    """`plain` line by line: a message meant to span lines (a failing test and its rows) keeps them."""
    return "\n".join(plain(line) for line in ("" if value is None else str(value)).split("\n"))


def markup(value: object) -> str:
    """`plain(value)` with rich markup escaped, for strings rich parses (`[` stays `[`)."""
    return escape(plain(value))
