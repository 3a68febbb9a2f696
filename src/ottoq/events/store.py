"""Writing and reading the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

_INSERT = """
INSERT INTO ottoq_events (city_id, entity_type, entity_id, event_type, payload_jsonb, created_at)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id
"""

_PAGE = """
SELECT id, city_id, entity_type, entity_id, event_type, payload_jsonb, created_at
FROM ottoq_events
WHERE ($1::ottoq_entity_type IS NULL OR entity_type = $1)
  AND ($2::uuid IS NULL OR entity_id = $2)
  AND ($3::bigint IS NULL OR id < $3)
ORDER BY id DESC
LIMIT $4
"""


async def record(
    conn: asyncpg.Connection,
    *,
    city_id: UUID | None,
    entity_type: str,
    entity_id: UUID | None,
    event_type: str,
    payload: dict[str, Any],
    at: datetime,
) -> int:
    """Append one event; call it inside the transaction that made the change."""
    event_id: int = await conn.fetchval(
        _INSERT, city_id, entity_type, entity_id, event_type, payload, at
    )
    return event_id


async def page(
    conn: asyncpg.Connection,
    entity_type: str | None,
    entity_id: UUID | None,
    before_id: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Newest first; `before_id` pages back from a previous page's last id."""
    rows = await conn.fetch(_PAGE, entity_type, entity_id, before_id, limit)
    return [dict(r) for r in rows]
