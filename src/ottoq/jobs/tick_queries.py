"""SQL for the scheduler tick: set-based, each batch bounded and locked with SKIP LOCKED."""

from __future__ import annotations

from ottoq.jobs.queries import JOB_EVENT_PAYLOAD, START_STAMP, stall_taken


def bulk_job_update(select_due: str, set_clause: str) -> str:
    """Move every due job at once: $1 now, $2 event type. Due rows are locked, never waited on."""
    return f"""
WITH due AS ({select_due} FOR UPDATE SKIP LOCKED),
old AS (SELECT j.* FROM ottoq_jobs j JOIN due USING (id)),
upd AS (
    UPDATE ottoq_jobs j SET {set_clause}, updated_at = $1
    FROM old o WHERE j.id = o.id
    RETURNING j.*, to_jsonb(o) AS old_row, to_jsonb(j) AS new_row
), ev AS (
    INSERT INTO ottoq_events (city_id, entity_type, entity_id, event_type, payload_jsonb,
                              created_at)
    SELECT city_id, 'JOB', id, $2, {JOB_EVENT_PAYLOAD}, $1 FROM upd
)
SELECT id, resource_id, vehicle_id, depot_id, job_type, metadata_jsonb FROM upd
"""


# No-shows: the window opened, the grace period passed, the vehicle never arrived.
EXPIRE_NO_SHOWS = bulk_job_update(
    """SELECT id FROM ottoq_jobs
       WHERE state = 'SCHEDULED' AND scheduled_start_at <= $1::timestamptz - $3::interval
         AND arrived_at IS NULL
       ORDER BY scheduled_start_at LIMIT $4""",
    "state = 'EXPIRED', completed_at = $1",
)

# The work is done: the job's time on the stall has run out.
COMPLETE_DONE = bulk_job_update(
    """SELECT id FROM ottoq_jobs
       WHERE state = 'ACTIVE' AND scheduled_end_at <= $1
         AND started_at + make_interval(secs => duration_seconds) <= $1
       ORDER BY scheduled_end_at LIMIT $3""",
    "state = 'COMPLETED', completed_at = j.started_at + make_interval(secs => j.duration_seconds)",
)

# The window opened and the vehicle is there (or the fleet reports no arrivals). The job is
# stamped with the moment it could really start, not the moment the tick noticed. One job at a
# time on a resource: while one runs (past its window, it started late) or an earlier booking is
# due too, the next waits for a later tick, by which time an overrun has moved it.
ACTIVATE_DUE = bulk_job_update(
    f"""SELECT id FROM ottoq_jobs j
       WHERE state = 'SCHEDULED' AND scheduled_start_at <= $1
         AND (arrived_at IS NOT NULL OR NOT $3) AND NOT {stall_taken("$3")}
       ORDER BY scheduled_start_at LIMIT $4""",
    f"state = 'ACTIVE', started_at = {START_STAMP}",
)

CHARGED_VEHICLES = """
UPDATE ottoq_vehicles v
SET soc = greatest(coalesce(v.soc, 0), c.target), updated_at = $2
FROM unnest($1::uuid[], $3::float8[]) AS c(vehicle_id, target)
WHERE v.id = c.vehicle_id
"""

OVERRUNNING = """
SELECT id, resource_id, scheduled_end_at,
       started_at + make_interval(secs => duration_seconds) AS needed_end
FROM ottoq_jobs
WHERE state = 'ACTIVE' AND scheduled_end_at <= $1
  AND started_at + make_interval(secs => duration_seconds) > scheduled_end_at
ORDER BY scheduled_end_at LIMIT $2
"""

IN_THE_WAY = """
SELECT * FROM ottoq_jobs
WHERE resource_id = $1 AND state = 'SCHEDULED' AND id <> $2
  AND tstzrange(scheduled_start_at, scheduled_end_at) && tstzrange($3, $4)
ORDER BY scheduled_start_at
"""

PENDING_HEADS = """
SELECT id, depot_id, job_type FROM ottoq_jobs
WHERE state = 'PENDING' AND requested_start_at <= $1::timestamptz + $2::interval
ORDER BY priority_key LIMIT $3
"""

LOCK_JOB_IN_STATE = """
SELECT * FROM ottoq_jobs WHERE id = $1 AND state = $2 FOR UPDATE SKIP LOCKED
"""

# Booked jobs waiting longer than they asked to, at depots where a fitting stall is free now.
# RESERVED is free too: only a window starting within the reserve lead sets it, and that window's
# own job is often the one to pull forward.
PULL_FORWARD_CANDIDATES = """
SELECT j.id FROM ottoq_jobs j
WHERE j.state = 'SCHEDULED' AND j.scheduled_start_at > $1::timestamptz + $2::interval
  AND j.scheduled_start_at > j.requested_start_at
  AND EXISTS (
      SELECT 1 FROM ottoq_resources r
      WHERE r.depot_id = j.depot_id AND r.status IN ('AVAILABLE', 'RESERVED')
        AND r.resource_type = CASE j.job_type WHEN 'CHARGE' THEN 'CHARGE_STALL'
                                              WHEN 'DETAILING' THEN 'CLEAN_DETAIL_STALL'
                                              ELSE 'MAINTENANCE_BAY' END::ottoq_resource_type)
ORDER BY j.priority_key LIMIT $3
"""

# Stalls whose next window is about to start but which still show AVAILABLE.
UPCOMING_RESERVATIONS = """
SELECT DISTINCT j.resource_id FROM ottoq_jobs j
JOIN ottoq_resources r ON r.id = j.resource_id
WHERE j.state = 'SCHEDULED' AND j.scheduled_start_at <= $1 AND r.status = 'AVAILABLE'
"""

STRAY_VEHICLES = """
SELECT v.id FROM ottoq_vehicles v
WHERE v.status IN ('ENROUTE_DEPOT', 'AT_DEPOT', 'IN_SERVICE')
  AND NOT EXISTS (SELECT 1 FROM ottoq_jobs j
                  WHERE j.vehicle_id = v.id AND j.state IN ('PENDING', 'SCHEDULED', 'ACTIVE'))
LIMIT $1
"""
