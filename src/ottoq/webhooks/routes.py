"""HTTP routes for webhook subscriptions; every one of them needs the service key."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Response, delete, get, patch, post, route
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, JSONBody, QueryParameter

from ottoq.errors import NotFound
from ottoq.web.auth import service_only
from ottoq.web.docs import READ_ERRORS, WRITE_ERRORS, ok
from ottoq.web.runtime import rt
from ottoq.webhooks import schemas, service
from ottoq.webhooks.models import WebhookCreate, WebhookUpdate

PATH = "/functions/v1/ottoq-webhooks"
ONE = f"{PATH}/{{webhook_id:str}}"
GUARDS = [service_only]


def _options(path: str, allow: str) -> HTTPRouteHandler:
    """OPTIONS for a path with several handlers.

    Litestar's automatic OPTIONS answer is made with the first handler registered on a path and
    keeps naming only that handler's method when more handlers join the path later.
    """

    @route(path, http_method="OPTIONS", include_in_schema=False, name=f"options:{path}")
    async def options() -> Response[None]:
        return Response(None, status_code=204, headers={"Allow": allow})

    return options


def _id(raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError as exc:
        raise NotFound(f"webhook {raw} not found") from exc


@post(
    PATH,
    status_code=201,
    guards=GUARDS,
    summary="Subscribe an endpoint; the answer holds its secret, once",
    responses={**ok(schemas.Created, "the subscription and its secret", 201), **WRITE_ERRORS},
)
async def create_webhook(
    request: Request[Any, Any, Any], data: JSONBody[WebhookCreate]
) -> dict[str, Any]:
    runtime = rt(request)
    await service.check_url(runtime.ctx, data.url)
    webhook = await runtime.tx(lambda c: service.create(c, runtime.ctx, data))
    return {"success": True, "webhook": webhook}


@get(
    PATH,
    guards=GUARDS,
    summary="Every subscription with its delivery state (no secrets)",
    responses={**ok(schemas.Listing, "the subscriptions"), **READ_ERRORS},
)
async def list_webhooks(request: Request[Any, Any, Any]) -> dict[str, Any]:
    runtime = rt(request)
    return {"webhooks": await runtime.tx(service.all_webhooks)}


@get(
    ONE,
    guards=GUARDS,
    summary="One subscription with its delivery state",
    responses={**ok(schemas.One, "the subscription"), **READ_ERRORS},
)
async def get_webhook(request: Request[Any, Any, Any], webhook_id: FromPath[str]) -> dict[str, Any]:
    runtime = rt(request)
    parsed = _id(webhook_id)
    return {"webhook": await runtime.tx(lambda c: service.one(c, parsed))}


@patch(
    ONE,
    guards=GUARDS,
    summary="Change a subscription; is_active true resumes delivery",
    responses={**ok(schemas.Changed, "the subscription as changed"), **WRITE_ERRORS},
)
async def update_webhook(
    request: Request[Any, Any, Any], webhook_id: FromPath[str], data: JSONBody[WebhookUpdate]
) -> dict[str, Any]:
    runtime = rt(request)
    parsed = _id(webhook_id)
    await service.check_url(runtime.ctx, data.url)
    webhook = await runtime.tx(lambda c: service.update(c, runtime.ctx, parsed, data))
    return {"success": True, "webhook": webhook}


@delete(
    ONE,
    status_code=200,
    guards=GUARDS,
    summary="Unsubscribe an endpoint",
    responses={**ok(schemas.Deleted, "gone, with its record of attempts"), **WRITE_ERRORS},
)
async def delete_webhook(
    request: Request[Any, Any, Any], webhook_id: FromPath[str]
) -> dict[str, Any]:
    runtime = rt(request)
    parsed = _id(webhook_id)
    await runtime.tx(lambda c: service.delete(c, runtime.ctx, parsed))
    return {"success": True, "id": parsed}


@get(
    f"{ONE}/deliveries",
    guards=GUARDS,
    summary="Delivery attempts to one endpoint, newest first",
    responses={**ok(schemas.Deliveries, "attempts, newest first"), **READ_ERRORS},
)
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
    _options(PATH, "GET, OPTIONS, POST"),
    _options(ONE, "DELETE, GET, OPTIONS, PATCH"),
    create_webhook,
    list_webhooks,
    get_webhook,
    update_webhook,
    delete_webhook,
    list_deliveries,
]
