"""GET /metrics for Prometheus: this process's own counters plus figures read from the database."""

from __future__ import annotations

from typing import Any

import asyncpg
import structlog
from litestar import Request, Response, get
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from ottoq.metrics import queries
from ottoq.metrics.collect import Scrape, families
from ottoq.metrics.registry import REGISTRY
from ottoq.web.runtime import Runtime, rt

log = structlog.get_logger()


@get("/metrics", include_in_schema=False, summary="Prometheus metrics")
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    read = await _read(rt(request))
    body = generate_latest(Scrape(REGISTRY, read))
    return Response(body, media_type=CONTENT_TYPE_LATEST)


async def _read(runtime: Runtime) -> list[Metric]:
    """The database's figures; without a database only a 0 that says so, never an error."""
    ready = GaugeMetricFamily(
        "ottoq_database_ready", "1 when the database answered this scrape, migrated"
    )
    if not runtime.ready:
        ready.add_metric([], 0)
        return [ready]
    now = runtime.ctx.now()
    try:
        snap = await runtime.tx(lambda c: queries.snapshot(c, now))
    except (OSError, asyncpg.PostgresError) as exc:
        log.warning("metrics.read_failed", error=str(exc))
        ready.add_metric([], 0)
        return [ready]
    ready.add_metric([], 1)
    return [ready, *families(snap, now)]


ROUTES = [metrics]
