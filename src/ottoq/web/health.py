"""Liveness that means something: 200 only once the database is reachable and migrated."""

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


ROUTES = [health]
