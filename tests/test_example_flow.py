"""The brief's "Example Flow", step by step, through the HTTP API on the controlled clock."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
from litestar.testing import AsyncTestClient

from ottoq.clock import ManualClock
from ottoq.jobs import queries
from tests.helpers import NASHVILLE_NORTH, events_of, vehicle_id

F = "/functions/v1"


async def _tick(client: AsyncTestClient) -> dict:
    response = await client.post(f"{F}/ottoq-scheduler", json={"process_transitions": True})
    assert response.status_code == 200
    return response.json()


async def _cell(client: AsyncTestClient, resource_id: str) -> dict:
    grid = (await client.get(f"{F}/ottoq-depots-resources/{NASHVILLE_NORTH}")).json()
    return next(r for r in grid["resources"] if r["id"] == resource_id)


async def test_example_flow_reaches_all_eight_steps(
    client: AsyncTestClient, clock: ManualClock, pool: asyncpg.Pool
) -> None:
    vid = str(vehicle_id("Nashville-00042"))

    # 1-2. Low charge reported; a CHARGE job opens by itself.
    reading = await client.post(
        f"{F}/ottoq-vehicles-telemetry", json={"vehicle_id": vid, "soc": 0.18, "odometer_km": 15000}
    )
    assert reading.status_code == 200
    job = reading.json()["job_triggered"]["job"]
    assert job["job_type"] == "CHARGE"

    # 3-5. A stall was found, reserved, and the job is SCHEDULED with an ETA.
    assert job["state"] == "SCHEDULED" and job["resource_id"] and job["eta_seconds"] > 0
    cell = await _cell(client, job["resource_id"])
    assert cell["status"] == "RESERVED"
    assert cell["label"].startswith("Vehicle Nashville-00042 \u2014 Charging \u2014 ")

    # 6-7. The vehicle arrives; at the window the job goes ACTIVE and the stall BUSY.
    arrived = await client.post(f"{F}/ottoq-vehicles-arrive", json={"vehicle_id": vid})
    assert arrived.json()["status"] == "AT_DEPOT"
    summary = await _tick(client)
    assert summary["transitions"]["activated"] == 1
    cell = await _cell(client, job["resource_id"])
    assert cell["status"] == "BUSY" and cell["label"].endswith("m left")
    status = (await client.get(f"{F}/ottoq-vehicles-status/{vid}")).json()
    assert status["vehicle"]["status"] == "IN_SERVICE"
    assert status["assignment"]["state"] == "ACTIVE"

    # 8. The time runs out: the job completes, the stall is free, the battery is charged.
    clock.advance(timedelta(seconds=job["eta_seconds"]))
    summary = await _tick(client)
    assert summary["transitions"]["completed"] == 1
    assert (await _cell(client, job["resource_id"]))["status"] == "AVAILABLE"
    status = (await client.get(f"{F}/ottoq-vehicles-status/{vid}")).json()
    assert status["vehicle"]["status"] == "IDLE" and status["vehicle"]["soc"] >= 0.8
    assert status["assignment"] is None

    async with pool.acquire() as conn:
        assert await events_of(conn, job["id"]) == [
            "JOB_CREATED",
            "JOB_SCHEDULED",
            "JOB_ACTIVE",
            "JOB_COMPLETED",
        ]
        assert await events_of(conn, job["resource_id"]) == ["RESOURCE_STATUS_CHANGED"] * 3
        assert await queries.invariant_violations(conn) == []


async def test_brief_curl_examples_answer_2xx(client: AsyncTestClient) -> None:
    config = (await client.get(f"{F}/ottoq-config")).json()
    depot = config["cities"][0]["depots"][0]["id"]
    assert config["branding"] == "Powered by OTTO-Q Technology"
    vid = str(vehicle_id("Austin-00007"))
    other = str(vehicle_id("Austin-00008"))

    calls = [
        client.post(
            f"{F}/ottoq-vehicles-telemetry",
            json={"vehicle_id": vid, "soc": 0.18, "odometer_km": 15000},
        ),
        client.post(f"{F}/ottoq-jobs-request", json={"vehicle_id": other, "job_type": "CHARGE"}),
        client.get(f"{F}/ottoq-depots-resources/{depot}"),
        client.get(f"{F}/ottoq-vehicles-status/{vid}"),
        client.get(f"{F}/ottoq-config"),
    ]
    for call in calls:
        response = await call
        assert 200 <= response.status_code < 300, response.text


async def test_grid_has_fifty_cells_and_two_bays_in_contract_order(
    client: AsyncTestClient,
) -> None:
    grid = (await client.get(f"{F}/ottoq-depots-resources/{NASHVILLE_NORTH}?t=123")).json()
    kinds = [(r["type"], r["index"]) for r in grid["resources"]]
    assert kinds == (
        [("CHARGE_STALL", i) for i in range(1, 41)]
        + [("CLEAN_DETAIL_STALL", i) for i in range(41, 51)]
        + [("MAINTENANCE_BAY", i) for i in range(1, 3)]
    )
    assert {r["label"] for r in grid["resources"]} == {"Available"}
    assert grid["branding"] == "Powered by OTTO-Q Technology"
