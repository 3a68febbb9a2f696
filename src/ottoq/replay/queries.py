"""SQL for setting up a replay's own city and depot."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

INSERT_CITY = """
INSERT INTO ottoq_cities (id, name, tz) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING
"""

CITY_BY_NAME = "SELECT id, name, tz FROM ottoq_cities WHERE name = $1"

INSERT_DEPOT = """
INSERT INTO ottoq_depots (id, city_id, name, address, lat, lon, config_jsonb)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT DO NOTHING
"""

DEPOT_SIZE = """
SELECT count(*) FROM ottoq_resources WHERE depot_id = $1 AND resource_type = 'CHARGE_STALL'
"""

VEHICLE_IDS = """
SELECT external_ref, id FROM ottoq_vehicles WHERE external_ref = ANY($1::text[])
"""


async def city(conn: asyncpg.Connection, city_id: UUID, name: str, tz: str) -> dict[str, Any]:
    """The city of that name, made when missing."""
    await conn.execute(INSERT_CITY, city_id, name, tz)
    row = await conn.fetchrow(CITY_BY_NAME, name)
    assert row is not None
    return dict(row)


async def insert_depot(conn: asyncpg.Connection, *values: object) -> bool:
    status = await conn.execute(INSERT_DEPOT, *values)
    return bool(int(status.split()[-1]))


async def charge_stalls(conn: asyncpg.Connection, depot_id: UUID) -> int:
    count: int = await conn.fetchval(DEPOT_SIZE, depot_id)
    return count


async def vehicle_ids(conn: asyncpg.Connection, refs: list[str]) -> dict[str, UUID]:
    return {r["external_ref"]: r["id"] for r in await conn.fetch(VEHICLE_IDS, refs)}
