"""SQL for vehicles: lookup, telemetry, and keeping status in step with their jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from ottoq.jobs.queries import stall_taken
from ottoq.states import VEHICLE

VEHICLE_BY_REF = """
SELECT v.*, c.name AS city_name, c.tz AS city_tz
FROM ottoq_vehicles v JOIN ottoq_cities c ON c.id = v.city_id
WHERE v.id = $1 OR ($1 IS NULL AND v.external_ref = $2)
"""

# A reading older than the last one is kept in the log but does not roll the vehicle back.
APPLY_TELEMETRY = """
WITH old AS (SELECT * FROM ottoq_vehicles WHERE id = $1 FOR NO KEY UPDATE),
upd AS (
    UPDATE ottoq_vehicles v SET
        soc = CASE WHEN fresh THEN coalesce($2, v.soc) ELSE v.soc END,
        odometer_km = CASE WHEN fresh THEN coalesce($3, v.odometer_km) ELSE v.odometer_km END,
        lat = CASE WHEN fresh THEN coalesce($4, v.lat) ELSE v.lat END,
        lon = CASE WHEN fresh THEN coalesce($5, v.lon) ELSE v.lon END,
        health_jsonb = CASE WHEN fresh THEN v.health_jsonb || $6::jsonb ELSE v.health_jsonb END,
        last_telemetry_at = greatest(v.last_telemetry_at, $7),
        updated_at = $8
    FROM old o, LATERAL (SELECT $7 >= coalesce(o.last_telemetry_at, '-infinity') AS fresh) f
    WHERE v.id = o.id
    RETURNING v.*, f.fresh, to_jsonb(o) AS old_row, to_jsonb(v) AS new_row
), ev AS (
    INSERT INTO ottoq_events (city_id, entity_type, entity_id, event_type, payload_jsonb,
                              created_at)
    SELECT city_id, 'VEHICLE', id, 'VEHICLE_TELEMETRY',
           jsonb_build_object('table', 'ottoq_vehicles', 'reading', $9::jsonb,
                              'applied', fresh, 'old', old_row, 'new', new_row), $8
    FROM upd
)
SELECT id, city_id, home_depot_id, soc, odometer_km, status, lat, lon, battery_kwh, fresh
FROM upd
"""

LOCK_VEHICLES = """
SELECT id FROM ottoq_vehicles WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE
"""

# Status follows the open jobs: IN_SERVICE while one is active, AT_DEPOT once arrived,
# ENROUTE_DEPOT while booked, IDLE when the depot has nothing more for it. Trips are the
# vehicle's own business and are left alone. Only moves the vehicle machine allows are made.
SETTLE_VEHICLES = """
WITH facts AS (
    SELECT v.id, v.status,
           bool_or(j.state = 'ACTIVE') AS active,
           bool_or(j.arrived_at IS NOT NULL) AS arrived,
           bool_or(j.state = 'SCHEDULED') AS booked,
           bool_or(j.state = 'PENDING') AS waiting
    FROM ottoq_vehicles v
    LEFT JOIN ottoq_jobs j ON j.vehicle_id = v.id AND j.state IN ('PENDING', 'SCHEDULED', 'ACTIVE')
    WHERE v.id = ANY($1::uuid[])
    GROUP BY v.id
), want AS (
    SELECT id, status,
           CASE WHEN active THEN 'IN_SERVICE'
                WHEN arrived THEN 'AT_DEPOT'
                WHEN booked THEN 'ENROUTE_DEPOT'
                WHEN waiting AND status IN ('IDLE', 'ON_TRIP', 'AT_DEPOT') THEN status::text
                WHEN status IN ('ENROUTE_DEPOT', 'AT_DEPOT', 'IN_SERVICE') THEN 'IDLE'
                ELSE status::text END::ottoq_vehicle_status AS target
    FROM facts
), old AS (
    SELECT v.* FROM ottoq_vehicles v JOIN want w USING (id)
    WHERE w.target <> w.status AND (w.status::text || '>' || w.target::text) = ANY($3::text[])
), upd AS (
    UPDATE ottoq_vehicles v SET status = w.target, updated_at = $2
    FROM want w, old o WHERE v.id = w.id AND o.id = v.id
    RETURNING v.id, v.city_id, o.status AS old_status, v.status,
              to_jsonb(o) AS old_row, to_jsonb(v) AS new_row
), ev AS (
    INSERT INTO ottoq_events (city_id, entity_type, entity_id, event_type, payload_jsonb,
                              created_at)
    SELECT city_id, 'VEHICLE', id, 'VEHICLE_STATUS_CHANGED',
           jsonb_build_object('table', 'ottoq_vehicles', 'from', old_status, 'to', status,
                              'old', old_row, 'new', new_row), $2
    FROM upd
)
SELECT id, old_status, status FROM upd
"""

MARK_ARRIVED = """
UPDATE ottoq_jobs SET arrived_at = $3, updated_at = $3
WHERE vehicle_id = $1 AND ($2::uuid IS NULL OR depot_id = $2)
  AND state IN ('PENDING', 'SCHEDULED') AND arrived_at IS NULL
RETURNING id, depot_id
"""

# A leaving vehicle's open jobs; `stall_taken` when another job holds the same resource.
OPEN_JOBS_OF_LEAVING = f"""
SELECT j.id, j.state, j.resource_id, j.scheduled_start_at, j.arrived_at,
       {stall_taken("$2")} AS stall_taken
FROM ottoq_jobs j
WHERE j.vehicle_id = $1 AND j.state IN ('PENDING', 'SCHEDULED', 'ACTIVE')
"""

ASSIGNMENT = """
SELECT j.*, d.name AS depot_name, d.address AS depot_address,
       r.resource_type, r.index AS resource_index
FROM ottoq_jobs j
JOIN ottoq_depots d ON d.id = j.depot_id
LEFT JOIN ottoq_resources r ON r.id = j.resource_id
WHERE j.vehicle_id = $1 AND j.state IN ('PENDING', 'SCHEDULED', 'ACTIVE')
ORDER BY CASE j.state WHEN 'ACTIVE' THEN 0 WHEN 'SCHEDULED' THEN 1 ELSE 2 END,
         j.scheduled_start_at NULLS LAST, j.created_at
LIMIT 1
"""


async def find_vehicle(conn: asyncpg.Connection, ref: str) -> dict[str, Any] | None:
    """A vehicle named by its uuid or by its external_ref (`Nashville-00042`)."""
    vehicle_id = _as_uuid(ref)
    row = await conn.fetchrow(VEHICLE_BY_REF, vehicle_id, None if vehicle_id else ref)
    return dict(row) if row else None


def _as_uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


async def settle_vehicles(
    conn: asyncpg.Connection, vehicle_ids: list[UUID], now: datetime
) -> list[dict[str, Any]]:
    """Lock the vehicles, then set each one's status from its open jobs."""
    ids = sorted(set(vehicle_ids))
    if not ids:
        return []
    await conn.execute(LOCK_VEHICLES, ids)
    rows = await conn.fetch(SETTLE_VEHICLES, ids, now, VEHICLE.pairs())
    return [dict(r) for r in rows]
