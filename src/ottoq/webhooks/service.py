"""Managing subscriptions: validation, the one-time secret, and the records of attempts."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
import structlog

from ottoq.context import Ctx
from ottoq.errors import Invalid, NotFound
from ottoq.webhooks import queries as q
from ottoq.webhooks import rules, targets
from ottoq.webhooks.models import WebhookCreate, WebhookUpdate

log = structlog.get_logger()


async def check_url(ctx: Ctx, url: str | None) -> None:
    """Refuse a target OTTO-Q must not call (422); run it outside a transaction, it resolves DNS."""
    if url is None:
        return
    try:
        async with asyncio.timeout(ctx.settings.webhook_timeout_s):
            await targets.check(url, ctx.settings.webhooks_allow_private)
    except TimeoutError as exc:
        raise targets.Refused("url host did not resolve in time") from exc


async def create(conn: asyncpg.Connection, ctx: Ctx, body: WebhookCreate) -> dict[str, Any]:
    """A new subscription; the answer carries its secret, which is never shown again."""
    fields = msgspec.structs.asdict(body)
    await _known_depots(conn, fields)

    webhook = await q.insert(conn, fields, rules.new_secret(), ctx.now())

    log.info("webhook.created", webhook_id=str(webhook["id"]), host=_host(webhook["url"]))
    return webhook


async def update(
    conn: asyncpg.Connection, ctx: Ctx, webhook_id: UUID, body: WebhookUpdate
) -> dict[str, Any]:
    fields = {k: v for k, v in msgspec.structs.asdict(body).items() if v is not None}
    await _known_depots(conn, fields)

    webhook = await q.update(conn, webhook_id, fields, ctx.now())
    if webhook is None:
        raise NotFound(f"webhook {webhook_id} not found")

    log.info("webhook.updated", webhook_id=str(webhook_id), fields=sorted(fields))
    return webhook


async def delete(conn: asyncpg.Connection, ctx: Ctx, webhook_id: UUID) -> None:
    if not await q.delete(conn, webhook_id, ctx.now()):
        raise NotFound(f"webhook {webhook_id} not found")
    log.info("webhook.deleted", webhook_id=str(webhook_id))


async def all_webhooks(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    return await q.all_webhooks(conn)


async def one(conn: asyncpg.Connection, webhook_id: UUID) -> dict[str, Any]:
    webhook = await q.one(conn, webhook_id)
    if webhook is None:
        raise NotFound(f"webhook {webhook_id} not found")
    return webhook


async def deliveries(
    conn: asyncpg.Connection, webhook_id: UUID, before_id: int | None, limit: int
) -> list[dict[str, Any]]:
    await one(conn, webhook_id)
    return await q.deliveries(conn, webhook_id, before_id, limit)


async def _known_depots(conn: asyncpg.Connection, fields: dict[str, Any]) -> None:
    unknown = await q.unknown_depots(conn, fields.get("depot_ids") or [])
    if unknown:
        raise Invalid(f"unknown depot_ids: {', '.join(str(d) for d in unknown)}")


def _host(url: str) -> str:
    # Logged instead of the URL, whose path or query may hold a token.
    return targets.parse(url).host
