"""OTTO-Q's own policy on a replayed week: the real engine, in-process, on a manual clock.

A discrete-event loop. Each arrival is a CHARGE request at the depot (earliest start = the
arrival) followed by an arrival; each vehicle departs once its real dwell has passed since its
job really started; the scheduler ticks at every such moment and at every moment the engine
itself has pending (a window opening, a stall's reservation lead, a job's estimated end), so its
timed transitions happen when they should without a fixed step.

The engine ends a job on its estimate even while the vehicle is still there, and may then start
the next job on the same stall. The replay keeps to the physical stall: that next vehicle plugs
in only when the one before has left, its wait counts to then, and each such case is counted.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg

from bench.queue_quality import WEEK_START, Session
from ottoq.clock import ManualClock
from ottoq.context import Ctx
from ottoq.db.pool import create_pool
from ottoq.fleet.service import arrive, depart
from ottoq.jobs.scheduler import tick
from ottoq.jobs.service import JobRequest, request_job
from ottoq.network.seed import insert_resources, insert_vehicles, resource_rows, stable_id
from ottoq.settings import Settings

ORIGIN = datetime.combine(WEEK_START, datetime.min.time(), tzinfo=ZoneInfo("Europe/London"))
# Nothing should still be waiting this long after the last arrival; if it is, stop and say so.
DRAIN = timedelta(days=2)

NEXT_ENGINE_MOMENT = """
SELECT min(t) FROM (
    SELECT scheduled_start_at - $2::interval AS t FROM ottoq_jobs WHERE state = 'SCHEDULED'
    UNION ALL
    SELECT scheduled_start_at FROM ottoq_jobs WHERE state = 'SCHEDULED'
    UNION ALL
    SELECT greatest(scheduled_end_at, started_at + make_interval(secs => duration_seconds))
    FROM ottoq_jobs WHERE state = 'ACTIVE'
) m WHERE t > $1
"""

SETTLED_JOBS = """
SELECT id, state, resource_id, started_at FROM ottoq_jobs
WHERE id = ANY($1::uuid[]) AND (started_at IS NOT NULL OR state NOT IN ('PENDING', 'SCHEDULED'))
"""


@dataclass
class EngineResult:
    # From arrival to plugging in; `believed_waits` end at the job's start as the engine has it.
    waits: list[float] = field(default_factory=list)
    believed_waits: list[float] = field(default_factory=list)
    conflicts: int = 0
    blocked_minutes: float = 0.0
    overruns: int = 0
    spare_vehicles: int = 0
    unserved: int = 0
    ticks: int = 0

    def notes(self) -> dict[str, Any]:
        return {
            "conflicts": self.conflicts,
            "blocked_minutes": self.blocked_minutes,
            "overruns": self.overruns,
            "spare_vehicles": self.spare_vehicles,
            "unserved": self.unserved,
            "ticks": self.ticks,
        }


@dataclass
class Stay:
    """A vehicle physically on a stall: from plugging in until it really leaves."""

    session: int
    vehicle: str
    start: datetime
    leave: datetime
    resource_id: UUID


@dataclass
class Replay:
    pool: asyncpg.Pool
    ctx: Ctx
    clock: ManualClock
    depot_id: UUID
    city_id: UUID
    sessions: list[Session]
    # Each request says how long its vehicle will stay (metadata.duration_minutes).
    told: bool = False
    result: EngineResult = field(default_factory=EngineResult)
    fleet: dict[str, list[str]] = field(default_factory=dict)
    busy: set[str] = field(default_factory=set)
    waiting: dict[UUID, tuple[int, str]] = field(default_factory=dict)
    departures: list[tuple[datetime, int, Stay]] = field(default_factory=list)
    on_stall: dict[UUID, list[Stay]] = field(default_factory=dict)

    async def run(self) -> EngineResult:
        arrivals = deque(range(len(self.sessions)))
        deadline = _at(self.sessions[-1].arrival) + DRAIN
        while arrivals or self.departures or self.waiting:
            moment = await self._next_moment(arrivals)
            if moment is None or moment > deadline:
                break
            self.clock.set(moment)
            while self.departures and self.departures[0][0] <= moment:
                await self._depart(heapq.heappop(self.departures)[2])
            while arrivals and _at(self.sessions[arrivals[0]].arrival) <= moment:
                await self._arrive(arrivals.popleft())
            await tick(self.pool, self.ctx)
            self.result.ticks += 1
            await self._record_starts()
        self.result.unserved = len(self.sessions) - len(self.result.waits)
        return self.result

    async def _next_moment(self, arrivals: deque[int]) -> datetime | None:
        now = self.clock.now()
        async with self.pool.acquire() as conn:
            engine = await conn.fetchval(NEXT_ENGINE_MOMENT, now, self.ctx.settings.reserve_lead)
        candidates = [engine] if engine else []
        if arrivals:
            candidates.append(_at(self.sessions[arrivals[0]].arrival))
        if self.departures:
            candidates.append(self.departures[0][0])
        if not candidates and self.waiting:
            # Queued jobs with no window yet: look again an hour on, as a real tick would.
            candidates.append(now + timedelta(hours=1))
        return min(candidates) if candidates else None

    async def _arrive(self, index: int) -> None:
        session = self.sessions[index]
        vehicle = await self._free_vehicle(session.user)
        now = self.clock.now()
        request = JobRequest(
            vehicle_ref=vehicle,
            job_type="CHARGE",
            preferred_depot_id=self.depot_id,
            earliest_start_at=now,
            metadata={"duration_minutes": session.service} if self.told else {},
        )
        async with self.pool.acquire() as conn, conn.transaction():
            outcome = await request_job(conn, self.ctx, request)
        async with self.pool.acquire() as conn, conn.transaction():
            await arrive(conn, self.ctx, vehicle, self.depot_id)
        self.waiting[outcome.job["id"]] = (index, vehicle)
        self.busy.add(vehicle)

    async def _depart(self, stay: Stay) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            left = await depart(conn, self.ctx, stay.vehicle)
        if not left["job_ids"]:
            # The engine had already ended the job on its estimate while the vehicle charged on.
            self.result.overruns += 1
        self.on_stall[stay.resource_id].remove(stay)
        self.busy.discard(stay.vehicle)

    async def _record_starts(self) -> None:
        if not self.waiting:
            return
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(SETTLED_JOBS, list(self.waiting))
        for row in sorted(rows, key=lambda r: (r["started_at"] is None, r["started_at"])):
            index, vehicle = self.waiting.pop(row["id"])
            if row["started_at"] is None:
                # Cancelled or expired without a start: the session went unserved.
                self.busy.discard(vehicle)
                continue
            self._occupy(index, vehicle, row["started_at"], row["resource_id"])

    def _occupy(self, index: int, vehicle: str, start: datetime, resource_id: UUID) -> None:
        """Put the vehicle on its stall: at the job's start, or once the stall is really free."""
        session = self.sessions[index]
        present = self.on_stall.setdefault(resource_id, [])
        plug_in = max([start, *(other.leave for other in present)])
        if plug_in > start:
            # The engine ended a job on its estimate while that vehicle still charged, and sent
            # this one to the same stall: it waits there until the stall is really free.
            self.result.conflicts += 1
            self.result.blocked_minutes += (plug_in - start) / _MINUTE
        stay = Stay(index, vehicle, plug_in, plug_in + session.service * _MINUTE, resource_id)
        present.append(stay)
        self.result.waits.append((plug_in - _at(session.arrival)) / _MINUTE)
        self.result.believed_waits.append((start - _at(session.arrival)) / _MINUTE)
        heapq.heappush(self.departures, (stay.leave, index, stay))

    async def _free_vehicle(self, user: str) -> str:
        """The user's vehicle, or a spare when the user's earlier session is still on site."""
        refs = self.fleet.setdefault(user, [])
        for ref in refs:
            if ref not in self.busy:
                return ref
        ref = f"Dundee-{user}" + (f"-{len(refs) + 1}" if refs else "")
        async with self.pool.acquire() as conn:
            await insert_vehicles(conn, [_vehicle_row(ref, self.city_id, self.depot_id)])
        self.result.spare_vehicles += 1 if refs else 0
        refs.append(ref)
        return ref


