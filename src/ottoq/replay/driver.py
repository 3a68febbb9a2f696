"""Driving OTTO-Q through its HTTP API with real events, paced by OTTO-Q's clock."""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID

import structlog

from ottoq.replay.api import ApiError, OttoqApi
from ottoq.replay.pacing import Pacer
from ottoq.replay.plan import SessionPlan, Visit, moments

log = structlog.get_logger()
# After the last plug-out, time enough for the scheduler to close what is left.
SETTLE = timedelta(minutes=5)


@dataclass
class DriveStats:
    requested: int = 0
    refused: Counter[int] = field(default_factory=Counter)
    # How late, in simulated seconds, each moment's calls went out after the moment itself.
    lags_s: list[float] = field(default_factory=list)

    def lag_p95_s(self) -> float:
        if len(self.lags_s) < 2:
            return max(self.lags_s, default=0.0)
        return statistics.quantiles(self.lags_s, n=20)[-1]


@dataclass
class SessionsOutcome:
    plan: SessionPlan
    depot_id: UUID
    stats: DriveStats
    report: dict[str, Any]


async def replay_sessions(
    api: OttoqApi,
    pacer: Pacer,
    plan: SessionPlan,
    on_moment: Callable[[int], None] | None = None,
    start: Callable[[], None] | None = None,
) -> SessionsOutcome:
    """Set up the depot, play every plug-in and plug-out at its moment, then read the KPIs."""
    ready = await api.set_up(plan.setup_body())
    depot_id = UUID(str(ready["depot_id"]))
    if start is not None:
        start()

    stats = DriveStats()
    for at, ends, begins in moments(plan.visits, plan.ahead):
        await pacer.until(at)
        stats.lags_s.append((pacer.now() - at).total_seconds())
        await asyncio.gather(*(api.depart(v.vehicle) for v in ends))
        await asyncio.gather(*(_plug_in(api, plan.tag, depot_id, v, stats) for v in begins))
        if on_moment is not None:
            on_moment(len(begins))

    await pacer.until(plan.last + SETTLE)
    report = await api.report([depot_id], plan.first - plan.ahead, pacer.now())
    return SessionsOutcome(plan, depot_id, stats, report)


async def _plug_in(
    api: OttoqApi, tag: str, depot_id: UUID, visit: Visit, stats: DriveStats
) -> None:
    try:
        await api.request_job(visit.request(str(depot_id)), key=f"replay-{tag}-{visit.number}")
    except ApiError as exc:
        stats.refused[exc.status] += 1
        log.warning("replay.request_refused", session=visit.number, status=exc.status)
        return
    stats.requested += 1
    await api.arrive(visit.vehicle, depot_id)
