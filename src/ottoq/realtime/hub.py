"""The fan-out of one serve process: every connection's channels, fed by the outbox reader.

Publishing never awaits. Each connection has a bounded queue of encoded frames; one whose queue
is full is cut off with a reason instead of slowing the reader, the API or the other subscribers.
It can reconnect and resume from the last event id it saw.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ottoq.realtime import frames
from ottoq.realtime.bindings import Binding
from ottoq.realtime.changes import RowChange, audit_change, feed_topics, row_change


class Sink:
    """One connection's outgoing frames, in order, at most `limit` of them waiting."""

    def __init__(self, vsn: str, limit: int) -> None:
        self.vsn = vsn
        self.limit = limit
        self.token = uuid.uuid4().hex
        self.reason: str | None = None
        self.closed = asyncio.Event()
        self._frames: deque[str] = deque()
        self._ready = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()

    def put(self, frame: str) -> None:
        if self.reason is not None:
            return
        if len(self._frames) >= self.limit:
            self.cut_off(f"too slow: more than {self.limit} messages behind")
            return
        self._append(frame)

    def put_control(self, frame: str) -> None:
        """Replies to the client's own requests: few, so they do not count against the bound."""
        if self.reason is None:
            self._append(frame)

    def _append(self, frame: str) -> None:
        self._frames.append(frame)
        self._ready.set()
        if len(self._frames) > self.limit // 2:
            self._room.clear()

    def cut_off(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
            self._frames.clear()
            self.closed.set()
            self._ready.set()
            self._room.set()

    async def next(self, idle_s: float | None = None) -> str | None:
        """The next frame; None once cut off; "" when `idle_s` pass with nothing to send."""
        while not self._frames:
            if self.reason is not None:
                return None
            self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), idle_s)
            except TimeoutError:
                return ""
        frame = self._frames.popleft()
        if len(self._frames) <= self.limit // 2:
            self._room.set()
        return frame

    async def room(self) -> None:
        """Wait until the queue is at most half full (a replay paces itself with this)."""
        await self._room.wait()

    def __len__(self) -> int:
        return len(self._frames)


