"""The simulator's actions: start, stop, reset, check_reset, tick and status."""

from __future__ import annotations

from typing import Any

import asyncpg
import structlog

from ottoq.context import Ctx
from ottoq.db.tx import in_transaction
from ottoq.events.store import record
from ottoq.simulator.reset import reset_fleet
from ottoq.simulator.state import SimState, load, save
from ottoq.simulator.step import step

log = structlog.get_logger()

ACTIONS = ("start", "stop", "reset", "tick", "check_reset", "status")


async def act(
    pool: asyncpg.Pool,
    ctx: Ctx,
    action: str | None,
    changes: dict[str, Any] | None = None,
    mode: str | None = None,
) -> dict[str, Any]:
    """Carry out an action; no action reports the state."""
    if action == "tick":
        return await _tick(pool, ctx)
    if action in (None, "status"):
        state = await in_transaction(pool, lambda c: load(c))
        assert state is not None
        return _answer("simulator state", state)
    return await in_transaction(pool, lambda c: _locked(c, ctx, action, changes or {}, mode))


async def _locked(
    conn: asyncpg.Connection, ctx: Ctx, action: str, changes: dict[str, Any], mode: str | None
) -> dict[str, Any]:
    # Waits for a step in progress to finish: the row is the simulator's lock.
    state = await load(conn, lock="wait")
    assert state is not None
    now = ctx.now()
    if action == "start":
        return await start(conn, ctx, state, changes, mode)
    if action == "stop":
        return await stop(conn, ctx, state)
    if action == "reset" or (state.next_reset_at is not None and now >= state.next_reset_at):
        outcome = await reset_fleet(conn, ctx, state, now)
        return _answer("simulator reset", state, reset=outcome)
    return _answer("no reset due yet", state, reset=None)


async def start(
    conn: asyncpg.Connection,
    ctx: Ctx,
    state: SimState,
    changes: dict[str, Any],
    mode: str | None,
) -> dict[str, Any]:
    """Run from now on; a first start (or new settings) draws the fleet afresh."""
    now = ctx.now()
    fresh = state.resets == 0 or bool(changes)
    if state.resets == 0:
        # The reset interval's default is a setting (OTTOQ_SIMULATOR_RESET_MINUTES).
        state.config = state.config.merged({"reset_minutes": ctx.settings.simulator_reset_minutes})
    state.config = state.config.merged(changes)
    state.is_running, state.mode, state.started_at = True, mode or state.mode, now
    await _event(conn, "SIMULATOR_STARTED", state, now)
    if fresh:
        outcome = await reset_fleet(conn, ctx, state, now)
        return _answer("simulator started", state, reset=outcome)
    await save(conn, state, now)
    return _answer("simulator started", state)


async def stop(conn: asyncpg.Connection, ctx: Ctx, state: SimState) -> dict[str, Any]:
    now = ctx.now()
    was_running, state.is_running = state.is_running, False
    await save(conn, state, now)
    if was_running:
        await _event(conn, "SIMULATOR_STOPPED", state, now)
    return _answer("simulator stopped" if was_running else "simulator was not running", state)


async def _tick(pool: asyncpg.Pool, ctx: Ctx) -> dict[str, Any]:
    summary = await step(pool, ctx, force=True)
    state = await in_transaction(pool, lambda c: load(c))
    assert state is not None
    if summary is None:
        return _answer("another process is running a step; nothing done", state, tick=None)
    return _answer("simulator ticked", state, tick=summary)


async def _event(conn: asyncpg.Connection, event: str, state: SimState, now: Any) -> None:
    await record(
        conn,
        city_id=None,
        entity_type="SIMULATOR",
        entity_id=None,
        event_type=event,
        payload={"mode": state.mode, "config": state.config.as_json()},
        at=now,
    )
    log.info(event.lower().replace("_", ".", 1), mode=state.mode)


def _answer(message: str, state: SimState, **extra: Any) -> dict[str, Any]:
    return {"success": True, "message": message, "simulator": state.public(), **extra}
