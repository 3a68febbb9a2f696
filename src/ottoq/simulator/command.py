"""`ottoq simulate`: build a network of any size, run the simulator on it, report.

The scheduler and the simulator run in this process, on a scaled clock, as the worker would
run them; each tick and step is timed, so the report says what the run cost as well as what it
did to the depots.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ottoq import logs
from ottoq.clock import ScaledClock
from ottoq.context import Ctx
from ottoq.db.databases import create_database
from ottoq.db.pool import create_pool
from ottoq.jobs.scheduler import tick
from ottoq.replay.pacing import held_clock, start_clock
from ottoq.replay.server import migrate_database, tick_interval
from ottoq.report.kpis import Scope, build_report
from ottoq.report.render import Row, kpi_table, write_chart
from ottoq.settings import Settings
from ottoq.simulator.loop import pause
from ottoq.simulator.network import NetworkSize, build_network, city_ids
from ottoq.simulator.service import act
from ottoq.simulator.step import step
from ottoq.worker import REPAIR_EVERY


@dataclass
class Timings:
    """Wall milliseconds per scheduler tick and per simulator step."""

    ticks: list[float] = field(default_factory=list)
    steps: list[float] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def auto_report_seconds(vehicles: int) -> float:
    """Every vehicle reports each minute up to 18,000 vehicles, then less often, so that the
    fleet sends about 300 readings per simulated second (18,000 a minute) at most."""
    return max(60.0, round(vehicles / 300))


@dataclass(frozen=True)
class Plan:
    size: NetworkSize
    minutes: float
    speed: float
    seed: int
    auto_reset: bool
    report_seconds: float


async def run_simulation(settings: Settings, dsn: str, plan: Plan, chart: Path | None) -> None:
    """Build, run for `minutes` of simulated time at `speed`, print the KPIs, draw the chart."""
    console = Console()
    logs.configure(settings.log_format, level="WARNING")
    tag = datetime.now().strftime("%m%d%H%M%S")
    if settings.database_url is None:
        dsn = await create_database(dsn, f"ottoq_sim_{tag}")
    await migrate_database(dsn)
    pool = await create_pool(dsn, min_size=4, max_size=12)
    try:
        began = time.perf_counter()
        network, built_s = await _build(pool, plan)
        report, timings, origin = await _run(pool, settings, plan, console)
        wall = time.perf_counter() - began
    finally:
        await pool.close()

    lead = _rows(plan, network, built_s, timings, wall)
    console.print(kpi_table(report, "Simulation", lead))
    path = chart or settings.data_dir / "reports" / f"simulate-{tag}.png"
    size = f"{plan.size.vehicles:,} vehicles, {plan.size.depots:,} depots"
    write_chart(report, path, f"Simulation: {size}, {plan.minutes:g} min at {plan.speed:g}x")
    console.print(f"chart: {path}\ndata:  {dsn}\nstarted at {origin.isoformat()} (simulated)")


async def _build(pool: asyncpg.Pool, plan: Plan) -> tuple[dict[str, Any], float]:
    began = time.perf_counter()
    async with pool.acquire() as conn:
        counts = await build_network(conn, plan.size, plan.seed)
        counts["cities_in_run"] = len(await city_ids(conn, plan.size, plan.seed))
    return counts, time.perf_counter() - began


async def _run(
    pool: asyncpg.Pool, settings: Settings, plan: Plan, console: Console
) -> tuple[dict[str, Any], Timings, datetime]:
    origin = datetime.now(UTC).replace(microsecond=0)
    clock = held_clock(origin)
    run_settings = settings.with_(tick_interval_s=tick_interval(plan.speed))
    ctx = Ctx(run_settings, clock)
    async with pool.acquire() as conn:
        cities = [str(c) for c in await city_ids(conn, plan.size, plan.seed)]
    config = {
        "seed": plan.seed,
        "auto_reset": plan.auto_reset,
        "city_ids": cities,
        "report_seconds": plan.report_seconds,
    }
    # While the clock stands still: the fleet is enrolled and drawn before time starts.
    await act(pool, ctx, "start", config, mode="simulate")

    timings = Timings()
    start_clock(clock, origin, plan.speed)
    end = origin + timedelta(minutes=plan.minutes)
    await _loops(pool, ctx, clock, end, timings, console)
    await act(pool, ctx, "stop")

    async with pool.acquire() as conn:
        report = await build_report(conn, Scope(None, origin, end))
    return report, timings, origin


async def _loops(
    pool: asyncpg.Pool,
    ctx: Ctx,
    clock: ScaledClock,
    end: datetime,
    timings: Timings,
    console: Console,
) -> None:
    stop = asyncio.Event()
    scheduler = asyncio.create_task(_scheduler(pool, ctx, stop, timings))
    simulator = asyncio.create_task(_simulator(pool, ctx, stop, timings))
    try:
        await _watch(clock, end, console, stop)
    finally:
        stop.set()
        await asyncio.gather(scheduler, simulator)


async def _watch(clock: ScaledClock, end: datetime, console: Console, stop: asyncio.Event) -> None:
    """A progress bar in simulated minutes until the clock reaches `end`."""
    total = (end - clock.origin).total_seconds() / 60
    columns = (
        TextColumn("[bold]simulated minutes"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("minutes", total=total)
        while clock.now() < end:
            progress.update(
                task, completed=min((clock.now() - clock.origin).total_seconds() / 60, total)
            )
            await asyncio.sleep(min(0.5, max(clock.wall_seconds_until(end), 0.01)))
        progress.update(task, completed=total)


async def _scheduler(pool: asyncpg.Pool, ctx: Ctx, stop: asyncio.Event, timings: Timings) -> None:
    count = 0
    while not stop.is_set():
        count += 1
        await _timed(timings.ticks, partial(tick, pool, ctx, repair=count % REPAIR_EVERY == 0))
        await pause(stop, ctx.settings.tick_interval_s)


async def _simulator(pool: asyncpg.Pool, ctx: Ctx, stop: asyncio.Event, timings: Timings) -> None:
    while not stop.is_set():
        summary = await _timed(timings.steps, lambda: step(pool, ctx))
        for name, value in (summary or {}).items():
            if isinstance(value, int):
                timings.counts[name] = timings.counts.get(name, 0) + value
        await pause(stop, ctx.settings.simulator_tick_s - timings.steps[-1] / 1000)


async def _timed(into: list[float], work: Callable[[], Awaitable[Any]]) -> Any:
    began = time.perf_counter()
    outcome = await work()
    into.append((time.perf_counter() - began) * 1000)
    return outcome


def _percentiles(values: list[float]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):.0f} / {p95:.0f} ms ({len(ordered)})"


def _rows(
    plan: Plan, network: dict[str, Any], built_s: float, timings: Timings, wall: float
) -> list[Row]:
    counts = timings.counts
    return [
        (
            "network",
            f"{plan.size.vehicles:,} vehicles, {plan.size.depots:,} depots, "
            f"{network['cities_in_run']:,} cities",
        ),
        (
            "built (set-based)",
            f"{network['vehicles']:,} vehicles and {network['resources']:,} "
            f"resources added in {built_s:.1f} s",
        ),
        ("simulated, speed", f"{plan.minutes:g} min at {plan.speed:g}x (seed {plan.seed})"),
        ("readings every", f"{plan.report_seconds:g} simulated s a vehicle on the road"),
        ("wall time", f"{wall:.0f} s"),
        ("scheduler tick p50 / p95", _percentiles(timings.ticks)),
        ("simulator step p50 / p95", _percentiles(timings.steps)),
        ("readings, low-charge", f"{counts.get('readings', 0):,}, {counts.get('low_charge', 0):,}"),
        ("reservations made", str(counts.get("reservations", 0))),
        ("arrivals at depots", f"{counts.get('arrived', 0):,}"),
    ]
