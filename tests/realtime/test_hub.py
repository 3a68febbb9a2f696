"""The hub's fan-out and back-pressure, with in-memory connections and no server."""

from __future__ import annotations

import json

from ottoq.realtime import protocol
from ottoq.realtime.bindings import parse_bindings
from ottoq.realtime.frames import SSE
from ottoq.realtime.hub import Hub, Sink, Subscription
from ottoq.realtime.resume import register
from ottoq.realtime.routes import sse_chunks

DEPOT = "05306730-ca2b-535b-891c-e897f4fff07b"
TOPIC = f"realtime:depots:{DEPOT}"
BINDING = {
    "event": "*",
    "schema": "public",
    "table": "ottoq_resources",
    "filter": f"depot_id=eq.{DEPOT}",
}


def _resource_event(event_id: int, status: str, depot: str = DEPOT) -> dict:
    row = {"id": "r1", "depot_id": depot, "status": status}
    return {
        "id": event_id,
        "city_id": None,
        "entity_type": "RESOURCE",
        "entity_id": "r1",
        "event_type": "RESOURCE_STATUS_CHANGED",
        "created_at": "2026-01-05T14:00:00+00:00",
        "payload_jsonb": {
            "table": "ottoq_resources",
            "depot_id": depot,
            "old": {**row, "status": "AVAILABLE"},
            "new": row,
        },
    }


def _hub() -> Hub:
    hub = Hub()
    hub.start(0)
    return hub


def _subscriber(hub: Hub, limit: int = 100, vsn: str = protocol.V1) -> Subscription:
    """A join with the depot's postgres_changes binding."""
    sub = Subscription(Sink(vsn, limit), TOPIC, parse_bindings([BINDING]))
    hub.add(sub)
    return sub


def _listener(hub: Hub) -> Subscription:
    """A join of the depot channel that names no binding: it gets the channel's broadcasts."""
    sub = Subscription(Sink(protocol.V1, 100), TOPIC)
    hub.add(sub)
    return sub


async def _drain(sink: Sink) -> list[dict]:
    found = []
    while len(sink):
        frame = await sink.next()
        assert frame
        found.append(json.loads(frame))
    return found


def _statuses(messages: list[dict]) -> list[str]:
    return [m["payload"]["data"]["record"]["status"] for m in messages]


async def test_subscribers_get_their_bindings_changes_or_the_channels_broadcasts_in_order() -> None:
    hub = _hub()
    subs, listener = [_subscriber(hub) for _ in range(3)], _listener(hub)

    for event_id, status in enumerate(["RESERVED", "BUSY", "AVAILABLE"], start=1):
        hub.publish(_resource_event(event_id, status))

    for sub in subs:
        got = await _drain(sub.sink)
        assert {m["event"] for m in got} == {"postgres_changes"}
        assert _statuses(got) == ["RESERVED", "BUSY", "AVAILABLE"]
    heard = await _drain(listener.sink)
    assert [m["payload"]["event"] for m in heard] == ["RESOURCE_STATUS_CHANGED"] * 3
    assert [m["payload"]["meta"]["id"] for m in heard] == ["1", "2", "3"]
    assert [m["payload"]["payload"]["payload_jsonb"]["new"]["status"] for m in heard] == [
        "RESERVED",
        "BUSY",
        "AVAILABLE",
    ]


async def test_another_depots_changes_are_not_delivered() -> None:
    hub = _hub()
    sub, listener = _subscriber(hub), _listener(hub)

    hub.publish(_resource_event(1, "BUSY", depot="00000000-0000-0000-0000-000000000001"))

    assert len(sub.sink) == len(listener.sink) == 0


async def test_a_frame_is_encoded_once_for_every_subscriber_of_the_same_shape() -> None:
    hub = _hub()
    first, second = _subscriber(hub), _subscriber(hub)

    hub.publish(_resource_event(1, "BUSY"))

    assert await first.sink.next() is await second.sink.next()


