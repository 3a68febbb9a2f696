"""Maintenance rules open their jobs when due: local time across DST, and by distance."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import asyncpg
from litestar.testing import AsyncTestClient

from ottoq.clock import ManualClock
from ottoq.context import Ctx
from ottoq.db.tx import in_transaction
from ottoq.fleet import service as fleet
from ottoq.jobs.scheduler import tick
from ottoq.jobs.service import cancel_job
from tests.helpers import vehicle_id

F = "/functions/v1"
LA = ZoneInfo("America/Los_Angeles")


async def _open_jobs(pool: asyncpg.Pool, ref: str) -> list[dict]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT * FROM ottoq_jobs WHERE vehicle_id = $1 ORDER BY created_at", vehicle_id(ref)
        )
    return [dict(r) for r in rows]


async def test_monday_six_am_in_los_angeles_on_both_sides_of_dst(
    client: AsyncTestClient, pool: asyncpg.Pool, ctx: Ctx, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 2, 28, 12, 0, tzinfo=UTC))
    created = await client.post(
        f"{F}/ottoq-schedules-upsert",
        json={
            "vehicle_id": "LosAngeles-00007",
            "rule_type": "weekly",
            "rule_jsonb": {"weekday": "MON", "time": "06:00", "task": "Brake check"},
        },
    )
    assert created.status_code == 201
    updated = await client.post(
        f"{F}/ottoq-schedules-upsert",
        json={
            "vehicle_id": "LosAngeles-00007",
            "rule_type": "weekly",
            "rule_jsonb": {"weekday": "MON", "time": "06:00", "task": "Brake check"},
        },
    )
    assert updated.status_code == 200
    assert updated.json()["schedule"]["id"] == created.json()["schedule"]["id"]

    opened_at = []
    # 2026-03-02 is in PST (UTC-8), 2026-03-09 in PDT (UTC-7): 06:00 local both times.
    for due_utc in (
        datetime(2026, 3, 2, 14, 0, tzinfo=UTC),
        datetime(2026, 3, 9, 13, 0, tzinfo=UTC),
    ):
        clock.set(datetime.fromtimestamp(due_utc.timestamp() - 60, UTC))
        assert (await tick(pool, ctx)).counts["maintenance_opened"] == 0
        clock.set(due_utc)
        assert (await tick(pool, ctx)).counts["maintenance_opened"] == 1
        job = (await _open_jobs(pool, "LosAngeles-00007"))[-1]
        opened_at.append(job["requested_start_at"])
        assert job["metadata_jsonb"]["task"] == "Brake check"
        await in_transaction(pool, lambda c, j=job["id"]: cancel_job(c, ctx, j, "test"))

    assert [t.astimezone(LA).strftime("%a %H:%M") for t in opened_at] == ["Mon 06:00"] * 2


async def test_an_odometer_rule_opens_its_job_when_the_distance_is_covered(
    pool: asyncpg.Pool, ctx: Ctx, client: AsyncTestClient
) -> None:
    ref = "Austin-00200"
    await client.post(
        f"{F}/ottoq-vehicles-telemetry", json={"vehicle_id": ref, "odometer_km": 10_000}
    )
    response = await client.post(
        f"{F}/ottoq-schedules-upsert",
        json={
            "vehicle_id": ref,
            "rule_type": "odometer_interval",
            "rule_jsonb": {"interval_km": 5000, "job_type": "MAINTENANCE", "task": "Tyre rotation"},
        },
    )
    assert response.status_code == 201

    await in_transaction(
        pool, lambda c: fleet.ingest(c, ctx, fleet.Reading(vehicle_ref=ref, odometer_km=14_999))
    )
    assert await _open_jobs(pool, ref) == []
    await in_transaction(
        pool, lambda c: fleet.ingest(c, ctx, fleet.Reading(vehicle_ref=ref, odometer_km=15_001))
    )
    jobs = await _open_jobs(pool, ref)
    assert [(j["job_type"], j["metadata_jsonb"]["task"]) for j in jobs] == [
        ("MAINTENANCE", "Tyre rotation")
    ]