_MINUTE = timedelta(minutes=1)


def _at(minute: int) -> datetime:
    return ORIGIN + timedelta(minutes=minute)


def _vehicle_row(ref: str, city_id: UUID, depot_id: UUID) -> tuple[object, ...]:
    # No battery size and no charge level: the engine takes the depot's duration estimate, and
    # every job gets the same priority weight, so the queue is ordered by arrival alone.
    return (stable_id("vehicle", ref), city_id, depot_id, "", ref, None, None, None, None, None)


async def _build_depot(
    conn: asyncpg.Connection, stalls: int, estimate_min: int, told: bool
) -> tuple[UUID, UUID]:
    # Spread 0: every job gets the estimate itself, none a random draw below it. A stay that
    # requests state may take anything from 1 minute to the estimate.
    low = 1 if told else estimate_min
    durations = [(low + estimate_min) / 2, (estimate_min - low) / 2]
    city_id, depot_id = stable_id("city", "Dundee"), stable_id("depot", "Lochee Charging Hub")
    await conn.execute(
        "INSERT INTO ottoq_cities (id, name, tz) VALUES ($1, 'Dundee', 'Europe/London')", city_id
    )
    await conn.execute(
        "INSERT INTO ottoq_depots (id, city_id, name, address, config_jsonb)"
        " VALUES ($1, $2, 'Lochee Charging Hub', 'Lochee, Dundee', $3)",
        depot_id,
        city_id,
        {"durations": {"CHARGE": durations}, "charge_power_kw": 50.0},
    )
    await insert_resources(
        conn, resource_rows(city_id, depot_id, 50.0, charge_stalls=stalls, detail_stalls=0, bays=0)
    )
    return city_id, depot_id


async def replay(
    url: str, sessions: list[Session], stalls: int, estimate_min: int, *, told: bool = False
) -> EngineResult:
    """Run the sessions through the engine at a fresh depot of `stalls` charge stalls.

    Jobs last `estimate_min`; when `told`, each request states its real stay instead, up to that.
    """
    pool = await create_pool(url, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            city_id, depot_id = await _build_depot(conn, stalls, estimate_min, told)
        clock = ManualClock(_at(sessions[0].arrival))
        ctx = Ctx(Settings(clock="manual"), clock)
        return await Replay(pool, ctx, clock, depot_id, city_id, sessions, told).run()
    finally:
        await pool.close()
