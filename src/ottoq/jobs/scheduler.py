"""The scheduler tick: moves every job whose moment has come, then fills freed windows.

Each step runs in its own short transaction and locks its rows with SKIP LOCKED, so any number
of workers can tick at once and a worker killed mid-tick leaves work for the next tick, not a mess.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from ottoq.context import Ctx
from ottoq.db.tx import in_transaction
from ottoq.events.store import record
from ottoq.fleet.queries import settle_vehicles
from ottoq.jobs import queries as q
from ottoq.jobs import tick_queries as tq
from ottoq.jobs.booking import find_window, place
from ottoq.jobs.durations import DEFAULT_TARGET_SOC
from ottoq.jobs.maintenance import open_due_schedules
from ottoq.metrics.registry import observe_tick

log = structlog.get_logger()

BATCH = 500
MOVES_PER_TICK = 50
# A booked job is only moved forward when that gains it at least this much.
MIN_GAIN = timedelta(minutes=1)


@dataclass
class TickSummary:
    tick_id: str
    now: datetime
    counts: dict[str, int] = field(default_factory=dict)
    job_ids: dict[str, list[str]] = field(default_factory=dict)

    def add(self, step: str, ids: list[Any]) -> None:
        self.counts[step] = self.counts.get(step, 0) + len(ids)
        if ids:
            self.job_ids.setdefault(step, []).extend(str(i) for i in ids)

    def as_dict(self) -> dict[str, Any]:
        return {
            "tick_id": self.tick_id,
            "now": self.now.isoformat(),
            "transitions": self.counts,
            "job_ids": self.job_ids,
        }


async def tick(pool: asyncpg.Pool, ctx: Ctx, *, repair: bool = True) -> TickSummary:
    """One pass of the scheduler at the clock's current time, its id on every log line in it."""
    summary = TickSummary(tick_id=uuid.uuid4().hex[:12], now=ctx.now())
    started = time.perf_counter()
    with structlog.contextvars.bound_contextvars(tick_id=summary.tick_id):
        await _steps(pool, ctx, summary, repair)
    observe_tick(summary.counts, time.perf_counter() - started)
    return summary


async def _steps(pool: asyncpg.Pool, ctx: Ctx, summary: TickSummary, repair: bool) -> None:
    now = summary.now
    await _run(pool, summary, "expired", lambda c: _expire(c, ctx, now))
    await _run(pool, summary, "completed", lambda c: _complete(c, ctx, now))
    await _run_each(pool, summary, "extended", _overrunning(ctx, now), _extend_one(ctx, now))
    await _run(pool, summary, "activated", lambda c: _activate(c, ctx, now))
    # Booked jobs move up first, then the queue fills what is left: both kinds of gap get used.
    await _run_each(pool, summary, "moved", _movable(ctx, now), _move_one(ctx, now))
    summary.add("booked", await _book_pending(pool, ctx, now))
    if summary.counts.get("booked") or summary.counts.get("moved"):
        # Windows that were just booked or moved may start right now.
        await _run(pool, summary, "activated", lambda c: _activate(c, ctx, now))
    await _run(pool, summary, "reserved", lambda c: _reserve_upcoming(c, ctx, now))
    await _run(pool, summary, "maintenance_opened", lambda c: open_due_schedules(c, ctx, now))
    if repair:
        await _run(pool, summary, "repaired", lambda c: repair_strays(c, ctx, now))

    if any(summary.counts.values()):
        log.info("scheduler.tick", **summary.counts)
        # Durable and resumable like every other change: realtime:ottoq carries it to dashboards.
        await in_transaction(pool, lambda c: _record_tick(c, summary))


async def _record_tick(conn: asyncpg.Connection, summary: TickSummary) -> None:
    """Log a tick that moved something, so realtime:ottoq can publish its counts."""
    payload = {
        "tick_id": summary.tick_id,
        "now": summary.now.isoformat(),
        "transitions": summary.counts,
    }
    # The entity enum has no scheduler; ticks are the simulated world's clock, hence SIMULATOR.
    await record(
        conn,
        city_id=None,
        entity_type="SIMULATOR",
        entity_id=None,
        event_type="SCHEDULER_TICK",
        payload=payload,
        at=summary.now,
    )


