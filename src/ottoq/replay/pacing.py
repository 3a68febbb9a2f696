"""How a replay waits for the moment of its next event: always through OTTO-Q's clock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol

from ottoq.clock import ManualClock, ScaledClock


class Pacer(Protocol):
    def now(self) -> datetime: ...

    async def until(self, moment: datetime) -> None: ...


class ScaledPacer:
    """Sleeps on the wall clock until the scaled clock reads the moment."""

    def __init__(self, clock: ScaledClock) -> None:
        self.clock = clock

    def now(self) -> datetime:
        return self.clock.now()

    async def until(self, moment: datetime) -> None:
        wait = self.clock.wall_seconds_until(moment)
        if wait > 0:
            await asyncio.sleep(wait)


class SteppedPacer:
    """Moves a manual clock to the moment, then lets the scheduler catch up (tests, no sleeping).

    The scheduler runs at most once per `tick_every` of simulated time, as a worker would.
    """

    def __init__(
        self,
        clock: ManualClock,
        tick: Callable[[], Awaitable[object]],
        tick_every: timedelta = timedelta(0),
    ) -> None:
        self.clock = clock
        self.tick = tick
        self.tick_every = tick_every
        self.ticked_at: datetime | None = None

    def now(self) -> datetime:
        return self.clock.now()

    async def until(self, moment: datetime) -> None:
        if moment > self.clock.now():
            self.clock.set(moment)
        if self.ticked_at is None or self.clock.now() - self.ticked_at >= self.tick_every:
            self.ticked_at = self.clock.now()
            await self.tick()


def start_clock(clock: ScaledClock, origin: datetime, speed: float) -> None:
    """Set a clock going from `origin` now, `speed` times faster than the wall clock."""
    clock.origin = origin
    clock.anchor = time.time()
    clock.speed = speed


def held_clock(origin: datetime) -> ScaledClock:
    """A scaled clock that stands still at `origin` until `start_clock` sets it going."""
    return ScaledClock(origin, time.time(), 0.0)
