"""The Timbal sandbox: connector syncs of one org, their runs, config changes and truth."""

from sandbox.timbal.world import TimbalWorld

__all__ = ["TimbalWorld"]
