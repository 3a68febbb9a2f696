"""SQL for jobs. Every state change is one guarded statement that also writes its event."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from ottoq.jobs.calendar import Window

# The payload every job event carries: enough for realtime (old and new rows) and webhooks.
JOB_EVENT_PAYLOAD = """jsonb_build_object(
    'table', 'ottoq_jobs', 'depot_id', depot_id, 'vehicle_id', vehicle_id,
    'resource_id', resource_id, 'job_type', job_type,
    'from', old_row->>'state', 'to', state, 'old', old_row, 'new', new_row)"""

INSERT_JOB = """
WITH new AS (
    INSERT INTO ottoq_jobs (
        city_id, vehicle_id, depot_id, job_type, state, requested_start_at,
        duration_seconds, priority_key, metadata_jsonb, idempotency_key, request_hash,
        arrived_at, created_at, updated_at)
    VALUES ($1, $2, $3, $4, 'PENDING', $5, $6, $7, $8, $9, $10, $11, $12, $12)
    -- A twin request (same key, or same vehicle and type) that won the race leaves no row here.
    ON CONFLICT DO NOTHING
    RETURNING *
), ev AS (
    INSERT INTO ottoq_events (city_id, entity_type, entity_id, event_type, payload_jsonb,
                              created_at)
    SELECT city_id, 'JOB', id, 'JOB_CREATED',
           jsonb_build_object(
               'table', 'ottoq_jobs', 'depot_id', depot_id, 'vehicle_id', vehicle_id,
               'resource_id', resource_id, 'job_type', job_type, 'from', NULL, 'to', state,
               'old', NULL, 'new', to_jsonb(new)), created_at
    FROM new
)
SELECT * FROM new
"""


def guarded_job_update(set_clause: str) -> str:
    """One job's guarded move: $1 id, $2 now, $3 allowed current states, $4 event type."""
    return f"""
WITH old AS (SELECT * FROM ottoq_jobs WHERE id = $1 FOR UPDATE),
upd AS (
    UPDATE ottoq_jobs j SET {set_clause}, updated_at = $2
    FROM old o
    WHERE j.id = o.id AND j.state = ANY($3::ottoq_job_state[])
    RETURNING j.*, to_jsonb(o) AS old_row, to_jsonb(j) AS new_row
), ev AS (
    INSERT INTO ottoq_events (city_id, entity_type, entity_id, event_type, payload_jsonb,
                              created_at)
    SELECT city_id, 'JOB', id, $4, {JOB_EVENT_PAYLOAD}, $2 FROM upd
)
SELECT * FROM upd
"""


SCHEDULE_JOB = guarded_job_update(
    "state = 'SCHEDULED', resource_id = $5, scheduled_start_at = $6, scheduled_end_at = $7,"
    " eta_seconds = $8, depot_id = $9"
)
CANCEL_JOB = guarded_job_update(
    "state = 'CANCELLED', completed_at = $2,"
    " metadata_jsonb = j.metadata_jsonb || jsonb_build_object('cancel_reason', $5::text)"
)
# The vehicle left: the work ended then, or at its planned end if that came first, which is
# the moment a tick would have stamped, so the record does not depend on which one came first.
COMPLETE_ON_DEPARTURE = guarded_job_update(
    "state = 'COMPLETED',"
    " completed_at = least($2, j.started_at + make_interval(secs => j.duration_seconds))"
)
# When job j can really have started: its window opened, its vehicle was there, and whatever
# ran on the resource before it had ended (a late start runs past its window).
START_STAMP = """greatest(j.scheduled_start_at, j.arrived_at,
    (SELECT max(p.completed_at) FROM ottoq_jobs p
     WHERE p.resource_id = j.resource_id AND p.id <> j.id AND p.started_at IS NOT NULL))"""


def stall_taken(arrival_required: str) -> str:
    """SQL: job j's resource is held, by a job running there or by one due there before j."""
    return f"""EXISTS (SELECT 1 FROM ottoq_jobs o
        WHERE o.resource_id = j.resource_id AND o.id <> j.id
          AND (o.state = 'ACTIVE'
               OR (o.state = 'SCHEDULED' AND o.scheduled_start_at < j.scheduled_start_at
                   AND (o.arrived_at IS NOT NULL OR NOT {arrival_required}))))"""


# Stamped like the tick's activation: from the moment the job could really start.
ACTIVATE_JOB = guarded_job_update(f"state = 'ACTIVE', started_at = {START_STAMP}")
BUMP_JOB = guarded_job_update(
    "state = 'PENDING', resource_id = NULL, scheduled_start_at = NULL, scheduled_end_at = NULL"
)
EXTEND_JOB = guarded_job_update("scheduled_end_at = $5")

