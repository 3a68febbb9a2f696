"""Webhook delivery end to end: a receiver on loopback goes down and comes back, nothing is lost.

Retries are driven by the ManualClock: a delivery step runs, the clock moves past the backoff,
the next step runs. Nothing sleeps to let time pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from ottoq.clock import ManualClock
from ottoq.context import Ctx
from ottoq.settings import Settings
from ottoq.webhooks import rules
from ottoq.webhooks.delivery import READ_LIMIT, StepReport, deliver_due
from ottoq.webhooks.sender import Sender
from tests.helpers import LA_DOWNTOWN, NASHVILLE_NORTH, vehicle_id
from tests.receiver import Receiver, event_ids

F = "/functions/v1"
HOOKS = f"{F}/ottoq-webhooks"

# Events that concern a depot, the way a subscriber's depot filter sees them.
EXPECTED = """
SELECT id FROM ottoq_events
WHERE id > $1 AND coalesce(payload_jsonb->>'depot_id', payload_jsonb->'new'->>'depot_id',
                           payload_jsonb->'new'->>'home_depot_id') = $2::text
ORDER BY id
"""


@pytest.fixture
def settings() -> Settings:
    return Settings(clock="manual", seed=42, allow_keyless=True, webhooks_allow_private=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.down()


@pytest.fixture
async def sender() -> Any:
    sender = Sender(timeout_s=5, allow_private=True)
    yield sender
    await sender.aclose()


async def _subscribe(client: AsyncTestClient, receiver: Receiver, **filters: Any) -> dict:
    response = await client.post(HOOKS, json={"url": receiver.url, **filters})
    assert response.status_code == 201, response.text
    webhook = response.json()["webhook"]
    receiver.secret = webhook["secret"]
    return webhook


async def _request_jobs(client: AsyncTestClient, refs: list[str], depot: object) -> None:
    for ref in refs:
        body = {"vehicle_id": str(vehicle_id(ref)), "job_type": "CHARGE"}
        response = await client.post(
            f"{F}/ottoq-jobs-request", json={**body, "preferred_depot_id": str(depot)}
        )
        assert response.status_code == 201, response.text


async def _webhook(pool: asyncpg.Pool, webhook_id: str) -> dict:
    row = await pool.fetchrow("SELECT * FROM ottoq_webhooks WHERE id = $1::uuid", webhook_id)
    assert row is not None
    return dict(row)


async def _until_quiet(pool: asyncpg.Pool, ctx: Ctx, sender: Sender) -> StepReport:
    """Delivery steps until one has nothing left to send; the totals of all of them."""
    total = StepReport()
    for _ in range(20):
        report = await deliver_due(pool, ctx, sender)
        total.delivered += report.delivered
        total.failed += report.failed
        if report.endpoints == 0:
            return total
    raise AssertionError("delivery never caught up")


async def test_every_event_arrives_in_order_after_an_outage(
    client: AsyncTestClient,
    pool: asyncpg.Pool,
    ctx: Ctx,
    clock: ManualClock,
    receiver: Receiver,
    sender: Sender,
) -> None:
    webhook = await _subscribe(client, receiver, depot_ids=[str(NASHVILLE_NORTH)])
    start = webhook["last_event_id"]
    await _request_jobs(client, ["Nashville-00001", "Nashville-00002"], NASHVILLE_NORTH)
    await _request_jobs(client, ["LosAngeles-00001"], LA_DOWNTOWN)

    # Down: nothing listens. The first event fails and waits for its backoff.
    report = await deliver_due(pool, ctx, sender)
    assert (report.delivered, report.failed) == (0, 1)
    state = await _webhook(pool, webhook["id"])
    assert state["failure_count"] == 1 and state["next_attempt_at"] > clock.now()
    assert (await deliver_due(pool, ctx, sender)).endpoints == 0

    # More happens during the outage; two more failed tries, then it answers 503 once.
    await _request_jobs(client, ["Nashville-00003"], NASHVILLE_NORTH)
    for _ in range(2):
        clock.advance(rules.BACKOFF_CAP)
        assert (await deliver_due(pool, ctx, sender)).failed == 1
    receiver.up()
    receiver.failing = True
    clock.advance(rules.BACKOFF_CAP)
    assert (await deliver_due(pool, ctx, sender)).failed == 1

    # Back: everything arrives, in order, once each, every signature good.
    receiver.failing = False
    clock.advance(rules.BACKOFF_CAP)
    await _until_quiet(pool, ctx, sender)
    expected = [r["id"] for r in await pool.fetch(EXPECTED, start, str(NASHVILLE_NORTH))]
    assert len(expected) >= 6
    assert event_ids(receiver) == expected
    assert receiver.message_ids == [rules.message_id(i) for i in expected]
    assert receiver.rejected == []

    attempts = (await client.get(f"{HOOKS}/{webhook['id']}/deliveries")).json()["deliveries"]
    assert len(attempts) == len(expected) + 4
    first_event = [a for a in reversed(attempts) if a["event_id"] == expected[0]]
    assert [a["attempt"] for a in first_event] == [1, 2, 3, 4, 5]
    assert [a["ok"] for a in first_event] == [False] * 4 + [True]
    assert first_event[3]["status_code"] == 503 and first_event[0]["error"]


async def test_two_workers_never_send_one_event_twice(
    client: AsyncTestClient, pool: asyncpg.Pool, ctx: Ctx, receiver: Receiver
) -> None:
    receiver.up()
    webhook = await _subscribe(client, receiver, event_types=["JOB_CREATED", "JOB_SCHEDULED"])
    refs = [f"Nashville-{n:05d}" for n in range(10, 30)]
    await _request_jobs(client, refs, NASHVILLE_NORTH)

    first, second = Sender(5, True), Sender(5, True)
    try:
        for _ in range(5):
            await asyncio.gather(deliver_due(pool, ctx, first), deliver_due(pool, ctx, second))
    finally:
        await first.aclose()
        await second.aclose()

    sent = await pool.fetchval(
        "SELECT count(*) FROM ottoq_events WHERE id > $1 AND event_type = ANY($2)",
        webhook["last_event_id"],
        ["JOB_CREATED", "JOB_SCHEDULED"],
    )
    assert len(receiver.message_ids) == sent == 2 * len(refs)
    assert len(set(receiver.message_ids)) == len(receiver.message_ids)
    assert event_ids(receiver) == sorted(event_ids(receiver))


async def test_an_endpoint_that_keeps_failing_is_disabled_and_resumes_where_it_stopped(
    client: AsyncTestClient,
    pool: asyncpg.Pool,
    ctx: Ctx,
    clock: ManualClock,
    receiver: Receiver,
    sender: Sender,
) -> None:
    receiver.up()
    receiver.failing = True
    webhook = await _subscribe(client, receiver, event_types=["JOB_CREATED"])
    await _request_jobs(client, ["Nashville-00005"], NASHVILLE_NORTH)

    for _ in range(rules.DISABLE_AFTER):
        assert (await deliver_due(pool, ctx, sender)).failed == 1
        clock.advance(rules.BACKOFF_CAP)
    state = await _webhook(pool, webhook["id"])
    assert not state["is_active"] and "15 failed attempts" in state["disabled_reason"]
    disabled = await pool.fetch(
        "SELECT payload_jsonb FROM ottoq_events"
        " WHERE entity_type = 'WEBHOOK' AND event_type = 'WEBHOOK_DISABLED' AND entity_id = $1",
        state["id"],
    )
    assert len(disabled) == 1 and "url" not in disabled[0]["payload_jsonb"]
    assert (await deliver_due(pool, ctx, sender)).endpoints == 0

    receiver.failing = False
    resumed = await client.patch(f"{HOOKS}/{webhook['id']}", json={"is_active": True})
    assert resumed.json()["webhook"]["failure_count"] == 0
    assert (await deliver_due(pool, ctx, sender)).delivered == 1
    assert [m["type"] for m in receiver.accepted] == ["JOB_CREATED"]


async def test_a_private_target_is_refused_at_send_time_without_the_setting(
    client: AsyncTestClient, pool: asyncpg.Pool, ctx: Ctx, receiver: Receiver
) -> None:
    receiver.up()
    webhook = await _subscribe(client, receiver, event_types=["JOB_CREATED"])
    await _request_jobs(client, ["Nashville-00006"], NASHVILLE_NORTH)

    strict = Sender(timeout_s=5, allow_private=False)
    try:
        assert (await deliver_due(pool, ctx, strict)).failed == 1
    finally:
        await strict.aclose()

    assert receiver.requests == 0
    attempts = (await client.get(f"{HOOKS}/{webhook['id']}/deliveries")).json()["deliveries"]
    assert "private or loopback" in attempts[0]["error"]


async def test_an_event_still_being_written_is_waited_for_not_skipped(
    client: AsyncTestClient, pool: asyncpg.Pool, ctx: Ctx, receiver: Receiver, sender: Sender
) -> None:
    receiver.up()
    await _subscribe(client, receiver, event_types=["SLOW", "FAST"])
    insert = "INSERT INTO ottoq_events (entity_type, event_type) VALUES ('SIMULATOR', $1)"

    async with pool.acquire() as slow:
        writing = slow.transaction()
        await writing.start()
        await slow.execute(insert, "SLOW")
        await pool.execute(insert, "FAST")

        for _ in range(2):
            await deliver_due(pool, ctx, sender)
            assert receiver.accepted == []
        await writing.commit()

    await _until_quiet(pool, ctx, sender)
    assert [m["type"] for m in receiver.accepted] == ["SLOW", "FAST"]


async def test_a_narrow_filter_keeps_up_with_a_busy_outbox(
    client: AsyncTestClient, pool: asyncpg.Pool, ctx: Ctx, receiver: Receiver, sender: Sender
) -> None:
    receiver.up()
    await _subscribe(client, receiver, event_types=["RARE"])
    await pool.execute(
        "INSERT INTO ottoq_events (entity_type, event_type)"
        " SELECT 'SIMULATOR', 'NOISE' FROM generate_series(1, $1)",
        READ_LIMIT + 100,
    )
    await pool.execute(
        "INSERT INTO ottoq_events (entity_type, event_type) VALUES ('SIMULATOR', 'RARE')"
    )

    first = await deliver_due(pool, ctx, sender)
    assert first.more and first.delivered == 0
    second = await deliver_due(pool, ctx, sender)
    assert second.delivered == 1 and not second.more
    assert [m["type"] for m in receiver.accepted] == ["RARE"]
