"""The words a depot grid cell shows. Computed when asked, never stored."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

SEP = " \u2014 "
ACTIVITY = {"CHARGE": "Charging", "DETAILING": "Detailing", "MAINTENANCE": "Maintenance"}


def _minutes_text(seconds: float) -> str:
    minutes = max(0, math.ceil(seconds / 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes}m" if hours else f"{minutes}m"


def activity(job_type: str, metadata: dict[str, Any] | None) -> str:
    if job_type == "MAINTENANCE" and metadata and metadata.get("task"):
        return str(metadata["task"])
    return ACTIVITY[job_type]


def cell_label(cell: dict[str, Any], now: datetime) -> str:
    """`Available`, `Out of Service`, or `Vehicle X — Charging — 20m left` and the like."""
    if cell["status"] == "OUT_OF_SERVICE":
        return "Out of Service"
    if cell["status"] not in ("BUSY", "RESERVED") or cell["job_state"] is None:
        return "Available"
    doing = activity(cell["job_type"], cell["metadata_jsonb"])
    head = f"Vehicle {cell['external_ref']}{SEP}{doing}"
    if cell["job_state"] == "ACTIVE":
        ends = cell["started_at"] + timedelta(seconds=cell["duration_seconds"])
        ends = max(ends, cell["scheduled_end_at"])
        return f"{head}{SEP}{_minutes_text((ends - now).total_seconds())} left"
    wait = (cell["scheduled_start_at"] - now).total_seconds()
    if wait <= 60:
        return f"{head}{SEP}starting soon"
    return f"{head}{SEP}starts in {math.ceil(wait / 60)}m"
