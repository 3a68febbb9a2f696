"""The one outbox reader of a serve process: committed events, in id order, into its hub.

A NOTIFY on `ottoq_events` only wakes it up; what it publishes is read back by id through the
lossless OutboxCursor, so it never sees an uncommitted change and never skips a late commit.
It also polls, because a rolled-back id sends no NOTIFY and a wake-up can be lost in an outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

import asyncpg
import structlog

from ottoq.events.outbox import OutboxCursor, latest_id
from ottoq.realtime import queries
from ottoq.realtime.config import RealtimeConfig
from ottoq.realtime.hub import Hub

log = structlog.get_logger()

EVENTS_CHANNEL = "ottoq_events"
_RECONNECT_S = (0.2, 0.5, 1.0, 2.0, 5.0)
_YIELD_EVERY = 50


class OutboxReader:
    def __init__(self, dsn: str, hub: Hub, config: RealtimeConfig) -> None:
        self.dsn = dsn
        self.hub = hub
        self.config = config
        self.cursor: OutboxCursor | None = None
        self._wake = asyncio.Event()
        self._stopping = False

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self, ready: Callable[[], bool]) -> None:
        """Follow the outbox until stopped; reconnect after an outage without losing the place."""
        failures = 0
        while not self._stopping:
            if not ready():
                await self._sleep(self.config.poll_interval_s)
                continue
            try:
                await self._session()
                failures = 0
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                delay = _RECONNECT_S[min(failures, len(_RECONNECT_S) - 1)]
                failures += 1
                log.warning("realtime.reader.reconnecting", error=str(exc), delay_s=delay)
                await self._sleep(delay)

    async def _session(self) -> None:
        conn = await asyncpg.connect(self.dsn, server_settings={"application_name": "ottoq-rt"})
        try:
            await conn.add_listener(EVENTS_CHANNEL, self._on_notify)
            await conn.add_listener(queries.BROADCAST_CHANNEL, self._on_broadcast)
            self.hub.columns = await queries.column_types(conn)
            if self.cursor is None:
                self.cursor = OutboxCursor(position=await latest_id(conn))
                log.info("realtime.reader.started", position=self.cursor.position)
            self.hub.start(self.cursor.position)
            await self._follow(conn, self.cursor)
        finally:
            with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await conn.close(timeout=2)

    async def _follow(self, conn: asyncpg.Connection, cursor: OutboxCursor) -> None:
        while not self._stopping:
            # Cleared before reading: a NOTIFY that lands during the read triggers another one.
            self._wake.clear()
            events = await cursor.read(conn, self.config.read_batch)
            for count, event in enumerate(events, start=1):
                self._publish(event)
                if count % _YIELD_EVERY == 0:
                    # Let connections drain between slices of a burst, so only slow ones fill up.
                    await asyncio.sleep(0)

            if len(events) == self.config.read_batch:
                await asyncio.sleep(0)
                continue
            on_gap = cursor.gap_at is not None
            await self._sleep(self.config.gap_poll_s if on_gap else self.config.poll_interval_s)

    def _publish(self, event: dict[str, Any]) -> None:
        # The cursor has moved past this event already: a bug in publishing it must not stop
        # the reader or cost the events after it, so it is logged and the reader goes on.
        try:
            self.hub.publish(event)
        except Exception:
            log.exception("realtime.publish_failed", event_id=event.get("id"))

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    def _on_broadcast(self, _conn: object, _pid: int, _channel: str, message: str) -> None:
        try:
            body = json.loads(message)
            self.hub.relay(body["topic"], body["event"], body.get("payload"), body.get("origin"))
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("realtime.broadcast.unreadable", error=str(exc))
