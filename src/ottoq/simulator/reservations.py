"""A new reservation every so often, of a weighted type, made through the engine."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg
import structlog

from ottoq.context import Ctx
from ottoq.db.tx import in_transaction
from ottoq.errors import Conflict
from ottoq.jobs.service import JobRequest, request_job
from ottoq.simulator import queries as sq
from ottoq.simulator.config import between, draw, weighted
from ottoq.simulator.state import SimState

log = structlog.get_logger()

# A step catches up at most this many reservations; a simulator that fell far behind skips on.
MAX_PER_STEP = 20
TASKS = ("Brake inspection", "Tire rotation", "Cabin filter", "Software update", "Wiper blades")


async def reserve_due(pool: asyncpg.Pool, ctx: Ctx, state: SimState, now: datetime) -> int:
    """Make every reservation whose moment has come; move the next one on."""
    made = 0
    due = state.next_reservation_at or now
    while due <= now and made < MAX_PER_STEP:
        state.reservations += 1
        if await in_transaction(pool, _reservation(ctx, state, state.reservations, due)):
            made += 1
        due += timedelta(seconds=_gap(state, state.reservations))
    if due <= now:
        due = now + timedelta(seconds=_gap(state, state.reservations))
    state.next_reservation_at = due
    return made


def _reservation(
    ctx: Ctx, state: SimState, number: int, due: datetime
) -> Callable[[asyncpg.Connection], Awaitable[UUID | None]]:
    async def work(conn: asyncpg.Connection) -> UUID | None:
        return await _reserve(conn, ctx, state, number, due)

    return work


def _gap(state: SimState, number: int) -> float:
    return between(draw(state.config.seed, "gap", number), state.config.reservation_seconds)


async def _reserve(
    conn: asyncpg.Connection, ctx: Ctx, state: SimState, number: int, due: datetime
) -> UUID | None:
    seed = state.config.seed
    vehicle = await conn.fetchval(sq.RESERVATION_VEHICLE, f"{seed}:reservation:{number}")
    if vehicle is None:
        return None
    job_type = weighted(draw(seed, "type", number), state.config.job_weights)
    lead = between(draw(seed, "lead", number), state.config.reservation_lead_minutes)
    metadata: dict[str, object] = {"source": "simulator", "reservation": number}
    if job_type == "MAINTENANCE":
        metadata["task"] = TASKS[int(draw(seed, "task", number) * len(TASKS))]
    req = JobRequest(
        vehicle_ref=str(vehicle),
        job_type=job_type,
        earliest_start_at=due + timedelta(minutes=round(lead)),
        metadata=metadata,
    )
    try:
        async with conn.transaction():
            outcome = await request_job(conn, ctx, req)
    except Conflict:
        # That vehicle already has an open job of the type: this reservation is not made.
        return None
    log.info("simulator.reservation", job_id=str(outcome.job["id"]), job_type=job_type)
    return UUID(str(outcome.job["id"]))
