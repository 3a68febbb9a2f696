"""The app factory: one place that wires routes, errors, CORS and the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import asyncpg
import structlog
from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import RequestBody

from ottoq import __version__
from ottoq.clock import Clock, clock_from_spec
from ottoq.context import Ctx
from ottoq.dashboard import routes as dashboard_routes
from ottoq.db.migrate import is_migrated
from ottoq.db.pool import create_pool
from ottoq.events import routes as event_routes
from ottoq.fleet import routes as fleet_routes
from ottoq.jobs import board_routes
from ottoq.jobs import routes as job_routes
from ottoq.metrics import routes as metrics_routes
from ottoq.network import routes as network_routes
from ottoq.realtime import routes as realtime_routes
from ottoq.realtime.config import RealtimeConfig
from ottoq.realtime.service import realtime_lifespan
from ottoq.replay import routes as replay_routes
from ottoq.report import routes as report_routes
from ottoq.settings import Settings
from ottoq.simulator import routes as simulator_routes
from ottoq.web import health, whoami
from ottoq.web.auth import functions_guard
from ottoq.web.errors import HANDLERS
from ottoq.web.observe import observe_requests
from ottoq.web.runtime import Runtime, runtime_of
from ottoq.webhooks import routes as webhook_routes
from ottoq.worker import run_worker_loops

log = structlog.get_logger()

CORS_HEADERS = ["authorization", "x-client-info", "apikey", "content-type", "idempotency-key"]
_READY_POLL_S = 0.5


def create_app(
    settings: Settings,
    dsn: str,
    *,
    clock: Clock | None = None,
    run_worker: bool = False,
    realtime: RealtimeConfig | None = None,
) -> Litestar:
    """Build the ASGI app; nothing touches the database until the app starts."""
    runtime = Runtime(ctx=Ctx(settings=settings, clock=clock or clock_from_spec(settings.clock)))

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        stop = asyncio.Event()
        await _connect_once(runtime, dsn, settings.db_pool_max)
        waiter = asyncio.create_task(_until_ready(runtime, dsn, stop, run_worker))
        try:
            yield
        finally:
            stop.set()
            await _stop_background(runtime, waiter)
            if runtime.pool is not None:
                await runtime.pool.close()

    app = Litestar(
        route_handlers=[
            *health.ROUTES,
            *network_routes.ROUTES,
            *job_routes.ROUTES,
            *fleet_routes.ROUTES,
            *event_routes.ROUTES,
            *webhook_routes.ROUTES,
            *metrics_routes.ROUTES,
            *board_routes.ROUTES,
            *whoami.ROUTES,
            *dashboard_routes.ROUTES,
            *realtime_routes.ROUTES,
            *report_routes.ROUTES,
            *replay_routes.ROUTES,
            *simulator_routes.ROUTES,
        ],
        state=_state(runtime),
        lifespan=[lifespan, realtime_lifespan(runtime, dsn, realtime)],
        exception_handlers=HANDLERS,
        guards=[functions_guard],
        middleware=[observe_requests],
        cors_config=CORSConfig(
            allow_origins=["*"],
            allow_headers=CORS_HEADERS,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        ),
        openapi_config=OpenAPIConfig(
            title="OTTO-Q",
            version=__version__,
            path="/docs",
            render_plugins=[ScalarRenderPlugin(path="/")],
        ),
        request_max_body_size=settings.max_body_bytes,
        type_encoders={datetime: datetime.isoformat},
        debug=False,
    )
    _optional_bodies(app, OPTIONAL_BODIES)
    return app


# Routes whose body may be left out entirely (a cron job posts nothing to the scheduler).
OPTIONAL_BODIES = (
    "/functions/v1/ottoq-scheduler",
    "/functions/v1/ottoq-jobs-cancel/{job_id}",
    "/functions/v1/ottoq-vehicles-arrive/{vehicle_id}",
    "/functions/v1/ottoq-simulator",
)


def _optional_bodies(app: Litestar, paths: tuple[str, ...]) -> None:
    """Say so in the OpenAPI document, which otherwise marks every body as required."""
    for path in paths:
        item = (app.openapi_schema.paths or {}).get(path)
        operation = item.post if item else None
        body = operation.request_body if operation is not None else None
        if isinstance(body, RequestBody):
            body.required = False


def _state(runtime: Runtime) -> Any:
    from litestar.datastructures import State

    return State({"runtime": runtime})


async def _connect_once(runtime: Runtime, dsn: str, pool_max: int) -> None:
    try:
        runtime.pool = await create_pool(dsn, max_size=pool_max)
        async with runtime.pool.acquire() as conn:
            runtime.ready = await is_migrated(conn)
    except (OSError, asyncpg.PostgresError) as exc:
        log.warning("db.not_ready", error=str(exc))


async def _until_ready(runtime: Runtime, dsn: str, stop: asyncio.Event, run_worker: bool) -> None:
    """Keep trying the database until it answers migrated; then start the worker if asked."""
    while not runtime.ready and not stop.is_set():
        await asyncio.sleep(_READY_POLL_S)
        if runtime.pool is None:
            await _connect_once(runtime, dsn, runtime.ctx.settings.db_pool_max)
            continue
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            async with runtime.pool.acquire() as conn:
                runtime.ready = await is_migrated(conn)
    if run_worker and runtime.ready and runtime.pool is not None:
        log.info("worker.started", tick_interval_s=runtime.ctx.settings.tick_interval_s)
        await run_worker_loops(runtime.pool, runtime.ctx, stop)


async def _stop_background(runtime: Runtime, waiter: asyncio.Task[None]) -> None:
    try:
        await asyncio.wait_for(waiter, timeout=10)
    except TimeoutError:
        waiter.cancel()


def app_runtime(app: Litestar) -> Runtime:
    return runtime_of(app.state)
