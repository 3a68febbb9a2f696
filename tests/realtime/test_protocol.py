"""Phoenix framing and postgres_changes bindings, without a server."""

from __future__ import annotations

import json

import pytest

from ottoq.realtime import protocol
from ottoq.realtime.bindings import BindingError, binding_id, parse_binding, parse_bindings
from ottoq.realtime.changes import RowChange, feed_topic_for, feed_topics, row_change

DEPOT = "05306730-ca2b-535b-891c-e897f4fff07b"


def _change(record: dict, kind: str = "UPDATE", table: str = "ottoq_resources") -> RowChange:
    return RowChange(table, kind, record, {}, "2026-01-05T14:00:00+00:00")


def test_both_serializations_round_trip() -> None:
    frame = protocol.Frame("realtime:x", "phx_join", {"config": {}}, "3", "3")
    as_object = json.loads(protocol.encode(protocol.V1, frame))
    as_array = json.loads(protocol.encode(protocol.V2, frame))

    assert as_object == {
        "topic": "realtime:x",
        "event": "phx_join",
        "payload": {"config": {}},
        "ref": "3",
        "join_ref": "3",
    }
    assert as_array == ["3", "3", "realtime:x", "phx_join", {"config": {}}]
    assert protocol.decode(protocol.V1, json.dumps(as_object)) == frame
    assert protocol.decode(protocol.V2, json.dumps(as_array)) == frame


def test_a_v2_binary_broadcast_push_is_read() -> None:
    strings = [b"1", b"7", b"realtime:room", b"cursor", b""]
    header = bytes([3, *(len(s) for s in strings), 1])
    frame = protocol.decode(protocol.V2, header + b"".join(strings) + b'{"x": 1}')

    assert frame.event == "broadcast" and frame.topic == "realtime:room"
    assert frame.ref == "7" and frame.join_ref == "1"
    assert frame.payload == {"type": "broadcast", "event": "cursor", "payload": {"x": 1}}


@pytest.mark.parametrize("data", ["not json", "[1, 2]", '{"topic": 1, "event": "x"}'])
def test_unreadable_frames_are_refused(data: str) -> None:
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(protocol.V2 if data.startswith("[") else protocol.V1, data)


def test_vsn_defaults_to_one() -> None:
    assert protocol.vsn_of(None) == protocol.V1
    assert protocol.vsn_of("2.0.0") == protocol.V2


def test_binding_ids_are_stable_non_zero_and_echo_what_was_asked() -> None:
    raw = {
        "event": "*",
        "schema": "public",
        "table": "ottoq_resources",
        "filter": f"depot_id=eq.{DEPOT}",
    }
    binding = parse_binding(raw)

    assert binding.id == binding_id(dict(raw)) and binding.id > 0
    assert binding.echo() == {**raw, "id": binding.id}


@pytest.mark.parametrize(
    ("flt", "record", "expected"),
    [
        (f"depot_id=eq.{DEPOT}", {"depot_id": DEPOT}, True),
        (f"depot_id=eq.{DEPOT.upper()}", {"depot_id": DEPOT}, True),
        ("depot_id=eq.00000000-0000-0000-0000-000000000000", {"depot_id": DEPOT}, False),
        ("status=neq.BUSY", {"status": "RESERVED"}, True),
        ("status=in.(BUSY,RESERVED)", {"status": "RESERVED"}, True),
        ("status=not.in.(BUSY,RESERVED)", {"status": "RESERVED"}, False),
        ("index=gte.40", {"index": 41}, True),
        ("index=lt.40", {"index": 41}, False),
        ("current_job_id=is.null", {"current_job_id": None}, True),
        ("soc=lte.0.2", {"soc": 0.18}, True),
        (f"status=eq.BUSY,depot_id=eq.{DEPOT}", {"status": "BUSY", "depot_id": DEPOT}, True),
        ("missing=eq.1", {"status": "BUSY"}, False),
    ],
)
def test_filters(flt: str, record: dict, expected: bool) -> None:
    binding = parse_binding({"event": "*", "schema": "public", "filter": flt})
    assert binding.matches(_change(record)) is expected


