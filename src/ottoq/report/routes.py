"""HTTP route for the KPI report, so that a replay driving a remote OTTO-Q can read it too."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, get
from litestar.params import QueryParameter

from ottoq.errors import Invalid
from ottoq.report.kpis import Scope, build_report
from ottoq.web.runtime import rt

F = "/functions/v1"


@get(f"{F}/ottoq-report", summary="KPIs of the jobs at some depots over a period")
async def report(
    request: Request[Any, Any, Any],
    since: Annotated[datetime, QueryParameter(description="start of the period, ISO-8601")],
    until: Annotated[datetime | None, QueryParameter(description="end; default now")] = None,
    depot_id: Annotated[list[UUID] | None, QueryParameter(description="repeatable")] = None,
) -> dict[str, Any]:
    runtime = rt(request)
    end = until or runtime.ctx.now()
    if since.tzinfo is None or end.tzinfo is None:
        raise Invalid("since and until must carry a UTC offset")
    if end <= since:
        raise Invalid("until must be later than since")
    scope = Scope(depot_ids=depot_id or None, since=since, until=end)
    return await runtime.tx(lambda c: build_report(c, scope))


ROUTES = [report]
