"""Phoenix channel frames as Supabase's clients speak them.

`vsn=1.0.0` frames are JSON objects, `vsn=2.0.0` frames JSON arrays
`[join_ref, ref, topic, event, payload]`. A v2 client sends a broadcast whose event is a string
as a binary frame instead; the server may always answer in text, so only decoding is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

V1 = "1.0.0"
V2 = "2.0.0"

PHOENIX = "phoenix"
HEARTBEAT = "heartbeat"
JOIN = "phx_join"
LEAVE = "phx_leave"
REPLY = "phx_reply"
CLOSE = "phx_close"
ACCESS_TOKEN = "access_token"
BROADCAST = "broadcast"
PRESENCE = "presence"
PRESENCE_STATE = "presence_state"
SYSTEM = "system"
POSTGRES_CHANGES = "postgres_changes"

_BINARY_PUSH = 3
_JSON_ENCODING = 1
_HEADER = 7


class ProtocolError(ValueError):
    """A frame that is not a Phoenix message in the connection's serialization."""


@dataclass(frozen=True)
class Frame:
    topic: str
    event: str
    payload: dict[str, Any]
    ref: str | None = None
    join_ref: str | None = None


def vsn_of(requested: str | None) -> str:
    """The serialization a connection asked for; clients that name none speak 1.0.0."""
    return V2 if requested and requested.startswith("2") else V1


def encode(vsn: str, frame: Frame) -> str:
    if vsn == V2:
        body: Any = [frame.join_ref, frame.ref, frame.topic, frame.event, frame.payload]
    else:
        body = {
            "topic": frame.topic,
            "event": frame.event,
            "payload": frame.payload,
            "ref": frame.ref,
            "join_ref": frame.join_ref,
        }
    return msgspec.json.encode(body).decode()


def decode(vsn: str, data: str | bytes) -> Frame:
    """One client frame; raises ProtocolError when it cannot be read."""
    if isinstance(data, bytes):
        return _decode_binary_push(data)
    try:
        body = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise ProtocolError(f"not JSON: {exc}") from exc
    if vsn == V2:
        return _from_array(body)
    return _from_object(body)


def _from_array(body: Any) -> Frame:
    if not isinstance(body, list) or len(body) != 5:
        raise ProtocolError("a vsn 2.0.0 frame is [join_ref, ref, topic, event, payload]")
    join_ref, ref, topic, event, payload = body
    return _frame(topic, event, payload, ref, join_ref)


def _from_object(body: Any) -> Frame:
    if not isinstance(body, dict):
        raise ProtocolError("a vsn 1.0.0 frame is an object with topic, event and payload")
    return _frame(
        body.get("topic"),
        body.get("event"),
        body.get("payload"),
        body.get("ref"),
        body.get("join_ref"),
    )


def _frame(topic: Any, event: Any, payload: Any, ref: Any, join_ref: Any) -> Frame:
    if not isinstance(topic, str) or not isinstance(event, str):
        raise ProtocolError("topic and event must be strings")
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise ProtocolError("payload must be an object")
    return Frame(topic, event, payload, _text(ref), _text(join_ref))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _decode_binary_push(data: bytes) -> Frame:
    """A v2 client's binary broadcast push: kind, five lengths, the encoding, strings, payload."""
    if len(data) < _HEADER or data[0] != _BINARY_PUSH:
        raise ProtocolError("unknown binary frame")
    join_ref_len, ref_len, topic_len, event_len, meta_len, encoding = data[1:_HEADER]
    fields, offset = [], _HEADER
    for length in (join_ref_len, ref_len, topic_len, event_len, meta_len):
        fields.append(data[offset : offset + length].decode())
        offset += length
    join_ref, ref, topic, user_event, meta = fields
    if encoding != _JSON_ENCODING:
        raise ProtocolError("binary broadcast payloads are not supported; send JSON")

    payload: dict[str, Any] = {
        "type": BROADCAST,
        "event": user_event,
        "payload": msgspec.json.decode(data[offset:]),
    }
    if meta:
        payload["meta"] = msgspec.json.decode(meta)
    return Frame(topic, BROADCAST, payload, ref or None, join_ref or None)


def reply(topic: str, ref: str | None, join_ref: str | None, status: str, response: Any) -> Frame:
    return Frame(topic, REPLY, {"status": status, "response": response}, ref, join_ref)
