"""What one committed event means to subscribers: a row change, an audit row, channel topics.

Every state change writes an event whose payload carries the table and the old and new rows,
so the change is rebuilt from the event alone: no second read, and nothing that was not committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

ROW_TABLES = ("ottoq_resources", "ottoq_jobs", "ottoq_vehicles")
EVENTS_TABLE = "ottoq_events"
PUBLISHED_TABLES = (*ROW_TABLES, EVENTS_TABLE)

# The brief's channels, which OTTO-Q publishes to by itself (clients may not broadcast there).
OTTOQ_TOPIC = "realtime:ottoq"
DEPOT_TOPIC = "realtime:depots:"
VEHICLE_TOPIC = "realtime:vehicles:"
# Global news on realtime:ottoq: every scheduler tick that moved something, and completions.
_OTTOQ_EVENTS = frozenset({"SCHEDULER_TICK", "JOB_COMPLETED"})

# The columns of an event as clients see it (the writer's transaction id stays inside).
EVENT_COLUMNS = (
    "id",
    "city_id",
    "entity_type",
    "entity_id",
    "event_type",
    "payload_jsonb",
    "created_at",
)


@dataclass(frozen=True)
class RowChange:
    table: str
    type: str
    record: dict[str, Any]
    old_record: dict[str, Any]
    commit_timestamp: str


def row_change(event: dict[str, Any]) -> RowChange | None:
    """The table row an event changed, when its payload carries one."""
    payload = _payload(event)
    table, new = payload.get("table"), payload.get("new")
    if table not in ROW_TABLES or not isinstance(new, dict):
        return None
    old = payload.get("old")
    kind = "UPDATE" if isinstance(old, dict) else "INSERT"
    return RowChange(table, kind, new, old or {}, str(event["created_at"]))


def audit_change(event: dict[str, Any]) -> RowChange:
    """The event itself, as an INSERT into ottoq_events."""
    return RowChange(EVENTS_TABLE, "INSERT", event_row(event), {}, str(event["created_at"]))


def event_row(event: dict[str, Any]) -> dict[str, Any]:
    return {column: event.get(column) for column in EVENT_COLUMNS}


def feed_topics(event: dict[str, Any]) -> list[str]:
    """The brief's channels an event is published on."""
    payload = _payload(event)
    topics = []
    if payload.get("table") == "ottoq_resources" and payload.get("depot_id"):
        topics.append(f"{DEPOT_TOPIC}{payload['depot_id']}")
    vehicle = event["entity_id"] if event["entity_type"] == "VEHICLE" else payload.get("vehicle_id")
    if vehicle:
        topics.append(f"{VEHICLE_TOPIC}{vehicle}")
    if event["event_type"] in _OTTOQ_EVENTS or event["entity_type"] == "SIMULATOR":
        topics.append(OTTOQ_TOPIC)
    return topics


def _payload(event: dict[str, Any]) -> dict[str, Any]:
    payload = event.get("payload_jsonb")
    return payload if isinstance(payload, dict) else {}


def is_feed_topic(topic: str) -> bool:
    return topic == OTTOQ_TOPIC or topic.startswith((DEPOT_TOPIC, VEHICLE_TOPIC))


def feed_topic_for(channel: str) -> str | None:
    """An SSE `channel` parameter as a topic: `ottoq`, `depots:<id>` or `vehicles:<id>`."""
    topic = channel if channel.startswith("realtime:") else f"realtime:{channel}"
    if topic == OTTOQ_TOPIC:
        return topic
    for prefix in (DEPOT_TOPIC, VEHICLE_TOPIC):
        if topic.startswith(prefix) and _is_uuid(topic[len(prefix) :]):
            return prefix + topic[len(prefix) :].lower()
    return None


def _is_uuid(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return False
    return True
