"""Two `ottoq serve` processes on one database: each reads the outbox, so a change made through
either reaches the subscribers of both."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from realtime import AsyncRealtimeClient

from tests.conftest import START
from tests.helpers import NASHVILLE_NORTH, vehicle_id
from tests.realtime.conftest import ANON, SERVICE, free_socket, wait_healthy
from tests.realtime.flows import VEHICLE, WAIT_S, F, take
from tests.realtime.phoenix import join, open_socket
from tests.realtime.test_python_client import DEPOT_FILTER, subscribed

OTTOQ = str(Path(sys.executable).parent / "ottoq")


def _serve(dsn: str) -> tuple[subprocess.Popen[bytes], str]:
    with free_socket() as sock:
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "OTTOQ_DATABASE_URL": dsn,
        "OTTOQ_ANON_KEY": ANON,
        "OTTOQ_SERVICE_KEY": SERVICE,
        "OTTOQ_CLOCK": f"manual:{START.isoformat()}",
        "OTTOQ_LOG_FORMAT": "json",
    }
    process = subprocess.Popen([OTTOQ, "serve", "--port", str(port)], env=env)
    return process, f"http://127.0.0.1:{port}"


@pytest.fixture
def two_servers(db_dsn: str) -> Iterator[list[str]]:
    started = [_serve(db_dsn), _serve(db_dsn)]
    try:
        for _, url in started:
            wait_healthy(url)
        yield [url for _, url in started]
    finally:
        for process, _ in started:
            process.terminate()
        for process, _ in started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def _watch(url: str) -> tuple[AsyncRealtimeClient, asyncio.Queue[Any]]:
    client = AsyncRealtimeClient(f"{url}/realtime/v1", token=ANON, auto_reconnect=False)
    changes: asyncio.Queue[Any] = asyncio.Queue()
    channel = client.channel(f"depots:{NASHVILLE_NORTH}")
    channel.on_postgres_changes(
        "UPDATE", changes.put_nowait, table="ottoq_resources", filter=DEPOT_FILTER
    )
    await subscribed(channel)
    return client, changes


async def test_a_change_made_through_one_process_reaches_subscribers_of_both(
    two_servers: list[str],
) -> None:
    first, second = two_servers
    watchers = [await _watch(first), await _watch(second)]
    vid = str(vehicle_id(VEHICLE))

    async with httpx.AsyncClient(headers={"apikey": SERVICE}, timeout=10) as api:
        booked = await api.post(
            f"{first}{F}/ottoq-jobs-request", json={"vehicle_id": vid, "job_type": "CHARGE"}
        )
        assert booked.status_code == 201, booked.text
        job_id = booked.json()["job"]["id"]
        reserved = [await take(changes, 1) for _, changes in watchers]

        cancelled = await api.post(f"{second}{F}/ottoq-jobs-cancel/{job_id}")
        assert cancelled.status_code == 200, cancelled.text
        freed = [await take(changes, 1) for _, changes in watchers]

    for client, _ in watchers:
        await client.close()
    for [change] in reserved:
        assert change["data"]["record"]["status"] == "RESERVED"
        assert change["data"]["record"]["current_job_id"] == job_id
    for [change] in freed:
        assert change["data"]["old_record"]["status"] == "RESERVED"
        assert change["data"]["record"]["status"] == "AVAILABLE"


async def test_a_client_broadcast_through_one_process_reaches_the_other(
    two_servers: list[str],
) -> None:
    first, second = two_servers
    sender, listener = await open_socket(first, ANON), await open_socket(second, ANON)
    for conn in (sender, listener):
        assert (await join(conn, "realtime:room", []))["status"] == "ok"
    message = {"type": "broadcast", "event": "wave", "payload": {"n": 1}}
    await sender.send(
        json.dumps(
            {
                "topic": "realtime:room",
                "event": "broadcast",
                "payload": message,
                "ref": "2",
                "join_ref": "1",
            }
        )
    )
    heard = json.loads(await asyncio.wait_for(listener.recv(), WAIT_S))
    for conn in (sender, listener):
        await conn.close()

    assert heard["event"] == "broadcast" and heard["payload"] == message
