"""Joining a channel from a resume point: first the events it missed, then the live ones."""

from __future__ import annotations

import asyncpg

from ottoq.realtime import queries
from ottoq.realtime.hub import Hub, Subscription


def register(hub: Hub, sub: Subscription, after_id: int | None) -> int | None:
    """Add `sub` to the hub; returns the id a replay must reach, or None when none is due."""
    if after_id is None:
        hub.add(sub)
        return None

    # Live events published from now on wait in `held` until the replay has caught up.
    sub.floor = after_id
    sub.held = []
    upto = hub.add(sub)
    if upto <= after_id:
        sub.release_held()
        return None
    return upto


async def replay(
    hub: Hub, sub: Subscription, after_id: int, upto: int, pool: asyncpg.Pool, page: int
) -> None:
    """Deliver the events in (after_id, upto], then what was published meanwhile."""
    try:
        await _replay(hub, sub, after_id, upto, pool, page)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        # Going on without the missed events would break the promise; the client retries.
        sub.sink.cut_off(f"could not replay the missed events ({type(exc).__name__}); reconnect")
    finally:
        sub.release_held()


async def _replay(
    hub: Hub, sub: Subscription, after_id: int, upto: int, pool: asyncpg.Pool, page: int
) -> None:
    last = after_id
    while last < upto and sub.sink.reason is None:
        async with pool.acquire() as conn:
            events = await queries.events_between(conn, last, upto, page)
        if not events:
            return
        for event in events:
            for frame in hub.view(event).frames_for(sub, replayed=True):
                sub.sink.put(frame)
        last = events[-1]["id"]
        await sub.sink.room()
