"""Alerts that reach people: rules over the marts, incidents kept in the warehouse, and one
message per destination per run carrying only what changed (see README "Alerts")."""
