"""Turning a database snapshot into metric families; pure functions, no I/O."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ottoq.metrics.queries import Snapshot
from ottoq.states import JOB_TYPE_RESOURCE

DEPOT = ["depot_id", "depot"]


def predicted_wait(
    free_at: list[datetime], queued: int, mean_duration: timedelta, now: datetime
) -> float:
    """Seconds a job joining the back of the queue now would wait for a resource.

    The jobs ahead take the resources in turn as they free up, each for about the mean duration
    of the queued jobs: the reckoning a pending job's predicted_start_at uses. Infinite when no
    resource of the type is in service.
    """
    if not free_at:
        return math.inf
    rounds, slot = divmod(queued, len(free_at))
    start = sorted(free_at)[slot] + rounds * mean_duration
    return max((start - now).total_seconds(), 0.0)


def utilization(statuses: dict[str, int]) -> float:
    """Busy resources over resources in service; 0 when none is in service."""
    in_service = sum(n for status, n in statuses.items() if status != "OUT_OF_SERVICE")
    return statuses.get("BUSY", 0) / in_service if in_service else 0.0


def families(snap: Snapshot, now: datetime) -> list[Metric]:
    return [*_queues(snap, now), *_resources(snap), _open_jobs(snap), *_webhooks(snap)]


def _queues(snap: Snapshot, now: datetime) -> Iterator[Metric]:
    length = GaugeMetricFamily(
        "ottoq_queue_length", "Pending jobs per depot and job type", labels=[*DEPOT, "job_type"]
    )
    wait = GaugeMetricFamily(
        "ottoq_queue_predicted_wait_seconds",
        "Predicted wait of a job joining the back of the queue now, per depot and job type",
        labels=[*DEPOT, "job_type"],
    )
    free = {(str(r["depot_id"]), r["resource_type"]): r["free_at"] for r in snap.free_at}
    for row in snap.queues:
        labels = [str(row["depot_id"]), row["depot"], row["job_type"]]
        length.add_metric(labels, row["queued"])
        free_at = free.get((labels[0], JOB_TYPE_RESOURCE[row["job_type"]]), [])
        mean = timedelta(seconds=row["mean_duration_s"])
        wait.add_metric(labels, predicted_wait(free_at, row["queued"], mean, now))
    yield length
    yield wait


def _resources(snap: Snapshot) -> Iterator[Metric]:
    count = GaugeMetricFamily(
        "ottoq_resources",
        "Resources per depot, type and status",
        labels=[*DEPOT, "resource_type", "status"],
    )
    grouped: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
    for row in snap.resources:
        key = (str(row["depot_id"]), row["depot"], row["resource_type"])
        count.add_metric([*key, row["status"]], row["count"])
        grouped[key][row["status"]] = row["count"]
    yield count

    ratio = GaugeMetricFamily(
        "ottoq_utilization_ratio",
        "Busy resources over resources in service, per depot and resource type",
        labels=[*DEPOT, "resource_type"],
    )
    for key, statuses in sorted(grouped.items()):
        ratio.add_metric(list(key), utilization(statuses))
    yield ratio


def _open_jobs(snap: Snapshot) -> Metric:
    jobs = GaugeMetricFamily(
        "ottoq_jobs_open",
        "Open jobs per depot, job type and state",
        labels=["depot_id", "job_type", "state"],
    )
    for row in snap.open_jobs:
        jobs.add_metric([str(row["depot_id"]), row["job_type"], row["state"]], row["count"])
    return jobs


# Per webhook endpoint: (family kind, metric name, column of the snapshot, help).
_PER_ENDPOINT: list[tuple[Any, str, str, str]] = [
    (
        GaugeMetricFamily,
        "ottoq_webhook_backlog_events",
        "backlog",
        "Events past the endpoint's cursor, matching its filter or not",
    ),
    (
        GaugeMetricFamily,
        "ottoq_webhook_consecutive_failures",
        "failure_count",
        "Failed attempts in a row on the event at the head of the endpoint's queue",
    ),
    (
        CounterMetricFamily,
        "ottoq_webhook_endpoint_attempts",
        "attempts_total",
        "Delivery attempts to the endpoint, by every worker",
    ),
    (
        CounterMetricFamily,
        "ottoq_webhook_endpoint_failures",
        "failures_total",
        "Failed delivery attempts to the endpoint, by every worker",
    ),
]


def _webhooks(snap: Snapshot) -> Iterator[Metric]:
    for kind, name, column, help_text in _PER_ENDPOINT:
        family = kind(name, help_text, labels=["webhook_id"])
        for row in snap.webhooks:
            family.add_metric([str(row["id"])], row[column])
        yield family

    states = GaugeMetricFamily("ottoq_webhooks", "Webhook endpoints by state", labels=["state"])
    active = sum(1 for row in snap.webhooks if row["is_active"])
    states.add_metric(["active"], active)
    states.add_metric(["disabled"], len(snap.webhooks) - active)
    yield states
    yield GaugeMetricFamily(
        "ottoq_outbox_last_event_id", "Id of the newest event in the outbox", snap.last_event_id
    )


class Scrape(Collector):
    """One scrape's output: the process's own metrics and the families read for it."""

    def __init__(self, own: Collector, read: list[Metric]) -> None:
        self.own = own
        self.read = read

    def collect(self) -> Iterator[Metric]:
        yield from self.own.collect()
        yield from self.read
