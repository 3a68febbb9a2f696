"""SQL for the depot board: the queue of pending jobs and the resources at work over time.

Every query starts from one depot and runs on the jobs' partial indexes, so the board costs a
few index scans whatever the size of the fleet.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

# Pending jobs in booking order per job type, each with its place and the length of its queue;
# `rank` gives jobs of equal priority the same place, as QUEUE_POSITION in queries.py does.
DEPOT_QUEUE = """
SELECT * FROM (
    SELECT j.id, j.vehicle_id, v.external_ref, v.soc, j.job_type, j.requested_start_at,
           j.duration_seconds, j.metadata_jsonb, j.created_at,
           rank() OVER (PARTITION BY j.job_type ORDER BY j.priority_key) AS queue_position,
           count(*) OVER (PARTITION BY j.job_type) AS queue_length
    FROM ottoq_jobs j
    JOIN ottoq_vehicles v ON v.id = j.vehicle_id
    WHERE j.depot_id = $1 AND j.state = 'PENDING'
) queued
WHERE queue_position <= $2
ORDER BY job_type, queue_position, created_at
"""

# Per resource in service: its type and the end of its last booking ($2 when it has none).
FREE_AT_BY_TYPE = """
SELECT r.resource_type, coalesce(max(j.scheduled_end_at), $2) AS free_at
FROM ottoq_resources r
LEFT JOIN ottoq_jobs j ON j.resource_id = r.id AND j.state IN ('SCHEDULED', 'ACTIVE')
WHERE r.depot_id = $1 AND r.status <> 'OUT_OF_SERVICE'
GROUP BY r.id, r.resource_type
"""

CAPACITY = """
SELECT resource_type, count(*) AS total,
       count(*) FILTER (WHERE status <> 'OUT_OF_SERVICE') AS in_service
FROM ottoq_resources
WHERE depot_id = $1
GROUP BY resource_type
"""

# Seconds of work per resource type in each step of [$2, $2 + $5 * $4): finished jobs come from
# the (resource_id, completed_at) index, running ones from the live-window index and count up to
# $3 (now). Divided by the step's length this is the average number of resources at work.
WORK_PER_STEP = """
WITH worked AS (
    SELECT r.resource_type, w.started_at, w.ended_at
    FROM ottoq_resources r
    CROSS JOIN LATERAL (
        SELECT j.started_at, j.completed_at AS ended_at
        FROM ottoq_jobs j
        WHERE j.resource_id = r.id AND j.completed_at > $2 AND j.started_at IS NOT NULL
        UNION ALL
        SELECT j.started_at, $3::timestamptz
        FROM ottoq_jobs j
        WHERE j.resource_id = r.id AND j.state = 'ACTIVE'
    ) w
    WHERE r.depot_id = $1
), steps AS (
    SELECT n, $2::timestamptz + n * $4::interval AS step_start,
           $2::timestamptz + (n + 1) * $4::interval AS step_end
    FROM generate_series(0, $5 - 1) AS n
)
SELECT s.n, w.resource_type,
       sum(extract(epoch FROM least(w.ended_at, s.step_end)
                              - greatest(w.started_at, s.step_start)))::float8 AS seconds
FROM steps s
JOIN worked w ON w.started_at < s.step_end AND w.ended_at > s.step_start
GROUP BY s.n, w.resource_type
"""


async def depot_queue(
    conn: asyncpg.Connection, depot_id: UUID, per_type: int
) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(DEPOT_QUEUE, depot_id, per_type)]


async def free_at_by_type(
    conn: asyncpg.Connection, depot_id: UUID, now: datetime
) -> dict[str, list[datetime]]:
    free: dict[str, list[datetime]] = {}
    for row in await conn.fetch(FREE_AT_BY_TYPE, depot_id, now):
        free.setdefault(row["resource_type"], []).append(row["free_at"])
    return free


async def capacity(conn: asyncpg.Connection, depot_id: UUID) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(CAPACITY, depot_id)]


async def work_per_step(
    conn: asyncpg.Connection,
    depot_id: UUID,
    since: datetime,
    now: datetime,
    step: timedelta,
    steps: int,
) -> list[dict[str, Any]]:
    rows = await conn.fetch(WORK_PER_STEP, depot_id, since, now, step, steps)
    return [dict(r) for r in rows]
