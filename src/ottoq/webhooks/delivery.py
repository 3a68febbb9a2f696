"""Delivering the outbox to webhook endpoints: in id order per endpoint, at least once, retried.

Any number of workers run this at once. An endpoint is worked on only while its advisory lock is
held, and its cursor is read after the lock is taken, so no two workers send one event on
purpose. A worker that dies between a send and its record leaves the cursor behind, and the
event goes out again: at least once, never lost. The lock is a session advisory lock, not a row
lock, because a row lock would give the session a transaction id for the length of the HTTP
call, and every outbox reader waiting on a gap (events/outbox.py) would wait for the slowest
receiver as well.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from ottoq.context import Ctx
from ottoq.db.tx import in_transaction
from ottoq.events.outbox import OutboxCursor
from ottoq.metrics.registry import observe_attempt
from ottoq.webhooks import queries as q
from ottoq.webhooks import rules
from ottoq.webhooks.sender import Outcome, Sender

log = structlog.get_logger()

# Advisory locks of webhook endpoints live under this first key; any fixed number will do.
LOCK_SPACE = 0x0770_0002
# Endpoints worked on at once by one worker, so one slow receiver does not hold up the rest.
PARALLEL = 4
DUE_BATCH = 32
READ_LIMIT = 500
# Sends per endpoint per step, so a long backlog does not keep a slot from other endpoints.
SENDS_PER_TURN = 50


@dataclass
class StepReport:
    endpoints: int = 0
    delivered: int = 0
    failed: int = 0
    disabled: int = 0
    # Some endpoint may have more waiting than one turn takes: step again without waiting.
    more: bool = False


async def deliver_due(pool: asyncpg.Pool, ctx: Ctx, sender: Sender) -> StepReport:
    """One delivery step: every endpoint with something due gets a turn, a few at a time."""
    due = await in_transaction(pool, lambda c: q.due(c, ctx.now(), DUE_BATCH))
    report = StepReport()
    gate = asyncio.Semaphore(PARALLEL)

    async def turn(webhook_id: UUID) -> None:
        async with gate:
            await _turn(pool, ctx, sender, webhook_id, report)

    await asyncio.gather(*(turn(webhook_id) for webhook_id in due))
    return report


async def _turn(
    pool: asyncpg.Pool, ctx: Ctx, sender: Sender, webhook_id: UUID, report: StepReport
) -> None:
    """One endpoint's turn; a database error ends this turn only, not the others'."""
    try:
        async with pool.acquire() as conn:
            if not await q.try_lock(conn, LOCK_SPACE, webhook_id):
                return  # another worker is delivering to it right now
            try:
                await _drain(conn, ctx, sender, webhook_id, report)
            finally:
                await q.unlock(conn, LOCK_SPACE, webhook_id)
    except (asyncpg.PostgresError, OSError) as exc:
        log.error("webhook.turn_failed", webhook_id=str(webhook_id), error=str(exc))


async def _drain(
    conn: asyncpg.Connection, ctx: Ctx, sender: Sender, webhook_id: UUID, report: StepReport
) -> None:
    """Send what this endpoint has waiting, in id order, stopping at the first failure."""
    endpoint = await q.for_delivery(conn, webhook_id)
    if endpoint is None or not _due(endpoint, ctx.now()):
        return  # changed between the look for due endpoints and the lock
    report.endpoints += 1

    cursor = OutboxCursor(
        endpoint["last_event_id"], endpoint["gap_at"], endpoint["gap_clears_at_xid"]
    )
    events = await cursor.read(conn, READ_LIMIT)
    # A full read may have left more behind; an endpoint with a narrow filter would otherwise
    # fall behind a busy outbox at READ_LIMIT events per tick interval.
    report.more = report.more or len(events) == READ_LIMIT
    sends = 0
    for event in events:
        if not rules.matches(endpoint, event):
            continue
        if sends == SENDS_PER_TURN:
            report.more = True
            await q.save_cursor(conn, webhook_id, event["id"] - 1)
            return
        sends += 1
        if not await _send_one(conn, ctx, sender, endpoint, event, report):
            return

    await q.save_cursor(conn, webhook_id, cursor.position, cursor.gap_at, cursor.gap_clears_at_xid)


def _due(endpoint: dict[str, Any], now: datetime) -> bool:
    retry_at = endpoint["next_attempt_at"]
    return bool(endpoint["is_active"]) and (retry_at is None or retry_at <= now)


async def _send_one(
    conn: asyncpg.Connection,
    ctx: Ctx,
    sender: Sender,
    endpoint: dict[str, Any],
    event: dict[str, Any],
    report: StepReport,
) -> bool:
    """One attempt at one event, recorded; True when the endpoint took it."""
    outcome = await sender.send(endpoint["url"], endpoint["secret"], event)
    observe_attempt(outcome.ok, outcome.duration_s)

    attempt = _attempt(ctx, endpoint, event, outcome)
    give_up = not outcome.ok and rules.should_disable(attempt.failures)
    async with conn.transaction():
        await q.record_attempt(conn, endpoint["id"], attempt)
        if give_up:
            reason = f"{attempt.failures} failed attempts in a row; last: {outcome.error}"
            await q.disable(conn, endpoint["id"], attempt.at, reason)

    endpoint["failure_count"] = attempt.failures
    _tally(report, endpoint, attempt, give_up)
    return outcome.ok


def _attempt(
    ctx: Ctx, endpoint: dict[str, Any], event: dict[str, Any], outcome: Outcome
) -> q.Attempt:
    now = ctx.now()
    failures = 0 if outcome.ok else endpoint["failure_count"] + 1
    retry_at = None
    if not outcome.ok and not rules.should_disable(failures):
        retry_at = now + rules.backoff(failures, ctx.settings.seed, str(endpoint["id"]))
    return q.Attempt(
        event=event,
        message_id=rules.message_id(event["id"]),
        number=endpoint["failure_count"] + 1,
        at=now,
        outcome=outcome,
        # A failed event is still to do, so the cursor stays just before it.
        position=event["id"] if outcome.ok else event["id"] - 1,
        failures=failures,
        retry_at=retry_at,
    )


def _tally(report: StepReport, endpoint: dict[str, Any], attempt: q.Attempt, gave_up: bool) -> None:
    fields = {
        "webhook_id": str(endpoint["id"]),
        "event_id": attempt.event["id"],
        "attempt": attempt.number,
        "status": attempt.outcome.status_code,
        "duration_ms": round(attempt.outcome.duration_s * 1000, 1),
    }
    if attempt.outcome.ok:
        report.delivered += 1
        log.debug("webhook.delivered", **fields)
        return
    report.failed += 1
    retry_at = attempt.retry_at.isoformat() if attempt.retry_at else None
    log.warning("webhook.failed", error=attempt.outcome.error, retry_at=retry_at, **fields)
    if gave_up:
        report.disabled += 1
        log.error("webhook.disabled", webhook_id=fields["webhook_id"], failures=attempt.failures)


async def run_delivery_loop(pool: asyncpg.Pool, ctx: Ctx, stop: asyncio.Event) -> None:
    """Deliver until told to stop; a failed step is logged and the next one carries on."""
    sender = Sender.from_settings(ctx.settings)
    try:
        while not stop.is_set():
            more = False
            try:
                more = (await deliver_due(pool, ctx, sender)).more
            except (asyncpg.PostgresError, OSError) as exc:
                log.error("webhook.step_failed", error=str(exc))
            if more:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=ctx.settings.tick_interval_s)
    finally:
        await sender.aclose()
