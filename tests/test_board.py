"""The depot board's reads: the queue with predicted starts, utilization, the caller's role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from ottoq.clock import ManualClock
from ottoq.jobs.forecast import predicted_start
from ottoq.settings import Settings
from ottoq.web.app import create_app
from tests.conftest import START
from tests.helpers import NASHVILLE_NORTH, set_in_service

F = "/functions/v1"
ANON, SERVICE = "anon-key-for-tests", "service-key-for-tests"


@pytest.fixture
async def short_horizon(
    db_dsn: str, settings: Settings, clock: ManualClock
) -> AsyncIterator[AsyncTestClient]:
    """A depot that books only an hour ahead, so that long jobs queue up."""
    app = create_app(settings.with_(booking_horizon=timedelta(hours=1)), db_dsn, clock=clock)
    async with AsyncTestClient(app=app) as client:
        yield client


async def _request(client: AsyncTestClient, ref: str, job_type: str) -> dict:
    body = {"vehicle_id": ref, "job_type": job_type, "preferred_depot_id": str(NASHVILLE_NORTH)}
    response = await client.post(f"{F}/ottoq-jobs-request", json=body)
    assert response.status_code == 201, response.text
    return response.json()["job"]


async def test_queue_lists_pending_jobs_in_order_with_the_job_apis_prediction(
    short_horizon: AsyncTestClient, pool: asyncpg.Pool, clock: ManualClock
) -> None:
    async with pool.acquire() as conn:
        await set_in_service(conn, NASHVILLE_NORTH, "MAINTENANCE_BAY", 1)
    first = await _request(short_horizon, "Nashville-00001", "MAINTENANCE")
    queued = []
    for ref in ("Nashville-00002", "Nashville-00003"):
        clock.advance(timedelta(minutes=1))  # requested a minute apart: the first waited longer
        queued.append(await _request(short_horizon, ref, "MAINTENANCE"))
    assert first["state"] == "SCHEDULED"
    assert [j["state"] for j in queued] == ["PENDING", "PENDING"]

    response = await short_horizon.get(f"{F}/ottoq-depots-queue/{NASHVILLE_NORTH}")
    assert response.status_code == 200
    body = response.json()
    assert body["queue_lengths"] == {"CHARGE": 0, "DETAILING": 0, "MAINTENANCE": 2}
    shown = [(j["job_id"], j["queue_position"], j["predicted_start_at"]) for j in body["jobs"]]
    for job in queued:
        card = (await short_horizon.get(f"{F}/ottoq-vehicles-status/{job['vehicle_id']}")).json()
        expected = card["assignment"]
        assert (job["id"], expected["queue_position"], expected["predicted_start_at"]) in shown
    assert [j["external_ref"] for j in body["jobs"]] == ["Nashville-00002", "Nashville-00003"]

    limited = (await short_horizon.get(f"{F}/ottoq-depots-queue/{NASHVILLE_NORTH}?limit=1")).json()
    assert len(limited["jobs"]) == 1 and limited["queue_lengths"]["MAINTENANCE"] == 2


async def test_queue_and_utilization_of_unknown_depots_are_404(client: AsyncTestClient) -> None:
    for name in ("ottoq-depots-queue", "ottoq-depots-utilization"):
        for depot in ("not-a-uuid", "00000000-0000-4000-8000-000000000000"):
            response = await client.get(f"{F}/{name}/{depot}")
            assert response.status_code == 404 and "error" in response.json()


async def test_utilization_counts_the_time_each_stall_was_at_work(
    client: AsyncTestClient, clock: ManualClock
) -> None:
    job = await _request(client, "Nashville-00042", "CHARGE")
    await client.post(f"{F}/ottoq-vehicles-arrive", json={"vehicle_id": job["vehicle_id"]})
    await client.post(f"{F}/ottoq-scheduler", json={})
    clock.advance(timedelta(minutes=45))

    url = f"{F}/ottoq-depots-utilization/{NASHVILLE_NORTH}?hours=2&step_minutes=30"
    body = (await client.get(url)).json()
    assert body["step_seconds"] == 1800 and len(body["steps"]) == 4
    assert datetime.fromisoformat(body["since"]) == START + timedelta(minutes=45 - 120)
    charging = [s["busy"]["CHARGE_STALL"] for s in body["steps"]]
    # Work began at START, 15 minutes into the third step, and runs on until now.
    assert charging == [0.0, 0.0, 0.5, 1.0]
    assert body["capacity"]["CHARGE_STALL"] == {"total": 40, "in_service": 40}
    assert body["capacity"]["MAINTENANCE_BAY"]["total"] == 2


async def test_utilization_refuses_out_of_range_windows(client: AsyncTestClient) -> None:
    for query in ("hours=0", "hours=49", "step_minutes=1", "hours=x"):
        response = await client.get(f"{F}/ottoq-depots-utilization/{NASHVILLE_NORTH}?{query}")
        assert response.status_code in (400, 422), query


def test_prediction_takes_resources_in_turn() -> None:
    now = START
    free = [now + timedelta(minutes=30), now + timedelta(minutes=10)]
    hour = timedelta(hours=1)
    assert predicted_start(free, now, now, 1, hour) == now + timedelta(minutes=10)
    assert predicted_start(free, now, now, 2, hour) == now + timedelta(minutes=30)
    assert predicted_start(free, now, now, 3, hour) == now + timedelta(minutes=70)
    assert predicted_start([], now, now, 1, hour) is None
    later = now + timedelta(hours=5)
    assert predicted_start(free, now, later, 1, hour) == later


async def test_whoami_names_the_role_of_the_key(db_dsn: str, clock: ManualClock) -> None:
    settings = Settings(clock="manual", anon_key=ANON, service_key=SERVICE)
    async with AsyncTestClient(app=create_app(settings, db_dsn, clock=clock)) as client:
        url = f"{F}/ottoq-whoami"
        assert (await client.get(url, headers={"apikey": ANON})).json() == {"role": "anon"}
        bearer = {"Authorization": f"Bearer {SERVICE}"}
        assert (await client.get(url, headers=bearer)).json() == {"role": "service"}
        assert (await client.get(f"{url}?apikey={ANON}")).json() == {"role": "anon"}
        assert (await client.get(url)).status_code == 401
        assert (await client.get(url, headers={"apikey": "wrong"})).status_code == 401


async def test_keyless_local_mode_is_the_service(client: AsyncTestClient) -> None:
    assert (await client.get(f"{F}/ottoq-whoami")).json() == {"role": "service"}


async def test_the_dashboard_is_served_without_a_key(db_dsn: str, clock: ManualClock) -> None:
    settings = Settings(clock="manual", anon_key=ANON, service_key=SERVICE)
    async with AsyncTestClient(app=create_app(settings, db_dsn, clock=clock)) as client:
        page = await client.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert "Powered by OTTO-Q Technology" in page.text
        script = await client.get("/dashboard/app.js")
        assert script.status_code == 200
        assert "javascript" in script.headers["content-type"]
        assert (await client.get("/dashboard/missing.js")).status_code == 404
