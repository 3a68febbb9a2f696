"""The fleet: vehicles, their telemetry and their status."""
