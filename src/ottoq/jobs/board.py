"""The depot board: what a dashboard shows next to the grid, read in a few queries."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from ottoq.context import Ctx
from ottoq.errors import NotFound
from ottoq.jobs import board_queries as bq
from ottoq.jobs.forecast import predicted_start
from ottoq.network.queries import find_depot
from ottoq.states import JOB_TYPE_RESOURCE, RESOURCE_TYPES


async def _depot(conn: asyncpg.Connection, depot_id: UUID) -> dict[str, Any]:
    depot = await find_depot(conn, depot_id)
    if depot is None:
        raise NotFound(f"depot {depot_id} not found")
    return depot


async def depot_queue(
    conn: asyncpg.Connection, ctx: Ctx, depot_id: UUID, per_type: int
) -> dict[str, Any]:
    """The depot's pending jobs per type, in booking order, each with its predicted start."""
    await _depot(conn, depot_id)
    now = ctx.now()
    rows = await bq.depot_queue(conn, depot_id, per_type)
    free = await bq.free_at_by_type(conn, depot_id, now)

    lengths = {job_type: 0 for job_type in JOB_TYPE_RESOURCE}
    jobs = []
    for row in rows:
        lengths[row["job_type"]] = row["queue_length"]
        jobs.append(_queued_job(row, free.get(JOB_TYPE_RESOURCE[row["job_type"]], []), now))
    return {"depot_id": depot_id, "now": now, "queue_lengths": lengths, "jobs": jobs}


def _queued_job(row: dict[str, Any], free_at: list[datetime], now: datetime) -> dict[str, Any]:
    return {
        "job_id": row["id"],
        "vehicle_id": row["vehicle_id"],
        "external_ref": row["external_ref"],
        "soc": row["soc"],
        "job_type": row["job_type"],
        "task": (row["metadata_jsonb"] or {}).get("task"),
        "queue_position": row["queue_position"],
        "requested_start_at": row["requested_start_at"],
        "predicted_start_at": predicted_start(
            free_at,
            now,
            row["requested_start_at"],
            row["queue_position"],
            timedelta(seconds=row["duration_seconds"]),
        ),
        "duration_seconds": row["duration_seconds"],
        "created_at": row["created_at"],
    }


async def depot_utilization(
    conn: asyncpg.Connection, ctx: Ctx, depot_id: UUID, hours: int, step_minutes: int
) -> dict[str, Any]:
    """Average resources at work per type in each step of the last `hours`, oldest first."""
    await _depot(conn, depot_id)
    now = ctx.now()
    step = timedelta(minutes=step_minutes)
    count = math.ceil(hours * 60 / step_minutes)
    since = now - count * step

    rows = await bq.work_per_step(conn, depot_id, since, now, step, count)
    busy = [{t: 0.0 for t in RESOURCE_TYPES} for _ in range(count)]
    for row in rows:
        busy[row["n"]][row["resource_type"]] = round(row["seconds"] / step.total_seconds(), 3)
    capacity = {t: {"total": 0, "in_service": 0} for t in RESOURCE_TYPES}
    for row in await bq.capacity(conn, depot_id):
        capacity[row["resource_type"]] = {"total": row["total"], "in_service": row["in_service"]}

    return {
        "depot_id": depot_id,
        "now": now,
        "since": since,
        "step_seconds": int(step.total_seconds()),
        "capacity": capacity,
        "steps": [{"start": since + n * step, "busy": busy[n]} for n in range(count)],
    }
