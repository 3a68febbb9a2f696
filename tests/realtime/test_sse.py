"""Server-sent events: the brief's channels for clients without websockets, and resuming."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx

from tests.helpers import NASHVILLE_NORTH, vehicle_id
from tests.realtime.conftest import ANON, LiveServer
from tests.realtime.flows import VEHICLE, F, job_life, tick
from tests.realtime.sse import Stream

SSE = "/realtime/v1/sse"
DEPOT_CHANNEL = f"depots:{NASHVILLE_NORTH}"


@asynccontextmanager
async def stream(
    live: LiveServer, channel: str, last_id: str | None = None
) -> AsyncIterator[Stream]:
    headers = {"apikey": ANON, **({"Last-Event-ID": last_id} if last_id else {})}
    async with (
        httpx.AsyncClient(base_url=live.url, timeout=10) as http,
        http.stream("GET", SSE, params={"channel": channel}, headers=headers) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        opened = Stream(response)
        first = await opened.next_block()
        assert first["comment"].startswith("subscribed to realtime:")
        yield opened


def _statuses(events: list[dict]) -> list[str]:
    return [json.loads(e["data"])["payload_jsonb"]["to"] for e in events]


async def test_a_depot_channel_streams_its_stall_changes_with_event_ids(live: LiveServer) -> None:
    async with stream(live, DEPOT_CHANNEL) as events, live.api() as api:
        await job_life(api, live.clock)
        got = await events.events(3)

    assert _statuses(got) == ["RESERVED", "BUSY", "AVAILABLE"]
    assert {e["event"] for e in got} == {"RESOURCE_STATUS_CHANGED"}
    ids = [int(e["id"]) for e in got]
    assert ids == sorted(ids) and [json.loads(e["data"])["id"] for e in got] == ids


async def test_last_event_id_resumes_with_what_was_committed_while_away(live: LiveServer) -> None:
    vid = str(vehicle_id(VEHICLE))
    async with live.api() as api:
        async with stream(live, DEPOT_CHANNEL) as events:
            reading = await api.post(
                f"{F}/ottoq-vehicles-telemetry", json={"vehicle_id": vid, "soc": 0.18}
            )
            [reserved] = await events.events(1)
        job = reading.json()["job_triggered"]["job"]

        # Away: the job starts and finishes.
        await api.post(f"{F}/ottoq-vehicles-arrive", json={"vehicle_id": vid})
        await tick(api)
        live.clock.advance(timedelta(seconds=job["eta_seconds"]))
        await tick(api)

        async with stream(live, DEPOT_CHANNEL, last_id=reserved["id"]) as events:
            missed = await events.events(2)
            await job_life(api, live.clock)
            after = await events.events(3)

    assert _statuses([reserved]) == ["RESERVED"]
    assert _statuses(missed) == ["BUSY", "AVAILABLE"]
    assert _statuses(after) == ["RESERVED", "BUSY", "AVAILABLE"]
    ids = [int(e["id"]) for e in [reserved, *missed, *after]]
    assert ids == sorted(set(ids))


async def test_the_ottoq_channel_streams_ticks_and_completions(live: LiveServer) -> None:
    async with stream(live, "ottoq") as events, live.api() as api:
        await job_life(api, live.clock)
        got = await events.events(3)

    assert [e["event"] for e in got] == ["SCHEDULER_TICK", "JOB_COMPLETED", "SCHEDULER_TICK"]
    assert json.loads(got[2]["data"])["payload_jsonb"]["transitions"]["completed"] == 1


async def test_a_stream_needs_a_key_and_a_known_channel(live: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live.url, timeout=10) as http:
        keyless = await http.get(SSE, params={"channel": "ottoq"})
        wrong = await http.get(SSE, params={"channel": "jobs"}, headers={"apikey": ANON})
        bad_id = await http.get(
            SSE, params={"channel": "ottoq"}, headers={"apikey": ANON, "Last-Event-ID": "x"}
        )

    assert keyless.status_code == 401 and "apikey" in keyless.json()["error"]
    assert wrong.status_code == 400 and "unknown channel" in wrong.json()["error"]
    assert bad_id.status_code == 400
