"""Random sequences of requests, telemetry, cancels, arrivals, clock steps and ticks, run
against the engine and a plain in-memory model of its rules; they must agree at every step."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ottoq.clock import ManualClock
from ottoq.context import Ctx
from ottoq.db.pool import create_pool
from ottoq.db.tx import in_transaction
from ottoq.errors import Conflict
from ottoq.fleet import service as fleet
from ottoq.jobs import queries
from ottoq.jobs.calendar import earliest_fit
from ottoq.jobs.scheduler import tick
from ottoq.jobs.service import JobRequest, cancel_job, request_job
from ottoq.settings import Settings
from ottoq.states import JOB, JOB_TYPE_RESOURCE, OPEN_JOB_STATES
from tests.conftest import START, _admin, with_database
from tests.helpers import NASHVILLE_NORTH, set_in_service, vehicle_id

VEHICLES = [f"Nashville-0000{n}" for n in range(1, 5)]
TYPES = ["CHARGE", "DETAILING"]
DURATION = {"CHARGE": timedelta(minutes=40), "DETAILING": timedelta(minutes=90)}
SETTINGS = Settings(clock="manual", booking_horizon=timedelta(hours=2))

ops = st.lists(
    st.one_of(
        st.tuples(st.just("request"), st.sampled_from(VEHICLES), st.sampled_from(TYPES)),
        st.tuples(st.just("telemetry"), st.sampled_from(VEHICLES), st.sampled_from([0.1, 0.5])),
        st.tuples(st.just("cancel"), st.integers(0, 20)),
        st.tuples(st.just("arrive"), st.sampled_from(VEHICLES)),
        st.tuples(st.just("step"), st.sampled_from([5, 15, 30, 60])),
        st.tuples(st.just("tick")),
    ),
    min_size=1,
    max_size=25,
)


@dataclass
class Model:
    """What the rules say should be true, kept without a database."""

    open: dict[tuple[str, str], uuid.UUID] = field(default_factory=dict)
    jobs: list[uuid.UUID] = field(default_factory=list)
    state: dict[uuid.UUID, str] = field(default_factory=dict)
    arrived: set[uuid.UUID] = field(default_factory=set)
    status: dict[str, str] = field(default_factory=lambda: dict.fromkeys(VEHICLES, "IDLE"))

    def opened(self, ref: str, job_type: str, job: dict[str, Any]) -> None:
        if any(j in self.arrived for (r, _), j in self.open.items() if r == ref):
            self.arrived.add(job["id"])
        self.open[(ref, job_type)] = job["id"]
        self.jobs.append(job["id"])
        self.state[job["id"]] = job["state"]

    def vehicle_status(self, ref: str) -> str:
        """The vehicle follows its open jobs (the rule fleet/queries.py writes in SQL)."""
        mine = [j for (r, _), j in self.open.items() if r == ref]
        states = {self.state[j] for j in mine}
        current = self.status[ref]
        if "ACTIVE" in states:
            return "IN_SERVICE"
        if any(j in self.arrived for j in mine):
            return "AT_DEPOT"
        if "SCHEDULED" in states:
            return "ENROUTE_DEPOT"
        if "PENDING" in states and current in ("IDLE", "ON_TRIP", "AT_DEPOT"):
            return current
        return "IDLE" if current in ("ENROUTE_DEPOT", "AT_DEPOT", "IN_SERVICE") else current


@given(ops)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
def test_engine_agrees_with_the_model(server_dsn: str, template_db: str, steps: list) -> None:
    asyncio.run(_scenario(server_dsn, template_db, steps))


async def _scenario(server_dsn: str, template_db: str, steps: list) -> None:
    name = f"ottoq_m_{uuid.uuid4().hex[:12]}"
    await _admin(server_dsn, f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    pool = await create_pool(with_database(server_dsn, name), min_size=1, max_size=4)
    try:
        await _scarce(pool)
        world = World(pool, Ctx(SETTINGS, ManualClock(START)), Model())
        for step in steps:
            await world.apply(step)
            await world.check()
    finally:
        await pool.close()
        await _admin(server_dsn, f'DROP DATABASE "{name}" WITH (FORCE)')


async def _scarce(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await set_in_service(conn, NASHVILLE_NORTH, "CHARGE_STALL", 2)
        await set_in_service(conn, NASHVILLE_NORTH, "CLEAN_DETAIL_STALL", 1)
        await conn.execute(
            "UPDATE ottoq_vehicles SET home_depot_id = $1 WHERE external_ref = ANY($2)",
            NASHVILLE_NORTH,
            VEHICLES,
        )
        await conn.execute(
            "UPDATE ottoq_depots SET config_jsonb = config_jsonb || $2 WHERE id = $1",
            NASHVILLE_NORTH,
            {"durations": {"CHARGE": [40, 0], "DETAILING": [90, 0]}},
        )


@dataclass
class World:
    pool: asyncpg.Pool
    ctx: Ctx
    model: Model

    @property
    def now(self) -> datetime:
        return self.ctx.now()

    async def apply(self, step: tuple) -> None:
        await getattr(self, f"_{step[0]}")(*step[1:])
        await self._sync()

    async def _request(self, ref: str, job_type: str) -> None:
        before = await self._free_starts(job_type)
        req = JobRequest(vehicle_ref=ref, job_type=job_type, preferred_depot_id=NASHVILLE_NORTH)
        try:
            outcome = await in_transaction(self.pool, lambda c: request_job(c, self.ctx, req))
        except Conflict:
            assert (ref, job_type) in self.model.open
            return
        assert (ref, job_type) not in self.model.open
        job = outcome.job
        self.model.opened(ref, job_type, job)
        if job["state"] == "SCHEDULED":
            assert job["scheduled_start_at"] == min(before), "not the earliest window"
        else:
            assert min(before) > self.now + SETTINGS.booking_horizon or await self._ahead(job)

    async def _telemetry(self, ref: str, soc: float) -> None:
        reading = fleet.Reading(vehicle_ref=ref, soc=soc)
        result = await in_transaction(self.pool, lambda c: fleet.ingest(c, self.ctx, reading))
        expected = soc <= 0.2 and (ref, "CHARGE") not in self.model.open
        assert (result["job_triggered"] is not None) == expected
        if expected:
            self.model.opened(ref, "CHARGE", result["job_triggered"]["job"])

    async def _cancel(self, pick: int) -> None:
        if not self.model.jobs:
            return
        job_id = self.model.jobs[pick % len(self.model.jobs)]
        changed, _ = await in_transaction(
            self.pool, lambda c: cancel_job(c, self.ctx, job_id, "model")
        )
        assert changed == (self.model.state[job_id] in OPEN_JOB_STATES)

    async def _arrive(self, ref: str) -> None:
        await in_transaction(self.pool, lambda c: fleet.arrive(c, self.ctx, ref, None))
        for (owner, _), job_id in self.model.open.items():
            if owner == ref and self.model.state[job_id] in ("PENDING", "SCHEDULED"):
                self.model.arrived.add(job_id)

    async def _step(self, minutes: int) -> None:
        clock = self.ctx.clock
        assert isinstance(clock, ManualClock)
        clock.advance(timedelta(minutes=minutes))

    async def _tick(self) -> None:
        await tick(self.pool, self.ctx)
        await self._sync()
        await self._no_idle_stall_while_a_job_waits()

    async def _sync(self) -> None:
        """Read every job's state; each change must be a legal move the rules allow now."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch("SELECT * FROM ottoq_jobs WHERE id = ANY($1)", self.model.jobs)
        for row in rows:
            before, after = self.model.state[row["id"]], row["state"]
            if before != after:
                assert JOB.allows(before, after) or (before, after) == ("PENDING", "ACTIVE")
                self._check_move(dict(row))
            self.model.state[row["id"]] = after
        self.model.open = {
            k: j for k, j in self.model.open.items() if self.model.state[j] in OPEN_JOB_STATES
        }
        for ref in VEHICLES:
            self.model.status[ref] = self.model.vehicle_status(ref)

    def _check_move(self, row: dict[str, Any]) -> None:
        if row["state"] in ("ACTIVE", "COMPLETED") and row["started_at"] is not None:
            assert row["id"] in self.model.arrived, "started without the vehicle"
            assert row["started_at"] >= row["requested_start_at"]
        if row["state"] == "EXPIRED":
            assert row["id"] not in self.model.arrived
            assert self.now >= row["scheduled_start_at"] + SETTINGS.arrival_grace
        if row["state"] == "COMPLETED" and row["completed_at"] is not None:
            assert row["completed_at"] <= self.now

    async def _free_starts(self, job_type: str) -> list[datetime]:
        """The earliest start each in-service resource of the type offers right now."""
        async with self.pool.acquire() as conn:
            rows = await queries.candidate_windows(
                conn, [NASHVILLE_NORTH], JOB_TYPE_RESOURCE[job_type], self.now, uuid.uuid4()
            )
        return [
            earliest_fit(zip(r["starts"], r["ends"], strict=True), self.now, DURATION[job_type])
            for r in rows
        ]

    async def _ahead(self, job: dict[str, Any]) -> bool:
        async with self.pool.acquire() as conn:
            return bool(
                await conn.fetchval(
                    queries.AHEAD_IN_QUEUE,
                    NASHVILLE_NORTH,
                    job["job_type"],
                    job["priority_key"],
                    self.now + SETTINGS.booking_horizon,
                )
            )

    async def _no_idle_stall_while_a_job_waits(self) -> None:
        for job_id in self.model.jobs:
            if self.model.state[job_id] != "PENDING":
                continue
            async with self.pool.acquire() as conn:
                job_type = await conn.fetchval(
                    "SELECT job_type FROM ottoq_jobs WHERE id = $1", job_id
                )
            starts = await self._free_starts(job_type)
            assert min(starts) > self.now + SETTINGS.booking_horizon, "a window fits yet it waits"

    async def check(self) -> None:
        async with self.pool.acquire() as conn:
            assert await queries.invariant_violations(conn) == []
            assert await queries.double_bookings(conn) == []
            statuses = await conn.fetch(
                "SELECT external_ref, status FROM ottoq_vehicles WHERE id = ANY($1)",
                [vehicle_id(ref) for ref in VEHICLES],
            )
        for row in statuses:
            assert row["status"] == self.model.status[row["external_ref"]], row["external_ref"]
