"""A replay's own OTTO-Q: the app and its worker in this process, on a free loopback port."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import uvicorn

from ottoq.clock import Clock
from ottoq.db.migrate import migrate
from ottoq.db.pool import create_pool
from ottoq.settings import Settings

_READY_TIMEOUT_S = 60.0


class _QuietServer(uvicorn.Server):
    """Leaves Ctrl-C to the replay, which stops the server itself on the way out."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def migrate_database(dsn: str) -> None:
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
    finally:
        await pool.close()


def tick_interval(speed: float) -> float:
    """Real seconds between scheduler ticks: about one simulated minute, within reason."""
    return min(max(60.0 / max(speed, 1e-9), 0.01), 1.0)


@contextlib.asynccontextmanager
async def own_ottoq(settings: Settings, dsn: str, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    """Serve OTTO-Q with its worker on `dsn`; yield a client holding a key made for this run."""
    from ottoq.web.app import create_app

    key = secrets.token_urlsafe(24)
    run_settings = settings.with_(service_key=key, anon_key=secrets.token_urlsafe(24))
    app = create_app(run_settings, dsn, clock=clock, run_worker=True)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Inherited by accepted connections; without it every small answer waits for a delayed ACK.
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = _QuietServer(uvicorn.Config(app, log_level="warning", lifespan="on"))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers={"apikey": key}, timeout=60.0
        ) as http:
            await _until_healthy(http, serving)
            yield http
    finally:
        server.should_exit = True
        await serving
        listener.close()


async def _until_healthy(http: httpx.AsyncClient, serving: asyncio.Task[None]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _READY_TIMEOUT_S
    while loop.time() < deadline:
        if serving.done():
            serving.result()
            raise RuntimeError("the replay's OTTO-Q stopped while starting")
        with contextlib.suppress(httpx.TransportError):
            if (await http.get("/health")).status_code == 200:
                return
        await asyncio.sleep(0.05)
    raise TimeoutError("the replay's OTTO-Q did not become healthy in time")
