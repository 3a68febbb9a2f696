"""One websocket connection speaking Phoenix channels: joins, leaves, heartbeats, broadcasts.

Two tasks per connection: one reads and answers the client, one drains the connection's queue.
Everything the client receives goes through that queue, so replies and changes keep their order.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import asyncpg
import msgspec
import structlog
from litestar import WebSocket
from litestar.exceptions import WebSocketDisconnect

from ottoq.realtime import frames, protocol, queries
from ottoq.realtime.bindings import BindingError, parse_bindings
from ottoq.realtime.changes import is_feed_topic
from ottoq.realtime.hub import Sink, Subscription
from ottoq.realtime.resume import register, replay
from ottoq.realtime.service import Realtime
from ottoq.web.auth import role_for
from ottoq.web.runtime import NotReady

log = structlog.get_logger()

# 1013 "try again later": the client fell behind and should reconnect with its last event id.
CLOSE_TOO_SLOW = 1013
_CLOSE_WAIT_S = 1.0
# pg_notify refuses payloads from 8000 bytes on.
_MAX_BROADCAST_BYTES = 7500


class Session:
    def __init__(
        self,
        live: Realtime,
        socket: WebSocket[Any, Any, Any],
        vsn: str,
        key: str | None,
        after_id: int | None,
    ) -> None:
        self.live = live
        self.socket = socket
        self.vsn = vsn
        self.key = key
        self.after_id = after_id
        self.sink = Sink(vsn, live.config.queue_limit)
        self.channels: dict[str, Subscription] = {}
        # A channel's replay, cancelled when the channel is left or joined again.
        self._replays: dict[str, asyncio.Task[None]] = {}

    async def run(self) -> None:
        """Serve the connection until the client leaves or is cut off."""
        receiver = asyncio.create_task(self._receive_loop())
        sender = asyncio.create_task(self._send_loop())
        cut_off = asyncio.create_task(self.sink.closed.wait())
        try:
            done, _ = await asyncio.wait(
                {receiver, sender, cut_off}, return_when=asyncio.FIRST_COMPLETED
            )
            _log_failures(done)
        finally:
            for task in (receiver, sender, cut_off, *self._replays.values()):
                task.cancel()
            for sub in self.channels.values():
                self.live.hub.remove(sub)
        if self.sink.reason is not None:
            await self._close_too_slow(self.sink.reason)

    async def _close_too_slow(self, reason: str) -> None:
        log.warning("realtime.socket.cut_off", reason=reason, topics=sorted(self.channels))
        # A client that reads nothing never takes the close frame either; then just drop it.
        with contextlib.suppress(TimeoutError, WebSocketDisconnect, OSError):
            await asyncio.wait_for(self.socket.close(CLOSE_TOO_SLOW, reason), _CLOSE_WAIT_S)

    async def _send_loop(self) -> None:
        while (frame := await self.sink.next()) is not None:
            try:
                await self.socket.send_text(frame)
            except (WebSocketDisconnect, OSError):
                return

    async def _receive_loop(self) -> None:
        while True:
            message = await self.socket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text, binary = message.get("text"), message.get("bytes")
            data = text if isinstance(text, str) else binary if isinstance(binary, bytes) else b""
            try:
                frame = protocol.decode(self.vsn, data)
            except protocol.ProtocolError as exc:
                log.info("realtime.socket.unreadable_frame", error=str(exc))
                continue
            await self._handle(frame)

    async def _handle(self, frame: protocol.Frame) -> None:
        if frame.topic == protocol.PHOENIX and frame.event == protocol.HEARTBEAT:
            self._reply(frame, "ok", {})
        elif frame.event == protocol.JOIN:
            await self._join(frame)
        elif frame.topic not in self.channels:
            self._reply(frame, "error", {"reason": f"{frame.topic} is not joined"})
        elif frame.event == protocol.LEAVE:
            self._leave(frame)
        elif frame.event == protocol.BROADCAST:
            await self._broadcast(frame)
        elif frame.event == protocol.PRESENCE:
            # Presence is acknowledged but not shared: OTTO-Q's channels carry no user state.
            self._reply(frame, "ok", {})

    def _reply(self, frame: protocol.Frame, status: str, response: Any) -> None:
        answer = protocol.reply(frame.topic, frame.ref, frame.join_ref, status, response)
        self.sink.put_control(protocol.encode(self.vsn, answer))

    async def _join(self, frame: protocol.Frame) -> None:
        refusal = self._refusal(frame.payload)
        config = _object(frame.payload.get("config"))
        try:
            bindings = parse_bindings(config.get("postgres_changes"))
        except BindingError as exc:
            refusal = refusal or str(exc)
        if refusal is None:
            refusal = await self.live.unavailable()
        if refusal is not None:
            log.info("realtime.join.refused", topic=frame.topic, reason=refusal)
            self._reply(frame, "error", {"reason": refusal})
            return

        self._drop(frame.topic)
        broadcast = _object(config.get("broadcast"))
        sub = Subscription(self.sink, frame.topic, bindings, bool(broadcast.get("self")))
        self.channels[frame.topic] = sub
        # Reply, announce and register in one step: no change can slip in between them.
        self._reply(frame, "ok", {"postgres_changes": [b.echo() for b in bindings]})
        self._announce(sub, config)
        upto = register(self.live.hub, sub, self.after_id)
        if upto is not None and self.after_id is not None:
            self._replays[sub.topic] = asyncio.create_task(self._replay(sub, self.after_id, upto))

    def _refusal(self, payload: dict[str, Any]) -> str | None:
        settings = self.live.runtime.ctx.settings
        token = payload.get("access_token")
        token = token if isinstance(token, str) else None
        if role_for(settings, self.key) is None and role_for(settings, token) is None:
            return "a valid apikey (the anon or the service key) is required to subscribe"
        return None

    def _announce(self, sub: Subscription, config: dict[str, Any]) -> None:
        if sub.bindings:
            ready = frames.system_frame(self.vsn, sub.topic, "ok", "Subscribed to PostgreSQL")
            self.sink.put_control(ready)
        if _object(config.get("presence")).get("enabled"):
            state = protocol.Frame(sub.topic, protocol.PRESENCE_STATE, {})
            self.sink.put_control(protocol.encode(self.vsn, state))

    async def _replay(self, sub: Subscription, after_id: int, upto: int) -> None:
        pool = self.live.runtime.require_pool()
        await replay(self.live.hub, sub, after_id, upto, pool, self.live.config.replay_page)

    def _leave(self, frame: protocol.Frame) -> None:
        self._drop(frame.topic)
        self._reply(frame, "ok", {})

    def _drop(self, topic: str) -> None:
        if topic in self._replays:
            self._replays.pop(topic).cancel()
        if topic in self.channels:
            self.live.hub.remove(self.channels.pop(topic))

    async def _broadcast(self, frame: protocol.Frame) -> None:
        """Relay a client's broadcast to the topic's subscribers in every serve process."""
        if is_feed_topic(frame.topic):
            self._reply(frame, "error", {"reason": f"{frame.topic} is published by OTTO-Q only"})
            return
        body = {
            "topic": frame.topic,
            "event": frame.payload.get("event"),
            "payload": frame.payload.get("payload"),
            "origin": self.sink.token,
        }
        message = msgspec.json.encode(body).decode()
        if len(message.encode()) > _MAX_BROADCAST_BYTES:
            self._reply(frame, "error", {"reason": "broadcast payload too large"})
            return
        try:
            async with self.live.runtime.require_pool().acquire() as conn:
                await queries.notify_broadcast(conn, message)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, NotReady) as exc:
            log.warning("realtime.broadcast.failed", topic=frame.topic, error=str(exc))
            self._reply(frame, "error", {"reason": "broadcast could not be relayed; retry"})
            return
        if frame.ref is not None:
            self._reply(frame, "ok", {})


def _object(value: Any) -> dict[str, Any]:
    """A part of a client's payload that should be an object; anything else counts as empty."""
    return value if isinstance(value, dict) else {}


def _log_failures(done: set[asyncio.Task[Any]]) -> None:
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            log.error("realtime.socket.failed", error=repr(task.exception()))
