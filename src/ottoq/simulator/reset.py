"""The reset: every open job cancelled through the engine, stalls freed, the fleet redrawn."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from ottoq.context import Ctx
from ottoq.events.store import record
from ottoq.fleet.queries import settle_vehicles
from ottoq.jobs.queries import refresh_resources
from ottoq.simulator import queries as sq
from ottoq.simulator.config import between, draw
from ottoq.simulator.state import SimState, save

log = structlog.get_logger()

_CANCEL_BATCH = 1000


async def reset_fleet(
    conn: asyncpg.Connection, ctx: Ctx, state: SimState, now: datetime
) -> dict[str, Any]:
    """Run inside the transaction that holds the state row, so a reset is all or nothing."""
    began = time.perf_counter()
    cancelled = await cancel_open_jobs(conn, ctx, now)

    state.resets += 1
    await conn.fetchval(sq.ENROLL, state.city_ids(), now)
    fleet = await conn.fetchrow(sq.RANDOMISE_FLEET, state.key(), now, *_fleet_args(state))
    schedule_next(state, now)
    took_ms = round((time.perf_counter() - began) * 1000, 1)

    outcome = {
        "run": state.resets,
        "cancelled_jobs": cancelled,
        "vehicles": fleet["vehicles"],
        "next_reset_at": state.next_reset_at,
        "took_ms": took_ms,
    }
    await record(
        conn,
        city_id=None,
        entity_type="SIMULATOR",
        entity_id=None,
        event_type="SIMULATOR_RESET",
        payload={k: str(v) if isinstance(v, datetime) else v for k, v in outcome.items()},
        at=now,
    )
    await save(conn, state, now)
    log.info("simulator.reset", **outcome)
    return outcome


async def cancel_open_jobs(conn: asyncpg.Connection, ctx: Ctx, now: datetime) -> int:
    """Cancel the simulated fleet's open jobs, with their events; free what they held."""
    resources: list[UUID] = []
    vehicles: list[UUID] = []
    while True:
        rows = await conn.fetch(sq.CANCEL_OPEN_JOBS, now, "JOB_CANCELLED", _CANCEL_BATCH)
        resources += [r["resource_id"] for r in rows if r["resource_id"] is not None]
        vehicles += [r["vehicle_id"] for r in rows]
        if len(rows) < _CANCEL_BATCH:
            break
    await refresh_resources(conn, resources, now, ctx.reserve_until(now))
    await settle_vehicles(conn, vehicles, now)
    return len(vehicles)


def schedule_next(state: SimState, now: datetime) -> None:
    """Draw when this run resets itself and when its first reservation comes."""
    config = state.config
    minutes = between(draw(state.key(), "reset-after"), config.reset_minutes)
    state.last_reset_at = now
    state.next_reset_at = now + timedelta(minutes=minutes)
    first = between(draw(state.key(), "first-reservation"), config.reservation_seconds)
    state.next_reservation_at = now + timedelta(seconds=first)


def _fleet_args(state: SimState) -> list[float]:
    c = state.config
    return [
        c.driving_share,
        *c.trip_minutes,
        *c.park_minutes,
        *c.drain_per_hour,
        *c.speed_kmh,
        c.report_seconds,
    ]
