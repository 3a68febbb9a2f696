"""Serving the dashboard: the page at `/`, its assets under `/dashboard/`.

The files are plain HTML, CSS and ES modules read from the package, so there is no build step
and nothing is fetched from anywhere else: the page works offline.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Response, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.handlers import HTTPRouteHandler
from litestar.static_files import create_static_files_router

STATIC = Path(__file__).parent / "static"

# Only this origin's scripts, styles and API; no inline code, no frames.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
# Revalidate every time: assets are small and a new release must show at once.
NO_CACHE = CacheControlHeader(no_cache=True)


@get("/", include_in_schema=False, cache_control=NO_CACHE)
async def page() -> Response[bytes]:
    return Response(
        (STATIC / "index.html").read_bytes(),
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"},
    )


assets = create_static_files_router(
    path="/dashboard",
    directories=[STATIC],
    name="dashboard",
    cache_control=NO_CACHE,
    include_in_schema=False,
)

ROUTES: list[HTTPRouteHandler | Router] = [page, assets]
