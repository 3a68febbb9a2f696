"""The messages subscribers receive, encoded for their connection: Phoenix v1, v2 or SSE."""

from __future__ import annotations

from typing import Any

import msgspec

from ottoq.realtime import protocol
from ottoq.realtime.changes import RowChange, event_row

SSE = "sse"


def change_data(change: RowChange, columns: list[dict[str, str]]) -> dict[str, Any]:
    """A row change in the wire shape both Supabase clients validate and convert."""
    return {
        "schema": "public",
        "table": change.table,
        "commit_timestamp": change.commit_timestamp,
        "type": change.type,
        "errors": None,
        "columns": [c for c in columns if c["name"] in change.record],
        "record": change.record,
        "old_record": change.old_record,
    }


def postgres_frame(vsn: str, topic: str, ids: list[int], data: dict[str, Any]) -> str:
    payload = {"ids": ids, "data": data}
    return protocol.encode(vsn, protocol.Frame(topic, protocol.POSTGRES_CHANGES, payload))


def feed_frame(vsn: str, topic: str, event: dict[str, Any], replayed: bool) -> str:
    """An event on one of the brief's channels: a broadcast named by its type, or an SSE event."""
    row = event_row(event)
    if vsn == SSE:
        data = msgspec.json.encode(row).decode()
        return f"id: {event['id']}\nevent: {event['event_type']}\ndata: {data}\n\n"
    meta: dict[str, Any] = {"id": str(event["id"])}
    if replayed:
        meta["replayed"] = True
    return broadcast_frame(vsn, topic, event["event_type"], row, meta)


def broadcast_frame(
    vsn: str, topic: str, event: str, payload: Any, meta: dict[str, Any] | None = None
) -> str:
    body: dict[str, Any] = {"type": protocol.BROADCAST, "event": event, "payload": payload}
    if meta:
        body["meta"] = meta
    return protocol.encode(vsn, protocol.Frame(topic, protocol.BROADCAST, body))


def system_frame(vsn: str, topic: str, status: str, message: str) -> str:
    payload = {
        "channel": topic.removeprefix("realtime:"),
        "extension": protocol.POSTGRES_CHANGES,
        "message": message,
        "status": status,
    }
    return protocol.encode(vsn, protocol.Frame(topic, protocol.SYSTEM, payload))


def sse_error(reason: str) -> str:
    return f"event: error\ndata: {msgspec.json.encode({'reason': reason}).decode()}\n\n"


def sse_comment(text: str) -> str:
    return f": {text}\n\n"
