"""A worker that stops dead inside a tick's transaction, for the crash test to kill."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from typing import Any

from ottoq.clock import ManualClock
from ottoq.context import Ctx
from ottoq.db.pool import create_pool
from ottoq.jobs import scheduler
from ottoq.settings import Settings

_real_after_moves = scheduler._after_moves


async def _hang_after_moves(conn: Any, ctx: Ctx, now: datetime, rows: list[Any]) -> Any:
    moved = await _real_after_moves(conn, ctx, now, rows)
    if rows:
        print("PAUSED", flush=True)
        await asyncio.Event().wait()
    return moved


async def main(dsn: str, now: str) -> None:
    scheduler._after_moves = _hang_after_moves  # type: ignore[assignment]
    pool = await create_pool(dsn, min_size=1, max_size=2)
    settings = Settings(clock="manual", arrival_required=False)
    await scheduler.tick(pool, Ctx(settings, ManualClock(datetime.fromisoformat(now))))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