async def test_a_slow_subscriber_is_cut_off_and_the_others_get_everything() -> None:
    hub = _hub()
    slow, fast = _subscriber(hub, limit=5), _subscriber(hub, limit=1000)

    for event_id in range(1, 101):
        hub.publish(_resource_event(event_id, "BUSY"))
        if event_id % 10 == 0:
            assert len(await _drain(fast.sink)) == 10

    assert slow.sink.reason == "too slow: more than 5 messages behind"
    assert slow.sink.closed.is_set() and len(slow.sink) == 0
    assert await slow.sink.next() is None
    assert fast.sink.reason is None


async def test_a_resuming_subscriber_holds_live_events_until_its_replay_is_done() -> None:
    hub = _hub()
    hub.publish(_resource_event(1, "RESERVED"))
    hub.publish(_resource_event(2, "BUSY"))
    sub = Subscription(Sink(protocol.V1, 100), TOPIC, parse_bindings([BINDING]))

    upto = register(hub, sub, after_id=1)
    hub.publish(_resource_event(3, "AVAILABLE"))

    assert upto == 2 and len(sub.sink) == 0
    for frame in hub.view(_resource_event(2, "BUSY")).frames_for(sub, replayed=True):
        sub.sink.put(frame)
    sub.release_held()
    assert _statuses(await _drain(sub.sink)) == ["BUSY", "AVAILABLE"]


async def test_replayed_broadcasts_say_so() -> None:
    hub = _hub()
    listener = Subscription(Sink(protocol.V1, 100), TOPIC)

    [frame] = hub.view(_resource_event(2, "BUSY")).frames_for(listener, replayed=True)

    assert json.loads(frame)["payload"]["meta"] == {"id": "2", "replayed": True}


async def test_a_resume_point_ahead_of_this_process_skips_what_was_seen() -> None:
    hub = _hub()
    listener = Subscription(Sink(protocol.V1, 100), TOPIC)

    assert register(hub, listener, after_id=2) is None
    for event_id in (1, 2, 3):
        hub.publish(_resource_event(event_id, "BUSY"))

    assert [m["payload"]["meta"]["id"] for m in await _drain(listener.sink)] == ["3"]


async def test_client_broadcasts_skip_the_sender_unless_it_asked() -> None:
    hub = _hub()
    sender, other = _subscriber(hub), _subscriber(hub, vsn=protocol.V2)
    echoing = Subscription(Sink(protocol.V1, 10), TOPIC, broadcast_self=True)
    hub.add(echoing)

    hub.relay(TOPIC, "wave", {"hi": 1}, origin=sender.sink.token)
    hub.relay(TOPIC, "wave", {"hi": 2}, origin=echoing.sink.token)

    assert len(sender.sink) == 1
    assert [json.loads(f)[4]["payload"] for f in [await other.sink.next() for _ in range(2)]] == [
        {"hi": 1},
        {"hi": 2},
    ]
    assert len(echoing.sink) == 2


async def test_removed_subscriptions_get_nothing() -> None:
    hub = _hub()
    sub = _subscriber(hub)
    hub.remove(sub)

    hub.publish(_resource_event(1, "BUSY"))

    assert len(sub.sink) == 0 and hub.subscriptions() == 0


async def test_an_sse_stream_ends_with_the_reason_it_was_cut_off() -> None:
    sink = Sink(SSE, 1)
    sink.put("id: 1\nevent: X\ndata: {}\n\n")
    sink.put("id: 2\nevent: X\ndata: {}\n\n")

    chunks = [chunk async for chunk in sse_chunks(sink, keepalive_s=1.0)]

    assert chunks == ['event: error\ndata: {"reason":"too slow: more than 1 messages behind"}\n\n']


async def test_an_idle_sse_stream_gets_keepalive_comments() -> None:
    sink = Sink(SSE, 10)
    stream = sse_chunks(sink, keepalive_s=0.01)

    assert await anext(stream) == ": keepalive\n\n"
    sink.put("id: 1\nevent: X\ndata: {}\n\n")
    assert await anext(stream) == "id: 1\nevent: X\ndata: {}\n\n"
    await stream.aclose()
