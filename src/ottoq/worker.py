"""The worker loops: scheduler ticks, webhook deliveries (and, as they arrive, other duties)."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import structlog

from ottoq.context import Ctx
from ottoq.jobs.scheduler import tick
from ottoq.simulator.loop import run_simulator_loop
from ottoq.webhooks.delivery import run_delivery_loop

log = structlog.get_logger()

# The reaper reads whole tables, so it runs every this many ticks, not every tick.
REPAIR_EVERY = 30


async def run_worker_loops(pool: asyncpg.Pool, ctx: Ctx, stop: asyncio.Event) -> None:
    """Every background loop side by side, until told to stop; one crashing stops them all."""
    async with asyncio.TaskGroup() as loops:
        loops.create_task(run_scheduler_loop(pool, ctx, stop))
        loops.create_task(run_delivery_loop(pool, ctx, stop))
        loops.create_task(run_simulator_loop(pool, ctx, stop))


async def run_scheduler_loop(pool: asyncpg.Pool, ctx: Ctx, stop: asyncio.Event) -> None:
    """Tick until told to stop; a failed tick is logged and the next one carries on."""
    count = 0
    while not stop.is_set():
        count += 1
        try:
            await tick(pool, ctx, repair=count % REPAIR_EVERY == 0)
        except (asyncpg.PostgresError, OSError) as exc:
            log.error("scheduler.tick_failed", error=str(exc))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=ctx.settings.tick_interval_s)
