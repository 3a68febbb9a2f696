"""Streaming a driving trace as one vehicle's telemetry, batched, repeated or racing as asked."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID

from ottoq.replay.api import OttoqApi
from ottoq.replay.pacing import Pacer
from ottoq.replay.trace import TRACE_TZ, TraceReading

TRACE_CITY = "Rabat-Salé-Kénitra"
# A Renault Twizy: 6.1 kWh usable, charged from a 7 kW wallbox at home.
TWIZY_BATTERY_KWH = 6.1
HOME_POWER_KW = 7.0


@dataclass(frozen=True)
class Delivery:
    """How readings travel: `batch` per request, each request sent `repeat` times, `parallel`
    requests in flight at once (so that readings race)."""

    batch: int = 1
    repeat: int = 1
    parallel: int = 1


@dataclass(frozen=True)
class TracePlan:
    tag: str
    vehicle: str
    readings: list[TraceReading]
    shift: timedelta
    delivery: Delivery
    # The vehicle exists already (given by name); otherwise the replay makes it, with a home.
    existing: bool = False

    def setup_body(self) -> dict[str, Any]:
        home = next((r for r in self.readings if r.lat is not None), None)
        return {
            "city": TRACE_CITY,
            "tz": TRACE_TZ.key,
            "depot": {
                "name": f"Trace home (replay {self.tag})",
                "charge_stalls": 1,
                "power_kw": HOME_POWER_KW,
                "lat": home.lat if home else None,
                "lon": home.lon if home else None,
            },
            "vehicles": [
                {
                    "external_ref": self.vehicle,
                    "oem": "Renault",
                    "battery_kwh": TWIZY_BATTERY_KWH,
                    "soc": self.readings[0].soc,
                    "odometer_km": 0.0,
                }
            ],
        }

    def body(self, reading: TraceReading) -> dict[str, Any]:
        out: dict[str, Any] = {
            "vehicle_id": self.vehicle,
            "soc": reading.soc,
            "odometer_km": reading.odometer_km,
            "ts": (reading.at + self.shift).isoformat(),
        }
        if reading.lat is not None and reading.lon is not None:
            out["location"] = {"lat": reading.lat, "lon": reading.lon}
        return out


@dataclass
class StreamOutcome:
    plan: TracePlan
    depot_id: UUID | None
    requests: int = 0
    charge_jobs: set[str] = field(default_factory=set)
    report: dict[str, Any] = field(default_factory=dict)


async def stream_trace(
    api: OttoqApi,
    pacer: Pacer,
    plan: TracePlan,
    on_sent: Callable[[int], None] | None = None,
    start: Callable[[], None] | None = None,
) -> StreamOutcome:
    """Send every reading once its moment has come; say which CHARGE jobs the readings opened."""
    depot_id = None
    if not plan.existing:
        depot_id = UUID(str((await api.set_up(plan.setup_body()))["depot_id"]))
    if start is not None:
        start()

    outcome = StreamOutcome(plan, depot_id)
    for wave in _waves(plan):
        await pacer.until(wave[-1][-1].at + plan.shift)
        sends = [_send(api, plan, group) for group in wave for _ in range(plan.delivery.repeat)]
        for answer in await asyncio.gather(*sends):
            outcome.requests += 1
            outcome.charge_jobs |= _triggered(answer)
        if on_sent is not None:
            on_sent(sum(len(g) for g in wave))

    first, last = plan.readings[0].at + plan.shift, plan.readings[-1].at + plan.shift
    await pacer.until(last + timedelta(seconds=1))
    if depot_id is not None:
        outcome.report = await api.report([depot_id], first, pacer.now())
    return outcome


def _waves(plan: TracePlan) -> Iterator[list[list[TraceReading]]]:
    """Groups of `batch` readings, `parallel` groups at a time, in trace order."""
    size = plan.delivery.batch
    groups = [plan.readings[n : n + size] for n in range(0, len(plan.readings), size)]
    step = plan.delivery.parallel
    for n in range(0, len(groups), step):
        yield groups[n : n + step]


async def _send(api: OttoqApi, plan: TracePlan, group: list[TraceReading]) -> dict[str, Any]:
    if len(group) == 1:
        return await api.telemetry(plan.body(group[0]))
    return await api.telemetry_batch([plan.body(r) for r in group])


def _triggered(answer: dict[str, Any]) -> set[str]:
    results = answer.get("results", [answer])
    return {
        str(r["job_triggered"]["job"]["id"])
        for r in results
        if r.get("job_triggered") and r["job_triggered"]["job"]["job_type"] == "CHARGE"
    }
