"""SQL for the network: cities, depots and resources as the API shows them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

DEPOT = """
SELECT d.*, c.name AS city_name, c.tz AS city_tz
FROM ottoq_depots d JOIN ottoq_cities c ON c.id = d.city_id
WHERE d.id = $1
"""

CITY_DEPOTS = "SELECT * FROM ottoq_depots WHERE city_id = $1 ORDER BY name"

# The grid: each resource with the job it currently shows and that job's vehicle.
DEPOT_GRID = """
SELECT r.id, r.resource_type, r.index, r.status, r.current_job_id, r.updated_at,
       r.capabilities_jsonb,
       j.state AS job_state, j.job_type, j.vehicle_id, j.scheduled_start_at,
       j.scheduled_end_at, j.started_at, j.duration_seconds, j.metadata_jsonb,
       v.external_ref
FROM ottoq_resources r
LEFT JOIN ottoq_jobs j ON j.id = r.current_job_id
LEFT JOIN ottoq_vehicles v ON v.id = j.vehicle_id
WHERE r.depot_id = $1
ORDER BY r.resource_type, r.index
"""

CONFIG = """
SELECT c.id, c.name, c.tz,
       coalesce(jsonb_agg(jsonb_build_object(
           'id', d.id, 'name', d.name, 'address', d.address, 'lat', d.lat, 'lon', d.lon,
           'charge_threshold_soc', coalesce((d.config_jsonb->>'charge_threshold_soc')::float8,
                                            0.20))
           ORDER BY d.name) FILTER (WHERE d.id IS NOT NULL), '[]') AS depots
FROM ottoq_cities c LEFT JOIN ottoq_depots d ON d.city_id = c.id
GROUP BY c.id ORDER BY c.name
"""

SIMULATOR = "SELECT * FROM ottoq_simulator_state WHERE id = 1"


async def find_depot(conn: asyncpg.Connection, depot_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(DEPOT, depot_id)
    return dict(row) if row else None


async def city_depots(conn: asyncpg.Connection, city_id: UUID) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(CITY_DEPOTS, city_id)]


async def depot_grid(conn: asyncpg.Connection, depot_id: UUID) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(DEPOT_GRID, depot_id)]


async def config_cities(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(CONFIG)]


async def simulator_state(conn: asyncpg.Connection) -> dict[str, Any]:
    row = await conn.fetchrow(SIMULATOR)
    return dict(row) if row else {}
