"""What each process counts for itself, in OTTO-Q's own registry, and the hooks that count it.

These live in one process: Prometheus scrapes every `serve` at /metrics and every `worker` on
OTTOQ_WORKER_METRICS_PORT, and sums them. Figures that belong to the whole system (queues,
utilization, webhook backlog) are read from the database at scrape time instead (collect.py),
so every process reports the same value for them.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
)

# The *_created series would double the output, and nothing here reads them.
disable_created_metrics()
REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)

_FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_COUNTS = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)

HTTP_REQUESTS = Counter(
    "ottoq_http_requests",
    "HTTP requests answered, by method, route template and status code",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "ottoq_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by method and route template",
    ["method", "route"],
    buckets=_FAST,
    registry=REGISTRY,
)
TICK_DURATION = Histogram(
    "ottoq_tick_duration_seconds",
    "How long one scheduler tick took",
    buckets=_FAST,
    registry=REGISTRY,
)
TICK_TRANSITIONS = Counter(
    "ottoq_tick_transitions",
    "Jobs, resources and vehicles moved by scheduler ticks, by kind of move",
    ["transition"],
    registry=REGISTRY,
)
TICK_TRANSITIONS_PER_TICK = Histogram(
    "ottoq_tick_transitions_per_tick",
    "Moves of every kind made by one scheduler tick",
    buckets=_COUNTS,
    registry=REGISTRY,
)
WEBHOOK_ATTEMPTS = Counter(
    "ottoq_webhook_attempts",
    "Webhook delivery attempts made by this process, by outcome (delivered or failed)",
    ["outcome"],
    registry=REGISTRY,
)
WEBHOOK_LATENCY = Histogram(
    "ottoq_webhook_attempt_duration_seconds",
    "How long one webhook delivery attempt took, answer or not",
    buckets=_FAST,
    registry=REGISTRY,
)
REALTIME_SUBSCRIBERS = Gauge(
    "ottoq_realtime_subscribers",
    "Realtime subscribers (websocket and SSE) connected to this process",
    registry=REGISTRY,
)
REALTIME_LAG = Gauge(
    "ottoq_realtime_lag_seconds",
    "How far this process's realtime pushes trail the creation of the events they carry",
    registry=REGISTRY,
)


# Labelled children by (method, route, status): looking them up through labels() on every
# request cost several times more than counting itself. Routes are templates, so this stays small.
_REQUEST_CHILDREN: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    key = (method, route, status)
    children = _REQUEST_CHILDREN.get(key)
    if children is None:
        children = (
            HTTP_REQUESTS.labels(method, route, str(status)),
            HTTP_LATENCY.labels(method, route),
        )
        _REQUEST_CHILDREN[key] = children
    children[0].inc()
    children[1].observe(seconds)


def observe_tick(counts: dict[str, int], seconds: float) -> None:
    TICK_DURATION.observe(seconds)
    TICK_TRANSITIONS_PER_TICK.observe(sum(counts.values()))
    for transition, count in counts.items():
        TICK_TRANSITIONS.labels(transition).inc(count)


def observe_attempt(ok: bool, seconds: float) -> None:
    WEBHOOK_ATTEMPTS.labels("delivered" if ok else "failed").inc()
    WEBHOOK_LATENCY.observe(seconds)


def report_realtime(subscribers: int, lag_seconds: float) -> None:
    """The hook the realtime push calls: subscribers connected here, and how far behind it is."""
    REALTIME_SUBSCRIBERS.set(subscribers)
    REALTIME_LAG.set(lag_seconds)
