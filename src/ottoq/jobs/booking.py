"""Booking a job into the earliest window that fits on a resource of its depot."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from ottoq.context import Ctx
from ottoq.errors import IllegalTransition
from ottoq.fleet.queries import settle_vehicles
from ottoq.jobs import queries as q
from ottoq.jobs.calendar import earliest_fit
from ottoq.states import JOB_TYPE_RESOURCE

log = structlog.get_logger()

# Rounds of looking again when every fitting resource was locked by a concurrent booking.
_LOCKED_ROUNDS = 4


@dataclass(frozen=True)
class Window:
    resource_id: UUID
    depot_id: UUID
    start: datetime
    end: datetime


def rank_candidates(
    rows: list[dict[str, Any]], not_before: datetime, length: timedelta, depot_ids: list[UUID]
) -> list[tuple[datetime, dict[str, Any]]]:
    """Resources by the earliest start they offer, then by depot preference, then by index."""
    preference = {depot: n for n, depot in enumerate(depot_ids)}
    ranked = []
    for row in rows:
        start = earliest_fit(zip(row["starts"], row["ends"], strict=True), not_before, length)
        ranked.append((start, preference[row["depot_id"]], row["index"], row))
    ranked.sort(key=lambda item: item[:3])
    return [(start, row) for start, _, _, row in ranked]


async def find_window(
    conn: asyncpg.Connection,
    ctx: Ctx,
    job: dict[str, Any],
    depot_ids: list[UUID],
    now: datetime,
) -> Window | None:
    """Lock the resource with the earliest fitting window within the horizon, skipping locked ones.

    The returned resource stays locked until commit, so nobody else can book into the window.
    """
    not_before = max(now, job["requested_start_at"])
    length = timedelta(seconds=job["duration_seconds"])
    horizon_end = now + ctx.settings.booking_horizon
    resource_type = JOB_TYPE_RESOURCE[job["job_type"]]
    for attempt in range(_LOCKED_ROUNDS):
        rows = await q.candidate_windows(conn, depot_ids, resource_type, not_before, job["id"])
        saw_locked = False
        for start, row in rank_candidates(rows, not_before, length, depot_ids):
            if start > horizon_end:
                break
            window = await _lock_and_confirm(conn, row, job["id"], not_before, length)
            if window is None:
                saw_locked = True
            elif window.start <= horizon_end:
                return window
        if not saw_locked:
            return None
        # Another booking holds the best resources for a moment; look again, never wait on it.
        await asyncio.sleep(0.001 * (attempt + 1))
    return None


async def _lock_and_confirm(
    conn: asyncpg.Connection,
    row: dict[str, Any],
    job_id: UUID,
    not_before: datetime,
    length: timedelta,
) -> Window | None:
    got = await conn.fetchval(q.LOCK_RESOURCE_NOWAIT, row["id"])
    if got is None:
        return None

    # Read again under the lock: a booking that committed since the first read is seen now.
    booked = await q.resource_windows(conn, row["id"], not_before, job_id)
    start = earliest_fit(booked, not_before, length)
    return Window(row["id"], row["depot_id"], start, start + length)


async def place(
    conn: asyncpg.Connection,
    ctx: Ctx,
    job: dict[str, Any],
    window: Window,
    now: datetime,
    *,
    moving: bool = False,
) -> dict[str, Any]:
    """Write the booking: the job takes the window, its resources and vehicle follow."""
    sql_allowed = ["SCHEDULED"] if moving else ["PENDING"]
    event = "JOB_RESCHEDULED" if moving else "JOB_SCHEDULED"
    eta = int((window.end - window.start).total_seconds())
    booked = await q.guarded(
        conn,
        q.SCHEDULE_JOB,
        job["id"],
        now,
        sql_allowed,
        event,
        window.resource_id,
        window.start,
        window.end,
        eta,
        window.depot_id,
    )
    if booked is None:
        current = await q.fetch_job(conn, job["id"])
        state = current["state"] if current else None
        raise IllegalTransition("job", job["id"], state, "SCHEDULED")

    touched = [window.resource_id, *([job["resource_id"]] if job.get("resource_id") else [])]
    await q.refresh_resources(
        conn, touched, now, ctx.reserve_until(now), held=frozenset({window.resource_id})
    )
    await settle_vehicles(conn, [job["vehicle_id"]], now)
    log.info(
        "job.scheduled" if not moving else "job.moved",
        job_id=str(job["id"]),
        resource_id=str(window.resource_id),
        start=window.start.isoformat(),
    )
    return booked
