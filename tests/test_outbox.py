"""The outbox reader: committed events once, in id order, never skipping one still in flight."""

from __future__ import annotations

import asyncpg
import pytest

from ottoq.events.outbox import OutboxCursor, latest_id

INSERT = """
INSERT INTO ottoq_events (entity_type, event_type, payload_jsonb)
VALUES ('SIMULATOR', $1, '{}') RETURNING id
"""


async def _ids(cursor: OutboxCursor, conn: asyncpg.Connection) -> list[str]:
    return [e["event_type"] for e in await cursor.read(conn)]


async def test_a_late_commit_with_a_smaller_id_is_not_skipped(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as reader, pool.acquire() as slow, pool.acquire() as fast:
        cursor = OutboxCursor(position=await latest_id(reader))
        slow_tx = slow.transaction()
        await slow_tx.start()
        await slow.fetchval(INSERT, "FIRST")
        await fast.fetchval(INSERT, "SECOND")

        assert await _ids(cursor, reader) == []
        await slow_tx.commit()

        assert await _ids(cursor, reader) == ["FIRST", "SECOND"]
        assert await _ids(cursor, reader) == []


async def test_a_rolled_back_id_is_skipped_once_its_transaction_ended(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as reader, pool.acquire() as writer:
        cursor = OutboxCursor(position=await latest_id(reader))
        tx = writer.transaction()
        await tx.start()
        await writer.fetchval(INSERT, "ROLLED_BACK")
        await tx.rollback()
        await writer.fetchval(INSERT, "KEPT")

        assert await _ids(cursor, reader) == []
        assert await _ids(cursor, reader) == ["KEPT"]


async def test_events_are_append_only(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        event_id = await conn.fetchval(INSERT, "X")
        for statement in (
            "UPDATE ottoq_events SET event_type = 'Y' WHERE id = $1",
            "DELETE FROM ottoq_events WHERE id = $1",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await conn.execute(statement, event_id)
