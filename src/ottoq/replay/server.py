"""A replay's own OTTO-Q: `ottoq serve` and `ottoq worker` as child processes, on a free port.

Processes of their own, so that the API, the scheduler and the replay that drives them do not
share one core. Both read one scaled clock, given to the child as its spec; the clock starts
a few seconds ahead, once the child is up, so nothing is late when the first event comes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import sys
import time
from asyncio.subprocess import Process
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import IO

import httpx
import structlog

from ottoq.clock import ScaledClock
from ottoq.db.migrate import migrate
from ottoq.db.pool import create_pool
from ottoq.settings import Settings

log = structlog.get_logger()

# Wall seconds between starting the child and its clock reaching the replay's first moment.
STARTUP_S = 6.0
_READY_TIMEOUT_S = 60.0
REPLAY_GRACE_MINUTES = 24 * 60
_STOP_TIMEOUT_S = 15.0


async def migrate_database(dsn: str) -> None:
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
    finally:
        await pool.close()


def tick_interval(speed: float) -> float:
    """Real seconds between scheduler ticks: a simulated minute, within 0.05 s and 1 s.

    Starts and ends are stamped when they really happened whenever the tick notices them, so a
    coarser tick at high speed costs only how soon freed stalls are handed on.
    """
    return min(max(60.0 / max(speed, 1e-9), 0.05), 1.0)


def replay_clock(origin: datetime, speed: float) -> ScaledClock:
    """A clock that reads `origin` once the child has had time to start."""
    return ScaledClock(origin, time.time() + STARTUP_S, speed)


@contextlib.asynccontextmanager
async def own_ottoq(
    settings: Settings, dsn: str, clock: ScaledClock, log_file: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """Run OTTO-Q on `dsn` and `clock`; yield a client holding a key made for this run.

    The API and the worker are two processes, so that answers do not wait behind ticks.
    """
    key, port = secrets.token_urlsafe(24), _free_port()
    env = _child_env(settings, dsn, clock, key)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as out:
        api = await _spawn(env, out, "serve", "--port", str(port))
        worker = await _spawn(env, out, "worker")
    log.info("replay.server_started", api=api.pid, worker=worker.pid, port=port)
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers={"apikey": key}, timeout=60.0
        ) as http:
            await _until_healthy(http, api, worker)
            yield http
    finally:
        await asyncio.gather(_stop(api), _stop(worker))


async def _spawn(env: dict[str, str], out: IO[bytes], *command: str) -> Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ottoq", *command, env=env, stdout=out, stderr=out
    )


def _child_env(settings: Settings, dsn: str, clock: ScaledClock, key: str) -> dict[str, str]:
    return {
        **os.environ,
        "OTTOQ_DATABASE_URL": dsn,
        "OTTOQ_CLOCK": clock.spec(),
        "OTTOQ_TICK_INTERVAL": str(settings.tick_interval_s),
        "OTTOQ_SERVICE_KEY": key,
        "OTTOQ_ANON_KEY": secrets.token_urlsafe(24),
        # The replay's OTTO-Q drives no demo fleet, and says only what went wrong.
        "OTTOQ_SIMULATOR": "0",
        # Every replayed vehicle arrives: a no-show there would only be the replay running late
        # (at 10000x the usual 15 minutes of grace are 90 ms of real time).
        "OTTOQ_ARRIVAL_GRACE_MINUTES": str(REPLAY_GRACE_MINUTES),
        "OTTOQ_LOG_LEVEL": "WARNING",
        "OTTOQ_LOG_FORMAT": "json",
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _until_healthy(http: httpx.AsyncClient, *children: Process) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _READY_TIMEOUT_S
    while loop.time() < deadline:
        for child in children:
            if child.returncode is not None:
                raise RuntimeError(
                    f"the replay's OTTO-Q exited with {child.returncode}; see its log"
                )
        with contextlib.suppress(httpx.TransportError):
            if (await http.get("/health")).status_code == 200:
                return
        await asyncio.sleep(0.1)
    raise TimeoutError("the replay's OTTO-Q did not become healthy in time")


async def _stop(child: Process) -> None:
    if child.returncode is None:
        child.terminate()
        try:
            await asyncio.wait_for(child.wait(), timeout=_STOP_TIMEOUT_S)
        except TimeoutError:
            child.kill()
            await child.wait()
    log.info("replay.server_stopped", pid=child.pid, returncode=child.returncode)