CANDIDATE_WINDOWS = """
SELECT r.id, r.depot_id, r.index, r.capabilities_jsonb,
       coalesce(w.starts, '{}') AS starts, coalesce(w.ends, '{}') AS ends
FROM ottoq_resources r
LEFT JOIN LATERAL (
    SELECT array_agg(j.scheduled_start_at ORDER BY j.scheduled_start_at) AS starts,
           array_agg(j.scheduled_end_at ORDER BY j.scheduled_start_at) AS ends
    FROM ottoq_jobs j
    WHERE j.resource_id = r.id AND j.state IN ('SCHEDULED', 'ACTIVE')
      AND j.scheduled_end_at > $3 AND j.id <> $4
) w ON true
WHERE r.depot_id = ANY($1::uuid[]) AND r.resource_type = $2 AND r.status <> 'OUT_OF_SERVICE'
"""

LOCK_RESOURCE_NOWAIT = """
SELECT id FROM ottoq_resources
WHERE id = $1 AND status <> 'OUT_OF_SERVICE'
FOR NO KEY UPDATE SKIP LOCKED
"""

LOCK_RESOURCES = """
SELECT id FROM ottoq_resources WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE
"""

RESOURCE_WINDOWS = """
SELECT scheduled_start_at, scheduled_end_at FROM ottoq_jobs
WHERE resource_id = $1 AND state IN ('SCHEDULED', 'ACTIVE') AND scheduled_end_at > $2
  AND id <> $3
ORDER BY scheduled_start_at
"""

# A resource's status is derived from its jobs: BUSY with an active job, RESERVED when its
# next window starts within the lead, AVAILABLE otherwise. Rows that already agree are left alone.
REFRESH_RESOURCES = """
WITH want AS (
    SELECT r.id,
           CASE WHEN a.id IS NOT NULL THEN 'BUSY'
                WHEN r.status = 'OUT_OF_SERVICE' THEN 'OUT_OF_SERVICE'
                WHEN s.id IS NOT NULL THEN 'RESERVED'
                ELSE 'AVAILABLE' END::ottoq_resource_status AS status,
           coalesce(a.id, s.id) AS job_id
    FROM ottoq_resources r
    LEFT JOIN LATERAL (
        SELECT id FROM ottoq_jobs
        WHERE resource_id = r.id AND state = 'ACTIVE' LIMIT 1) a ON true
    LEFT JOIN LATERAL (
        SELECT id FROM ottoq_jobs
        WHERE resource_id = r.id AND state = 'SCHEDULED' AND scheduled_start_at <= $3
        ORDER BY scheduled_start_at LIMIT 1) s ON true
    WHERE r.id = ANY($1::uuid[])
), old AS (
    SELECT r.* FROM ottoq_resources r JOIN want w USING (id)
    WHERE (r.status, r.current_job_id) IS DISTINCT FROM (w.status, w.job_id)
), upd AS (
    UPDATE ottoq_resources r
    SET status = w.status, current_job_id = w.job_id, updated_at = $2
    FROM want w, old o
    WHERE r.id = w.id AND o.id = r.id
    RETURNING r.id, r.city_id, r.depot_id, r.status, o.status AS old_status,
              to_jsonb(o) AS old_row, to_jsonb(r) AS new_row
), ev AS (
    INSERT INTO ottoq_events (city_id, entity_type, entity_id, event_type, payload_jsonb,
                              created_at)
    SELECT city_id, 'RESOURCE', id, 'RESOURCE_STATUS_CHANGED',
           jsonb_build_object('table', 'ottoq_resources', 'depot_id', depot_id,
                              'from', old_status, 'to', status,
                              'old', old_row, 'new', new_row), $2
    FROM upd
)
SELECT id, depot_id, old_status, status FROM upd
"""

# The resource/job agreement that must always hold. Each row returned is a violation.
INVARIANT_VIOLATIONS = """
SELECT r.id AS resource_id, r.depot_id, r.status, r.current_job_id, problem
FROM ottoq_resources r
CROSS JOIN LATERAL (
    SELECT (SELECT count(*) FROM ottoq_jobs j
            WHERE j.resource_id = r.id AND j.state = 'ACTIVE') AS active_jobs,
           (SELECT j.state FROM ottoq_jobs j WHERE j.id = r.current_job_id) AS current_state,
           (SELECT j.resource_id FROM ottoq_jobs j WHERE j.id = r.current_job_id) AS current_res
) facts
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN facts.active_jobs > 1 THEN 'several active jobs'
        WHEN facts.active_jobs = 1 AND r.status <> 'BUSY' THEN 'active job but not BUSY'
        WHEN r.status = 'BUSY' AND (facts.active_jobs = 0 OR facts.current_state <> 'ACTIVE')
            THEN 'BUSY without its active job'
        WHEN r.status = 'RESERVED' AND facts.current_state IS DISTINCT FROM 'SCHEDULED'
            THEN 'RESERVED without a scheduled job'
        WHEN r.status IN ('AVAILABLE', 'OUT_OF_SERVICE') AND r.current_job_id IS NOT NULL
            THEN 'free but holding a job'
        WHEN r.current_job_id IS NOT NULL AND facts.current_res IS DISTINCT FROM r.id
            THEN 'holding a job booked elsewhere'
    END AS problem
) verdict
WHERE problem IS NOT NULL
"""

