"""The Paragon Managed Sync sandbox: per-user syncs whose status snapshots imply their cycles."""

from sandbox.paragon.world import ParagonWorld

__all__ = ["ParagonWorld"]
