"""Reconnecting over the websocket: `after_id` replays what was committed while away."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from realtime import AsyncRealtimeClient

from tests.helpers import NASHVILLE_NORTH, vehicle_id
from tests.realtime.conftest import ANON, LiveServer
from tests.realtime.flows import VEHICLE, F, job_life, take, tick
from tests.realtime.test_python_client import DEPOT_FILTER, subscribed


async def _watch(
    live: LiveServer, params: dict[str, Any] | None = None
) -> tuple[AsyncRealtimeClient, asyncio.Queue[Any], asyncio.Queue[Any]]:
    """The depot's row changes on one channel and its broadcasts (with event ids) on another."""
    client = AsyncRealtimeClient(live.realtime_url, token=ANON, auto_reconnect=False, params=params)
    changes: asyncio.Queue[Any] = asyncio.Queue()
    news: asyncio.Queue[Any] = asyncio.Queue()
    rows = client.channel("depot-rows")
    rows.on_postgres_changes(
        "UPDATE", changes.put_nowait, table="ottoq_resources", filter=DEPOT_FILTER
    )
    await subscribed(rows)
    feed = client.channel(f"depots:{NASHVILLE_NORTH}")
    await subscribed(feed.on_broadcast("RESOURCE_STATUS_CHANGED", news.put_nowait))
    return client, changes, news


async def test_after_id_replays_the_missed_changes_then_goes_live(live: LiveServer) -> None:
    vid = str(vehicle_id(VEHICLE))
    client, changes, news = await _watch(live)
    async with live.api() as api:
        reading = await api.post(
            f"{F}/ottoq-vehicles-telemetry", json={"vehicle_id": vid, "soc": 0.18}
        )
        job = reading.json()["job_triggered"]["job"]
        [seen] = await take(news, 1)
        await client.close()

        # Away: the job starts and finishes.
        await api.post(f"{F}/ottoq-vehicles-arrive", json={"vehicle_id": vid})
        await tick(api)
        live.clock.advance(timedelta(seconds=job["eta_seconds"]))
        await tick(api)

        client, changes, news = await _watch(live, params={"after_id": seen["meta"]["id"]})
        missed = await take(changes, 2), await take(news, 2)
        await job_life(api, live.clock)
        after = await take(changes, 3), await take(news, 3)
        await client.close()

    assert [c["data"]["record"]["status"] for c in missed[0]] == ["BUSY", "AVAILABLE"]
    assert [b["meta"].get("replayed") for b in missed[1]] == [True, True]
    assert [c["data"]["record"]["status"] for c in after[0]] == ["RESERVED", "BUSY", "AVAILABLE"]
    assert [b["meta"].get("replayed") for b in after[1]] == [None, None, None]
    ids = [int(b["meta"]["id"]) for b in [seen, *missed[1], *after[1]]]
    assert ids == sorted(set(ids))
