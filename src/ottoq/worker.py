"""The worker loop: scheduler ticks (and, as they arrive, other background duties)."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import structlog

from ottoq.context import Ctx
from ottoq.jobs.scheduler import tick

log = structlog.get_logger()

# The reaper reads whole tables, so it runs every this many ticks, not every tick.
REPAIR_EVERY = 30


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
