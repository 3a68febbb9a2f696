"""Reserve: book-and-release cycles through the HTTP API against pgbench running the same SQL."""

from __future__ import annotations

import asyncio
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.harness import Sizes, median, percentile
from ottoq.jobs.queries import DOUBLE_BOOKINGS, INVARIANT_VIOLATIONS
from ottoq.network.seed import CITIES, insert_vehicles, stable_id

CLIENTS = (1, 8, 64)
VEHICLES = 64

# The transaction OTTO-Q's booking amounts to, written by hand: pick a stall with SKIP LOCKED,
# insert the job, update the resource, write the event; then release it the same way.
PGBENCH_SCRIPT = """
BEGIN;
WITH v AS (SELECT id, city_id, home_depot_id FROM ottoq_vehicles
           WHERE external_ref = 'Bench-' || lpad(:client_id::text, 5, '0')),
r AS (SELECT r.id, r.depot_id FROM ottoq_resources r, v
      WHERE r.depot_id = v.home_depot_id AND r.resource_type = 'CHARGE_STALL'
        AND r.status = 'AVAILABLE'
      ORDER BY r.index LIMIT 1 FOR NO KEY UPDATE OF r SKIP LOCKED),
j AS (INSERT INTO ottoq_jobs (city_id, vehicle_id, depot_id, resource_id, job_type, state,
                              requested_start_at, scheduled_start_at, scheduled_end_at,
                              eta_seconds, duration_seconds, priority_key)
      SELECT v.city_id, v.id, r.depot_id, r.id, 'CHARGE', 'SCHEDULED', now(), now(),
             now() + interval '40 minutes', 2400, 2400, 0 FROM v, r
      RETURNING id, resource_id, city_id),
u AS (UPDATE ottoq_resources SET status = 'RESERVED', current_job_id = j.id
      FROM j WHERE ottoq_resources.id = j.resource_id RETURNING ottoq_resources.id),
e AS (INSERT INTO ottoq_events (city_id, entity_type, entity_id, event_type, payload_jsonb)
      SELECT city_id, 'JOB', id, 'JOB_SCHEDULED', '{}' FROM j)
SELECT id AS job_id, resource_id AS res_id FROM j
\\gset
COMMIT;
BEGIN;
UPDATE ottoq_jobs SET state = 'CANCELLED', completed_at = now() WHERE id = :job_id;
UPDATE ottoq_resources SET status = 'AVAILABLE', current_job_id = NULL WHERE id = :res_id;
INSERT INTO ottoq_events (entity_type, entity_id, event_type, payload_jsonb)
VALUES ('JOB', :job_id, 'JOB_CANCELLED', '{}');
COMMIT;
"""


@dataclass
class Run:
    cycles_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int


async def add_bench_vehicles(dsn: str) -> list[tuple[str, str]]:
    """Bench-00000… spread over the seeded depots; returns (vehicle ref, depot id) pairs."""
    depots = [
        (stable_id("city", c.name), stable_id("depot", d.name)) for c in CITIES for d in c.depots
    ]
    rows, pairs = [], []
    for n in range(VEHICLES):
        city, depot = depots[n % len(depots)]
        ref = f"Bench-{n:05d}"
        rows.append(
            (stable_id("vehicle", ref), city, depot, "Bench", ref, None, None, 0.3, 1000.0, None)
        )
        pairs.append((ref, str(depot)))
    conn = await asyncpg.connect(dsn)
    try:
        await insert_vehicles(conn, rows)
    finally:
        await conn.close()
    return pairs


async def ottoq_run(url: str, pairs: list[tuple[str, str]], clients: int, seconds: float) -> Run:
    """`clients` loops, each booking a stall for its own vehicle and releasing it again."""
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def loop(client: httpx.AsyncClient, ref: str, depot: str) -> None:
        nonlocal errors
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                done = await _cycle(client, ref, depot)
            except httpx.TransportError:
                # A dropped connection is the run's failure to report, not the benchmark's end.
                done = False
            if not done:
                errors += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        began = time.monotonic()
        await asyncio.gather(*(loop(client, *pairs[n]) for n in range(clients)))
        elapsed = time.monotonic() - began
    return Run(
        len(latencies) / elapsed, percentile(latencies, 0.5), percentile(latencies, 0.99), errors
    )


