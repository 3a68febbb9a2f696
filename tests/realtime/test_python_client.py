"""The unmodified Python `realtime` client against a running OTTO-Q."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from realtime import AsyncRealtimeClient, RealtimeSubscribeStates

from tests.helpers import NASHVILLE_NORTH, vehicle_id
from tests.realtime.conftest import ANON, LiveServer
from tests.realtime.flows import WAIT_S, job_life, take

DEPOT_FILTER = f"depot_id=eq.{NASHVILLE_NORTH}"


@pytest.fixture
async def client(live: LiveServer) -> AsyncIterator[AsyncRealtimeClient]:
    client = AsyncRealtimeClient(live.realtime_url, token=ANON, auto_reconnect=False)
    await client.connect()
    yield client
    await client.close()


async def subscribed(channel: Any) -> None:
    states: list[Any] = []
    await asyncio.wait_for(
        channel.subscribe(lambda state, err: states.append((state, err))), WAIT_S
    )
    assert states == [(RealtimeSubscribeStates.SUBSCRIBED, None)]


async def test_a_depot_sees_a_stall_go_reserved_busy_available_with_both_rows(
    live: LiveServer, client: AsyncRealtimeClient
) -> None:
    changes: asyncio.Queue[Any] = asyncio.Queue()
    ticks: asyncio.Queue[Any] = asyncio.Queue()
    channel = client.channel(f"depots:{NASHVILLE_NORTH}")
    channel.on_postgres_changes(
        "UPDATE", changes.put_nowait, table="ottoq_resources", filter=DEPOT_FILTER
    )
    channel.on_postgres_changes(
        "INSERT", ticks.put_nowait, table="ottoq_events", filter="event_type=eq.SCHEDULER_TICK"
    )
    broadcasts: list[Any] = []
    channel.on_broadcast("*", broadcasts.append)
    await subscribed(channel)

    async with live.api() as api:
        job = await job_life(api, live.clock)

    # The last tick is the last event of the flow: once it is here, every change is too.
    await take(ticks, 2)
    # Each change once: a join that names its bindings gets no broadcast copy of them.
    assert changes.qsize() == 3 and broadcasts == []
    got = [c["data"] for c in await take(changes, 3)]
    assert [(d["old_record"]["status"], d["record"]["status"]) for d in got] == [
        ("AVAILABLE", "RESERVED"),
        ("RESERVED", "BUSY"),
        ("BUSY", "AVAILABLE"),
    ]
    assert {d["record"]["id"] for d in got} == {job["resource_id"]}
    assert [d["record"]["current_job_id"] for d in got] == [job["id"], job["id"], None]
    columns = {
        "id",
        "city_id",
        "depot_id",
        "resource_type",
        "index",
        "status",
        "current_job_id",
        "capabilities_jsonb",
        "created_at",
        "updated_at",
    }
    for data in got:
        assert set(data["record"]) == set(data["old_record"]) == columns
        assert [c["name"] for c in data["columns"]] == sorted(columns, key=_column_order)
        assert data["schema"] == "public" and data["table"] == "ottoq_resources"


def _column_order(name: str) -> int:
    order = [
        "id",
        "city_id",
        "depot_id",
        "resource_type",
        "index",
        "status",
        "current_job_id",
        "capabilities_jsonb",
        "created_at",
        "updated_at",
    ]
    return order.index(name)


async def test_the_briefs_channels_broadcast_their_events(
    live: LiveServer, client: AsyncRealtimeClient
) -> None:
    vid = str(vehicle_id("Nashville-00042"))
    queues: dict[str, asyncio.Queue[Any]] = {}
    for name in (f"depots:{NASHVILLE_NORTH}", f"vehicles:{vid}", "ottoq"):
        queues[name] = asyncio.Queue()
        channel = client.channel(name).on_broadcast("*", queues[name].put_nowait)
        await subscribed(channel)

    async with live.api() as api:
        await job_life(api, live.clock)

    depot = await take(queues[f"depots:{NASHVILLE_NORTH}"], 3)
    assert [b["payload"]["payload_jsonb"]["to"] for b in depot] == ["RESERVED", "BUSY", "AVAILABLE"]
    ottoq = await take(queues["ottoq"], 3)
    assert [b["event"] for b in ottoq] == ["SCHEDULER_TICK", "JOB_COMPLETED", "SCHEDULER_TICK"]
    assert ottoq[0]["payload"]["payload_jsonb"]["transitions"]["activated"] == 1
    assert ottoq[2]["payload"]["payload_jsonb"]["transitions"]["completed"] == 1
    vehicle = [b["event"] for b in await take(queues[f"vehicles:{vid}"], 5)]
    assert vehicle[:3] == ["VEHICLE_TELEMETRY", "JOB_CREATED", "JOB_SCHEDULED"]
    ids = [int(b["meta"]["id"]) for b in depot + ottoq]
    assert ids[:3] == sorted(ids[:3]) and ids[3:] == sorted(ids[3:])


async def test_a_join_without_a_valid_key_is_refused(live: LiveServer) -> None:
    client = AsyncRealtimeClient(live.realtime_url, token="wrong-key", auto_reconnect=False)
    await client.connect()
    states: list[Any] = []
    try:
        channel = client.channel("ottoq")
        await asyncio.wait_for(channel.subscribe(lambda s, e: states.append((s, e))), WAIT_S)
    finally:
        await client.close()

    assert states[0][0] == RealtimeSubscribeStates.CHANNEL_ERROR
    assert "apikey" in str(states[0][1])


async def test_each_binding_of_a_channel_gets_only_its_own_event_type(
    live: LiveServer, client: AsyncRealtimeClient
) -> None:
    inserts: asyncio.Queue[Any] = asyncio.Queue()
    updates: asyncio.Queue[Any] = asyncio.Queue()
    channel = client.channel("jobs-watch")
    channel.on_postgres_changes("INSERT", inserts.put_nowait, table="ottoq_jobs")
    channel.on_postgres_changes("UPDATE", updates.put_nowait, table="ottoq_jobs")
    await subscribed(channel)

    async with live.api() as api:
        job = await job_life(api, live.clock)

    states = [u["data"]["record"]["state"] for u in await take(updates, 3)]
    assert states == ["SCHEDULED", "ACTIVE", "COMPLETED"]
    [created] = [i["data"] for i in await take(inserts, 1)]
    assert created["type"] == "INSERT" and created["old_record"] == {}
    assert created["record"]["id"] == job["id"] and created["record"]["state"] == "PENDING"
    assert inserts.empty()
