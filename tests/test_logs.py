"""Logs: JSON lines with a dotted event name, a request or tick id bound, and no secrets."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import asyncpg
import structlog
from litestar.testing import AsyncTestClient
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

from ottoq.clock import ManualClock
from ottoq.context import Ctx
from ottoq.jobs.scheduler import tick
from ottoq.logs import processors
from tests.helpers import NASHVILLE_NORTH, vehicle_id

F = "/functions/v1"


def test_json_lines_carry_the_bound_id_and_no_secrets() -> None:
    out = io.StringIO()
    logger = structlog.wrap_logger(structlog.PrintLogger(file=out), processors=processors(True))
    with structlog.contextvars.bound_contextvars(request_id="req-1"):
        logger.info(
            "webhook.created",
            secret="whsec_c2VjcmV0",
            dsn="postgresql://ottoq:hunter2@db/ottoq",
            note="made with whsec_c2VjcmV0 via postgresql://ottoq:hunter2@db/ottoq",
            key_seen="ottoq_service_abcDEF123",
        )

    line = json.loads(out.getvalue())
    assert line["event"] == "webhook.created" and line["request_id"] == "req-1"
    assert line["level"] == "info" and line["timestamp"].endswith("Z")
    assert line["secret"] == "***" and line["dsn"] == "***"
    text = out.getvalue()
    assert "c2VjcmV0" not in text and "hunter2" not in text and "abcDEF123" not in text
    assert "postgresql://ottoq:***@db/ottoq" in line["note"]


async def test_every_line_of_a_request_carries_its_request_id(client: AsyncTestClient) -> None:
    body = {"vehicle_id": str(vehicle_id("Nashville-00007")), "job_type": "CHARGE"}
    with capture_logs(processors=[merge_contextvars]) as lines:
        response = await client.post(
            f"{F}/ottoq-jobs-request", json=body, headers={"X-Request-ID": "trace-7"}
        )
    assert response.status_code == 201
    events = {line["event"]: line for line in lines}
    assert events["job.created"]["request_id"] == "trace-7"
    assert events["job.scheduled"]["request_id"] == "trace-7"


async def test_every_line_of_a_tick_carries_its_tick_id(
    client: AsyncTestClient, pool: asyncpg.Pool, ctx: Ctx, clock: ManualClock
) -> None:
    body = {
        "vehicle_id": str(vehicle_id("Nashville-00008")),
        "job_type": "CHARGE",
        "preferred_depot_id": str(NASHVILLE_NORTH),
        "earliest_start_at": (clock.now() + timedelta(hours=2)).isoformat(),
    }
    assert (await client.post(f"{F}/ottoq-jobs-request", json=body)).status_code == 201
    clock.advance(timedelta(hours=3))

    with capture_logs(processors=[merge_contextvars]) as lines:
        summary = await tick(pool, ctx)
    assert summary.counts.get("expired") == 1
    assert lines and all(line.get("tick_id") == summary.tick_id for line in lines)
    assert "scheduler.tick" in {line["event"] for line in lines}


async def test_a_webhook_secret_never_reaches_the_logs(client: AsyncTestClient) -> None:
    with capture_logs(processors=[merge_contextvars]) as lines:
        response = await client.post(
            f"{F}/ottoq-webhooks", json={"url": "http://93.184.216.34/h?token=s3cr3t"}
        )
    secret = response.json()["webhook"]["secret"]
    assert lines
    assert secret not in repr(lines) and "s3cr3t" not in repr(lines)
