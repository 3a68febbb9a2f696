"""The official Supabase Python client, unmodified, invokes every write function and reads back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from supabase import Client, create_client

from ottoq.clock import ManualClock
from ottoq.settings import Settings
from tests.helpers import NASHVILLE_NORTH, vehicle_id
from tests.live import live_server

ANON, SERVICE = "anon-key-supabase-test", "service-key-supabase-test"
VID = str(vehicle_id("Nashville-00042"))


@pytest.fixture
def urls(db_dsn: str, clock: ManualClock) -> Iterator[str]:
    settings = Settings(clock="manual", anon_key=ANON, service_key=SERVICE)
    with live_server(settings, db_dsn, clock) as url:
        yield url


def _invoke(
    client: Client, name: str, body: dict[str, Any] | None = None, method: str = "POST"
) -> Any:
    options: dict[str, Any] = {"method": method}
    if body is not None:
        options["body"] = body
    raw = client.functions.invoke(name, invoke_options=options)
    return json.loads(raw)


def test_every_write_function_through_the_official_client(urls: str) -> None:
    service = create_client(urls, SERVICE)
    anon = create_client(urls, ANON)

    reading = _invoke(service, "ottoq-vehicles-telemetry", {"vehicle_id": VID, "soc": 0.5})
    assert reading["success"] and reading["job_triggered"] is None
    requested = _invoke(
        service,
        "ottoq-jobs-request",
        {"vehicle_id": VID, "job_type": "CHARGE", "preferred_depot_id": str(NASHVILLE_NORTH)},
    )
    job = requested["job"]
    assert job["state"] == "SCHEDULED" and job["resource_id"]

    arrived = _invoke(service, "ottoq-vehicles-arrive", {"vehicle_id": VID})
    assert arrived["status"] == "AT_DEPOT"
    ticked = _invoke(service, "ottoq-scheduler", {"process_transitions": True})
    assert ticked["transitions"]["activated"] == 1
    schedule = _invoke(
        service,
        "ottoq-schedules-upsert",
        {"vehicle_id": VID, "rule_type": "daily", "rule_jsonb": {"time": "06:00"}},
    )
    assert schedule["schedule"]["rule_type"] == "daily"
    cancelled = _invoke(service, f"ottoq-jobs-cancel/{job['id']}", {"reason": "test"})
    assert cancelled["job"]["state"] == "CANCELLED"

    status = _invoke(anon, f"ottoq-vehicles-status/{VID}", method="GET")
    assert status["vehicle"]["external_ref"] == "Nashville-00042"
    grid = _invoke(anon, f"ottoq-depots-resources/{NASHVILLE_NORTH}", method="GET")
    cell = next(r for r in grid["resources"] if r["id"] == job["resource_id"])
    assert cell["status"] == "AVAILABLE"
    config = _invoke(anon, "ottoq-config", method="GET")
    assert config["branding"] == "Powered by OTTO-Q Technology"


def test_the_anon_key_cannot_write_through_the_client(urls: str) -> None:
    from supabase_functions.errors import FunctionsHttpError

    anon = create_client(urls, ANON)
    with pytest.raises(FunctionsHttpError):
        _invoke(anon, "ottoq-jobs-request", {"vehicle_id": VID, "job_type": "CHARGE"})
