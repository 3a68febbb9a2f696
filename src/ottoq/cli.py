"""The `ottoq` command: up, serve, worker, migrate, seed, replay."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn

from ottoq import logs
from ottoq.db.embedded import start_embedded
from ottoq.db.migrate import migrate
from ottoq.db.pool import create_pool
from ottoq.network.seed import is_seeded, seed_demo
from ottoq.settings import Settings

app = typer.Typer(
    help="OTTO-Q: depot queuing and reservation for electric fleets.",
    no_args_is_help=True,
    add_completion=False,
)
replay_app = typer.Typer(help="Replay real data through OTTO-Q's API.", no_args_is_help=True)
app.add_typer(replay_app, name="replay")

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="where the embedded database lives")
]


def main() -> None:
    app()


def _settings(data_dir: Path | None = None) -> Settings:
    settings = Settings.from_env()
    if data_dir is not None:
        settings = settings.with_(data_dir=data_dir)
    logs.configure(settings.log_format, settings.log_level)
    return settings


@contextmanager
def database(settings: Settings) -> Iterator[str]:
    """The DSN to use: OTTOQ_DATABASE_URL when set, else the embedded server in the data dir."""
    if settings.database_url:
        yield settings.database_url
        return
    server, dsn = start_embedded(settings.data_dir)
    try:
        yield dsn
    finally:
        server.cleanup()


async def prepare(dsn: str, seed: int, *, with_demo: bool = True) -> None:
    """Migrate, and seed the demo network when the database has none."""
    pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
            if with_demo and not await is_seeded(conn):
                await seed_demo(conn, seed)
    finally:
        await pool.close()


def _serve(settings: Settings, dsn: str, host: str, port: int, run_worker: bool) -> None:
    from ottoq.web.app import create_app

    api = create_app(settings, dsn, run_worker=run_worker)
    # log_config=None: uvicorn's own lines go through OTTO-Q's log format (logs.py).
    # Open SSE streams never end by themselves; shutdown cuts them after a short grace period.
    # Realtime frames are encoded once for all subscribers; per-socket compression would redo
    # that work for each one (it cost five times the latency with 1,000 subscribers).
    uvicorn.run(
        api,
        host=host,
        port=port,
        log_level="warning",
        lifespan="on",
        log_config=None,
        timeout_graceful_shutdown=3,
        ws_per_message_deflate=False,
    )


def _keys_for(settings: Settings, host: str) -> Settings:
    """Keys for a server on `host`; on loopback a pair is made once and keyless calls pass."""
    from ottoq.web.keys import ensure_keys, is_loopback, stored_keys

    if is_loopback(host):
        settings = ensure_keys(settings)
        typer.echo(f"anon key:    {settings.anon_key}\nservice key: {settings.service_key}")
        # On this machine only, calls without a key act as the service; the brief's curls work.
        return settings.with_(allow_keyless=True)
    settings = stored_keys(settings)
    if not (settings.anon_key and settings.service_key):
        typer.echo(
            f"refusing to listen on {host} without keys: set OTTOQ_ANON_KEY and "
            "OTTOQ_SERVICE_KEY (or start once on 127.0.0.1 to create a pair)",
            err=True,
        )
        raise typer.Exit(2)
    return settings


@app.command()
def up(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 54321,
    data_dir: DataDir = None,
    no_simulator: Annotated[
        bool, typer.Option("--no-simulator", help="do not start the demo fleet")
    ] = False,
    speed: Annotated[
        float, typer.Option(min=0.01, help="OTTO-Q's clock runs this many times real time")
    ] = 1.0,
) -> None:
    """Everything on one machine: database, migrations, demo network, API and worker."""
    settings = _keys_for(_settings(data_dir), host)
    if speed != 1.0:
        settings = _faster(settings, speed)
    with database(settings) as dsn:
        asyncio.run(prepare(dsn, settings.seed))
        typer.echo(f"OTTO-Q is up on http://{host}:{port}  (Ctrl-C stops it)")
        os.environ["OTTOQ_SIMULATOR_AUTOSTART"] = "0" if no_simulator else "1"
        settings = settings.with_(simulator_autostart=not no_simulator)
        _serve(settings, dsn, host, port, run_worker=True)


def _faster(settings: Settings, speed: float) -> Settings:
    """A clock that starts now and runs `speed` times faster; a tick per simulated minute."""
    import time
    from datetime import UTC, datetime

    from ottoq.clock import ScaledClock

    clock = ScaledClock(datetime.now(UTC), time.time(), speed)
    return settings.with_(clock=clock.spec(), tick_interval_s=min(1.0, 60.0 / speed))


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 54321,
    data_dir: DataDir = None,
    with_worker: Annotated[bool, typer.Option("--with-worker")] = False,
) -> None:
    """The HTTP API (and realtime and dashboard) only."""
    settings = _keys_for(_settings(data_dir), host)
    with database(settings) as dsn:
        _serve(settings, dsn, host, port, run_worker=with_worker)


@app.command()
def worker(data_dir: DataDir = None) -> None:
    """The scheduler loop and other background work, without the API."""
    from ottoq.clock import clock_from_spec
    from ottoq.context import Ctx
    from ottoq.worker import run_worker_loops

    settings = _settings(data_dir)
    if settings.worker_metrics_port:
        from prometheus_client import start_http_server

        from ottoq.metrics.registry import REGISTRY

        start_http_server(settings.worker_metrics_port, registry=REGISTRY)

    async def run(dsn: str) -> None:
        pool = await create_pool(dsn)
        stop = asyncio.Event()
        try:
            await run_worker_loops(pool, Ctx(settings, clock_from_spec(settings.clock)), stop)
        finally:
            await pool.close()

    with database(settings) as dsn:
        try:
            asyncio.run(run(dsn))
        except KeyboardInterrupt:
            typer.echo("worker stopped")


@app.command("migrate")
def migrate_cmd(data_dir: DataDir = None) -> None:
    """Apply the schema migrations that are missing."""
    settings = _settings(data_dir)
    with database(settings) as dsn:
        asyncio.run(prepare(dsn, settings.seed, with_demo=False))
    typer.echo("migrated")


@app.command("seed")
def seed_cmd(data_dir: DataDir = None) -> None:
    """Insert the demo network where it is missing (safe to run again)."""
    settings = _settings(data_dir)

    async def run(dsn: str) -> dict[str, int]:
        await prepare(dsn, settings.seed, with_demo=False)
        pool = await create_pool(dsn, min_size=1, max_size=1)
        try:
            async with pool.acquire() as conn:
                return await seed_demo(conn, settings.seed)
        finally:
            await pool.close()

    with database(settings) as dsn:
        counts = asyncio.run(run(dsn))
    typer.echo(", ".join(f"{v} {k} added" for k, v in counts.items()))


@replay_app.command("sessions")
def replay_sessions(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Dundee CSV")],
    speed: Annotated[float, typer.Option(help="simulated seconds per real second")] = 600.0,
    from_: Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD")] = None,
    days: Annotated[float | None, typer.Option(help="how many days to replay")] = None,
    stalls: Annotated[int | None, typer.Option(help="stalls at the replay depot")] = None,
    url: Annotated[str | None, typer.Option(help="drive an OTTO-Q that is already running")] = None,
    data_dir: DataDir = None,
    site: Annotated[str | None, typer.Option(help="site to replay (raw council file)")] = None,
    chart: Annotated[Path | None, typer.Option(help="where to write the PNG chart")] = None,
) -> None:
    """Replay real charging sessions as CHARGE requests at a depot sized like the real site."""
    from ottoq.replay.command import run_sessions_replay

    settings = _settings(data_dir)
    start = date.fromisoformat(from_) if from_ else None
    options: dict[str, Any] = {
        "speed": speed,
        "start": start,
        "days": days,
        "stalls": stalls,
        "site": site,
        "chart": chart,
    }
    if url:
        asyncio.run(run_sessions_replay(settings, file, url=url, dsn=None, **options))
        return
    with database(settings) as dsn:
        asyncio.run(run_sessions_replay(settings, file, url=None, dsn=dsn, **options))


@replay_app.command("telemetry")
def replay_telemetry(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="1 Hz trace CSV")],
    speed: Annotated[float, typer.Option(help="simulated seconds per real second")] = 60.0,
    vehicle: Annotated[
        str | None, typer.Option(help="an existing vehicle; else one is made with a home depot")
    ] = None,
    batch: Annotated[int, typer.Option(min=1, help="readings per request")] = 1,
    repeat: Annotated[int, typer.Option(min=1, help="times each request is sent")] = 1,
    parallel: Annotated[int, typer.Option(min=1, help="requests in flight at once")] = 1,
    url: Annotated[str | None, typer.Option(help="drive an OTTO-Q that is already running")] = None,
    data_dir: DataDir = None,
    chart: Annotated[Path | None, typer.Option(help="where to write the PNG chart")] = None,
) -> None:
    """Stream a driving trace (state of charge, speed, GPS) as one vehicle's telemetry."""
    from ottoq.replay.command import run_telemetry_replay
    from ottoq.replay.stream import Delivery

    settings = _settings(data_dir)
    options: dict[str, Any] = {
        "speed": speed,
        "vehicle": vehicle,
        "delivery": Delivery(batch=batch, repeat=repeat, parallel=parallel),
        "chart": chart,
    }
    if url:
        asyncio.run(run_telemetry_replay(settings, file, url=url, dsn=None, **options))
        return
    with database(settings) as dsn:
        asyncio.run(run_telemetry_replay(settings, file, url=None, dsn=dsn, **options))


