"""AI Squared (Multiwoven) played faithfully: JSON:API lists, kaminari paging, JWT auth."""

from .world import AiSquaredWorld

__all__ = ["AiSquaredWorld"]
