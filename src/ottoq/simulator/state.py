"""The simulator's single state row: read it (locking it when asked) and write it back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg

from ottoq.simulator import queries as sq
from ottoq.simulator.config import SimConfig

Lock = Literal["none", "wait", "skip"]
_READ = {"none": sq.STATE, "wait": sq.LOCK_STATE, "skip": sq.TRY_LOCK_STATE}


@dataclass
class SimState:
    is_running: bool = False
    mode: str = "demo"
    config: SimConfig = field(default_factory=SimConfig)
    last_reset_at: datetime | None = None
    next_reset_at: datetime | None = None
    last_tick_at: datetime | None = None
    started_at: datetime | None = None
    next_reservation_at: datetime | None = None
    reservations: int = 0
    resets: int = 0

    def key(self) -> str:
        """Draws of this run of the fleet: a new run after each reset, the same for a seed."""
        return f"{self.config.seed}:{self.resets}"

    def city_ids(self) -> list[UUID] | None:
        ids = self.config.city_ids
        return [UUID(str(c)) for c in ids] if ids is not None else None

    def public(self) -> dict[str, Any]:
        return {
            "is_running": self.is_running,
            "mode": self.mode,
            "last_reset_at": self.last_reset_at,
            "next_reset_at": self.next_reset_at,
            "last_tick_at": self.last_tick_at,
            "started_at": self.started_at,
            "next_reservation_at": self.next_reservation_at,
            "reservations": self.reservations,
            "resets": self.resets,
            "config": self.config.as_json(),
        }


async def load(conn: asyncpg.Connection, lock: Lock = "none") -> SimState | None:
    """The state; None when `lock` is "skip" and another process holds the row."""
    row = await conn.fetchrow(_READ[lock])
    if row is None:
        return None
    return SimState(
        is_running=row["is_running"],
        mode=row["mode"],
        config=SimConfig.from_json(row["config_jsonb"]),
        last_reset_at=row["last_reset_at"],
        next_reset_at=row["next_reset_at"],
        last_tick_at=row["last_tick_at"],
        started_at=row["started_at"],
        next_reservation_at=row["next_reservation_at"],
        reservations=row["reservations"],
        resets=row["resets"],
    )


async def save(conn: asyncpg.Connection, state: SimState, now: datetime) -> None:
    await conn.execute(
        sq.SAVE_STATE,
        state.is_running,
        state.mode,
        state.config.as_json(),
        state.last_reset_at,
        state.next_reset_at,
        state.last_tick_at,
        state.started_at,
        state.next_reservation_at,
        state.reservations,
        state.resets,
        now,
    )
