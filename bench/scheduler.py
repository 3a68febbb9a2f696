"""Scheduler: one tick's time for the same work on a small fleet and on a large, old one."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from bench.harness import Sizes, fresh_database, median
from ottoq.clock import ManualClock
from ottoq.context import Ctx
from ottoq.db.pool import create_pool
from ottoq.jobs.scheduler import tick
from ottoq.settings import Settings

START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)

GROW_FLEET = """
WITH depots AS (SELECT array_agg(id ORDER BY id) AS ids, array_agg(city_id ORDER BY id) AS cities
                FROM ottoq_depots)
INSERT INTO ottoq_vehicles (city_id, home_depot_id, oem, external_ref, soc, odometer_km)
SELECT depots.cities[1 + n % 6], depots.ids[1 + n % 6], 'Bench',
       'Fleet-' || lpad(n::text, 7, '0'), 0.6, 1000
FROM generate_series(1, $1) AS n, depots
"""

# A long history: finished jobs spread over the past year on every resource.
HISTORY = """
WITH res AS (SELECT array_agg(id ORDER BY id) AS ids, array_agg(depot_id ORDER BY id) AS depots,
                    array_agg(city_id ORDER BY id) AS cities, count(*)::int AS size
             FROM ottoq_resources),
     veh AS (SELECT array_agg(id ORDER BY id) AS ids, count(*)::int AS size FROM ottoq_vehicles)
INSERT INTO ottoq_jobs (city_id, vehicle_id, depot_id, resource_id, job_type, state,
                        requested_start_at, scheduled_start_at, scheduled_end_at, eta_seconds,
                        duration_seconds, priority_key, started_at, completed_at)
SELECT res.cities[1 + n % res.size], veh.ids[1 + n % veh.size], res.depots[1 + n % res.size],
       res.ids[1 + n % res.size], 'CHARGE', 'COMPLETED', t, t, t + interval '40 min',
       2400, 2400, 0, t, t + interval '40 min'
FROM generate_series(1, $1) AS n, res, veh,
     LATERAL (SELECT $2::timestamptz - n * interval '31 seconds' AS t) w
"""

# Work for one tick: `$1` jobs whose windows open now, one per charge stall.
DUE_WORK = """
INSERT INTO ottoq_jobs (city_id, vehicle_id, depot_id, resource_id, job_type, state,
                        requested_start_at, scheduled_start_at, scheduled_end_at, eta_seconds,
                        duration_seconds, priority_key)
SELECT r.city_id, v.id, r.depot_id, r.id, 'CHARGE', 'SCHEDULED', $2::timestamptz, $2,
       $2 + interval '40 min', 2400, 2400, 0
FROM (SELECT *, row_number() OVER (ORDER BY id) AS k FROM ottoq_resources
      WHERE resource_type = 'CHARGE_STALL') r
JOIN (SELECT id, row_number() OVER (ORDER BY id) AS k FROM ottoq_vehicles
      WHERE external_ref LIKE 'Nashville-%' OR external_ref LIKE 'Austin-%') v USING (k)
WHERE r.k <= $1
"""


async def _build(dsn: str, name: str, vehicles: int, history: int) -> str:
    url = await fresh_database(dsn, name)
    conn = await asyncpg.connect(url)
    try:
        if vehicles > 900:
            await conn.execute(GROW_FLEET, vehicles - 900)
        if history:
            await conn.execute(HISTORY, history, START)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return url


async def _ticks(url: str, transitions: int, repeats: int) -> dict[str, float]:
    """Time the tick that starts `transitions` jobs and the one that completes them."""
    pool = await create_pool(url, min_size=2, max_size=4)
    # Start after everything an earlier run recorded: no start is stamped before a stall was free.
    async with pool.acquire() as conn:
        last_end = await conn.fetchval("SELECT max(completed_at) FROM ottoq_jobs")
    clock = ManualClock(max(START + timedelta(days=1), (last_end or START) + timedelta(hours=1)))
    ctx = Ctx(Settings(clock="manual", arrival_required=False), clock)
    starts, ends = [], []
    try:
        await tick(pool, ctx)
        for _ in range(repeats):
            async with pool.acquire() as conn:
                await conn.execute(DUE_WORK, transitions, clock.now())
            began = time.perf_counter()
            summary = await tick(pool, ctx, repair=False)
            starts.append(time.perf_counter() - began)
            assert summary.counts["activated"] == transitions, summary.counts
            clock.advance(timedelta(minutes=41))
            began = time.perf_counter()
            summary = await tick(pool, ctx, repair=False)
            ends.append(time.perf_counter() - began)
            assert summary.counts["completed"] == transitions, summary.counts
            clock.advance(timedelta(minutes=1))
    finally:
        await pool.close()
    return {"activate_ms": median(starts) * 1000, "complete_ms": median(ends) * 1000}


def measure(dsn: str, sizes: Sizes) -> dict[str, Any]:
    transitions = min(sizes.transitions, 240)
    small = asyncio.run(_build(dsn, "ottoq_bench_small", 1000, 0))
    large = asyncio.run(_build(dsn, "ottoq_bench_large", sizes.vehicles_large, sizes.finished_jobs))
    small_t, large_t = [], []
    for _ in range(sizes.repeats):
        small_t.append(asyncio.run(_ticks(small, transitions, 3)))
        large_t.append(asyncio.run(_ticks(large, transitions, 3)))
    result: dict[str, Any] = {
        "transitions": transitions,
        "vehicles_large": sizes.vehicles_large,
        "finished_jobs": sizes.finished_jobs,
    }
    for key in ("activate_ms", "complete_ms"):
        result[f"small_{key}"] = median([r[key] for r in small_t])
        result[f"large_{key}"] = median([r[key] for r in large_t])
        result[f"ratio_{key}"] = result[f"large_{key}"] / result[f"small_{key}"]
    return result