@dataclass(eq=False)
class Subscription:
    """One joined channel of one connection."""

    sink: Sink
    topic: str
    bindings: list[Binding] = field(default_factory=list)
    broadcast_self: bool = False
    # Events at or below this id were seen already (a resume point newer than this process).
    floor: int = 0
    # While a replay runs, live frames wait here so that the channel stays in id order.
    held: list[str] | None = None
    # Subscriptions of one shape receive the same frames for every event.
    shape: tuple[Any, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.shape = (self.topic, self.sink.vsn, tuple(b.key for b in self.bindings))

    def deliver(self, event_id: int, batch: list[str]) -> None:
        if event_id <= self.floor or not batch:
            return
        if self.held is None:
            for frame in batch:
                self.sink.put(frame)
            return
        if len(self.held) + len(batch) > self.sink.limit:
            self.sink.cut_off(f"too slow: more than {self.sink.limit} messages behind in replay")
            return
        self.held.extend(batch)

    def release_held(self) -> None:
        held, self.held = self.held or [], None
        for frame in held:
            self.sink.put(frame)


class EventView:
    """One event worked out once for every subscriber; each frame is encoded once per shape."""

    def __init__(self, event: dict[str, Any], columns: dict[str, list[dict[str, str]]]) -> None:
        self.event = event
        self.id: int = event["id"]
        change = row_change(event)
        self.changes = [c for c in (change, audit_change(event)) if c is not None]
        self.topics = feed_topics(event)
        self._columns = columns
        self._data: dict[str, dict[str, Any]] = {}
        self._encoded: dict[tuple[Any, ...], str] = {}
        self._batches: dict[tuple[Any, ...], list[str]] = {}

    def frames_for(self, sub: Subscription, replayed: bool = False) -> list[str]:
        """What `sub` receives for this event, worked out once per subscription shape."""
        key = (sub.shape, replayed)
        batch = self._batches.get(key)
        if batch is None:
            batch = self._batches[key] = self._frames_for(sub, replayed)
        return batch

    def _frames_for(self, sub: Subscription, replayed: bool) -> list[str]:
        batch = []
        for change in self.changes:
            ids = list(dict.fromkeys(b.id for b in sub.bindings if b.matches(change)))
            if ids:
                batch.append(self._postgres(sub, change, ids))
        # A join that names its postgres_changes gets exactly those; the brief's channels
        # broadcast their events to joins that name none (else each change would come twice).
        if not sub.bindings and sub.topic in self.topics:
            batch.append(self._feed(sub, replayed))
        return batch

    def _postgres(self, sub: Subscription, change: RowChange, ids: list[int]) -> str:
        key = ("pg", sub.sink.vsn, sub.topic, change.table, tuple(ids))
        if key not in self._encoded:
            if change.table not in self._data:
                columns = self._columns.get(change.table, [])
                self._data[change.table] = frames.change_data(change, columns)
            data = self._data[change.table]
            self._encoded[key] = frames.postgres_frame(sub.sink.vsn, sub.topic, ids, data)
        return self._encoded[key]

    def _feed(self, sub: Subscription, replayed: bool) -> str:
        key = ("feed", sub.sink.vsn, sub.topic, replayed)
        if key not in self._encoded:
            self._encoded[key] = frames.feed_frame(sub.sink.vsn, sub.topic, self.event, replayed)
        return self._encoded[key]


class Hub:
    """Subscriptions indexed by topic and by table, and the id of the last event published."""

    def __init__(self) -> None:
        self.position: int | None = None
        self.columns: dict[str, list[dict[str, str]]] = {}
        self.ready = asyncio.Event()
        self._topics: dict[str, set[Subscription]] = {}
        self._tables: dict[str, set[Subscription]] = {}

    def start(self, position: int) -> None:
        """The reader's first read: events after `position` will be published."""
        if self.position is None:
            self.position = position
        self.ready.set()

    def add(self, sub: Subscription) -> int:
        """Register; returns the last id published before it, so a replay knows where to stop."""
        assert self.position is not None, "wait for hub.ready before adding subscriptions"
        self._topics.setdefault(sub.topic, set()).add(sub)
        for table in {t for b in sub.bindings for t in b.tables}:
            self._tables.setdefault(table, set()).add(sub)
        return self.position

    def remove(self, sub: Subscription) -> None:
        _discard(self._topics, sub.topic, sub)
        for table in {t for b in sub.bindings for t in b.tables}:
            _discard(self._tables, table, sub)

    def publish(self, event: dict[str, Any]) -> None:
        view = EventView(event, self.columns)
        self.position = view.id
        for sub in self._interested(view):
            if sub.sink.reason is None:
                sub.deliver(view.id, view.frames_for(sub))

    def view(self, event: dict[str, Any]) -> EventView:
        return EventView(event, self.columns)

    def _interested(self, view: EventView) -> set[Subscription]:
        subs: set[Subscription] = set()
        for change in view.changes:
            subs.update(self._tables.get(change.table, ()))
        for topic in view.topics:
            subs.update(self._topics.get(topic, ()))
        return subs

    def relay(self, topic: str, event: str, payload: Any, origin: str | None) -> None:
        """A client's broadcast, to the topic's other subscribers (and to itself if it asked)."""
        encoded: dict[str, str] = {}
        for sub in self._topics.get(topic, ()):
            if sub.sink.token == origin and not sub.broadcast_self:
                continue
            vsn = sub.sink.vsn
            if vsn == frames.SSE:
                continue
            if vsn not in encoded:
                encoded[vsn] = frames.broadcast_frame(vsn, topic, event, payload)
            sub.sink.put(encoded[vsn])

    def subscriptions(self) -> int:
        return len({s for subs in self._topics.values() for s in subs})


def _discard(index: dict[str, set[Subscription]], key: str, sub: Subscription) -> None:
    subs = index.get(key)
    if subs is not None:
        subs.discard(sub)
        if not subs:
            del index[key]
