"""A worker killed in the middle of a tick loses nothing: the next tick finishes the work."""

from __future__ import annotations

import asyncio
import signal
import sys
from dataclasses import replace

import asyncpg

from ottoq.context import Ctx
from ottoq.db.tx import in_transaction
from ottoq.jobs import queries
from ottoq.jobs.scheduler import tick
from ottoq.jobs.service import JobRequest, request_job
from tests.helpers import NASHVILLE_NORTH


async def test_killing_a_worker_mid_tick_loses_nothing(
    pool: asyncpg.Pool, ctx: Ctx, db_dsn: str
) -> None:
    ctx = Ctx(replace(ctx.settings, arrival_required=False), ctx.clock)
    job_ids = []
    for n in range(3):
        req = JobRequest(
            vehicle_ref=f"Nashville-0010{n}", job_type="CHARGE", preferred_depot_id=NASHVILLE_NORTH
        )
        outcome = await in_transaction(pool, lambda c, r=req: request_job(c, ctx, r))
        job_ids.append(outcome.job["id"])

    victim = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.tick_victim",
        db_dsn,
        ctx.now().isoformat(),
        stdout=asyncio.subprocess.PIPE,
    )
    assert victim.stdout is not None
    line = await asyncio.wait_for(victim.stdout.readline(), timeout=60)
    assert line.strip() == b"PAUSED"
    victim.send_signal(signal.SIGKILL)
    await victim.wait()

    async with pool.acquire() as conn:
        states = await conn.fetch("SELECT state FROM ottoq_jobs WHERE id = ANY($1)", job_ids)
        assert {r["state"] for r in states} == {"SCHEDULED"}
        assert await queries.invariant_violations(conn) == []

    summary = await tick(pool, ctx)
    assert sorted(summary.job_ids["activated"]) == sorted(str(j) for j in job_ids)
    async with pool.acquire() as conn:
        assert await queries.invariant_violations(conn) == []
        busy = await conn.fetchval("SELECT count(*) FROM ottoq_resources WHERE status = 'BUSY'")
        assert busy == 3
