"""SQL for realtime: replaying committed events, the published columns, client broadcasts."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from ottoq.realtime.changes import PUBLISHED_TABLES

# Shaped like the outbox reader's rows (json_agg), so a replayed event equals a live one.
_EVENTS_BETWEEN = """
SELECT coalesce(json_agg(e ORDER BY e.id), '[]'::json)
FROM (
    SELECT id, city_id, entity_type, entity_id, event_type, payload_jsonb, created_at
    FROM ottoq_events WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3
) e
"""

_COLUMNS = """
SELECT table_name::text, column_name::text, udt_name::text
FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = ANY($1::text[])
ORDER BY table_name, ordinal_position
"""

BROADCAST_CHANNEL = "ottoq_realtime_broadcast"
_NOTIFY = "SELECT pg_notify($1, $2)"


async def events_between(
    conn: asyncpg.Connection, after_id: int, upto_id: int, limit: int
) -> list[dict[str, Any]]:
    """Events with after_id < id <= upto_id, oldest first; every id up to upto_id is settled."""
    value = await conn.fetchval(_EVENTS_BETWEEN, after_id, upto_id, limit)
    if isinstance(value, str):
        value = json.loads(value)
    events: list[dict[str, Any]] = value
    return events


async def column_types(conn: asyncpg.Connection) -> dict[str, list[dict[str, str]]]:
    """Each published table's columns with their type names, as Supabase clients expect them."""
    rows = await conn.fetch(_COLUMNS, list(PUBLISHED_TABLES))
    found: dict[str, list[dict[str, str]]] = {}
    for table, column, udt in rows:
        found.setdefault(table, []).append({"name": column, "type": udt})
    return found


async def notify_broadcast(conn: asyncpg.Connection, message: str) -> None:
    """Hand a client's broadcast to every serve process (this one too) through LISTEN."""
    await conn.execute(_NOTIFY, BROADCAST_CHANNEL, message)
