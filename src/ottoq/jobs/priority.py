"""The pending queue's order: lowest charge first, then earliest deadline, then age.

Every job ages at the same rate, so ageing only matters against jobs created later. That makes
the order a fixed key per job, computed once: it can never flip-flop between ticks, and a job
that has waited long enough goes ahead of any newcomer however urgent the newcomer looks.
"""

from __future__ import annotations

from datetime import UTC, datetime

# A 10-point lower state of charge is worth 60 minutes of waiting.
SOC_MINUTES_PER_UNIT = 600.0
# An hour closer deadline is worth 10 minutes of waiting.
DEADLINE_WEIGHT = 1 / 6
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def priority_key(
    job_type: str, soc: float | None, ready_by: datetime | None, created_at: datetime
) -> float:
    """Minutes on a common scale; the pending job with the lowest key is served first."""
    key = (created_at - _EPOCH).total_seconds() / 60
    if job_type == "CHARGE" and soc is not None:
        key += soc * SOC_MINUTES_PER_UNIT
    if ready_by is not None:
        key += (ready_by - created_at).total_seconds() / 60 * DEADLINE_WEIGHT
    return key
