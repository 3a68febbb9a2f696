"""How long a job holds its resource."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

# Mean and spread in minutes per job type; a depot's config may override them.
DEFAULT_DURATIONS = {"CHARGE": (40, 10), "DETAILING": (90, 30), "MAINTENANCE": (180, 60)}
DEFAULT_TARGET_SOC = 0.8
DEFAULT_POWER_KW = 150.0
# Share of the stall's rated power that reaches the battery, averaged over the charge curve.
CHARGE_EFFICIENCY = 0.85


@dataclass(frozen=True)
class DurationInput:
    job_type: str
    soc: float | None
    battery_kwh: float | None
    target_soc: float
    power_kw: float
    depot_config: dict[str, Any]
    seed_key: str
    # How long the requester means to stay (metadata.duration_minutes), e.g. a replayed session.
    planned_minutes: float | None = None


def bounds(job_type: str, depot_config: dict[str, Any]) -> tuple[float, float]:
    """The (shortest, longest) duration in minutes a job of this type may get at this depot."""
    configured = depot_config.get("durations", {}).get(job_type)
    mean, spread = configured if configured else DEFAULT_DURATIONS[job_type]
    return float(mean) - float(spread), float(mean) + float(spread)


def job_duration(spec: DurationInput, seed: int) -> timedelta:
    """The planned stay, else charging time from battery size, else a repeatable draw; bounded."""
    low, high = bounds(spec.job_type, spec.depot_config)
    if spec.planned_minutes is not None:
        return timedelta(minutes=min(max(spec.planned_minutes, low), high))
    if spec.job_type == "CHARGE" and spec.battery_kwh and spec.soc is not None:
        energy = max(spec.target_soc - spec.soc, 0.0) * spec.battery_kwh
        minutes = energy / (spec.power_kw * CHARGE_EFFICIENCY) * 60
        return timedelta(minutes=min(max(minutes, low), high))
    draw = random.Random(f"{seed}:{spec.seed_key}").uniform(low, high)
    return timedelta(minutes=round(draw, 1))