Step = Callable[[asyncpg.Connection], Awaitable[list[Any]]]


async def _run(pool: asyncpg.Pool, summary: TickSummary, name: str, step: Step) -> None:
    summary.add(name, await in_transaction(pool, step))


async def _run_each(
    pool: asyncpg.Pool,
    summary: TickSummary,
    name: str,
    pick: Step,
    one: Callable[[asyncpg.Connection, UUID], Awaitable[bool]],
) -> None:
    """Candidates first, then one short transaction each, so one failure spoils nothing else."""
    candidates = await in_transaction(pool, pick)
    done = []
    for job_id in candidates:
        if await in_transaction(pool, _bind(one, job_id)):
            done.append(job_id)
    summary.add(name, done)


def _bind(
    one: Callable[[asyncpg.Connection, UUID], Awaitable[bool]], job_id: UUID
) -> Callable[[asyncpg.Connection], Awaitable[bool]]:
    async def run(conn: asyncpg.Connection) -> bool:
        return await one(conn, job_id)

    return run


async def _after_moves(
    conn: asyncpg.Connection, ctx: Ctx, now: datetime, rows: list[asyncpg.Record]
) -> list[UUID]:
    await q.refresh_resources(conn, [r["resource_id"] for r in rows], now, ctx.reserve_until(now))
    await settle_vehicles(conn, [r["vehicle_id"] for r in rows], now)
    return [r["id"] for r in rows]


async def _expire(conn: asyncpg.Connection, ctx: Ctx, now: datetime) -> list[UUID]:
    if not ctx.settings.arrival_required:
        return []
    rows = await conn.fetch(
        tq.EXPIRE_NO_SHOWS, now, "JOB_EXPIRED", ctx.settings.arrival_grace, BATCH
    )
    return await _after_moves(conn, ctx, now, rows)


async def _complete(conn: asyncpg.Connection, ctx: Ctx, now: datetime) -> list[UUID]:
    rows = await conn.fetch(tq.COMPLETE_DONE, now, "JOB_COMPLETED", BATCH)
    charged = [r for r in rows if r["job_type"] == "CHARGE"]
    if charged:
        targets = [
            float((r["metadata_jsonb"] or {}).get("target_soc", DEFAULT_TARGET_SOC))
            for r in charged
        ]
        await conn.execute(tq.CHARGED_VEHICLES, [r["vehicle_id"] for r in charged], now, targets)
    return await _after_moves(conn, ctx, now, rows)


async def _activate(conn: asyncpg.Connection, ctx: Ctx, now: datetime) -> list[UUID]:
    rows = await conn.fetch(
        tq.ACTIVATE_DUE, now, "JOB_ACTIVE", ctx.settings.arrival_required, BATCH
    )
    return await _after_moves(conn, ctx, now, rows)


def _overrunning(ctx: Ctx, now: datetime) -> Step:
    async def pick(conn: asyncpg.Connection) -> list[Any]:
        return [r["id"] for r in await conn.fetch(tq.OVERRUNNING, now, MOVES_PER_TICK)]

    return pick


def _extend_one(ctx: Ctx, now: datetime) -> Callable[[asyncpg.Connection, UUID], Awaitable[bool]]:
    async def extend(conn: asyncpg.Connection, job_id: UUID) -> bool:
        """Give a running job the time it needs; bookings in the way queue again and rebook."""
        job = await conn.fetchrow(tq.LOCK_JOB_IN_STATE, job_id, "ACTIVE")
        if job is None:
            return False
        needed_end = job["started_at"] + timedelta(seconds=job["duration_seconds"])
        await conn.execute(q.LOCK_RESOURCES, [job["resource_id"]])
        in_the_way = await conn.fetch(
            tq.IN_THE_WAY, job["resource_id"], job_id, job["scheduled_end_at"], needed_end
        )
        for other in in_the_way:
            await q.guarded(conn, q.BUMP_JOB, other["id"], now, ["SCHEDULED"], "JOB_BUMPED")
        await q.guarded(conn, q.EXTEND_JOB, job_id, now, ["ACTIVE"], "JOB_EXTENDED", needed_end)
        for other in in_the_way:
            await _rebook(conn, ctx, other["id"], now)
        return True

    return extend


