"""`ottoq replay sessions` and `ottoq replay telemetry`: find an OTTO-Q, drive it, report."""

from __future__ import annotations

import contextlib
import json
import logging
import statistics
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ottoq import logs
from ottoq.clock import ScaledClock
from ottoq.db.databases import create_database
from ottoq.errors import Invalid
from ottoq.replay.api import OttoqApi
from ottoq.replay.driver import SessionsOutcome, p95, replay_sessions
from ottoq.replay.pacing import Pacer, ScaledPacer
from ottoq.replay.plan import plan_sessions
from ottoq.replay.server import migrate_database, own_ottoq, replay_clock, tick_interval
from ottoq.replay.sessions import LONDON, read_sessions, within
from ottoq.replay.stream import Delivery, StreamOutcome, TracePlan, stream_trace
from ottoq.replay.trace import TRACE_TZ, read_trace
from ottoq.report.render import Row, kpi_table, write_chart
from ottoq.settings import Settings
from ottoq.web.keys import KEY_FILE

# Simulated time between the clock starting and the first call, so that it is not late.
LEAD = timedelta(minutes=1)
T = TypeVar("T")


def announce(speed: float) -> timedelta:
    """How far ahead of its plug-in a vehicle calls: 0.1 s of real time, 1 to 20 minutes."""
    return min(max(timedelta(seconds=0.1 * speed), timedelta(minutes=1)), timedelta(minutes=20))


@dataclass
class Target:
    """The OTTO-Q being driven, a pacer on its clock, and how the replay's times fit that clock:
    moved by `shift`, each vehicle calling `ahead` of its moment."""

    api: OttoqApi
    pacer: Pacer
    shift: timedelta
    ahead: timedelta
    speed: float
    where: str


async def run_sessions_replay(
    settings: Settings,
    file: Path,
    *,
    url: str | None,
    dsn: str | None,
    speed: float,
    start: date | None,
    days: float | None,
    stalls: int | None,
    site: str | None = None,
    chart: Path | None = None,
) -> SessionsOutcome:
    """Replay a Dundee file's sessions through OTTO-Q and print the KPIs and a chart."""
    console = Console()
    _quiet(settings)
    source = _readable(lambda: read_sessions(file, site))
    chosen = within(source.sessions, start, days)
    if not chosen:
        raise SystemExit(f"no usable sessions in {file.name} for that period")
    tag = datetime.now().strftime("%m%d%H%M%S")
    began = time.perf_counter()

    first = chosen[0].plug_in
    async with open_target(settings, url, dsn, first, speed, announce, f"replay_{tag}") as target:
        plan = plan_sessions(chosen, source.site, tag, stalls, target.shift, target.ahead)
        with _progress(console, len(plan.visits), "sessions") as advance:
            outcome = await replay_sessions(target.api, target.pacer, plan, advance)
    wall = time.perf_counter() - began

    lead = _session_rows(file, source.skipped, outcome, target, wall)
    console.print(kpi_table(outcome.report, f"Replay of {source.site}", lead))
    path = chart or settings.data_dir / "reports" / f"replay-sessions-{tag}.png"
    title = f"{source.site}, replayed at {target.speed:g}x"
    write_chart(outcome.report, path, title, LONDON.key)
    console.print(f"chart: {path}\ndata:  {target.where}")
    return outcome


@contextlib.asynccontextmanager
async def open_target(
    settings: Settings,
    url: str | None,
    dsn: str | None,
    first: datetime,
    speed: float,
    ahead: Callable[[float], timedelta],
    label: str,
) -> AsyncIterator[Target]:
    """A running OTTO-Q at `url` on its own clock, else one of ours on a clock that starts just
    before `first`, the replay's first moment; `ahead` says how early calls go at a speed."""
    if url:
        async with _remote(settings, url, first, ahead) as target:
            yield target
        return
    assert dsn is not None
    if settings.database_url is None:
        # The embedded server: a fresh database per run, left there to inspect.
        dsn = await create_database(dsn, f"ottoq_{label}")
    await migrate_database(dsn)
    clock = replay_clock(first - ahead(speed) - LEAD, speed)
    run_settings = settings.with_(tick_interval_s=tick_interval(speed))
    log_file = settings.data_dir / "reports" / f"{label}-server.log"
    async with own_ottoq(run_settings, dsn, clock, log_file) as http:
        yield Target(
            api=OttoqApi(http),
            pacer=ScaledPacer(clock),
            shift=timedelta(0),
            ahead=ahead(speed),
            speed=speed,
            where=dsn,
        )


@contextlib.asynccontextmanager
async def _remote(
    settings: Settings, url: str, first: datetime, ahead: Callable[[float], timedelta]
) -> AsyncIterator[Target]:
    headers = {"apikey": key} if (key := _service_key(settings)) else {}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60.0) as http:
        api = OttoqApi(http)
        clock = (await api.config())["clock"]
        now, speed = datetime.fromisoformat(clock["now"]), float(clock["speed"])
        # A mirror of the server's clock (its speed, not --speed); the replay moves onto it.
        mirror = ScaledClock(now, time.time(), speed)
        shift = now + LEAD + ahead(speed) - first
        yield Target(api, ScaledPacer(mirror), shift, ahead(speed), speed, url)


