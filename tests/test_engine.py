"""The engine's life cycle paths on the controlled clock: booking, queue, expiry, moves."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from ottoq.clock import ManualClock
from ottoq.context import Ctx
from ottoq.db.tx import in_transaction
from ottoq.errors import Conflict, Invalid, NotFound
from ottoq.fleet import service as fleet
from ottoq.jobs import queries
from ottoq.jobs.scheduler import tick
from ottoq.jobs.service import JobRequest, cancel_job, request_job
from tests.helpers import NASHVILLE_NORTH, events_of, job, set_in_service, vehicle_id

MIN = timedelta(minutes=1)


def _req(ref: str, job_type: str = "CHARGE", **extra: object) -> JobRequest:
    return JobRequest(
        vehicle_ref=ref, job_type=job_type, preferred_depot_id=NASHVILLE_NORTH, **extra
    )  # type: ignore[arg-type]


async def _request(pool: asyncpg.Pool, ctx: Ctx, req: JobRequest) -> dict:
    outcome = await in_transaction(pool, lambda c: request_job(c, ctx, req))
    return outcome.job


async def _scarce(pool: asyncpg.Pool, stalls: int = 1) -> None:
    async with pool.acquire() as conn:
        await set_in_service(conn, NASHVILLE_NORTH, "CHARGE_STALL", stalls)
        await conn.execute(
            "UPDATE ottoq_depots SET config_jsonb = config_jsonb || $2 WHERE id = $1",
            NASHVILLE_NORTH,
            {"durations": {"CHARGE": [40, 0]}},
        )


async def _check(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        assert await queries.invariant_violations(conn) == []
        assert await queries.double_bookings(conn) == []


async def test_same_key_same_body_replays_and_other_body_is_refused(
    pool: asyncpg.Pool, ctx: Ctx
) -> None:
    req = _req("Nashville-00001", idempotency_key="k-1")
    first = await in_transaction(pool, lambda c: request_job(c, ctx, req))
    again = await in_transaction(pool, lambda c: request_job(c, ctx, req))
    assert first.created and not again.created
    assert again.job["id"] == first.job["id"]
    with pytest.raises(Invalid, match="Idempotency-Key"):
        await _request(pool, ctx, replace(req, job_type="DETAILING"))


async def test_racing_requests_with_one_key_make_one_job(pool: asyncpg.Pool, ctx: Ctx) -> None:
    req = _req("Nashville-00002", idempotency_key="race-key")
    outcomes = await asyncio.gather(
        *(in_transaction(pool, lambda c: request_job(c, ctx, req)) for _ in range(6))
    )
    assert len({o.job["id"] for o in outcomes}) == 1
    assert sum(o.created for o in outcomes) == 1


async def test_second_open_job_of_a_type_is_a_conflict_naming_it(
    pool: asyncpg.Pool, ctx: Ctx
) -> None:
    first = await _request(pool, ctx, _req("Nashville-00003"))
    with pytest.raises(Conflict, match=str(first["id"])):
        await _request(pool, ctx, _req("Nashville-00003"))
    with pytest.raises(NotFound):
        await _request(pool, ctx, _req("Nowhere-99999"))


async def test_full_stalls_queue_by_charge_and_book_when_a_window_opens(
    pool: asyncpg.Pool, ctx: Ctx, clock: ManualClock
) -> None:
    await _scarce(pool)
    ctx = Ctx(replace(ctx.settings, booking_horizon=timedelta(minutes=30)), clock)
    holder = await _request(pool, ctx, _req("Nashville-00010"))
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE ottoq_vehicles SET soc = 0.6 WHERE external_ref = $1", "Nashville-00011"
        )
        await conn.execute(
            "UPDATE ottoq_vehicles SET soc = 0.1 WHERE external_ref = $1", "Nashville-00012"
        )
    fuller = await _request(pool, ctx, _req("Nashville-00011"))
    emptier = await _request(pool, ctx, _req("Nashville-00012"))
    assert holder["state"] == "SCHEDULED"
    assert fuller["state"] == emptier["state"] == "PENDING"
    assert emptier["queue_position"] == 1 and emptier["predicted_start_at"] is not None

    await in_transaction(pool, lambda c: cancel_job(c, ctx, holder["id"], "changed plans"))
    summary = await tick(pool, ctx)
    assert summary.job_ids["booked"] == [str(emptier["id"])]
    async with pool.acquire() as conn:
        assert (await job(conn, emptier["id"]))["state"] == "SCHEDULED"
        assert (await job(conn, fuller["id"]))["state"] == "PENDING"
    await _check(pool)


async def test_no_show_expires_after_grace_and_frees_the_stall(
    pool: asyncpg.Pool, ctx: Ctx, clock: ManualClock
) -> None:
    booked = await _request(pool, ctx, _req("Nashville-00020"))
    clock.advance(ctx.settings.arrival_grace - MIN)
    assert "expired" not in (await tick(pool, ctx)).job_ids
    clock.advance(2 * MIN)
    summary = await tick(pool, ctx)
    assert summary.job_ids["expired"] == [str(booked["id"])]
    async with pool.acquire() as conn:
        status = await conn.fetchval(
            "SELECT status FROM ottoq_resources WHERE id = $1", booked["resource_id"]
        )
        assert status == "AVAILABLE"
        assert await events_of(conn, booked["id"]) == [
            "JOB_CREATED",
            "JOB_SCHEDULED",
            "JOB_EXPIRED",
        ]
        vehicle = await conn.fetchval(
            "SELECT status FROM ottoq_vehicles WHERE id = $1", booked["vehicle_id"]
        )
        assert vehicle == "IDLE"


async def test_an_early_departure_pulls_the_next_booking_forward(
    pool: asyncpg.Pool, ctx: Ctx, clock: ManualClock
) -> None:
    await _scarce(pool)
    first = await _request(pool, ctx, _req("Nashville-00030"))
    second = await _request(pool, ctx, _req("Nashville-00031"))
    assert second["scheduled_start_at"] == first["scheduled_end_at"]
    for ref in ("Nashville-00030", "Nashville-00031"):
        await in_transaction(pool, lambda c, r=ref: fleet.arrive(c, ctx, r, None))
    await tick(pool, ctx)

    clock.advance(10 * MIN)
    await in_transaction(pool, lambda c: fleet.depart(c, ctx, "Nashville-00030"))
    summary = await tick(pool, ctx)
    assert summary.job_ids["moved"] == [str(second["id"])]
    assert summary.job_ids["activated"] == [str(second["id"])]
    async with pool.acquire() as conn:
        moved = await job(conn, second["id"])
        assert moved["started_at"] == clock.now()
        assert (await job(conn, first["id"]))["completed_at"] == clock.now()
    await _check(pool)


async def test_a_departure_just_before_the_next_window_still_pulls_it_forward(
    pool: asyncpg.Pool, ctx: Ctx, clock: ManualClock
) -> None:
    # The freed stall shows RESERVED (the next window starts within the reserve lead); it is
    # free all the same, and the vehicle booked on it is there.
    await _scarce(pool)
    first = await _request(pool, ctx, _req("Nashville-00032"))
    second = await _request(pool, ctx, _req("Nashville-00033"))
    for ref in ("Nashville-00032", "Nashville-00033"):
        await in_transaction(pool, lambda c, r=ref: fleet.arrive(c, ctx, r, None))
    await tick(pool, ctx)

    clock.advance(30 * MIN)
    await in_transaction(pool, lambda c: fleet.depart(c, ctx, "Nashville-00032"))
    summary = await tick(pool, ctx)
    assert summary.job_ids["moved"] == [str(second["id"])]
    async with pool.acquire() as conn:
        assert (await job(conn, second["id"]))["started_at"] == clock.now()
        assert (await job(conn, first["id"]))["completed_at"] == clock.now()
    await _check(pool)


async def test_a_late_arrival_overruns_and_pushes_the_booking_behind_it(
    pool: asyncpg.Pool, ctx: Ctx, clock: ManualClock
) -> None:
    await _scarce(pool)
    first = await _request(pool, ctx, _req("Nashville-00040"))
    second = await _request(pool, ctx, _req("Nashville-00041"))
    clock.advance(10 * MIN)
    await in_transaction(pool, lambda c: fleet.arrive(c, ctx, "Nashville-00040", None))
    await tick(pool, ctx)

    clock.advance(30 * MIN)
    summary = await tick(pool, ctx)
    assert summary.job_ids["extended"] == [str(first["id"])]
    async with pool.acquire() as conn:
        running = await job(conn, first["id"])
        pushed = await job(conn, second["id"])
        assert running["scheduled_end_at"] == running["started_at"] + 40 * MIN
        assert pushed["state"] == "SCHEDULED"
        assert pushed["scheduled_start_at"] == running["scheduled_end_at"]
        assert "JOB_BUMPED" in await events_of(conn, second["id"])
    await _check(pool)


async def test_telemetry_races_open_exactly_one_charge_job(pool: asyncpg.Pool, ctx: Ctx) -> None:
    reading = fleet.Reading(vehicle_ref="Austin-00100", soc=0.12)
    results = await asyncio.gather(
        *(in_transaction(pool, lambda c: fleet.ingest(c, ctx, reading)) for _ in range(8))
    )
    assert sum(r["job_triggered"] is not None for r in results) == 1
    async with pool.acquire() as conn:
        count = await conn.fetchval(
            "SELECT count(*) FROM ottoq_jobs WHERE vehicle_id = $1", vehicle_id("Austin-00100")
        )
        assert count == 1


async def test_a_threshold_of_zero_means_zero(pool: asyncpg.Pool, ctx: Ctx) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE ottoq_depots SET config_jsonb = config_jsonb || '{\"charge_threshold_soc\": 0}'"
        )
    low = await in_transaction(
        pool, lambda c: fleet.ingest(c, ctx, fleet.Reading(vehicle_ref="Austin-00101", soc=0.01))
    )
    empty = await in_transaction(
        pool, lambda c: fleet.ingest(c, ctx, fleet.Reading(vehicle_ref="Austin-00102", soc=0.0))
    )
    assert low["job_triggered"] is None
    assert empty["job_triggered"] is not None


async def test_an_older_reading_is_logged_but_does_not_roll_back(
    pool: asyncpg.Pool, ctx: Ctx, clock: ManualClock
) -> None:
    now = clock.now()
    await in_transaction(
        pool,
        lambda c: fleet.ingest(c, ctx, fleet.Reading(vehicle_ref="Austin-00103", soc=0.7, ts=now)),
    )
    stale = await in_transaction(
        pool,
        lambda c: fleet.ingest(
            c, ctx, fleet.Reading(vehicle_ref="Austin-00103", soc=0.1, ts=now - 5 * MIN)
        ),
    )
    assert stale["vehicle"]["soc"] == 0.7 and stale["job_triggered"] is None
    async with pool.acquire() as conn:
        assert (await events_of(conn, vehicle_id("Austin-00103"))).count("VEHICLE_TELEMETRY") == 2


async def test_a_position_at_the_depot_counts_as_arrival(pool: asyncpg.Pool, ctx: Ctx) -> None:
    booked = await _request(pool, ctx, _req("Nashville-00050"))
    far = fleet.Reading(vehicle_ref="Nashville-00050", lat=36.10, lon=-86.70)
    near = fleet.Reading(vehicle_ref="Nashville-00050", lat=36.1936, lon=-86.7678)
    assert (await in_transaction(pool, lambda c: fleet.ingest(c, ctx, far)))["vehicle"][
        "status"
    ] == "ENROUTE_DEPOT"
    assert (await in_transaction(pool, lambda c: fleet.ingest(c, ctx, near)))["vehicle"][
        "status"
    ] == "AT_DEPOT"
    async with pool.acquire() as conn:
        assert (await job(conn, booked["id"]))["arrived_at"] is not None


async def test_cancelling_twice_reports_the_finished_job(pool: asyncpg.Pool, ctx: Ctx) -> None:
    booked = await _request(pool, ctx, _req("Nashville-00060"))
    changed, _ = await in_transaction(pool, lambda c: cancel_job(c, ctx, booked["id"], None))
    again, finished = await in_transaction(pool, lambda c: cancel_job(c, ctx, booked["id"], None))
    assert changed and not again and finished["state"] == "CANCELLED"
    await _check(pool)


async def test_a_batch_of_readings_is_stored_in_order_all_or_nothing(
    client: AsyncTestClient, pool: asyncpg.Pool
) -> None:
    batch = [
        {"vehicle_id": "Austin-00150", "soc": soc, "odometer_km": km}
        for soc, km in ((0.5, 100.0), (0.3, 110.0), (0.15, 120.0))
    ]
    response = await client.post("/functions/v1/ottoq-vehicles-telemetry", json=batch)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [r["job_triggered"] is not None for r in body["results"]] == [False, False, True]

    broken = [*batch, {"vehicle_id": "Nowhere-1", "soc": 0.5}]
    assert (
        await client.post("/functions/v1/ottoq-vehicles-telemetry", json=broken)
    ).status_code == 404
    async with pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT count(*) FROM ottoq_events WHERE entity_id = $1 AND event_type ="
            " 'VEHICLE_TELEMETRY'",
            vehicle_id("Austin-00150"),
        )
        assert stored == 3
