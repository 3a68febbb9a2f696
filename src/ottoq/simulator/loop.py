"""The simulator's loop in the worker: a step per interval while the simulator is running."""

from __future__ import annotations

import asyncio
import contextlib
import time

import asyncpg
import structlog

from ottoq.context import Ctx
from ottoq.errors import OttoqError
from ottoq.simulator.service import act
from ottoq.simulator.step import step

log = structlog.get_logger()


async def run_simulator_loop(pool: asyncpg.Pool, ctx: Ctx, stop: asyncio.Event) -> None:
    """Step until told to stop; a failed step is logged and the next one carries on."""
    if not ctx.settings.simulator_enabled:
        return
    await _autostart(pool, ctx)
    while not stop.is_set():
        began = time.perf_counter()
        try:
            await step(pool, ctx)
        except (asyncpg.PostgresError, OSError, OttoqError) as exc:
            log.error("simulator.step_failed", error=str(exc))
        await pause(stop, ctx.settings.simulator_tick_s - (time.perf_counter() - began))


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Wait until the next step is due (a slow step has used up its wait), or until stopped."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=max(seconds, 0.01))


async def _autostart(pool: asyncpg.Pool, ctx: Ctx) -> None:
    """`ottoq up` starts the demo fleet, or with --no-simulator leaves it stopped."""
    wanted = ctx.settings.simulator_autostart
    if wanted is None:
        return
    try:
        await act(pool, ctx, "start" if wanted else "stop")
    except (asyncpg.PostgresError, OSError, OttoqError) as exc:
        log.error("simulator.autostart_failed", error=str(exc))
