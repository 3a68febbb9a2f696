"""HTTP route for the KPI report, so that a replay driving a remote OTTO-Q can read it too."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, get
from litestar.params import QueryParameter

from ottoq.errors import Invalid
from ottoq.report.kpis import Scope, build_report
from ottoq.report.schemas import Report
from ottoq.web.docs import READ_ERRORS, ok
from ottoq.web.runtime import rt

F = "/functions/v1"


@get(
    f"{F}/ottoq-report",
    summary="KPIs of the jobs at some depots over a period",
    responses={**ok(Report, "the KPIs and the busy and queue timelines"), **READ_ERRORS},
)
async def report(
    request: Request[Any, Any, Any],
    since: Annotated[str, QueryParameter(description="start of the period, ISO-8601 with offset")],
    until: Annotated[
        str | None, QueryParameter(description="end of the period; now if left out")
    ] = None,
    depot_id: Annotated[list[UUID] | None, QueryParameter(description="repeatable")] = None,
) -> dict[str, Any]:
    runtime = rt(request)
    start = _moment("since", since)
    end = _moment("until", until) if until else runtime.ctx.now()
    if end <= start:
        raise Invalid("until must be later than since")
    scope = Scope(depot_ids=depot_id or None, since=start, until=end)
    return await runtime.tx(lambda c: build_report(c, scope))


def _moment(name: str, text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise Invalid(f"{name} must be an ISO-8601 timestamp with a UTC offset") from exc
    if moment.tzinfo is None:
        raise Invalid(f"{name} must carry a UTC offset")
    return moment


ROUTES = [report]