async def _rebook(conn: asyncpg.Connection, ctx: Ctx, job_id: UUID, now: datetime) -> None:
    job = await q.fetch_job(conn, job_id)
    assert job is not None
    window = await find_window(conn, ctx, job, [job["depot_id"]], now)
    if window is not None:
        await place(conn, ctx, job, window, now)
    else:
        await settle_vehicles(conn, [job["vehicle_id"]], now)


async def _book_pending(pool: asyncpg.Pool, ctx: Ctx, now: datetime) -> list[UUID]:
    """Book queued jobs in priority order; once one does not fit, its depot and type are full."""
    heads = await in_transaction(
        pool, lambda c: c.fetch(tq.PENDING_HEADS, now, ctx.settings.booking_horizon, BATCH)
    )
    full: set[tuple[UUID, str]] = set()
    booked = []
    for head in heads:
        group = (head["depot_id"], head["job_type"])
        if group in full:
            continue
        outcome = await in_transaction(pool, _bind(_book_one(ctx, now), head["id"]))
        if outcome:
            booked.append(head["id"])
        else:
            full.add(group)
    return booked


def _book_one(ctx: Ctx, now: datetime) -> Callable[[asyncpg.Connection, UUID], Awaitable[bool]]:
    async def book(conn: asyncpg.Connection, job_id: UUID) -> bool:
        job = await conn.fetchrow(tq.LOCK_JOB_IN_STATE, job_id, "PENDING")
        if job is None:
            return False
        window = await find_window(conn, ctx, dict(job), [job["depot_id"]], now)
        if window is None:
            return False
        await place(conn, ctx, dict(job), window, now)
        return True

    return book


def _movable(ctx: Ctx, now: datetime) -> Step:
    async def pick(conn: asyncpg.Connection) -> list[Any]:
        rows = await conn.fetch(tq.PULL_FORWARD_CANDIDATES, now, timedelta(0), MOVES_PER_TICK)
        return [r["id"] for r in rows]

    return pick


def _move_one(ctx: Ctx, now: datetime) -> Callable[[asyncpg.Connection, UUID], Awaitable[bool]]:
    async def move(conn: asyncpg.Connection, job_id: UUID) -> bool:
        """Move a booked job into an earlier window that opened up (cancelled, ended early)."""
        job = await conn.fetchrow(tq.LOCK_JOB_IN_STATE, job_id, "SCHEDULED")
        if job is None:
            return False
        window = await find_window(conn, ctx, dict(job), [job["depot_id"]], now)
        if window is None or window.start > job["scheduled_start_at"] - MIN_GAIN:
            return False
        await place(conn, ctx, dict(job), window, now, moving=True)
        return True

    return move


async def _reserve_upcoming(conn: asyncpg.Connection, ctx: Ctx, now: datetime) -> list[UUID]:
    rows = await conn.fetch(tq.UPCOMING_RESERVATIONS, ctx.reserve_until(now))
    changed = await q.refresh_resources(conn, [r[0] for r in rows], now, ctx.reserve_until(now))
    return [r["id"] for r in changed]


async def repair_strays(conn: asyncpg.Connection, ctx: Ctx, now: datetime) -> list[UUID]:
    """The reaper: puts right any resource or vehicle that disagrees with its jobs, and says so."""
    broken = await q.invariant_violations(conn)
    fixed = await q.refresh_resources(
        conn, [b["resource_id"] for b in broken], now, ctx.reserve_until(now)
    )
    for row in broken:
        log.warning(
            "reaper.resource_repaired", resource_id=str(row["resource_id"]), problem=row["problem"]
        )
    strays = [r["id"] for r in await conn.fetch(tq.STRAY_VEHICLES, BATCH)]
    settled = await settle_vehicles(conn, strays, now)
    for row in settled:
        log.warning("reaper.vehicle_repaired", vehicle_id=str(row["id"]), status=row["status"])
    return [r["id"] for r in fixed] + [r["id"] for r in settled]
