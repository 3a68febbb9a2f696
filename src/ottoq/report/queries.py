"""SQL for the KPI report. $1 depots in scope (NULL: all), $2 and $3 the period's bounds."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

# Jobs of the run: those created within the period at the depots in scope.
_IN_SCOPE = "($1::uuid[] IS NULL OR j.depot_id = ANY($1::uuid[]))"
_OF_RUN = f"{_IN_SCOPE} AND j.created_at >= $2 AND j.created_at <= $3"

OUTCOMES = f"""
SELECT j.job_type::text AS job_type, j.state::text AS state, count(*) AS jobs
FROM ottoq_jobs j
WHERE {_OF_RUN}
GROUP BY 1, 2
ORDER BY 1, 2
"""

# Wait: from the moment the vehicle asked to start to the moment it really started.
WAITS = f"""
WITH waits AS (
    SELECT j.job_type::text AS job_type,
           extract(epoch FROM j.started_at - j.requested_start_at)::float8 AS wait_s
    FROM ottoq_jobs j
    WHERE {_OF_RUN} AND j.started_at IS NOT NULL
)
SELECT job_type, count(*) AS started, avg(wait_s) AS mean_s,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY wait_s) AS p95_s, max(wait_s) AS max_s
FROM waits
GROUP BY 1
ORDER BY 1
"""


def timeline(spans: str) -> str:
    """A running level per kind from `spans` (kind, t0, t1): +1 at each start, -1 at each end."""
    return f"""
WITH spans AS ({spans}), steps AS (
    SELECT kind, t0 AS at, 1 AS delta FROM spans WHERE t1 > t0
    UNION ALL
    -- Still going when the period ends: no step down at its end.
    SELECT kind, t1, -1 FROM spans WHERE t1 > t0 AND t1 < $3
)
SELECT kind, at, sum(sum(delta)) OVER (PARTITION BY kind ORDER BY at)::int AS level
FROM steps
GROUP BY kind, at
ORDER BY kind, at
"""


# Resources held, per type: from a job's start to its end.
BUSY_TIMELINE = timeline(f"""
    SELECT r.resource_type::text AS kind, greatest(j.started_at, $2) AS t0,
           least(coalesce(j.completed_at, $3), $3) AS t1
    FROM ottoq_jobs j JOIN ottoq_resources r ON r.id = j.resource_id
    WHERE {_IN_SCOPE} AND j.started_at IS NOT NULL AND j.started_at < $3
      AND coalesce(j.completed_at, 'infinity') > $2""")

# Vehicles waiting, per job type: from their requested start until they start or give up.
QUEUE_TIMELINE = timeline(f"""
    SELECT j.job_type::text AS kind, greatest(j.requested_start_at, $2) AS t0,
           least(coalesce(j.started_at, j.completed_at, $3), $3) AS t1
    FROM ottoq_jobs j
    WHERE {_IN_SCOPE} AND j.requested_start_at < $3
      AND coalesce(j.started_at, j.completed_at, 'infinity') > $2""")

# Busy seconds within the period per resource type, against how many such resources exist.
UTILIZATION = """
SELECT r.resource_type::text AS kind, count(*) AS resources,
       coalesce(sum(b.busy_s), 0)::float8 AS busy_s
FROM ottoq_resources r
LEFT JOIN LATERAL (
    SELECT sum(extract(epoch FROM least(coalesce(j.completed_at, $3), $3)
                                  - greatest(j.started_at, $2))) AS busy_s
    FROM ottoq_jobs j
    WHERE j.resource_id = r.id AND j.started_at < $3
      AND coalesce(j.completed_at, 'infinity') > $2
) b ON true
WHERE $1::uuid[] IS NULL OR r.depot_id = ANY($1::uuid[])
GROUP BY 1
ORDER BY 1
"""


async def rows(
    conn: asyncpg.Connection,
    sql: str,
    depot_ids: list[UUID] | None,
    since: datetime,
    until: datetime,
) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(sql, depot_ids, since, until)]
