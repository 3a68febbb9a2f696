"""What every request and tick needs besides a connection: settings and the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ottoq.clock import Clock
from ottoq.settings import Settings


@dataclass(frozen=True)
class Ctx:
    settings: Settings
    clock: Clock

    def now(self) -> datetime:
        return self.clock.now()

    def reserve_until(self, now: datetime) -> datetime:
        return now + self.settings.reserve_lead
