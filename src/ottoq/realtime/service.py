"""Realtime inside a serve process: its hub, its outbox reader, and their lifespan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import structlog
from litestar import Litestar

from ottoq.realtime.config import RealtimeConfig
from ottoq.realtime.hub import Hub
from ottoq.realtime.reader import OutboxReader
from ottoq.web.runtime import Runtime

log = structlog.get_logger()

STATE_KEY = "realtime"


@dataclass
class Realtime:
    config: RealtimeConfig
    hub: Hub
    runtime: Runtime
    reader: OutboxReader | None = None

    async def unavailable(self) -> str | None:
        """Why nobody can subscribe now, or None once the reader knows where the outbox ends."""
        if not self.config.enabled:
            return "realtime is turned off on this server"
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.hub.ready.wait(), timeout=self.config.ready_timeout_s)
        return None if self.hub.ready.is_set() else "realtime is not ready yet; retry shortly"


def realtime_lifespan(
    runtime: Runtime, dsn: str, config: RealtimeConfig | None = None
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """The lifespan hook that runs this process's outbox reader while the app serves."""
    config = config or RealtimeConfig.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        live = Realtime(config=config, hub=Hub(), runtime=runtime)
        app.state[STATE_KEY] = live
        if not config.enabled:
            yield
            return
        live.reader = OutboxReader(dsn, live.hub, config)
        task = asyncio.create_task(live.reader.run(lambda: runtime.ready))
        try:
            yield
        finally:
            live.reader.stop()
            await _stop(task)

    return lifespan


async def _stop(task: asyncio.Task[None]) -> None:
    try:
        await asyncio.wait_for(task, timeout=5)
    except TimeoutError:
        log.warning("realtime.reader.stop_timeout")


def realtime_of(app: Any) -> Realtime:
    live: Realtime = app.state[STATE_KEY]
    return live
