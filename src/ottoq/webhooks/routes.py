"""HTTP routes for webhook subscriptions; every one of them needs the service key."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Router, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter

from ottoq.errors import NotFound
from ottoq.web.auth import service_only
from ottoq.web.runtime import rt
from ottoq.webhooks import service
from ottoq.webhooks.models import WebhookCreate, WebhookUpdate

PATH = "/functions/v1/ottoq-webhooks"


def _id(raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError as exc:
        raise NotFound(f"webhook {raw} not found") from exc


@post("/", status_code=201, summary="Subscribe an endpoint; the answer holds its secret, once")
async def create_webhook(
    request: Request[Any, Any, Any], data: JSONBody[WebhookCreate]
) -> dict[str, Any]:
    runtime = rt(request)
    await service.check_url(runtime.ctx, data.url)
    webhook = await runtime.tx(lambda c: service.create(c, runtime.ctx, data))
    return {"success": True, "webhook": webhook}


@get("/", summary="Every subscription with its delivery state (no secrets)")
async def list_webhooks(request: Request[Any, Any, Any]) -> dict[str, Any]:
    runtime = rt(request)
    return {"webhooks": await runtime.tx(service.all_webhooks)}


@get("/{webhook_id:str}", summary="One subscription with its delivery state")
async def get_webhook(request: Request[Any, Any, Any], webhook_id: FromPath[str]) -> dict[str, Any]:
    runtime = rt(request)
    parsed = _id(webhook_id)
    return {"webhook": await runtime.tx(lambda c: service.one(c, parsed))}


@patch("/{webhook_id:str}", summary="Change a subscription; is_active true resumes delivery")
async def update_webhook(
    request: Request[Any, Any, Any], webhook_id: FromPath[str], data: JSONBody[WebhookUpdate]
) -> dict[str, Any]:
    runtime = rt(request)
    parsed = _id(webhook_id)
    await service.check_url(runtime.ctx, data.url)
    webhook = await runtime.tx(lambda c: service.update(c, runtime.ctx, parsed, data))
    return {"success": True, "webhook": webhook}


@delete("/{webhook_id:str}", status_code=200, summary="Unsubscribe an endpoint")
async def delete_webhook(
    request: Request[Any, Any, Any], webhook_id: FromPath[str]
) -> dict[str, Any]:
    runtime = rt(request)
    parsed = _id(webhook_id)
    await runtime.tx(lambda c: service.delete(c, runtime.ctx, parsed))
    return {"success": True, "id": parsed}


@get("/{webhook_id:str}/deliveries", summary="Delivery attempts to one endpoint, newest first")
async def list_deliveries(
    request: Request[Any, Any, Any],
    webhook_id: FromPath[str],
    before: Annotated[
        int | None, QueryParameter(ge=1, description="attempts older than this id")
    ] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    runtime = rt(request)
    parsed = _id(webhook_id)
    rows = await runtime.tx(lambda c: service.deliveries(c, parsed, before, limit))
    next_before = rows[-1]["id"] if len(rows) == limit else None
    return {"deliveries": rows, "next_before": next_before}


ROUTES = [
    Router(
        path=PATH,
        guards=[service_only],
        route_handlers=[
            create_webhook,
            list_webhooks,
            get_webhook,
            update_webhook,
            delete_webhook,
            list_deliveries,
        ],
    )
]
