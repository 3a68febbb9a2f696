"""A sessions replay planned ahead: its depot, vehicles and visits, as OTTO-Q will see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ottoq.replay.sessions import LONDON, Session, charger_count, vehicle_keys

REPLAY_CITY = "Dundee"
STALL_POWER_KW = 50.0
# Vehicles stay up to this long; the longest real sessions (a few overnight ones) are cut here.
LONGEST_STAY_MIN = 24 * 60


@dataclass(frozen=True)
class Visit:
    """One real session: plug-in asks for a stall, plug-out is when the vehicle leaves."""

    number: int
    vehicle: str
    plug_in: datetime
    plug_out: datetime
    kwh: float | None

    @property
    def minutes(self) -> float:
        return (self.plug_out - self.plug_in).total_seconds() / 60

    def request(self, depot_id: str) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "source": "replay",
            "session": self.number,
            # The real stay, so that the engine plans the stall with it rather than a guess.
            "duration_minutes": round(self.minutes, 2),
        }
        if self.kwh is not None:
            metadata["kwh"] = self.kwh
        return {
            "vehicle_id": self.vehicle,
            "job_type": "CHARGE",
            "preferred_depot_id": depot_id,
            "earliest_start_at": self.plug_in.isoformat(),
            "metadata": metadata,
        }


@dataclass(frozen=True)
class SessionPlan:
    tag: str
    site: str
    stalls: int
    visits: list[Visit]
    ahead: timedelta = timedelta(0)

    @property
    def first(self) -> datetime:
        return self.visits[0].plug_in

    @property
    def last(self) -> datetime:
        return max(v.plug_out for v in self.visits)

    def vehicles(self) -> list[str]:
        return sorted({v.vehicle for v in self.visits})

    def setup_body(self) -> dict[str, Any]:
        longest = min(max(v.minutes for v in self.visits), LONGEST_STAY_MIN)
        return {
            "city": REPLAY_CITY,
            "tz": LONDON.key,
            "depot": {
                "name": f"{self.site} (replay {self.tag})",
                "charge_stalls": self.stalls,
                "power_kw": STALL_POWER_KW,
                # Bounds wide enough for every real stay.
                "charge_minutes": [1.0, max(longest, 2.0)],
            },
            "vehicles": [{"external_ref": ref} for ref in self.vehicles()],
        }


def plan_sessions(
    sessions: list[Session],
    site: str,
    tag: str,
    stalls: int | None,
    shift: timedelta,
    ahead: timedelta = timedelta(0),
) -> SessionPlan:
    """Vehicles per user, times moved by `shift` (onto a running OTTO-Q's clock, else zero)."""
    keys = vehicle_keys(sessions, ahead)
    visits = [
        Visit(n, f"DND-{tag}-{key}", s.plug_in + shift, s.plug_out + shift, s.kwh)
        for n, (s, key) in enumerate(zip(sessions, keys, strict=True), start=1)
    ]
    return SessionPlan(tag, site, stalls or charger_count(sessions), visits, ahead)


def moments(
    visits: list[Visit], ahead: timedelta
) -> list[tuple[datetime, list[Visit], list[Visit]]]:
    """Each moment with the visits that end and those that announce themselves then, in order.

    A vehicle asks for its stall and reports its arrival `ahead` of plugging in, as a car pulls
    in before it plugs in; its request starts no earlier than the plug-in all the same, so the
    wait is measured from the real plug-in and the API's round trips do not count as waiting.
    """
    by_moment: dict[datetime, tuple[list[Visit], list[Visit]]] = {}
    for visit in visits:
        by_moment.setdefault(visit.plug_out, ([], []))[0].append(visit)
        by_moment.setdefault(visit.plug_in - ahead, ([], []))[1].append(visit)
    return [(at, ends, begins) for at, (ends, begins) in sorted(by_moment.items())]
