"""The KPI report of a run, computed by SQL over the jobs it left behind."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from ottoq.jobs.queries import double_bookings, invariant_violations
from ottoq.report import queries as rq

OPEN_STATES = ("PENDING", "SCHEDULED", "ACTIVE")


@dataclass(frozen=True)
class Scope:
    depot_ids: list[UUID] | None
    since: datetime
    until: datetime


async def build_report(conn: asyncpg.Connection, scope: Scope) -> dict[str, Any]:
    """Outcomes, waits, utilization, peaks, no-shows and double bookings, with the timelines."""
    args = (scope.depot_ids, scope.since, scope.until)
    outcomes = await rq.rows(conn, rq.OUTCOMES, *args)
    waits = await rq.rows(conn, rq.WAITS, *args)
    busy = series(await rq.rows(conn, rq.BUSY_TIMELINE, *args))
    queue = series(await rq.rows(conn, rq.QUEUE_TIMELINE, *args))
    utilization = await rq.rows(conn, rq.UTILIZATION, *args)
    doubles = await double_bookings(conn, scope.depot_ids)
    broken = _in_scope(await invariant_violations(conn), scope.depot_ids)

    period_s = max((scope.until - scope.since).total_seconds(), 1.0)
    return {
        "scope": {
            "depot_ids": scope.depot_ids,
            "since": scope.since,
            "until": scope.until,
        },
        "jobs": job_outcomes(outcomes),
        "waits": {w.pop("job_type"): w for w in waits},
        "utilization": {
            u["kind"]: {**u, "pct": 100 * u["busy_s"] / (u["resources"] * period_s)}
            for u in utilization
        },
        "peak_busy": peaks(busy),
        "peak_queue": peaks(queue),
        "no_shows": sum(r["jobs"] for r in outcomes if r["state"] == "EXPIRED"),
        "double_bookings": len(doubles),
        "invariant_violations": len(broken),
        "timeline": {"busy": busy, "queue": queue},
    }


def job_outcomes(rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Counts per job type and final state, e.g. {"CHARGE": {"COMPLETED": 12, ...}}."""
    nested: dict[str, dict[str, int]] = {}
    for row in rows:
        nested.setdefault(row["job_type"], {})[row["state"]] = int(row["jobs"])
    return nested


def series(rows: Iterable[dict[str, Any]]) -> dict[str, list[tuple[datetime, int]]]:
    """Level rows (kind, at, level) as one ordered series per kind."""
    out: dict[str, list[tuple[datetime, int]]] = {}
    for row in rows:
        out.setdefault(row["kind"], []).append((row["at"], int(row["level"])))
    return out


def peaks(timeline: dict[str, list[Any]]) -> dict[str, int]:
    return {kind: max((int(p[1]) for p in points), default=0) for kind, points in timeline.items()}


def _in_scope(rows: list[dict[str, Any]], depot_ids: list[UUID] | None) -> list[dict[str, Any]]:
    if depot_ids is None:
        return rows
    wanted = set(depot_ids)
    return [r for r in rows if r["depot_id"] in wanted]