@app.command()
def simulate(
    vehicles: Annotated[int, typer.Option(min=1, help="vehicles in the network")] = 900,
    depots: Annotated[int, typer.Option(min=1, help="depots, two a city, 52 resources each")] = 6,
    minutes: Annotated[float, typer.Option(min=0.1, help="simulated minutes to run")] = 60.0,
    speed: Annotated[float, typer.Option(min=0.1, help="simulated seconds per real second")] = 60.0,
    seed: Annotated[int, typer.Option(help="the same seed makes the same network and run")] = 42,
    reset: Annotated[
        bool, typer.Option("--reset/--no-reset", help="reset every 5-10 simulated minutes")
    ] = False,
    report_seconds: Annotated[
        float | None,
        typer.Option(min=1, help="simulated seconds between readings; default grows with fleet"),
    ] = None,
    data_dir: DataDir = None,
    chart: Annotated[Path | None, typer.Option(help="where to write the PNG chart")] = None,
) -> None:
    """Build a network of any size, run the simulator on it, and report its KPIs and costs."""
    from ottoq.simulator.command import Plan, auto_report_seconds, run_simulation
    from ottoq.simulator.network import NetworkSize

    settings = _settings(data_dir)
    every = report_seconds or auto_report_seconds(vehicles)
    plan = Plan(NetworkSize(vehicles, depots), minutes, speed, seed, reset, every)
    with database(settings) as dsn:
        asyncio.run(run_simulation(settings, dsn, plan, chart))