DOUBLE_BOOKINGS = """
SELECT a.resource_id, a.id AS first_job, b.id AS second_job
FROM ottoq_jobs a
JOIN ottoq_jobs b ON a.resource_id = b.resource_id AND a.id < b.id
 AND tstzrange(a.started_at, coalesce(a.completed_at, 'infinity'))
  && tstzrange(b.started_at, coalesce(b.completed_at, 'infinity'))
WHERE a.started_at IS NOT NULL AND b.started_at IS NOT NULL
  AND ($1::uuid[] IS NULL OR a.depot_id = ANY($1::uuid[]))
"""

QUEUE_POSITION = """
SELECT count(*) + 1 FROM ottoq_jobs
WHERE depot_id = $1 AND job_type = $2 AND state = 'PENDING' AND priority_key < $3
"""

AHEAD_IN_QUEUE = """
SELECT EXISTS (
    SELECT 1 FROM ottoq_jobs
    WHERE depot_id = $1 AND job_type = $2 AND state = 'PENDING' AND priority_key < $3
      AND requested_start_at <= $4)
"""

RESOURCE_FREE_AT = """
SELECT coalesce(max(j.scheduled_end_at), $3) AS free_at
FROM ottoq_resources r
LEFT JOIN ottoq_jobs j ON j.resource_id = r.id AND j.state IN ('SCHEDULED', 'ACTIVE')
WHERE r.depot_id = $1 AND r.resource_type = $2 AND r.status <> 'OUT_OF_SERVICE'
GROUP BY r.id
"""

JOB_BY_ID = "SELECT * FROM ottoq_jobs WHERE id = $1"
JOB_BY_KEY = "SELECT * FROM ottoq_jobs WHERE idempotency_key = $1"
# Before a request: the vehicle's open job of this type, if any, and whether the vehicle is
# already at the depot for another job (then it is there for the new one too).
VEHICLE_OPEN_JOBS = """
SELECT (SELECT id FROM ottoq_jobs
        WHERE vehicle_id = $1 AND job_type = $3 AND state IN ('PENDING', 'SCHEDULED', 'ACTIVE')
       ) AS open_id,
       (SELECT state FROM ottoq_jobs
        WHERE vehicle_id = $1 AND job_type = $3 AND state IN ('PENDING', 'SCHEDULED', 'ACTIVE')
       ) AS open_state,
       EXISTS (SELECT 1 FROM ottoq_jobs
               WHERE vehicle_id = $1 AND depot_id = $2 AND arrived_at IS NOT NULL
                 AND state IN ('PENDING', 'SCHEDULED', 'ACTIVE')) AS at_depot
"""

OPEN_JOB_OF_TYPE = """
SELECT id, state FROM ottoq_jobs
WHERE vehicle_id = $1 AND job_type = $2 AND state IN ('PENDING', 'SCHEDULED', 'ACTIVE')
"""


def strip_rows(record: asyncpg.Record) -> dict[str, Any]:
    """A job record without the old/new row images the guarded statements return."""
    job = dict(record)
    job.pop("old_row", None)
    job.pop("new_row", None)
    return job


async def fetch_job(conn: asyncpg.Connection, job_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(JOB_BY_ID, job_id)
    return dict(row) if row else None


async def guarded(
    conn: asyncpg.Connection,
    sql: str,
    job_id: UUID,
    now: datetime,
    allowed: list[str],
    event: str,
    *extra: object,
) -> dict[str, Any] | None:
    row = await conn.fetchrow(sql, job_id, now, allowed, event, *extra)
    return strip_rows(row) if row else None


async def candidate_windows(
    conn: asyncpg.Connection,
    depot_ids: list[UUID],
    resource_type: str,
    not_before: datetime,
    job_id: UUID,
) -> list[dict[str, Any]]:
    rows = await conn.fetch(CANDIDATE_WINDOWS, depot_ids, resource_type, not_before, job_id)
    return [dict(r) for r in rows]


async def resource_windows(
    conn: asyncpg.Connection,
    resource_id: UUID,
    not_before: datetime,
    job_id: UUID,
) -> list[Window]:
    rows = await conn.fetch(RESOURCE_WINDOWS, resource_id, not_before, job_id)
    return [(r[0], r[1]) for r in rows]


async def refresh_resources(
    conn: asyncpg.Connection,
    resource_ids: list[UUID],
    now: datetime,
    reserve_until: datetime,
    held: frozenset[UUID] = frozenset(),
) -> list[dict[str, Any]]:
    """Lock, then bring status and current_job_id in line with the jobs (fresh snapshot).

    Resources in `held` are already locked by this transaction and are not locked again.
    """
    ids = sorted({r for r in resource_ids if r is not None})
    if not ids:
        return []
    to_lock = [r for r in ids if r not in held]
    if to_lock:
        await conn.execute(LOCK_RESOURCES, to_lock)
    rows = await conn.fetch(REFRESH_RESOURCES, ids, now, reserve_until)
    return [dict(r) for r in rows]


async def invariant_violations(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(INVARIANT_VIOLATIONS)]


async def double_bookings(
    conn: asyncpg.Connection, depot_ids: list[UUID] | None = None
) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(DOUBLE_BOOKINGS, depot_ids)]
