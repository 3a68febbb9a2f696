"""Hundreds of requests from several processes race for few stalls: nothing is double-booked."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections import Counter
from datetime import datetime, timedelta

import asyncpg

from ottoq.clock import ManualClock
from ottoq.context import Ctx
from ottoq.db.pool import create_pool
from ottoq.db.tx import in_transaction
from ottoq.jobs import queries
from ottoq.jobs.scheduler import tick
from ottoq.jobs.service import JobRequest, request_job
from ottoq.network.seed import insert_vehicles, stable_id
from ottoq.settings import Settings
from tests.conftest import START
from tests.helpers import NASHVILLE_NORTH, set_in_service

PROCESSES = 4
PER_PROCESS = 130
STALLS = 20
SETTINGS = Settings(clock="manual", booking_horizon=timedelta(hours=2), arrival_required=False)

OVERLAPPING_WINDOWS = """
SELECT count(*) FROM ottoq_jobs a JOIN ottoq_jobs b
  ON a.resource_id = b.resource_id AND a.id < b.id
 AND tstzrange(a.scheduled_start_at, a.scheduled_end_at)
  && tstzrange(b.scheduled_start_at, b.scheduled_end_at)
WHERE a.state IN ('SCHEDULED', 'ACTIVE') AND b.state IN ('SCHEDULED', 'ACTIVE')
"""


async def _fire(dsn: str, refs: list[str], now: datetime) -> list[str]:
    pool = await create_pool(dsn, min_size=4, max_size=8)
    ctx = Ctx(SETTINGS, ManualClock(now))

    async def one(ref: str) -> str:
        req = JobRequest(vehicle_ref=ref, job_type="CHARGE", preferred_depot_id=NASHVILLE_NORTH)
        outcome = await in_transaction(pool, lambda c: request_job(c, ctx, req))
        return str(outcome.job["state"])

    try:
        return list(await asyncio.gather(*(one(ref) for ref in refs)))
    finally:
        await pool.close()


def _process(dsn: str, refs: list[str], now_iso: str) -> list[str]:
    return asyncio.run(_fire(dsn, refs, datetime.fromisoformat(now_iso)))


async def _prepare(pool: asyncpg.Pool) -> list[str]:
    city = stable_id("city", "Nashville")
    refs = [f"Race-{n:04d}" for n in range(PROCESSES * PER_PROCESS)]
    rows = [
        (stable_id("vehicle", ref), city, NASHVILLE_NORTH, "Test", ref, None, None, 0.3, 1.0, None)
        for ref in refs
    ]
    async with pool.acquire() as conn:
        await insert_vehicles(conn, rows)
        await set_in_service(conn, NASHVILLE_NORTH, "CHARGE_STALL", STALLS)
        await conn.execute(
            "UPDATE ottoq_depots SET config_jsonb = config_jsonb || $2 WHERE id = $1",
            NASHVILLE_NORTH,
            {"durations": {"CHARGE": [40, 0]}},
        )
    return refs


async def test_concurrent_requests_from_processes_never_double_book(
    pool: asyncpg.Pool, db_dsn: str
) -> None:
    refs = await _prepare(pool)
    chunks = [refs[n::PROCESSES] for n in range(PROCESSES)]
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as workers:
        results = workers.starmap(
            _process, [(db_dsn, chunk, START.isoformat()) for chunk in chunks]
        )
    states = Counter(state for chunk in results for state in chunk)

    assert sum(states.values()) == PROCESSES * PER_PROCESS
    assert set(states) <= {"SCHEDULED", "PENDING"}
    async with pool.acquire() as conn:
        assert await conn.fetchval(OVERLAPPING_WINDOWS) == 0
        assert await queries.invariant_violations(conn) == []

    # Four 40-minute windows fit each stall within the 2 h horizon; a tick fills any left open.
    ctx = Ctx(SETTINGS, ManualClock(START))
    await tick(pool, ctx)
    async with pool.acquire() as conn:
        scheduled = await conn.fetchval(
            "SELECT count(*) FROM ottoq_jobs WHERE state IN ('SCHEDULED', 'ACTIVE')"
        )
        assert scheduled == STALLS * 4

    await _drain(pool, ctx)


async def _drain(pool: asyncpg.Pool, ctx: Ctx) -> None:
    """Every pending job is booked as stalls free up, until all are done; checked at each step."""
    clock = ctx.clock
    assert isinstance(clock, ManualClock)
    for _ in range(200):
        clock.advance(timedelta(minutes=20))
        await tick(pool, ctx)
        async with pool.acquire() as conn:
            assert await conn.fetchval(OVERLAPPING_WINDOWS) == 0
            assert await queries.invariant_violations(conn) == []
            open_jobs = await conn.fetchval(
                "SELECT count(*) FROM ottoq_jobs WHERE state IN ('PENDING', 'SCHEDULED', 'ACTIVE')"
            )
        if open_jobs == 0:
            break
    async with pool.acquire() as conn:
        states = await conn.fetch("SELECT state, count(*) FROM ottoq_jobs GROUP BY state")
        assert {r["state"]: r["count"] for r in states} == {"COMPLETED": PROCESSES * PER_PROCESS}
        assert await queries.double_bookings(conn) == []
