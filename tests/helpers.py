"""Small helpers tests share: ids from the seeded network, quick reads."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from ottoq.network.seed import stable_id

NASHVILLE_NORTH = stable_id("depot", "Nashville North Depot")
NASHVILLE_SOUTH = stable_id("depot", "Nashville South Depot")
LA_DOWNTOWN = stable_id("depot", "Los Angeles Downtown Depot")


def vehicle_id(ref: str) -> UUID:
    return stable_id("vehicle", ref)


async def set_in_service(
    conn: asyncpg.Connection, depot_id: UUID, resource_type: str, count: int
) -> None:
    """Leave only the first `count` resources of a type in service, to make stalls scarce."""
    await conn.execute(
        "UPDATE ottoq_resources SET status = 'OUT_OF_SERVICE'"
        " WHERE depot_id = $1 AND resource_type = $2 AND index > $3 + "
        " CASE WHEN $2 = 'CLEAN_DETAIL_STALL' THEN 40 ELSE 0 END",
        depot_id,
        resource_type,
        count,
    )


async def job(conn: asyncpg.Connection, job_id: Any) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT * FROM ottoq_jobs WHERE id = $1", UUID(str(job_id)))
    assert row is not None
    return dict(row)


async def events_of(conn: asyncpg.Connection, entity_id: Any) -> list[str]:
    rows = await conn.fetch(
        "SELECT event_type FROM ottoq_events WHERE entity_id = $1 ORDER BY id",
        UUID(str(entity_id)),
    )
    return [r["event_type"] for r in rows]
