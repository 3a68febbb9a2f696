"""The shape of the KPI report, for the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

Timeline = dict[str, list[tuple[datetime, int]]]


class ReportScope(msgspec.Struct):
    depot_ids: list[UUID] | None
    since: datetime
    until: datetime


class Waits(msgspec.Struct):
    started: int
    mean_s: float
    p95_s: float
    max_s: float


class Use(msgspec.Struct):
    kind: str
    resources: int
    busy_s: float
    pct: float


class Timelines(msgspec.Struct):
    busy: Timeline
    queue: Timeline


class Report(msgspec.Struct):
    scope: ReportScope
    jobs: dict[str, dict[str, int]]
    waits: dict[str, Waits]
    utilization: dict[str, Use]
    peak_busy: dict[str, int]
    peak_queue: dict[str, int]
    no_shows: int
    double_bookings: int
    invariant_violations: int
    timeline: Timelines