async def _cycle(client: httpx.AsyncClient, ref: str, depot: str) -> bool:
    """Book a stall for the vehicle, then release it; True when both calls succeeded."""
    booked = await client.post(
        "/functions/v1/ottoq-jobs-request",
        json={"vehicle_id": ref, "job_type": "CHARGE", "preferred_depot_id": depot},
    )
    if booked.status_code != 201:
        return False
    job_id = booked.json()["job"]["id"]
    released = await client.post(f"/functions/v1/ottoq-jobs-cancel/{job_id}")
    return released.status_code == 200


def pgbench_run(pgbench: str, dsn: str, clients: int, seconds: float) -> Run:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(PGBENCH_SCRIPT)
    threads = min(clients, 2)
    out = subprocess.run(
        [
            pgbench,
            "-n",
            "-M",
            "prepared",
            "-f",
            script.name,
            "-c",
            str(clients),
            "-j",
            str(threads),
            "-T",
            str(max(1, round(seconds))),
            dsn,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    Path(script.name).unlink()
    if out.returncode != 0:
        raise RuntimeError(f"pgbench failed: {out.stderr[-2000:]}")
    tps = _figure(r"tps = ([\d.]+)", out.stdout)
    average = _figure(r"latency average = ([\d.]+) ms", out.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    return Run(tps, average, float("nan"), int(failed.group(1)) if failed else 0)


def _figure(pattern: str, text: str) -> float:
    """A number pgbench printed; its absence means pgbench's output changed."""
    match = re.search(pattern, text)
    if match is None:
        raise RuntimeError(f"pgbench printed no {pattern!r}: {text[-500:]}")
    return float(match.group(1))


async def double_bookings(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        overlapping = await conn.fetchval(
            "SELECT count(*) FROM ottoq_jobs a JOIN ottoq_jobs b"
            " ON a.resource_id = b.resource_id AND a.id < b.id"
            " AND tstzrange(a.scheduled_start_at, a.scheduled_end_at)"
            " && tstzrange(b.scheduled_start_at, b.scheduled_end_at)"
            " WHERE a.state IN ('SCHEDULED', 'ACTIVE') AND b.state IN ('SCHEDULED', 'ACTIVE')"
        )
        started = len(await conn.fetch(DOUBLE_BOOKINGS, None))
        broken = len(await conn.fetch(INVARIANT_VIOLATIONS))
        return int(overlapping) + started + broken
    finally:
        await conn.close()


def measure(url: str, dsn: str, pgbench: str, sizes: Sizes) -> dict[str, Any]:
    """OTTO-Q and pgbench in turn at each client count; medians of the repeats."""
    pairs = asyncio.run(add_bench_vehicles(dsn))
    rows = []
    for clients in CLIENTS:
        ottoq_runs, pg_runs = [], []
        for _ in range(sizes.repeats):
            ottoq_runs.append(asyncio.run(ottoq_run(url, pairs, clients, sizes.seconds)))
            pg_runs.append(pgbench_run(pgbench, dsn, clients, sizes.seconds))
        ottoq = median([r.cycles_per_s for r in ottoq_runs])
        floor = median([r.cycles_per_s for r in pg_runs])
        rows.append(
            {
                "clients": clients,
                "ottoq_cycles_s": ottoq,
                "pgbench_cycles_s": floor,
                "ratio": ottoq / floor if floor else float("nan"),
                "p50_ms": median([r.p50_ms for r in ottoq_runs]),
                "p99_ms": median([r.p99_ms for r in ottoq_runs]),
                "pgbench_avg_ms": median([r.p50_ms for r in pg_runs]),
                "errors": sum(r.errors for r in ottoq_runs),
            }
        )
    return {"rows": rows, "double_bookings": asyncio.run(double_bookings(dsn))}
