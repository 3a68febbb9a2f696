"""The one clock everything that needs "now" reads: real, scaled (replays) or manual (tests)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    @property
    def speed(self) -> float: ...


class SystemClock:
    speed = 1.0

    def now(self) -> datetime:
        return datetime.now(UTC)


class ScaledClock:
    """Simulated time that started at `origin` when the wall clock read `anchor`, `speed`x fast."""

    def __init__(self, origin: datetime, anchor: float, speed: float) -> None:
        self.origin = origin
        self.anchor = anchor
        self.speed = speed

    def now(self) -> datetime:
        return self.origin + timedelta(seconds=(time.time() - self.anchor) * self.speed)

    def wall_seconds_until(self, moment: datetime) -> float:
        return (moment - self.now()).total_seconds() / self.speed

    def spec(self) -> str:
        body = {"origin": self.origin.isoformat(), "anchor": self.anchor, "speed": self.speed}
        return "scaled:" + json.dumps(body)


class ManualClock:
    """A clock that only moves when told to; tests drive time with it."""

    speed = 1.0

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment


def clock_from_spec(spec: str) -> Clock:
    """Build the clock a setting names: `real`, `manual[:ISO]` or `scaled:{json}`."""
    kind, _, rest = spec.partition(":")
    if kind == "real":
        return SystemClock()
    if kind == "manual":
        return ManualClock(datetime.fromisoformat(rest) if rest else None)
    if kind == "scaled":
        body = json.loads(rest)
        origin = datetime.fromisoformat(body["origin"])
        return ScaledClock(origin, float(body["anchor"]), float(body["speed"]))
    raise ValueError(f"unknown clock spec {spec!r}: expected real, manual or scaled")
