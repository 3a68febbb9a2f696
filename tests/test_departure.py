"""Leaving the depot and planned stays: the records do not depend on when the tick ran."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest

from ottoq.clock import ManualClock
from ottoq.context import Ctx
from ottoq.db.tx import in_transaction
from ottoq.errors import Invalid
from ottoq.fleet import service as fleet
from ottoq.jobs import queries
from ottoq.jobs.scheduler import tick
from ottoq.jobs.service import JobRequest, request_job
from tests.helpers import NASHVILLE_NORTH, events_of, job, set_in_service

MIN = timedelta(minutes=1)


async def _request(pool: asyncpg.Pool, ctx: Ctx, ref: str, **metadata: object) -> dict:
    req = JobRequest(
        vehicle_ref=ref,
        job_type="CHARGE",
        preferred_depot_id=NASHVILLE_NORTH,
        metadata=dict(metadata),
    )
    outcome = await in_transaction(pool, lambda c: request_job(c, ctx, req))
    return outcome.job


async def _arrive(pool: asyncpg.Pool, ctx: Ctx, ref: str) -> None:
    await in_transaction(pool, lambda c: fleet.arrive(c, ctx, ref, NASHVILLE_NORTH))


async def _depart(pool: asyncpg.Pool, ctx: Ctx, ref: str) -> None:
    await in_transaction(pool, lambda c: fleet.depart(c, ctx, ref))


async def test_a_planned_stay_sets_the_window_length(pool: asyncpg.Pool, ctx: Ctx) -> None:
    booked = await _request(pool, ctx, "Nashville-00011", duration_minutes=42.5)
    assert booked["scheduled_end_at"] - booked["scheduled_start_at"] == timedelta(minutes=42.5)
    # Within the depot's bounds for the job type (CHARGE 40 +- 10 minutes here).
    short = await _request(pool, ctx, "Nashville-00010", duration_minutes=5)
    assert short["scheduled_end_at"] - short["scheduled_start_at"] == 30 * MIN
    with pytest.raises(Invalid, match="duration_minutes"):
        await _request(pool, ctx, "Nashville-00012", duration_minutes=-3)


async def test_leaving_after_the_window_opened_but_before_a_tick_completes_the_job(
    pool: asyncpg.Pool, ctx: Ctx, clock: ManualClock
) -> None:
    booked = await _request(pool, ctx, "Nashville-00013", duration_minutes=30)
    await _arrive(pool, ctx, "Nashville-00013")
    clock.advance(10 * MIN)
    await _depart(pool, ctx, "Nashville-00013")

    async with pool.acquire() as conn:
        done = await job(conn, booked["id"])
        assert done["state"] == "COMPLETED"
        assert done["started_at"] == booked["scheduled_start_at"]
        assert done["completed_at"] == clock.now()
        assert await events_of(conn, booked["id"]) == [
            "JOB_CREATED",
            "JOB_SCHEDULED",
            "JOB_ACTIVE",
            "JOB_COMPLETED",
        ]


async def test_leaving_after_the_planned_end_records_the_planned_end(
    pool: asyncpg.Pool, ctx: Ctx, clock: ManualClock
) -> None:
    booked = await _request(pool, ctx, "Nashville-00014", duration_minutes=30)
    await _arrive(pool, ctx, "Nashville-00014")
    await tick(pool, ctx)
    clock.advance(45 * MIN)
    await _depart(pool, ctx, "Nashville-00014")

    async with pool.acquire() as conn:
        done = await job(conn, booked["id"])
        assert done["completed_at"] == booked["scheduled_start_at"] + 30 * MIN


async def test_a_booking_whose_stall_is_still_taken_is_cancelled_when_its_vehicle_leaves(
    pool: asyncpg.Pool, ctx: Ctx, clock: ManualClock
) -> None:
    async with pool.acquire() as conn:
        await set_in_service(conn, NASHVILLE_NORTH, "CHARGE_STALL", 1)
    first = await _request(pool, ctx, "Nashville-00015", duration_minutes=20)
    second = await _request(pool, ctx, "Nashville-00016", duration_minutes=20)
    assert second["scheduled_start_at"] == first["scheduled_end_at"]
    for ref in ("Nashville-00015", "Nashville-00016"):
        await _arrive(pool, ctx, ref)
    await tick(pool, ctx)
    # The first job runs on past its window (a tick would extend it); the second never starts.
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE ottoq_jobs SET duration_seconds = 3600 WHERE id = $1", first["id"]
        )
    clock.advance(35 * MIN)
    await _depart(pool, ctx, "Nashville-00016")

    async with pool.acquire() as conn:
        assert (await job(conn, second["id"]))["state"] == "CANCELLED"
        assert await queries.double_bookings(conn) == []


async def _one_stall_two_bookings(pool: asyncpg.Pool, ctx: Ctx) -> tuple[dict, dict]:
    """Two 30-minute bookings back to back on the depot's only stall."""
    async with pool.acquire() as conn:
        await set_in_service(conn, NASHVILLE_NORTH, "CHARGE_STALL", 1)
    first = await _request(pool, ctx, "Nashville-00021", duration_minutes=30)
    second = await _request(pool, ctx, "Nashville-00022", duration_minutes=30)
    assert second["scheduled_start_at"] == first["scheduled_end_at"]
    return first, second


async def test_a_late_start_pushes_the_next_start_back_however_late_the_tick(
    pool: asyncpg.Pool, ctx: Ctx, clock: ManualClock
) -> None:
    first, second = await _one_stall_two_bookings(pool, ctx)
    clock.advance(MIN)
    await _arrive(pool, ctx, "Nashville-00021")
    await _arrive(pool, ctx, "Nashville-00022")
    await tick(pool, ctx)
    # The first vehicle came a minute late, so it runs a minute past its window; the next tick
    # comes only after it finished and the second window opened.
    clock.advance(40 * MIN)
    await tick(pool, ctx)

    async with pool.acquire() as conn:
        done, started = await job(conn, first["id"]), await job(conn, second["id"])
        assert done["completed_at"] == first["scheduled_start_at"] + 31 * MIN
        assert started["started_at"] == done["completed_at"]
        assert await queries.double_bookings(conn) == []


async def test_two_bookings_due_on_one_stall_in_one_tick_start_one_after_the_other(
    pool: asyncpg.Pool, ctx: Ctx, clock: ManualClock
) -> None:
    first, second = await _one_stall_two_bookings(pool, ctx)
    await _arrive(pool, ctx, "Nashville-00022")
    clock.advance(10 * MIN)
    await _arrive(pool, ctx, "Nashville-00021")
    clock.advance(25 * MIN)
    for _ in range(12):
        await tick(pool, ctx)
        clock.advance(5 * MIN)

    async with pool.acquire() as conn:
        assert await queries.double_bookings(conn) == []
        late, waiting = await job(conn, first["id"]), await job(conn, second["id"])
        assert late["started_at"] == first["scheduled_start_at"] + 10 * MIN
        assert waiting["started_at"] >= late["completed_at"]
