"""Vehicles on the road report their drained charge and distance through the telemetry rules.

A reading that can set a rule off (charge at the threshold with no open CHARGE job, a distance
rule) goes through the telemetry endpoint's own function, one by one, so low charge opens its
CHARGE job exactly as a real vehicle's would. The many routine readings are applied together in
one statement that stores and logs them the same way.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import asyncpg

from ottoq.context import Ctx
from ottoq.db.tx import in_transaction
from ottoq.fleet.service import Reading, ingest
from ottoq.simulator import queries as sq
from ottoq.simulator.state import SimState

# Readings sent per step at most; the rest stay due for the next step. Rule-setting readings
# cost a transaction each, so fewer of them go per step and a step stays short.
READINGS_PER_STEP = 10_000
EVENTFUL_PER_STEP = 100
# Rule-setting readings in flight at once: each is a small transaction of its own.
_PARALLEL = 4


async def report_due(
    pool: asyncpg.Pool, ctx: Ctx, state: SimState, now: datetime
) -> dict[str, int]:
    """Send the readings that are due; how many, and how many were of low charge."""
    every = state.config.report_seconds
    rows = await in_transaction(
        pool, lambda c: c.fetch(sq.READINGS_DUE, now, every, READINGS_PER_STEP)
    )
    routine = [r for r in rows if not (r["low"] or r["ruled"])]
    eventful = [r for r in rows if r["low"] or r["ruled"]][:EVENTFUL_PER_STEP]

    # The two sets are different vehicles: they go side by side.
    gate = asyncio.Semaphore(_PARALLEL)
    applying = asyncio.ensure_future(_apply_all(pool, routine, now))
    await asyncio.gather(applying, *(_one(pool, ctx, row, now, gate) for row in eventful))
    applied = applying.result()
    return {"readings": applied + len(eventful), "low_charge": sum(r["low"] for r in eventful)}


async def _apply_all(pool: asyncpg.Pool, rows: list[Any], now: datetime) -> int:
    if not rows:
        return 0
    applied: int = await in_transaction(pool, lambda c: _apply(c, rows, now))
    return applied


async def _apply(conn: asyncpg.Connection, rows: list[Any], now: datetime) -> int:
    ids = [r["vehicle_id"] for r in rows]
    applied = await conn.fetch(
        sq.APPLY_READINGS, ids, [r["soc"] for r in rows], [r["odometer_km"] for r in rows], now
    )
    # Readings skipped because the vehicle was busy elsewhere stay due for the next step.
    await conn.execute(sq.REPORTED, [r["id"] for r in applied], now)
    return len(applied)


async def _one(
    pool: asyncpg.Pool, ctx: Ctx, row: Any, now: datetime, gate: asyncio.Semaphore
) -> None:
    reading = Reading(
        vehicle_ref=str(row["vehicle_id"]),
        soc=row["soc"],
        odometer_km=row["odometer_km"],
        ts=now,
    )

    async def send(conn: asyncpg.Connection) -> None:
        await ingest(conn, ctx, reading)
        await conn.execute(sq.REPORTED, [row["vehicle_id"]], now)

    async with gate:
        await in_transaction(pool, send)
