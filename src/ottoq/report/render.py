"""The report for people: a Rich table, and a PNG of resources busy and queue length over time."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.table import Table

Row = tuple[str, str]


def kpi_table(report: dict[str, Any], title: str, lead: list[Row] | None = None) -> Table:
    """The KPI table; `lead` rows (what was replayed or simulated) come first."""
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("KPI")
    table.add_column("value", justify="right")
    for name, value in [*(lead or []), *(kpi_rows(report) if report else [])]:
        table.add_row(name, value)
    return table


def kpi_rows(report: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for job_type, states in sorted(report["jobs"].items()):
        rows.append((f"{job_type} jobs by outcome", _outcomes(states)))
        wait = report["waits"].get(job_type)
        if wait:
            rows.append((f"{job_type} wait mean / p95", _wait(wait)))
    for kind, use in sorted(report["utilization"].items()):
        peak = report["peak_busy"].get(kind, 0)
        rows.append((f"{kind} peak busy", f"{peak} of {use['resources']}"))
        rows.append((f"{kind} utilization", f"{use['pct']:.1f} %"))
    for job_type, peak in sorted(report["peak_queue"].items()):
        rows.append((f"{job_type} peak queue length", str(peak)))
    rows.append(("no-shows (EXPIRED)", str(report["no_shows"])))
    rows.append(("double bookings (SQL)", str(report["double_bookings"])))
    rows.append(("invariant violations (SQL)", str(report["invariant_violations"])))
    return rows


def _outcomes(states: dict[str, int]) -> str:
    order = ["COMPLETED", "CANCELLED", "EXPIRED", "ACTIVE", "SCHEDULED", "PENDING"]
    parts = [f"{states[s]} {s.lower()}" for s in order if states.get(s)]
    return ", ".join(parts) or "none"


def _wait(wait: dict[str, Any]) -> str:
    return f"{wait['mean_s'] / 60:.1f} / {wait['p95_s'] / 60:.1f} min ({wait['started']} started)"


def moment(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def write_chart(report: dict[str, Any], path: Path, title: str, tz: str = "UTC") -> Path:
    """Two stacked step charts over the run: resources busy per type, vehicles waiting per type."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    zone = ZoneInfo(tz)
    since = moment(report["scope"]["since"]).astimezone(zone)
    until = moment(report["scope"]["until"]).astimezone(zone)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(12, 6.5), sharex=True)
    _steps(top, report["timeline"]["busy"], since, until, zone)
    _steps(bottom, report["timeline"]["queue"], since, until, zone)
    top.set_ylabel("resources busy")
    bottom.set_ylabel("vehicles waiting")
    top.set_title(title)
    bottom.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %H:%M", tz=zone))
    bottom.set_xlabel(f"time ({tz})")
    fig.autofmt_xdate()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _steps(
    axes: Any, timeline: dict[str, list[Any]], since: datetime, until: datetime, zone: Any
) -> None:
    for kind, points in sorted(timeline.items()):
        xs = [since] + [moment(p[0]).astimezone(zone) for p in points] + [until]
        ys = [0] + [int(p[1]) for p in points]
        ys.append(ys[-1])
        axes.step(xs, ys, where="post", label=kind, linewidth=0.9)
    if timeline:
        axes.legend(loc="upper right", fontsize="small")
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
