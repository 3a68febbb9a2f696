"""/metrics: parsed with prometheus_client's own parser, and the figures in it make sense."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families

from ottoq.metrics.collect import predicted_wait, utilization
from ottoq.settings import Settings
from tests.helpers import NASHVILLE_NORTH, set_in_service, vehicle_id

F = "/functions/v1"
NOW = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)


@pytest.fixture
def settings() -> Settings:
    # A short horizon, so that with one stall the second and third request queue (PENDING).
    return Settings(clock="manual", allow_keyless=True, booking_horizon=timedelta(minutes=5))


def _samples(text: str) -> dict[str, list[Any]]:
    """Every sample by sample name (counters keep their _total)."""
    found: dict[str, list[Any]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append(sample)
    return found


def _value(samples: list[Any], **labels: str) -> float:
    hits = [s.value for s in samples if all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(hits) == 1, (labels, hits)
    return float(hits[0])


async def test_metrics_parse_and_cover_queues_utilization_ticks_and_webhooks(
    client: AsyncTestClient, pool: asyncpg.Pool
) -> None:
    async with pool.acquire() as conn:
        await set_in_service(conn, NASHVILLE_NORTH, "CHARGE_STALL", 1)
    for n in range(1, 4):
        body = {"vehicle_id": str(vehicle_id(f"Nashville-{n:05d}")), "job_type": "CHARGE"}
        body["preferred_depot_id"] = str(NASHVILLE_NORTH)
        assert (await client.post(f"{F}/ottoq-jobs-request", json=body)).status_code == 201
    assert (await client.post(f"{F}/ottoq-scheduler", json={})).status_code == 200
    webhook = await client.post(f"{F}/ottoq-webhooks", json={"url": "http://93.184.216.34/"})
    status = await client.get(f"{F}/ottoq-vehicles-status/{vehicle_id('Nashville-00001')}")
    assert status.status_code == 200

    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)

    depot = str(NASHVILLE_NORTH)
    assert _value(samples["ottoq_database_ready"]) == 1
    assert _value(samples["ottoq_queue_length"], depot_id=depot, job_type="CHARGE") == 2
    wait = _value(samples["ottoq_queue_predicted_wait_seconds"], depot_id=depot, job_type="CHARGE")
    assert 0 < wait < math.inf
    assert _value(samples["ottoq_queue_length"], depot_id=depot, job_type="DETAILING") == 0
    ratio = samples["ottoq_utilization_ratio"]
    assert len(ratio) == 6 * 3 and all(0 <= s.value <= 1 for s in ratio)
    out = _value(
        samples["ottoq_resources"], depot_id=depot, resource_type="CHARGE_STALL", status="RESERVED"
    )
    assert out == 1

    route = "/functions/v1/ottoq-vehicles-status/{vehicle_id}"
    routes = {s.labels["route"] for s in samples["ottoq_http_requests_total"]}
    assert route in routes, routes
    assert not any(str(vehicle_id("Nashville-00001")) in r for r in routes)
    latency = samples["ottoq_http_request_duration_seconds_count"]
    assert _value(latency, route=route, method="GET") >= 1
    assert _value(samples["ottoq_tick_duration_seconds_count"]) >= 1
    assert "ottoq_tick_transitions_per_tick_bucket" in samples

    webhook_id = webhook.json()["webhook"]["id"]
    assert _value(samples["ottoq_webhook_backlog_events"], webhook_id=webhook_id) >= 0
    assert _value(samples["ottoq_webhooks"], state="active") == 1
    assert "ottoq_webhook_endpoint_failures_total" in samples
    assert "ottoq_realtime_subscribers" in samples and "ottoq_realtime_lag_seconds" in samples


async def test_every_answer_carries_a_request_id(client: AsyncTestClient) -> None:
    given = await client.get("/health", headers={"X-Request-ID": "edge-42.a"})
    assert given.headers["x-request-id"] == "edge-42.a"
    made = await client.get("/health")
    assert len(made.headers["x-request-id"]) == 32
    odd = await client.get("/health", headers={"X-Request-ID": "no spaces <please>"})
    assert odd.headers["x-request-id"] != "no spaces <please>"


def test_predicted_wait_shares_resources_in_turn() -> None:
    free = [NOW, NOW + timedelta(minutes=30)]
    hour = timedelta(hours=1)
    assert predicted_wait(free, 0, hour, NOW) == 0
    assert predicted_wait(free, 1, hour, NOW) == 30 * 60
    assert predicted_wait(free, 2, hour, NOW) == 60 * 60
    assert predicted_wait([], 0, hour, NOW) == math.inf


def test_utilization_counts_only_resources_in_service() -> None:
    assert utilization({"BUSY": 1, "AVAILABLE": 1, "OUT_OF_SERVICE": 2}) == 0.5
    assert utilization({"OUT_OF_SERVICE": 3}) == 0
