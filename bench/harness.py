"""What every benchmark needs: a database, an OTTO-Q server process, timing and medians."""

from __future__ import annotations

import asyncio
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from ottoq.db.embedded import temporary_server
from ottoq.db.migrate import migrate
from ottoq.db.pool import _init_connection, database_url
from ottoq.network.seed import seed_demo

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Sizes:
    """How long and how big each run is; smoke sizes only prove that the code runs."""

    seconds: float
    repeats: int
    vehicles_large: int
    finished_jobs: int
    transitions: int
    # Queue quality: days of the Dundee week replayed, and CP-SAT's time limit for the optimum.
    queue_days: int
    queue_solve_s: float

    @classmethod
    def pick(cls, smoke: bool) -> Sizes:
        if smoke:
            return cls(
                seconds=1.0,
                repeats=1,
                vehicles_large=2_000,
                finished_jobs=5_000,
                transitions=20,
                queue_days=1,
                queue_solve_s=5.0,
            )
        return cls(
            seconds=8.0,
            repeats=3,
            vehicles_large=100_000,
            finished_jobs=1_000_000,
            transitions=200,
            queue_days=7,
            queue_solve_s=60.0,
        )


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def server_dsn() -> Iterator[str]:
    """OTTOQ_DATABASE_URL's server when set, else an embedded one for this run."""
    configured = os.environ.get("OTTOQ_DATABASE_URL")
    if configured:
        yield configured
        return
    with temporary_server("ottoq-bench-") as dsn:
        yield dsn


async def fresh_database(dsn: str, name: str, *, seed: bool = True) -> str:
    """A new, migrated (and seeded) database on the server; returns its DSN."""
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = database_url(dsn, name)
    conn = await asyncpg.connect(url)
    try:
        await _init_connection(conn)
        await migrate(conn)
        if seed:
            await seed_demo(conn)
    finally:
        await conn.close()
    return url


@contextmanager
def ottoq_server(dsn: str, *extra_env: tuple[str, str]) -> Iterator[str]:
    """`ottoq serve` in its own process, keyless on loopback; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "OTTOQ_DATABASE_URL": dsn,
        "OTTOQ_ALLOW_KEYLESS": "1",
        "OTTOQ_LOG_FORMAT": "json",
        **dict(extra_env),
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "bench.app:make_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with _process(command, env, f"http://127.0.0.1:{port}/health") as url:
        yield url


@contextmanager
def _process(command: list[str], env: dict[str, str], ready_url: str) -> Iterator[str]:
    proc = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait_ready(proc, ready_url)
        yield ready_url.rsplit("/", 1)[0]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait_ready(proc: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within 60 s")


@contextmanager
def bare_asgi_server() -> Iterator[str]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.bare:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with _process(command, dict(os.environ), f"http://127.0.0.1:{port}/health") as url:
        yield url


def machine() -> dict[str, str]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": f"{memory:.0f} GiB",
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


async def server_version(dsn: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        version: str = await conn.fetchval("SHOW server_version")
        return version
    finally:
        await conn.close()


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]
