"""The simulator on the manual clock: reset cycles, reservation rate, complete event trails."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from ottoq.clock import ManualClock
from ottoq.context import Ctx
from ottoq.errors import Invalid
from ottoq.jobs import queries
from ottoq.simulator.command import auto_report_seconds
from ottoq.simulator.config import SimConfig, draw, weighted
from ottoq.simulator.network import NetworkSize, build_network
from ottoq.simulator.service import act
from ottoq.simulator.step import step
from ottoq.states import JOB

F = "/functions/v1"
STEP = timedelta(seconds=10)
# Short services, so that vehicles are served and leave within a 5-10 minute cycle.
QUICK = {"CHARGE": [3, 1], "DETAILING": [3, 1], "MAINTENANCE": [4, 1]}

TRAIL = """
SELECT j.id, j.state::text AS state, j.created_at, j.metadata_jsonb,
       array_agg(e.payload_jsonb->>'from' ORDER BY e.id) AS froms,
       array_agg(e.payload_jsonb->>'to' ORDER BY e.id) AS tos,
       array_agg(e.event_type ORDER BY e.id) AS events
FROM ottoq_jobs j JOIN ottoq_events e ON e.entity_type = 'JOB' AND e.entity_id = j.id
GROUP BY j.id
"""


async def _simulator(client: AsyncTestClient, **body: Any) -> dict[str, Any]:
    response = await client.post(f"{F}/ottoq-simulator", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def _quick_depots(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE ottoq_depots SET config_jsonb = config_jsonb || $1", {"durations": QUICK}
        )


async def _run_until_reset(client: AsyncTestClient, clock: ManualClock, resets: int) -> None:
    """Step the simulator and the scheduler every 10 simulated seconds until the n-th reset."""
    for _ in range(200):
        clock.advance(STEP)
        state = (await _simulator(client, action="tick"))["simulator"]
        assert (await client.post(f"{F}/ottoq-scheduler", json={})).status_code == 200
        if state["resets"] >= resets:
            return
    raise AssertionError("the simulator did not reset within 2000 simulated seconds")


def _check_trail(job: asyncpg.Record) -> None:
    """Created PENDING, then every event moves on from where the last one left the job."""
    assert job["events"][0] == "JOB_CREATED" and job["tos"][0] == "PENDING"
    for before, after, event in zip(job["tos"], job["froms"][1:], job["events"][1:], strict=False):
        assert after == before, f"{event} starts from {after}, the job was {before}"
    for source, target in zip(job["froms"][1:], job["tos"][1:], strict=True):
        assert source == target or JOB.allows(source, target), f"{source} -> {target}"
    assert job["tos"][-1] == job["state"]


async def test_a_full_reset_cycle_runs_through_the_engine(
    client: AsyncTestClient, clock: ManualClock, pool: asyncpg.Pool
) -> None:
    await _quick_depots(pool)
    nearby = {"seed": 7, "travel_minutes": [1, 3]}
    started = await _simulator(client, action="start", config=nearby)
    assert started["simulator"]["is_running"] and started["reset"]["vehicles"] == 900
    # How long a reset takes is a figure for benchmarks and the log, not a test's assertion.
    assert started["reset"]["took_ms"] >= 0

    await _run_until_reset(client, clock, 2)
    await _run_until_reset(client, clock, 3)

    async with pool.acquire() as conn:
        resets = await conn.fetch(
            "SELECT created_at, payload_jsonb FROM ottoq_events"
            " WHERE event_type = 'SIMULATOR_RESET' ORDER BY id"
        )
        trails = await conn.fetch(TRAIL)
        assert await queries.invariant_violations(conn) == []
        assert await queries.double_bookings(conn) == []

    # Resets come 5 to 10 simulated minutes apart (to the step).
    assert len(resets) == 3
    gaps = [b["created_at"] - a["created_at"] for a, b in pairwise(resets)]
    assert all(timedelta(minutes=5) <= g <= timedelta(minutes=10) + STEP for g in gaps)

    # A reservation every 30 to 60 simulated seconds, over the whole second cycle.
    first, last = resets[1]["created_at"], resets[2]["created_at"]
    cycle_s = (last - first).total_seconds()
    made = [t for t in trails if t["metadata_jsonb"].get("source") == "simulator"]
    made = [t for t in made if first <= t["created_at"] < last]
    assert cycle_s / 60 - 2 <= len(made) <= cycle_s / 30 + 1

    # Every job went through the engine's transitions, and the reset closed every one of them.
    for job in trails:
        _check_trail(job)
    states = {t["state"] for t in trails}
    assert "COMPLETED" in states and states <= {"COMPLETED", "CANCELLED", "EXPIRED"}
    low_charge = [t for t in trails if t["metadata_jsonb"].get("trigger") == "low_soc"]
    assert low_charge, "low charge reported as telemetry opens CHARGE jobs"
    assert any("JOB_ACTIVE" in t["events"] and t["state"] == "COMPLETED" for t in trails)


async def test_only_one_process_steps_at_a_time(pool: asyncpg.Pool, ctx: Ctx) -> None:
    await act(pool, ctx, "start")
    first, second = await asyncio.gather(step(pool, ctx), step(pool, ctx))
    assert (first is None) != (second is None)


async def test_stop_stops_and_check_reset_waits_for_its_moment(
    client: AsyncTestClient, clock: ManualClock, pool: asyncpg.Pool, ctx: Ctx
) -> None:
    state = (await _simulator(client))["simulator"]
    assert state["is_running"] is False

    started = (await _simulator(client, action="start"))["simulator"]
    early = await _simulator(client, action="check_reset")
    assert early["reset"] is None and early["simulator"]["resets"] == started["resets"]

    stopped = await _simulator(client, action="stop")
    assert stopped["simulator"]["is_running"] is False
    clock.advance(timedelta(minutes=1))
    assert await step(pool, ctx) is None

    clock.set(datetime.fromisoformat(started["next_reset_at"]))
    due = await _simulator(client, action="check_reset")
    assert due["reset"] is not None and due["simulator"]["resets"] == started["resets"] + 1


async def test_bad_settings_are_refused_and_change_nothing(client: AsyncTestClient) -> None:
    response = await client.post(
        f"{F}/ottoq-simulator", json={"action": "start", "config": {"reset_minutes": [9, 2]}}
    )
    assert response.status_code == 422
    assert (await _simulator(client))["simulator"]["is_running"] is False
    with pytest.raises(Invalid, match="unknown"):
        SimConfig().merged({"warp": 9})


async def test_the_draws_are_the_same_in_python_and_in_sql(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        in_sql = await conn.fetchval("SELECT ottoq_sim_draw('7:1:soc:abc')")
    assert in_sql == pytest.approx(draw(7, 1, "soc", "abc"))
    assert weighted(0.0, {"A": 1, "B": 3}) == "A" and weighted(0.5, {"A": 1, "B": 3}) == "B"


async def test_a_simulated_network_is_built_set_based_and_only_once(pool: asyncpg.Pool) -> None:
    size = NetworkSize(vehicles=250, depots=5)
    async with pool.acquire() as conn:
        first = await build_network(conn, size, seed=3)
        again = await build_network(conn, size, seed=3)
        homes = await conn.fetch(
            "SELECT d.city_id = v.city_id AS same_city, count(*) FROM ottoq_vehicles v"
            " JOIN ottoq_depots d ON d.id = v.home_depot_id"
            " WHERE v.external_ref LIKE 'SIM-%' GROUP BY 1"
        )
    assert first == {"cities": 3, "depots": 5, "resources": 260, "vehicles": 250}
    assert again == {"cities": 0, "depots": 0, "resources": 0, "vehicles": 0}
    assert [(r["same_city"], r["count"]) for r in homes] == [(True, 250)]
    assert auto_report_seconds(900) == 60 and auto_report_seconds(100_000) == 333
