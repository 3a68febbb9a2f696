"""Bad input and missing keys get a clear 4xx and change nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from ottoq.clock import ManualClock
from ottoq.settings import Settings
from ottoq.web.app import create_app
from tests.helpers import NASHVILLE_NORTH, vehicle_id

F = "/functions/v1"
ANON, SERVICE = "anon-key-for-tests", "service-key-for-tests"
VID = str(vehicle_id("Nashville-00042"))

WRITES = [
    (f"{F}/ottoq-vehicles-telemetry", {"vehicle_id": VID, "soc": 0.1}),
    (f"{F}/ottoq-jobs-request", {"vehicle_id": VID, "job_type": "CHARGE"}),
    (
        f"{F}/ottoq-schedules-upsert",
        {"vehicle_id": VID, "rule_type": "daily", "rule_jsonb": {"time": "06:00"}},
    ),
    (f"{F}/ottoq-scheduler", {}),
    (f"{F}/ottoq-vehicles-arrive", {"vehicle_id": VID}),
]


async def _fingerprint(pool: asyncpg.Pool) -> tuple[int, int, int]:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM ottoq_events) AS events,"
            " (SELECT count(*) FROM ottoq_jobs) AS jobs,"
            " (SELECT count(*) FROM ottoq_schedules) AS schedules"
        )
        return row["events"], row["jobs"], row["schedules"]


@pytest.fixture
async def keyed(db_dsn: str, clock: ManualClock) -> AsyncIterator[AsyncTestClient]:
    settings = Settings(clock="manual", anon_key=ANON, service_key=SERVICE)
    async with AsyncTestClient(app=create_app(settings, db_dsn, clock=clock)) as client:
        yield client


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"apikey": "wrong"},
        {"Authorization": "Bearer wrong"},
        {"apikey": ANON},
        {"Authorization": f"Bearer {ANON}"},
    ],
)
async def test_writes_without_the_service_key_are_refused_and_change_nothing(
    keyed: AsyncTestClient, pool: asyncpg.Pool, headers: dict[str, str]
) -> None:
    before = await _fingerprint(pool)
    for path, body in WRITES:
        response = await keyed.post(path, json=body, headers=headers)
        expected = 403 if ANON in str(headers) else 401
        assert response.status_code == expected, (path, response.text)
        assert "error" in response.json()
    assert await _fingerprint(pool) == before


async def test_anon_key_reads_and_service_key_writes(keyed: AsyncTestClient) -> None:
    read = await keyed.get(f"{F}/ottoq-config", headers={"apikey": ANON})
    assert read.status_code == 200
    assert (await keyed.get(f"{F}/ottoq-config")).status_code == 401
    write = await keyed.post(
        f"{F}/ottoq-jobs-request", json=WRITES[1][1], headers={"Authorization": f"Bearer {SERVICE}"}
    )
    assert write.status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b'{"vehicle_id": ', 400, "malformed JSON"),
        (b'{"vehicle_id": "x", "soc": "high"}', 422, "soc"),
        (b'{"vehicle_id": "x", "soc": 1.5}', 422, "soc"),
        (b'{"vehicle_id": "x", "soc": -0.1}', 422, "soc"),
        (b'{"vehicle_id": "x", "odometer_km": -3}', 422, "odometer_km"),
        (b'{"vehicle_id": "x", "ts": "2026-01-01T00:00:00"}', 422, "ts"),
        (b'{"soc": 0.5}', 422, "vehicle_id"),
        (b"[]", 422, "batch"),
        (b'"text"', 422, "object"),
        (b'{"vehicle_id": "nobody\'; DROP TABLE ottoq_jobs; --", "soc": 0.1}', 404, "not found"),
    ],
)
async def test_bad_telemetry_is_a_clear_4xx_and_changes_nothing(
    client: AsyncTestClient, pool: asyncpg.Pool, body: bytes, status: int, says: str
) -> None:
    before = await _fingerprint(pool)
    response = await client.post(
        f"{F}/ottoq-vehicles-telemetry", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == status, response.text
    assert says in response.json()["error"]
    assert await _fingerprint(pool) == before


async def test_other_bad_requests(client: AsyncTestClient, pool: asyncpg.Pool) -> None:
    before = await _fingerprint(pool)
    cases = [
        (f"{F}/ottoq-jobs-request", {"vehicle_id": VID, "job_type": "WASH"}, 422),
        (
            f"{F}/ottoq-jobs-request",
            {"vehicle_id": VID, "job_type": "CHARGE", "preferred_depot_id": "not-a-uuid"},
            422,
        ),
        (
            f"{F}/ottoq-jobs-request",
            {"vehicle_id": VID, "job_type": "CHARGE", "preferred_depot_id": str(vehicle_id("x"))},
            404,
        ),
        (
            f"{F}/ottoq-jobs-request",
            {"vehicle_id": VID, "job_type": "CHARGE", "metadata": {"ready_by": "tomorrow"}},
            422,
        ),
        (f"{F}/ottoq-jobs-cancel/{vehicle_id('nope')}", {}, 404),
        (
            f"{F}/ottoq-schedules-upsert",
            {"vehicle_id": VID, "rule_type": "weekly", "rule_jsonb": {"weekday": "MON"}},
            422,
        ),
    ]
    for path, body, status in cases:
        response = await client.post(path, json=body)
        assert response.status_code == status, (path, response.text)
        assert response.json()["error"]
    for path in (f"{F}/ottoq-vehicles-status/Nowhere-1", f"{F}/ottoq-depots-resources/abc"):
        assert (await client.get(path)).status_code == 404
    assert await _fingerprint(pool) == before


async def test_oversized_bodies_are_refused(
    db_dsn: str, clock: ManualClock, pool: asyncpg.Pool
) -> None:
    settings = Settings(clock="manual", allow_keyless=True, max_body_bytes=1000)
    async with AsyncTestClient(app=create_app(settings, db_dsn, clock=clock)) as client:
        body = {"vehicle_id": VID, "health": {"note": "x" * 5000}}
        response = await client.post(f"{F}/ottoq-vehicles-telemetry", json=body)
    assert response.status_code == 413
    assert "error" in response.json()


async def test_cors_preflight_allows_the_supabase_headers(client: AsyncTestClient) -> None:
    response = await client.options(
        f"{F}/ottoq-jobs-request",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, x-client-info, apikey, "
            "content-type, idempotency-key",
        },
    )
    assert response.status_code in (200, 204)
    allowed = response.headers["access-control-allow-headers"].lower()
    for header in ("authorization", "x-client-info", "apikey", "content-type", "idempotency-key"):
        assert header in allowed


async def test_health_and_openapi(client: AsyncTestClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    spec = (await client.get("/openapi.json")).json()
    assert f"{F}/ottoq-jobs-request" in spec["paths"]
    assert (await client.get(f"{F}/ottoq-depots-resources/{NASHVILLE_NORTH}/")).status_code == 200


async def test_what_a_first_user_broke(client: AsyncTestClient, pool: asyncpg.Pool) -> None:
    before = await _fingerprint(pool)
    nested = "[" * 5000 + "]" * 5000
    deep = await client.post(
        f"{F}/ottoq-jobs-request",
        headers={"content-type": "application/json"},
        content=f'{{"vehicle_id": "{VID}", "job_type": "CHARGE", "metadata": {{"x": {nested}}}}}',
    )
    assert deep.status_code == 400 and "nested too deeply" in deep.json()["error"]

    future = await client.post(
        f"{F}/ottoq-vehicles-telemetry",
        json={"vehicle_id": VID, "soc": 0.5, "ts": "2099-01-01T00:00:00Z"},
    )
    assert future.status_code == 422 and "future" in future.json()["error"]

    elsewhere = await client.post(
        f"{F}/ottoq-jobs-request",
        json={
            "vehicle_id": "Austin-00200",
            "job_type": "CHARGE",
            "preferred_depot_id": str(NASHVILLE_NORTH),
        },
    )
    assert elsewhere.status_code == 422 and "not in the city" in elsewhere.json()["error"]
    assert await _fingerprint(pool) == before
