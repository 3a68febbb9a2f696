"""Reading the event log as an outbox: every committed event once, in id order, none skipped.

Ids are drawn when a row is inserted, not when its transaction commits, so a reader can see
event 101 while event 100 is still being written. Delivering 101 and moving on would lose 100.
The reader therefore stops at a gap until every transaction that was running when it first saw
the gap has ended; if the id is still missing then, its transaction rolled back and the gap is
skipped. Changes of one row are locked in order, so id order is their commit order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

# One statement, so the events and the snapshot bounds come from the same snapshot.
_READ = """
SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin,
       pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax,
       coalesce(json_agg(e ORDER BY e.id), '[]'::json) AS events
FROM (
    SELECT id, city_id, entity_type, entity_id, event_type, payload_jsonb, created_at
    FROM ottoq_events WHERE id > $1 ORDER BY id LIMIT $2
) e
"""

LAST_ID = "SELECT coalesce(max(id), 0) FROM ottoq_events"


@dataclass
class OutboxCursor:
    """Where a reader stands: the last id delivered, and the gap it is waiting on, if any."""

    position: int = 0
    gap_at: int | None = None
    gap_clears_at_xid: int | None = None

    async def read(self, conn: asyncpg.Connection, limit: int = 500) -> list[dict[str, Any]]:
        """The next events that are safe to deliver; advances the cursor past them."""
        row = await conn.fetchrow(_READ, self.position, limit)
        events = row["events"]
        if isinstance(events, str):
            import json

            events = json.loads(events)
        return self._take(events, row["xmin"], row["xmax"])

    def _take(self, events: list[dict[str, Any]], xmin: int, xmax: int) -> list[dict[str, Any]]:
        ready = []
        for event in events:
            expected = self.position + 1
            if event["id"] != expected and not self._gap_closed(expected, xmin, xmax):
                break
            ready.append(event)
            self.position = event["id"]
            self.gap_at = self.gap_clears_at_xid = None
        return ready

    def _gap_closed(self, expected: int, xmin: int, xmax: int) -> bool:
        if self.gap_at != expected:
            # First sight of this gap: it may fill until every transaction running now has ended.
            self.gap_at, self.gap_clears_at_xid = expected, xmax
            return False
        assert self.gap_clears_at_xid is not None
        return xmin >= self.gap_clears_at_xid


async def latest_id(conn: asyncpg.Connection) -> int:
    value: int = await conn.fetchval(LAST_ID)
    return value
