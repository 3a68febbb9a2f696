"""Changes that realtime tests watch, made through the HTTP API on the controlled clock."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx

from ottoq.clock import ManualClock
from tests.helpers import vehicle_id

F = "/functions/v1"
VEHICLE = "Nashville-00042"
WAIT_S = 10.0


async def job_life(
    api: httpx.AsyncClient, clock: ManualClock, ref: str = VEHICLE
) -> dict[str, Any]:
    """A charge from low battery to done: its stall goes RESERVED, BUSY, then AVAILABLE."""
    vid = str(vehicle_id(ref))
    reading = await api.post(f"{F}/ottoq-vehicles-telemetry", json={"vehicle_id": vid, "soc": 0.18})
    assert reading.status_code == 200, reading.text
    job: dict[str, Any] = reading.json()["job_triggered"]["job"]
    assert job["state"] == "SCHEDULED"

    assert (await api.post(f"{F}/ottoq-vehicles-arrive", json={"vehicle_id": vid})).is_success
    await tick(api)
    clock.advance(timedelta(seconds=job["eta_seconds"]))
    await tick(api)
    return job


async def tick(api: httpx.AsyncClient) -> dict[str, Any]:
    response = await api.post(f"{F}/ottoq-scheduler", json={"process_transitions": True})
    assert response.status_code == 200, response.text
    summary: dict[str, Any] = response.json()
    return summary


async def take(queue: asyncio.Queue[Any], count: int) -> list[Any]:
    """The next `count` items, failing the test if they do not all arrive in time."""
    return [await asyncio.wait_for(queue.get(), WAIT_S) for _ in range(count)]