def _readable(read: Callable[[], T]) -> T:
    """A file that cannot be read as asked ends the command with the reason, not a traceback."""
    try:
        return read()
    except (Invalid, OSError, UnicodeDecodeError) as exc:
        raise SystemExit(str(exc)) from exc


def _quiet(settings: Settings) -> None:
    # The progress bar and the table are the output; routine logs would only bury them.
    logs.configure(settings.log_format, level="WARNING")
    for noisy in ("httpx", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _service_key(settings: Settings) -> str | None:
    if settings.service_key:
        return settings.service_key
    stored = settings.data_dir / KEY_FILE
    if stored.exists():
        key: str = json.loads(stored.read_text())["service_key"]
        return key
    return None


@contextlib.contextmanager
def _progress(console: Console, total: int, what: str) -> Iterator[Callable[[int], None]]:
    columns = (
        TextColumn(f"[bold]{what}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(what, total=total)
        yield lambda n: progress.advance(task, n)


def _session_rows(
    file: Path, skipped: int, outcome: SessionsOutcome, target: Target, wall: float
) -> list[Row]:
    plan, stats, speed = outcome.plan, outcome.stats, target.speed
    # The sessions' own dates, also when they were moved onto a running OTTO-Q's clock.
    first = (plan.first - target.shift).astimezone(LONDON)
    last = (plan.last - target.shift).astimezone(LONDON)
    unusable = f"; {skipped} rows in the file unusable" if skipped else ""
    refused = f"; {sum(stats.refused.values())} refused" if stats.refused else ""
    return [
        ("file", file.name),
        ("sessions replayed", f"{stats.requested} of {len(plan.visits)}{refused}{unusable}"),
        ("vehicles (one per user)", str(len(plan.vehicles()))),
        ("period (local time)", f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M}"),
        ("stalls at the replay depot", f"{plan.stalls} x 50 kW"),
        ("speed, wall time", f"{speed:g}x, {wall:.0f} s"),
        ("driver lag p95", f"{outcome.stats.lag_p95_s() / 60:.1f} simulated min"),
        ("API calls of a moment, p50 / p95", _moment_ms(outcome.stats.moment_ms)),
    ]


async def run_telemetry_replay(
    settings: Settings,
    file: Path,
    *,
    url: str | None,
    dsn: str | None,
    speed: float,
    vehicle: str | None,
    delivery: Delivery,
    chart: Path | None = None,
) -> StreamOutcome:
    """Stream a 1 Hz trace as one vehicle's telemetry and say which CHARGE jobs it opened."""
    console = Console()
    _quiet(settings)
    readings = _readable(lambda: read_trace(file))
    tag = datetime.now().strftime("%m%d%H%M%S")
    began = time.perf_counter()

    first = readings[0].at
    async with open_target(settings, url, dsn, first, speed, _at_once, f"trace_{tag}") as target:
        ref = vehicle or f"TWIZY-{tag}"
        plan = TracePlan(tag, ref, readings, target.shift, delivery, existing=vehicle is not None)
        with _progress(console, len(readings), "readings") as advance:
            outcome = await stream_trace(target.api, target.pacer, plan, advance)
    wall = time.perf_counter() - began

    lead = _trace_rows(file, outcome, target.speed, wall)
    console.print(kpi_table(outcome.report, f"Telemetry replay of {file.name}", lead))
    if outcome.report:
        path = chart or settings.data_dir / "reports" / f"replay-telemetry-{tag}.png"
        title = f"{file.name}, streamed at {target.speed:g}x"
        write_chart(outcome.report, path, title, TRACE_TZ.key)
        console.print(f"chart: {path}")
    console.print(f"data:  {target.where}")
    return outcome


def _moment_ms(values: list[float]) -> str:
    if not values:
        return "none"
    return f"{statistics.median(values):.0f} / {p95(values):.0f} ms"


def _at_once(speed: float) -> timedelta:
    """Readings go at their own moment: a trace has nothing to announce ahead."""
    return timedelta(0)


def _trace_rows(file: Path, outcome: StreamOutcome, speed: float, wall: float) -> list[Row]:
    plan = outcome.plan
    first, last = plan.readings[0], plan.readings[-1]
    how = plan.delivery
    return [
        ("file", file.name),
        ("vehicle", plan.vehicle),
        (
            "readings",
            f"{len(plan.readings)} over {(last.at - first.at).total_seconds() / 60:.0f} min",
        ),
        (
            "requests",
            f"{outcome.requests} ({how.batch} a batch, x{how.repeat}, {how.parallel} at once)",
        ),
        ("state of charge", f"{first.soc:.1%} to {last.soc:.1%}"),
        ("odometer (integrated speed)", f"{last.odometer_km:.1f} km"),
        ("CHARGE jobs opened by readings", str(len(outcome.charge_jobs))),
        ("speed, wall time", f"{speed:g}x, {wall:.0f} s"),
    ]
