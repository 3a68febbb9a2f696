"""SQL for webhooks: subscriptions, their delivery cursors, and the record of every attempt.

Changes to a subscription write a WEBHOOK event in the same statement. Those events go to the
outbox, which realtime subscribers and other endpoints read, so they never carry the URL (it
may hold a token) or the secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from ottoq.webhooks.sender import Outcome

# What the API shows of a subscription: everything but the secret.
SHOWN = """id, url, description, event_types, depot_ids, is_active, created_at, updated_at,
    last_event_id, failure_count, next_attempt_at, attempts_total, failures_total,
    last_success_at, disabled_at, disabled_reason"""


def _with_event(change: str, event_type: str, at: str, returning: str = SHOWN) -> str:
    """One change to one subscription and its audit event; `at` is the event time's parameter."""
    return f"""
WITH changed AS ({change} RETURNING *),
ev AS (
    INSERT INTO ottoq_events (city_id, entity_type, entity_id, event_type, payload_jsonb,
                              created_at)
    SELECT city_id, 'WEBHOOK', id, '{event_type}',
           jsonb_build_object('webhook_id', id, 'event_types', event_types,
                              'depot_ids', depot_ids, 'is_active', is_active), {at}
    FROM changed
)
SELECT {returning} FROM changed
"""


# A new subscription starts at the head of the outbox: it receives what happens from now on.
INSERT = _with_event(
    """INSERT INTO ottoq_webhooks (url, secret, event_types, depot_ids, description, is_active,
                                   last_event_id, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, (SELECT coalesce(max(id), 0) FROM ottoq_events), $7, $7)""",
    "WEBHOOK_CREATED",
    "$7",
    returning=f"{SHOWN}, secret",
)

# Switching an endpoint back on clears its failures, so it is tried again at once from where it
# stopped; switching it off through the API says so in disabled_reason.
UPDATE = _with_event(
    """UPDATE ottoq_webhooks SET
           url = coalesce($2, url),
           event_types = coalesce($3, event_types),
           depot_ids = coalesce($4, depot_ids),
           description = coalesce($5, description),
           is_active = coalesce($6, is_active),
           failure_count = CASE WHEN $6 THEN 0 ELSE failure_count END,
           next_attempt_at = CASE WHEN $6 THEN NULL ELSE next_attempt_at END,
           disabled_at = CASE WHEN $6 THEN NULL WHEN NOT $6 AND is_active THEN $7
                              ELSE disabled_at END,
           disabled_reason = CASE WHEN $6 THEN NULL
                                  WHEN NOT $6 AND is_active THEN 'switched off through the API'
                                  ELSE disabled_reason END,
           updated_at = $7
       WHERE id = $1""",
    "WEBHOOK_UPDATED",
    "$7",
)

DELETE = _with_event("DELETE FROM ottoq_webhooks WHERE id = $1", "WEBHOOK_DELETED", "$2", "id")

# The endpoint gave up on: it stays where it stopped, so switching it on again resumes there.
DISABLE = _with_event(
    """UPDATE ottoq_webhooks SET is_active = false, next_attempt_at = NULL,
           disabled_at = $2, disabled_reason = $3, updated_at = $2
       WHERE id = $1 AND is_active""",
    "WEBHOOK_DISABLED",
    "$2",
)

LIST = f"SELECT {SHOWN} FROM ottoq_webhooks ORDER BY created_at, id"
ONE = f"SELECT {SHOWN} FROM ottoq_webhooks WHERE id = $1"
KNOWN_DEPOTS = "SELECT id FROM ottoq_depots WHERE id = ANY($1::uuid[])"

DELIVERIES = """
SELECT id, event_id, message_id, attempt, attempted_at, ok, status_code, error, duration_ms,
       response_excerpt, next_attempt_at
FROM ottoq_webhook_deliveries
WHERE webhook_id = $1 AND ($2::bigint IS NULL OR id < $2)
ORDER BY id DESC
LIMIT $3
"""

# Endpoints with events they have not looked at yet and no retry waiting for its time.
DUE = """
SELECT id FROM ottoq_webhooks
WHERE is_active AND (next_attempt_at IS NULL OR next_attempt_at <= $1)
  AND last_event_id < (SELECT coalesce(max(id), 0) FROM ottoq_events)
ORDER BY next_attempt_at NULLS FIRST, id
LIMIT $2
"""

# Session locks, not row locks: see delivery.py for why.
TRY_LOCK = "SELECT pg_try_advisory_lock($1, hashtext($2::text))"
UNLOCK = "SELECT pg_advisory_unlock($1, hashtext($2::text))"

FOR_DELIVERY = """
SELECT id, url, secret, event_types, depot_ids, is_active, last_event_id, gap_at,
       gap_clears_at_xid, failure_count, next_attempt_at
FROM ottoq_webhooks WHERE id = $1
"""

SAVE_CURSOR = """
UPDATE ottoq_webhooks SET last_event_id = $2, gap_at = $3, gap_clears_at_xid = $4 WHERE id = $1
"""

