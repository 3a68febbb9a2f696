"""When a queued job should start: a pure rule shared by the job API and the depot board."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta


def predicted_start(
    free_at: Iterable[datetime],
    now: datetime,
    requested_start_at: datetime,
    position: int,
    duration: timedelta,
) -> datetime | None:
    """The moment the job at `position` of its queue should get a resource; None when none fit.

    `free_at` holds, per resource in service, the end of its last booking. Jobs ahead take the
    resources in turn as they free up, each for about this job's length.
    """
    free = sorted(max(moment, now, requested_start_at) for moment in free_at)
    if not free:
        return None
    rounds, slot = divmod(position - 1, len(free))
    return free[slot] + rounds * duration
