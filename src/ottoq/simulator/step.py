"""One simulator step: the fleet moves on to the clock's now, through the engine's rules."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import asyncpg
import structlog

from ottoq.context import Ctx
from ottoq.db.tx import in_transaction
from ottoq.fleet.service import mark_arrived
from ottoq.simulator import queries as sq
from ottoq.simulator.reservations import reserve_due
from ottoq.simulator.reset import reset_fleet
from ottoq.simulator.state import SimState, load, save
from ottoq.simulator.telemetry import report_due

log = structlog.get_logger()

ARRIVALS_PER_STEP = 500
# A step is logged when one of these happened; readings and trips alone are routine.
_NOTABLE = ("set_off", "arrived", "left_depot", "low_charge", "reservations")


async def step(pool: asyncpg.Pool, ctx: Ctx, *, force: bool = False) -> dict[str, Any] | None:
    """Run a step unless another process is running one; None when nothing ran.

    The state row stays locked for the step, which is how only one process steps at a time.
    A stopped simulator only steps when `force`d (the API's tick action).
    """
    async with pool.acquire() as guard, guard.transaction():
        state = await load(guard, lock="skip")
        if state is None or not (state.is_running or force):
            return None
        now = ctx.now()
        if state.config.auto_reset and state.next_reset_at and now >= state.next_reset_at:
            return {"reset": await reset_fleet(guard, ctx, state, now)}
        summary = await advance(pool, ctx, state, now)
        state.last_tick_at = now
        await save(guard, state, now)
    return summary


async def advance(pool: asyncpg.Pool, ctx: Ctx, state: SimState, now: datetime) -> dict[str, Any]:
    """Depot trips, arrivals, departures, readings, trips and reservations due by `now`."""
    began = time.perf_counter()
    key, config = state.key(), state.config
    counts: dict[str, Any] = {}
    counts["set_off"] = len(
        await _fetch(pool, sq.SET_OFF, now, key, *config.travel_minutes, config.no_show_share)
    )
    counts["arrived"] = await in_transaction(pool, lambda c: _arrive(c, ctx, now))
    counts["left_depot"] = len(await _fetch(pool, sq.LEFT_DEPOT, now, key, *config.park_minutes))
    counts.update(await report_due(pool, ctx, state, now))
    turned = [
        r[0]
        for r in await _fetch(pool, sq.TRIPS, now, key, *config.park_minutes, *config.trip_minutes)
    ]
    counts["trips"] = len(turned)
    counts["status_synced"] = await in_transaction(
        pool, lambda c: c.fetchval(sq.SYNC_TRIP_STATUS, now, turned)
    )
    counts["reservations"] = await reserve_due(pool, ctx, state, now)
    counts["took_ms"] = round((time.perf_counter() - began) * 1000, 1)
    if any(counts[k] for k in _NOTABLE):
        log.info("simulator.step", **counts)
    return counts


async def _fetch(pool: asyncpg.Pool, sql: str, *args: object) -> list[Any]:
    return await in_transaction(pool, lambda c: c.fetch(sql, *args))


async def _arrive(conn: asyncpg.Connection, ctx: Ctx, now: datetime) -> int:
    """Vehicles reaching the depot report their arrival the way the arrive endpoint does.

    Each is stamped with the moment it got there, which a slow step may have passed already.
    """
    rows = await conn.fetch(sq.ARRIVING, now, ARRIVALS_PER_STEP)
    for row in rows:
        at = min(row["phase_until"], now)
        vehicle, city, depot = row["vehicle_id"], row["city_id"], row["target_depot_id"]
        await mark_arrived(conn, ctx, vehicle, city, depot, at)
    await conn.execute(sq.AT_DEPOT, [r["vehicle_id"] for r in rows], now)
    return len(rows)
