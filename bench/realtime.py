"""Realtime benchmark: commit-to-subscriber latency with many subscribers on one depot, and
commit throughput with realtime on against off. Not a test; run it by hand:

    .venv/bin/python -m bench.realtime [--subscribers 1000] [--commits 200] [--seconds 10]

Everything runs on this machine: an embedded PostgreSQL, two `ottoq serve` processes (realtime
on, realtime off), the subscribers in a child process (raw Phoenix websockets, one
postgres_changes binding each on the depot's stalls) and the committers in this one. Latency
runs from the moment a commit returns in this process to the moment a subscriber's socket hands
over the change, on the same wall clock. Each commit is one job request or cancel at the depot,
so it changes exactly one stall.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import httpx

from ottoq import logs
from ottoq.clock import SystemClock
from ottoq.context import Ctx
from ottoq.db.pool import create_pool
from ottoq.db.tx import in_transaction
from ottoq.jobs import service
from ottoq.network.seed import stable_id
from ottoq.settings import Settings

DEPOT = stable_id("depot", "Nashville North Depot")
# Commits through the server without realtime go here, where nobody subscribed.
OTHER_DEPOT = stable_id("depot", "Nashville South Depot")
ANON, SERVICE = "bench-anon", "bench-service"
F = "/functions/v1"
READY_TIMEOUT_S = 120.0


@dataclass
class Options:
    subscribers: int
    commits: int
    rate: float
    seconds: float
    workers: int
    repeats: int


def main() -> None:
    options = _options()
    logs.configure(level="WARNING")
    with tempfile.TemporaryDirectory(prefix="ottoq-bench-") as folder:
        os.chmod(folder, 0o755)
        from ottoq.cli import prepare
        from ottoq.db.embedded import start_embedded

        server, dsn = start_embedded(Path(folder))
        try:
            asyncio.run(prepare(dsn, seed=42))
            _report(options, _measure(options, dsn))
        finally:
            server.cleanup()


def _options() -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--commits", type=int, default=200, help="commits timed for latency")
    parser.add_argument("--rate", type=float, default=10.0, help="latency commits per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="each throughput run")
    parser.add_argument("--workers", type=int, default=8, help="concurrent API clients")
    parser.add_argument("--repeats", type=int, default=3, help="throughput runs per setting")
    args = parser.parse_args()
    return Options(**vars(args))


def _measure(options: Options, dsn: str) -> dict[str, Any]:
    """Runs with realtime on and off alternate, so that load from elsewhere hits both alike."""
    runs: dict[str, list[float]] = {"off": [], "on, no subscribers": [], "on, subscribed": []}
    with serve(dsn, realtime=False) as off_url, serve(dsn, realtime=True) as on_url:
        # A short first run warms the database caches, so that no measured run pays for it.
        asyncio.run(_throughput(off_url, OTHER_DEPOT, options, seconds=3.0))
        for _ in range(options.repeats):
            runs["off"].append(asyncio.run(_throughput(off_url, OTHER_DEPOT, options)))
            runs["on, no subscribers"].append(asyncio.run(_throughput(on_url, DEPOT, options)))
        with subscribers(on_url, options) as watchers:
            committed = asyncio.run(_commit_steadily(dsn, options))
            watchers.wait_for(options.subscribers * options.commits, timeout_s=60)
            for _ in range(options.repeats):
                runs["off"].append(asyncio.run(_throughput(off_url, OTHER_DEPOT, options)))
                runs["on, subscribed"].append(asyncio.run(_throughput(on_url, DEPOT, options)))
            final = watchers.collect()
    latency = _percentiles(committed, final["arrivals"])
    return {"latency": latency, "runs": runs, "cut_off": final["closed"]}


# -- the server -------------------------------------------------------------------------------


@contextmanager
def serve(dsn: str, *, realtime: bool) -> Any:
    """One `ottoq serve` on a free port, realtime on or off."""
    port = _free_port()
    env = {
        **os.environ,
        "OTTOQ_DATABASE_URL": dsn,
        "OTTOQ_ANON_KEY": ANON,
        "OTTOQ_SERVICE_KEY": SERVICE,
        "OTTOQ_LOG_FORMAT": "json",
        "OTTOQ_REALTIME_ENABLED": "1" if realtime else "0",
    }
    ottoq = str(Path(sys.executable).parent / "ottoq")
    # The server's own logs would drown the report; its warnings and errors go to a file.
    log_file = Path(tempfile.gettempdir()) / f"ottoq-bench-serve-{port}.log"
    with log_file.open("wb") as sink:
        process = subprocess.Popen([ottoq, "serve", "--port", str(port)], env=env, stderr=sink)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_healthy(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not start")


# -- the subscribers (a child process) --------------------------------------------------------


class Watchers:
    """The child process's side: how many changes arrived, and their arrival times at the end."""

    def __init__(self, process: Any, received: Any, stop: Event, results: Any) -> None:
        self.process, self.received, self.stop, self.results = process, received, stop, results
        self._final: dict[str, Any] | None = None

    def wait_for(self, total: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while self.received.value < total and time.monotonic() < deadline:
            time.sleep(0.05)

    def collect(self) -> dict[str, Any]:
        """Stop the subscribers; their arrival times and how many were cut off."""
        if self._final is None:
            self.stop.set()
            self._final = self.results.get(timeout=60)
        return self._final


@contextmanager
def subscribers(url: str, options: Options) -> Any:
    context = mp.get_context("spawn")
    ready, stop = context.Event(), context.Event()
    received = context.Value("q", 0)
    results = context.Queue()
    args = (url, options.subscribers, ready, stop, received, results)
    process = context.Process(target=_subscriber_process, args=args, daemon=True)
    process.start()
    if not ready.wait(READY_TIMEOUT_S):
        process.kill()
        raise TimeoutError("subscribers did not join in time")
    watchers = Watchers(process, received, stop, results)
    try:
        yield watchers
    finally:
        watchers.collect()
        process.join(timeout=30)


def _subscriber_process(
    url: str, count: int, ready: Event, stop: Event, received: Any, results: Any
) -> None:
    results.put(asyncio.run(_subscribe(url, count, ready, stop, received)))


async def _subscribe(
    url: str, count: int, ready: Event, stop: Event, received: Any
) -> dict[str, Any]:
    arrivals: list[list[float]] = [[] for _ in range(count)]
    gate = asyncio.Semaphore(50)
    sockets = await asyncio.gather(*(_join(url, gate) for _ in range(count)))
    closed = [0]
    tasks = [
        asyncio.create_task(_record(s, a, closed)) for s, a in zip(sockets, arrivals, strict=True)
    ]
    ready.set()
    while not stop.is_set():
        received.value = sum(len(a) for a in arrivals)
        await asyncio.sleep(0.05)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
    return {"arrivals": arrivals, "closed": closed[0]}


async def _join(url: str, gate: asyncio.Semaphore) -> Any:
    from websockets.asyncio.client import connect

    ws_url = url.replace("http://", "ws://") + f"/realtime/v1/websocket?apikey={ANON}&vsn=1.0.0"
    binding = {
        "event": "*",
        "schema": "public",
        "table": "ottoq_resources",
        "filter": f"depot_id=eq.{DEPOT}",
    }
    join = {
        "topic": "realtime:bench",
        "event": "phx_join",
        "ref": "1",
        "join_ref": "1",
        "payload": {"config": {"postgres_changes": [binding]}},
    }
    async with gate:
        # Offers permessage-deflate like browsers and supabase-js do; serve declines it.
        conn = await connect(ws_url, max_size=None, open_timeout=60)
        await conn.send(json.dumps(join))
        while '"phx_reply"' not in str(await conn.recv()):
            pass
    return conn


async def _record(conn: Any, arrivals: list[float], closed: list[int]) -> None:
    from websockets.exceptions import ConnectionClosed

    try:
        async for message in conn:
            # No JSON parsing: the subscriber process must keep up with a thousand sockets.
            if '"event":"postgres_changes"' in message:
                arrivals.append(time.time())
    except ConnectionClosed:
        closed[0] += 1


# -- the committers ---------------------------------------------------------------------------


async def _commit_steadily(dsn: str, options: Options) -> list[float]:
    """Commit at a steady rate through the service layer; when each commit returned."""
    pool = await create_pool(dsn, min_size=1, max_size=2)
    ctx = Ctx(settings=Settings(), clock=SystemClock())
    committed: list[float] = []
    try:
        job_id = None
        for _ in range(options.commits):
            started = time.monotonic()
            job_id = await _toggle(pool, ctx, job_id)
            committed.append(time.time())
            await asyncio.sleep(max(0.0, 1 / options.rate - (time.monotonic() - started)))
    finally:
        await pool.close()
    return committed


async def _toggle(pool: Any, ctx: Ctx, job_id: Any) -> Any:
    """Book the bench vehicle (its stall goes RESERVED) or cancel it (back to AVAILABLE)."""
    if job_id is not None:
        await in_transaction(pool, lambda c: service.cancel_job(c, ctx, job_id, "bench"))
        return None
    request = service.JobRequest(
        vehicle_ref="Nashville-00001", job_type="CHARGE", preferred_depot_id=DEPOT
    )
    outcome = await in_transaction(pool, lambda c: service.request_job(c, ctx, request))
    return outcome.job["id"]


def _percentiles(committed: list[float], arrivals: list[list[float]]) -> dict[str, float]:
    delays = []
    for seen in arrivals:
        # The first arrivals answer the timed commits; later ones came from throughput runs.
        delays.extend(1000 * (t - c) for t, c in zip(seen, committed, strict=False))
    cuts = statistics.quantiles(delays, n=100)
    return {
        "delivered": len(delays),
        "expected": len(committed) * len(arrivals),
        "p50_ms": cuts[49],
        "p95_ms": cuts[94],
        "max_ms": max(delays),
    }


async def _throughput(
    url: str, depot: object, options: Options, seconds: float | None = None
) -> float:
    """Commits per second: workers cycle request and cancel through the HTTP API."""
    seconds = seconds or options.seconds
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=url, headers={"apikey": SERVICE}, timeout=30) as api:
        counts = await asyncio.gather(
            *(
                _cycle(api, f"Nashville-{n + 100:05d}", depot, deadline)
                for n in range(options.workers)
            )
        )
    return sum(counts) / seconds


