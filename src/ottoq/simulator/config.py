"""What a simulation does, as settings with defaults; and its seeded draws. No I/O."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any
from uuid import UUID

from ottoq.errors import Invalid
from ottoq.states import JOB_TYPES

Range = tuple[float, float]


@dataclass(frozen=True)
class SimConfig:
    seed: int = 42
    auto_reset: bool = True
    # The run resets itself after a draw from this range (simulated minutes).
    reset_minutes: Range = (5.0, 10.0)
    # A new reservation after a draw from this range (simulated seconds), of a weighted type.
    reservation_seconds: Range = (30.0, 60.0)
    reservation_lead_minutes: Range = (0.0, 30.0)
    job_weights: dict[str, float] = field(
        default_factory=lambda: {"CHARGE": 0.5, "DETAILING": 0.35, "MAINTENANCE": 0.15}
    )
    # Vehicles on the road report every so many simulated seconds.
    report_seconds: float = 60.0
    driving_share: float = 0.6
    trip_minutes: Range = (10.0, 45.0)
    park_minutes: Range = (5.0, 30.0)
    # State of charge lost per hour of driving: urban EVs use 15-25 % of their battery an hour.
    drain_per_hour: Range = (0.12, 0.30)
    speed_kmh: Range = (18.0, 45.0)
    # The drive to the depot once its window is near; the engine's grace period is 15 minutes.
    travel_minutes: Range = (2.0, 8.0)
    no_show_share: float = 0.03
    # The cities it drives; None: every city but the replays'.
    city_ids: list[str] | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def merged(self, changes: dict[str, Any]) -> SimConfig:
        """This config with `changes` applied; Invalid (422) names what is wrong."""
        unknown = sorted(set(changes) - {f.name for f in fields(self)})
        if unknown:
            raise Invalid(f"unknown simulator settings: {', '.join(unknown)}")
        # JSON has no tuples: ranges arrive as two-element lists.
        values: dict[str, Any] = {
            k: tuple(v) if k in RANGES and isinstance(v, list) else v for k, v in changes.items()
        }
        config = replace(self, **values)
        config.check()
        return config

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> SimConfig:
        """The stored config; settings it does not know (older or newer) are left out."""
        known = {f.name for f in fields(cls)}
        return cls().merged({k: v for k, v in (data or {}).items() if k in known})

    def check(self) -> None:
        for name in RANGES:
            _range(name, getattr(self, name))
        if self.reset_minutes[0] <= 0 or self.reservation_seconds[0] <= 0:
            raise Invalid("reset_minutes and reservation_seconds must start above 0")
        for share in ("driving_share", "no_show_share"):
            if not _number(getattr(self, share)) or not 0 <= getattr(self, share) <= 1:
                raise Invalid(f"{share} must be within [0, 1]")
        if not _number(self.report_seconds) or not 1 <= self.report_seconds <= 3600:
            raise Invalid("report_seconds must be within [1, 3600]")
        _weights(self.job_weights)
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise Invalid("seed must be an integer")
        if not isinstance(self.auto_reset, bool):
            raise Invalid("auto_reset must be true or false")
        _city_ids(self.city_ids)


RANGES = (
    "reset_minutes",
    "reservation_seconds",
    "reservation_lead_minutes",
    "trip_minutes",
    "park_minutes",
    "drain_per_hour",
    "speed_kmh",
    "travel_minutes",
)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _range(name: str, value: Any) -> None:
    ok = isinstance(value, tuple) and len(value) == 2 and all(_number(v) for v in value)
    if not ok or not 0 <= value[0] <= value[1] < 1e7:
        raise Invalid(f"{name} must be [low, high] with 0 <= low <= high")


def _city_ids(ids: Any) -> None:
    if ids is None:
        return
    try:
        ok = isinstance(ids, list) and all(UUID(str(i)) for i in ids)
    except ValueError:
        ok = False
    if not ok:
        raise Invalid("city_ids must be a list of city ids, or null for every city")


def _weights(weights: Any) -> None:
    ok = isinstance(weights, dict) and set(weights) <= set(JOB_TYPES)
    if not ok or not all(_number(w) and 0 <= w < 1e6 for w in weights.values()):
        raise Invalid(f"job_weights must map some of {', '.join(JOB_TYPES)} to weights >= 0")
    if not any(w > 0 for w in weights.values()):
        raise Invalid("job_weights needs at least one positive weight")


def draw(*key: object) -> float:
    """A uniform draw in [0, 1) fixed by its key; the same as SQL's ottoq_sim_draw."""
    digest = hashlib.md5(":".join(str(k) for k in key).encode(), usedforsecurity=False)
    return int(digest.hexdigest()[:12], 16) / 2**48


def between(u: float, bounds: Range) -> float:
    low, high = bounds
    return low + u * (high - low)


def weighted(u: float, weights: dict[str, float]) -> str:
    """The choice that a uniform draw `u` lands on, each with its share of the total weight."""
    items = [(k, w) for k, w in sorted(weights.items()) if w > 0]
    total = sum(w for _, w in items)
    edge = 0.0
    for name, weight in items:
        edge += weight / total
        if u < edge:
            return name
    return items[-1][0]