def test_event_and_table_narrow_a_binding() -> None:
    updates = parse_binding({"event": "UPDATE", "schema": "public", "table": "ottoq_jobs"})

    assert updates.matches(_change({}, "UPDATE", "ottoq_jobs"))
    assert not updates.matches(_change({}, "INSERT", "ottoq_jobs"))
    assert not updates.matches(_change({}, "UPDATE", "ottoq_resources"))


@pytest.mark.parametrize(
    "raw",
    [
        {"event": "TRUNCATE", "schema": "public"},
        {"event": "*", "schema": "auth"},
        {"event": "*", "schema": "public", "table": "ottoq_webhooks"},
        {"event": "*", "schema": "public", "filter": "status=like.B%"},
        {"event": "*", "schema": "public", "filter": "status"},
    ],
)
def test_bindings_that_cannot_be_served_are_refused(raw: dict) -> None:
    with pytest.raises(BindingError):
        parse_bindings([raw])


def _event(event_type: str, entity_type: str, payload: dict, entity_id: str | None = None) -> dict:
    return {
        "id": 7,
        "city_id": None,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "event_type": event_type,
        "payload_jsonb": payload,
        "created_at": "2026-01-05T14:00:00+00:00",
    }


def test_events_reach_the_briefs_channels() -> None:
    vehicle = "1628871f-0f19-53dc-93cb-c3de2002bba3"
    resource = _event(
        "RESOURCE_STATUS_CHANGED",
        "RESOURCE",
        {"table": "ottoq_resources", "depot_id": DEPOT, "old": {}, "new": {}},
    )
    completed = _event(
        "JOB_COMPLETED", "JOB", {"table": "ottoq_jobs", "vehicle_id": vehicle, "depot_id": DEPOT}
    )
    telemetry = _event("VEHICLE_TELEMETRY", "VEHICLE", {"table": "ottoq_vehicles"}, vehicle)
    tick = _event("SCHEDULER_TICK", "SIMULATOR", {"transitions": {"completed": 1}})

    assert feed_topics(resource) == [f"realtime:depots:{DEPOT}"]
    assert feed_topics(completed) == [f"realtime:vehicles:{vehicle}", "realtime:ottoq"]
    assert feed_topics(telemetry) == [f"realtime:vehicles:{vehicle}"]
    assert feed_topics(tick) == ["realtime:ottoq"]


def test_row_changes_come_from_the_events_payload() -> None:
    inserted = _event("JOB_CREATED", "JOB", {"table": "ottoq_jobs", "old": None, "new": {"a": 1}})
    updated = _event("JOB_ACTIVE", "JOB", {"table": "ottoq_jobs", "old": {"a": 1}, "new": {"a": 2}})
    arrived = _event("VEHICLE_ARRIVED", "VEHICLE", {"depot_id": DEPOT})

    assert row_change(inserted) == RowChange(
        "ottoq_jobs", "INSERT", {"a": 1}, {}, "2026-01-05T14:00:00+00:00"
    )
    changed = row_change(updated)
    assert changed is not None and changed.type == "UPDATE" and changed.old_record == {"a": 1}
    assert row_change(arrived) is None


def test_sse_channel_names() -> None:
    assert feed_topic_for("ottoq") == "realtime:ottoq"
    assert feed_topic_for(f"depots:{DEPOT.upper()}") == f"realtime:depots:{DEPOT}"
    assert feed_topic_for(f"realtime:vehicles:{DEPOT}") == f"realtime:vehicles:{DEPOT}"
    assert feed_topic_for("depots:nope") is None
    assert feed_topic_for("jobs") is None


def test_an_event_whose_payload_is_not_an_object_changes_no_row() -> None:
    odd = _event("SIMULATOR_NOTE", "SIMULATOR", {})
    odd["payload_jsonb"] = ["not", "an", "object"]

    assert row_change(odd) is None
    assert feed_topics(odd) == ["realtime:ottoq"]
