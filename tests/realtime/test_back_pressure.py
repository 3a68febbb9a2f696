"""A subscriber that stops reading is cut off with a reason; nobody else waits for it."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import asyncpg
import pytest
from websockets.exceptions import ConnectionClosed

from ottoq.realtime.config import RealtimeConfig
from tests.helpers import NASHVILLE_NORTH, vehicle_id
from tests.realtime.conftest import ANON, LiveServer
from tests.realtime.flows import WAIT_S, F
from tests.realtime.phoenix import join, open_socket

TOPIC = f"realtime:depots:{NASHVILLE_NORTH}"
BINDING = {
    "event": "*",
    "schema": "public",
    "table": "ottoq_resources",
    "filter": f"depot_id=eq.{NASHVILLE_NORTH}",
}
LIMIT = 300
ROUND = 50
# Big rows fill the socket buffers after a few dozen events instead of thousands.
FLOOD = """
INSERT INTO ottoq_events (city_id, entity_type, entity_id, event_type, payload_jsonb)
SELECT r.city_id, 'RESOURCE', r.id, 'RESOURCE_STATUS_CHANGED',
       jsonb_build_object('table', 'ottoq_resources', 'depot_id', r.depot_id,
                          'old', to_jsonb(r) || jsonb_build_object('padding', repeat('x', 20000)),
                          'new', to_jsonb(r) || jsonb_build_object('padding', repeat('y', 20000)))
FROM ottoq_resources r, generate_series(1, $2) n
WHERE r.depot_id = $1 AND r.resource_type = 'CHARGE_STALL' AND r.index = 1
"""


@pytest.fixture
def realtime_config() -> RealtimeConfig:
    return RealtimeConfig(poll_interval_s=0.2, queue_limit=LIMIT)


async def _count_changes(conn: Any, wanted: int) -> int:
    seen = 0
    while seen < wanted:
        frame = json.loads(await asyncio.wait_for(conn.recv(), WAIT_S))
        seen += frame["event"] == "postgres_changes"
    return seen


async def test_a_stalled_subscriber_is_cut_off_and_the_rest_carry_on(
    live: LiveServer, pool: asyncpg.Pool
) -> None:
    stalled = await open_socket(live.url, ANON, receive_buffer=8192)
    reader = await open_socket(live.url, ANON)
    for conn in (stalled, reader):
        assert (await join(conn, TOPIC, [BINDING]))["status"] == "ok"

    # The stalled client reads nothing from here on; the other keeps up round after round.
    rounds = 0
    while live.subscriptions() == 2:
        assert rounds < 20, "the stalled subscriber was never cut off"
        async with pool.acquire() as db:
            await db.execute(FLOOD, NASHVILLE_NORTH, ROUND)
        assert await _count_changes(reader, ROUND) == ROUND
        rounds += 1
    assert rounds > 1

    # The API answers meanwhile, and the stalled client finds the reason when it reads again.
    started = time.monotonic()
    async with live.api() as api:
        vid = str(vehicle_id("Nashville-00042"))
        answer = await api.post(f"{F}/ottoq-vehicles-telemetry", json={"vehicle_id": vid})
    assert answer.status_code == 200 and time.monotonic() - started < 2
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(stalled.recv(), WAIT_S)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
    assert closed.value.rcvd.reason == f"too slow: more than {LIMIT} messages behind"
    await reader.close()


async def _until_subscriptions(live: LiveServer, count: int) -> None:
    deadline = time.monotonic() + WAIT_S
    while live.subscriptions() != count:
        assert time.monotonic() < deadline, f"{live.subscriptions()} subscriptions, not {count}"
        await asyncio.sleep(0.01)
