"""The vendors syncscope loads, in load order: a module of its own so that commands which only
name them (`syncscope alert`'s settings) do not import the loader (dlt, pyarrow, the sources)."""

from __future__ import annotations

VENDORS = ("ai_squared", "timbal", "paragon")
