"""Liveness (200 only once the database is reachable and migrated) and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from ottoq.web.runtime import rt


@get("/health", summary="200 once the database is reachable and migrated, 503 before")
async def health(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    runtime = rt(request)
    if not runtime.ready:
        return Response({"status": "starting", "error": "database not ready"}, status_code=503)
    return Response({"status": "ok"}, status_code=200)


@get("/openapi.json", include_in_schema=False, summary="The OpenAPI document")
async def openapi_json(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return request.app.openapi_schema.to_schema()


ROUTES = [health, openapi_json]
