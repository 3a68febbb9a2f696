"""Transactions that retry when PostgreSQL picks them as a deadlock or serialization victim."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
import structlog

log = structlog.get_logger()
T = TypeVar("T")

_RETRYABLE = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)
_ATTEMPTS = 5


async def in_transaction(
    pool: asyncpg.Pool, work: Callable[[asyncpg.Connection], Awaitable[T]]
) -> T:
    """Run `work` in one transaction on a pooled connection; commit once at the end."""
    for attempt in range(1, _ATTEMPTS + 1):
        async with pool.acquire() as conn:
            try:
                async with conn.transaction():
                    return await work(conn)
            except _RETRYABLE as exc:
                if attempt == _ATTEMPTS:
                    raise
                log.warning("db.tx.retry", attempt=attempt, reason=type(exc).__name__)
        # Back off a little so the transaction that won can finish first.
        await asyncio.sleep(0.01 * attempt)
    raise AssertionError("unreachable")
