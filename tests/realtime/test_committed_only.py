"""Subscribers see a change only once it committed, and in commit order, never skipping one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest
from realtime import AsyncRealtimeClient

from tests.realtime.conftest import ANON, LiveServer
from tests.realtime.flows import WAIT_S, take
from tests.realtime.test_python_client import subscribed

# Simulator events are published on realtime:ottoq.
INSERT = """
INSERT INTO ottoq_events (entity_type, event_type, payload_jsonb)
VALUES ('SIMULATOR', $1, '{}') RETURNING id
"""


@pytest.fixture
async def news(live: LiveServer) -> AsyncIterator[asyncio.Queue[Any]]:
    client = AsyncRealtimeClient(live.realtime_url, token=ANON, auto_reconnect=False)
    received: asyncio.Queue[Any] = asyncio.Queue()
    await subscribed(client.channel("ottoq").on_broadcast("*", received.put_nowait))
    yield received
    await client.close()


async def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


def _waiting_on(live: LiveServer, event_id: int) -> Callable[[], bool]:
    reader = live.realtime().reader
    return lambda: (
        reader is not None and reader.cursor is not None and (reader.cursor.gap_at == event_id)
    )


async def test_a_later_commit_waits_for_an_earlier_id_still_in_flight(
    live: LiveServer, pool: asyncpg.Pool, news: asyncio.Queue[Any]
) -> None:
    async with pool.acquire() as slow, pool.acquire() as fast:
        tx = slow.transaction()
        await tx.start()
        first = await slow.fetchval(INSERT, "FIRST")
        await fast.fetchval(INSERT, "SECOND")

        await _until(_waiting_on(live, first))
        assert news.empty()
        await tx.commit()

    assert [b["event"] for b in await take(news, 2)] == ["FIRST", "SECOND"]


async def test_a_rolled_back_id_never_arrives_and_blocks_nothing(
    live: LiveServer, pool: asyncpg.Pool, news: asyncio.Queue[Any]
) -> None:
    async with pool.acquire() as slow, pool.acquire() as fast:
        tx = slow.transaction()
        await tx.start()
        doomed = await slow.fetchval(INSERT, "ROLLED_BACK")
        await fast.fetchval(INSERT, "KEPT")

        await _until(_waiting_on(live, doomed))
        assert news.empty()
        await tx.rollback()

    [kept] = await take(news, 1)
    assert kept["event"] == "KEPT" and kept["payload"]["id"] == doomed + 1


async def test_events_committed_while_the_reader_reconnects_are_not_lost(
    live: LiveServer, pool: asyncpg.Pool, news: asyncio.Queue[Any]
) -> None:
    async with pool.acquire() as conn:
        await conn.fetchval(INSERT, "BEFORE")
        [before] = await take(news, 1)
        cut = await conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = 'ottoq-rt' AND datname = current_database()"
        )
        for name in ("DURING_1", "DURING_2"):
            await conn.fetchval(INSERT, name)

    assert before["event"] == "BEFORE" and cut == 1
    assert [b["event"] for b in await take(news, 2)] == ["DURING_1", "DURING_2"]
