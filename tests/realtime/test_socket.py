"""The Phoenix protocol details clients rely on, checked with a bare client."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection

from tests.realtime.conftest import ANON, LiveServer
from tests.realtime.flows import WAIT_S
from tests.realtime.phoenix import join, open_socket


async def _push(conn: ClientConnection, topic: str, event: str, payload: dict, ref: str) -> None:
    message = {"topic": topic, "event": event, "payload": payload, "ref": ref, "join_ref": "1"}
    await conn.send(json.dumps(message))


async def _next(conn: ClientConnection, event: str) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(conn.recv(), WAIT_S))
        if frame["event"] == event:
            return frame


async def test_heartbeats_leaves_and_unknown_topics_are_answered(live: LiveServer) -> None:
    conn = await open_socket(live.url, ANON)
    await _push(conn, "phoenix", "heartbeat", {}, "h1")
    heartbeat = await _next(conn, "phx_reply")
    await join(conn, "realtime:room", [])
    await _push(conn, "realtime:elsewhere", "broadcast", {"event": "x"}, "u1")
    unknown = await _next(conn, "phx_reply")
    await _push(conn, "realtime:room", "phx_leave", {}, "l1")
    left = await _next(conn, "phx_reply")
    await conn.close()

    assert heartbeat == {
        "topic": "phoenix",
        "event": "phx_reply",
        "ref": "h1",
        "join_ref": "1",
        "payload": {"status": "ok", "response": {}},
    }
    assert unknown["ref"] == "u1" and unknown["payload"]["status"] == "error"
    assert left["ref"] == "l1" and left["payload"]["status"] == "ok"
    assert live.subscriptions() == 0


async def test_a_join_with_a_binding_that_cannot_be_served_is_refused_with_the_reason(
    live: LiveServer,
) -> None:
    conn = await open_socket(live.url, ANON)
    reply = await join(
        conn, "realtime:x", [{"event": "*", "schema": "public", "table": "ottoq_webhooks"}]
    )
    await conn.close()

    assert reply["status"] == "error"
    assert "'ottoq_webhooks' is not published" in reply["response"]["reason"]


async def test_client_broadcasts_reach_the_other_subscribers_of_the_topic(
    live: LiveServer,
) -> None:
    sender, listener = await open_socket(live.url, ANON), await open_socket(live.url, ANON)
    for conn in (sender, listener):
        await join(conn, "realtime:room", [])
    message = {"type": "broadcast", "event": "wave", "payload": {"from": "sender"}}
    await _push(sender, "realtime:room", "broadcast", message, "b1")
    ack = await _next(sender, "phx_reply")
    heard = await _next(listener, "broadcast")
    await _push(sender, "realtime:ottoq", "broadcast", message, "b2")
    await join(sender, "realtime:ottoq", [])
    await _push(sender, "realtime:ottoq", "broadcast", message, "b3")
    refused = await _next(sender, "phx_reply")
    for conn in (sender, listener):
        await conn.close()

    assert ack["payload"]["status"] == "ok"
    assert heard["payload"] == message and heard["ref"] is None
    assert refused["ref"] == "b3" and "published by OTTO-Q only" in str(refused["payload"])


async def test_a_bad_resume_point_closes_the_socket_with_the_reason(live: LiveServer) -> None:
    conn = await open_socket(live.url, ANON, after_id="yesterday")
    await conn.wait_closed()

    assert conn.close_code == 1008 and "whole number" in (conn.close_reason or "")
