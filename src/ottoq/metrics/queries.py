"""SQL read at scrape time: queues, resources and webhook delivery state, small and indexed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

# Pending jobs per depot and job type, zero where none wait (ottoq_jobs_pending_queue).
QUEUES = """
SELECT d.id AS depot_id, d.name AS depot, t.job_type::text AS job_type,
       count(j.id) AS queued,
       coalesce(avg(j.duration_seconds), 0)::float8 AS mean_duration_s
FROM ottoq_depots d
CROSS JOIN unnest(enum_range(NULL::ottoq_job_type)) AS t(job_type)
LEFT JOIN ottoq_jobs j
       ON j.depot_id = d.id AND j.job_type = t.job_type AND j.state = 'PENDING'
GROUP BY d.id, d.name, t.job_type
"""

# When each in-service resource is next free, grouped per depot and type
# (ottoq_jobs_live_by_resource).
FREE_AT = """
SELECT r.depot_id, r.resource_type::text AS resource_type,
       array_agg(greatest(coalesce(w.free_at, $1), $1)) AS free_at
FROM ottoq_resources r
LEFT JOIN LATERAL (
    SELECT max(j.scheduled_end_at) AS free_at FROM ottoq_jobs j
    WHERE j.resource_id = r.id AND j.state IN ('SCHEDULED', 'ACTIVE')
) w ON true
WHERE r.status <> 'OUT_OF_SERVICE'
GROUP BY r.depot_id, r.resource_type
"""

RESOURCES = """
SELECT r.depot_id, d.name AS depot, r.resource_type::text AS resource_type,
       r.status::text AS status, count(*) AS count
FROM ottoq_resources r JOIN ottoq_depots d ON d.id = r.depot_id
GROUP BY r.depot_id, d.name, r.resource_type, r.status
"""

# Open jobs per depot, type and state (ottoq_jobs_open_by_depot).
OPEN_JOBS = """
SELECT depot_id, job_type::text AS job_type, state::text AS state, count(*) AS count
FROM ottoq_jobs WHERE state IN ('PENDING', 'SCHEDULED', 'ACTIVE')
GROUP BY depot_id, job_type, state
"""

# Backlog: events past an endpoint's cursor, not all of which need match its filter.
WEBHOOKS = """
SELECT w.id, w.is_active, w.failure_count, w.attempts_total, w.failures_total,
       greatest(head.id - w.last_event_id, 0) AS backlog
FROM ottoq_webhooks w, (SELECT coalesce(max(id), 0) AS id FROM ottoq_events) head
ORDER BY w.id
"""

LAST_EVENT = "SELECT coalesce(max(id), 0) FROM ottoq_events"


@dataclass(frozen=True)
class Snapshot:
    queues: list[dict[str, Any]]
    free_at: list[dict[str, Any]]
    resources: list[dict[str, Any]]
    open_jobs: list[dict[str, Any]]
    webhooks: list[dict[str, Any]]
    last_event_id: int


async def snapshot(conn: asyncpg.Connection, now: datetime) -> Snapshot:
    """Everything /metrics reads from the database, in one transaction."""

    async def rows(sql: str, *args: Any) -> list[dict[str, Any]]:
        return [dict(r) for r in await conn.fetch(sql, *args)]

    return Snapshot(
        queues=await rows(QUEUES),
        free_at=await rows(FREE_AT, now),
        resources=await rows(RESOURCES),
        open_jobs=await rows(OPEN_JOBS),
        webhooks=await rows(WEBHOOKS),
        last_event_id=await conn.fetchval(LAST_EVENT),
    )