async def _cycle(api: httpx.AsyncClient, vehicle: str, depot: object, deadline: float) -> int:
    commits = 0
    body = {"vehicle_id": vehicle, "job_type": "CHARGE", "preferred_depot_id": str(depot)}
    while time.monotonic() < deadline:
        booked = await api.post(f"{F}/ottoq-jobs-request", json=body)
        booked.raise_for_status()
        cancelled = await api.post(f"{F}/ottoq-jobs-cancel/{booked.json()['job']['id']}")
        cancelled.raise_for_status()
        commits += 2
    return commits


def measure(dsn: str, smoke: bool) -> dict[str, Any]:
    """For `python -m bench`: the issue's sizes, or a tiny run that only proves the code runs."""
    options = Options(
        subscribers=20 if smoke else 1000,
        commits=10 if smoke else 200,
        rate=10.0,
        seconds=1.0 if smoke else 10.0,
        workers=8,
        repeats=1 if smoke else 3,
    )
    return {"options": options, **_measure(options, dsn)}


def section(results: dict[str, Any]) -> list[str]:
    options, latency = results["options"], results["latency"]
    lines = [
        f"## Realtime: commit to subscriber, {options.subscribers:,} subscribers on one depot",
        "",
        "| p50 ms | p95 ms | max ms | delivered | cut off as too slow |",
        "|---:|---:|---:|---:|---:|",
        f"| {latency['p50_ms']:.1f} | {latency['p95_ms']:.1f} | {latency['max_ms']:.1f} "
        f"| {latency['delivered']}/{latency['expected']} | {results['cut_off']} |",
        "",
        "| commit throughput | median commits/s |",
        "|---|---:|",
    ]
    for name, runs in results["runs"].items():
        lines.append(f"| realtime {name} | {statistics.median(runs):.0f} |")
    return lines


def _report(options: Options, results: dict[str, Any]) -> None:
    latency = results["latency"]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nrealtime benchmark: {os.cpu_count()} cores, load average {load} at the end")
    print(
        f"latency, {options.subscribers} subscribers, {options.commits} commits at "
        f"{options.rate:g}/s: p50 {latency['p50_ms']:.1f} ms, p95 {latency['p95_ms']:.1f} ms, "
        f"max {latency['max_ms']:.1f} ms ({latency['delivered']}/{latency['expected']} delivered)"
    )
    for name, runs in results["runs"].items():
        shown = ", ".join(f"{r:.0f}" for r in runs)
        label = f"on, {options.subscribers} subscribers" if name == "on, subscribed" else name
        print(
            f"throughput, realtime {label}: median {statistics.median(runs):.0f} commits/s "
            f"({shown})"
        )
    print(f"subscribers cut off as too slow: {results['cut_off']}")


if __name__ == "__main__":
    main()
