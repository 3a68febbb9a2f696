"""HTTP routes for the audit trail and the brief's metrics."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Request, get
from litestar.params import FromQuery, QueryParameter

from ottoq.events import store
from ottoq.web.docs import READ_ERRORS, errors
from ottoq.web.runtime import rt

F = "/functions/v1"
EntityType = Literal["VEHICLE", "DEPOT", "RESOURCE", "JOB", "SCHEDULE", "SIMULATOR", "WEBHOOK"]

# The brief's two metrics queries, verbatim.
UTILIZATION = """
SELECT 
  depot_id,
  COUNT(*) FILTER (WHERE status = 'BUSY') as busy_count,
  COUNT(*) FILTER (WHERE status = 'AVAILABLE') as available_count,
  ROUND(COUNT(*) FILTER (WHERE status = 'BUSY')::numeric / COUNT(*) * 100, 2) as utilization_pct
FROM ottoq_resources
GROUP BY depot_id;
"""  # noqa: W291

ACTIVE_JOBS = """
SELECT 
  job_type,
  state,
  COUNT(*) as count
FROM ottoq_jobs
WHERE state IN ('PENDING', 'SCHEDULED', 'ACTIVE')
GROUP BY job_type, state;
"""  # noqa: W291


@get(f"{F}/ottoq-events", summary="The audit trail, newest first", responses=READ_ERRORS)
async def events(
    request: Request[Any, Any, Any],
    entity_type: FromQuery[EntityType | None] = None,
    entity_id: FromQuery[UUID | None] = None,
    after: Annotated[
        int | None, QueryParameter(ge=1, description="events older than this id")
    ] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    runtime = rt(request)
    rows = await runtime.tx(lambda c: store.page(c, entity_type, entity_id, after, limit))
    next_after = rows[-1]["id"] if len(rows) == limit else None
    return {"events": rows, "next_after": next_after}


@get(
    f"{F}/ottoq-metrics",
    summary="Utilization per depot and open jobs by type and state",
    responses=errors(),
)
async def metrics(request: Request[Any, Any, Any]) -> dict[str, Any]:
    runtime = rt(request)

    async def read(conn: Any) -> dict[str, Any]:
        utilization = [dict(r) for r in await conn.fetch(UTILIZATION)]
        for row in utilization:
            row["utilization_pct"] = float(row["utilization_pct"])
        jobs = [dict(r) for r in await conn.fetch(ACTIVE_JOBS)]
        return {"utilization": utilization, "active_jobs": jobs}

    return await runtime.tx(read)


ROUTES = [events, metrics]