# One attempt: its record, and the endpoint's cursor and retry state after it. Nothing is
# written when the endpoint was deleted meanwhile.
RECORD_ATTEMPT = """
WITH endpoint AS (
    UPDATE ottoq_webhooks SET
        last_event_id = $2, gap_at = NULL, gap_clears_at_xid = NULL,
        failure_count = $3, next_attempt_at = $4,
        attempts_total = attempts_total + 1,
        failures_total = failures_total + CASE WHEN $5 THEN 0 ELSE 1 END,
        last_success_at = CASE WHEN $5 THEN $6 ELSE last_success_at END
    WHERE id = $1
    RETURNING id
)
INSERT INTO ottoq_webhook_deliveries (
    webhook_id, city_id, event_id, message_id, attempt, attempted_at, ok, status_code, error,
    duration_ms, response_excerpt, next_attempt_at)
SELECT id, $7, $8, $9, $10, $6, $5, $11, $12, $13, $14, $4 FROM endpoint
"""


@dataclass(frozen=True)
class Attempt:
    """One try at one event, and what the endpoint's state is after it."""

    event: dict[str, Any]
    message_id: str
    number: int
    at: datetime
    outcome: Outcome
    # Everything up to this event id is done with.
    position: int
    failures: int
    retry_at: datetime | None


async def insert(
    conn: asyncpg.Connection, fields: dict[str, Any], secret: str, now: datetime
) -> dict[str, Any]:
    row = await conn.fetchrow(
        INSERT,
        fields["url"],
        secret,
        fields["event_types"],
        fields["depot_ids"],
        fields["description"],
        fields["is_active"],
        now,
    )
    return dict(row)


async def update(
    conn: asyncpg.Connection, webhook_id: UUID, fields: dict[str, Any], now: datetime
) -> dict[str, Any] | None:
    """Change the fields given (None leaves one as it is)."""
    row = await conn.fetchrow(
        UPDATE,
        webhook_id,
        fields.get("url"),
        fields.get("event_types"),
        fields.get("depot_ids"),
        fields.get("description"),
        fields.get("is_active"),
        now,
    )
    return dict(row) if row else None


async def delete(conn: asyncpg.Connection, webhook_id: UUID, now: datetime) -> bool:
    return await conn.fetchval(DELETE, webhook_id, now) is not None


async def disable(conn: asyncpg.Connection, webhook_id: UUID, now: datetime, reason: str) -> None:
    await conn.execute(DISABLE, webhook_id, now, reason)


async def all_webhooks(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(LIST)]


async def one(conn: asyncpg.Connection, webhook_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(ONE, webhook_id)
    return dict(row) if row else None


async def unknown_depots(conn: asyncpg.Connection, depot_ids: list[UUID]) -> list[UUID]:
    known = {r["id"] for r in await conn.fetch(KNOWN_DEPOTS, depot_ids)}
    return [d for d in depot_ids if d not in known]


async def deliveries(
    conn: asyncpg.Connection, webhook_id: UUID, before_id: int | None, limit: int
) -> list[dict[str, Any]]:
    """Attempts newest first; `before_id` pages back from a previous page's last id."""
    return [dict(r) for r in await conn.fetch(DELIVERIES, webhook_id, before_id, limit)]


async def due(conn: asyncpg.Connection, now: datetime, limit: int) -> list[UUID]:
    return [r["id"] for r in await conn.fetch(DUE, now, limit)]


async def try_lock(conn: asyncpg.Connection, space: int, webhook_id: UUID) -> bool:
    locked: bool = await conn.fetchval(TRY_LOCK, space, str(webhook_id))
    return locked


async def unlock(conn: asyncpg.Connection, space: int, webhook_id: UUID) -> None:
    await conn.fetchval(UNLOCK, space, str(webhook_id))


async def for_delivery(conn: asyncpg.Connection, webhook_id: UUID) -> dict[str, Any] | None:
    """The endpoint with its secret and cursor, as it stands now."""
    row = await conn.fetchrow(FOR_DELIVERY, webhook_id)
    return dict(row) if row else None


async def save_cursor(
    conn: asyncpg.Connection,
    webhook_id: UUID,
    position: int,
    gap_at: int | None = None,
    gap_clears_at_xid: int | None = None,
) -> None:
    await conn.execute(SAVE_CURSOR, webhook_id, position, gap_at, gap_clears_at_xid)


async def record_attempt(conn: asyncpg.Connection, webhook_id: UUID, attempt: Attempt) -> None:
    outcome = attempt.outcome
    await conn.execute(
        RECORD_ATTEMPT,
        webhook_id,
        attempt.position,
        attempt.failures,
        attempt.retry_at,
        outcome.ok,
        attempt.at,
        _uuid_or_none(attempt.event.get("city_id")),
        attempt.event["id"],
        attempt.message_id,
        attempt.number,
        outcome.status_code,
        outcome.error,
        outcome.duration_s * 1000,
        outcome.excerpt,
    )


def _uuid_or_none(value: Any) -> UUID | None:
    return UUID(str(value)) if value else None
