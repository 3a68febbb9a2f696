"""HTTP routes for the depot board: the queue of pending jobs and utilization over time."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Request, get
from litestar.params import FromPath, QueryParameter

from ottoq.errors import NotFound
from ottoq.jobs import board
from ottoq.jobs.board_schemas import DepotQueue, DepotUtilization
from ottoq.web.docs import READ_ERRORS, ok
from ottoq.web.runtime import rt

F = "/functions/v1"


def _depot_id(raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError as exc:
        raise NotFound(f"depot {raw} not found") from exc


@get(
    f"{F}/ottoq-depots-queue/{{depot_id:str}}",
    summary="A depot's pending jobs with their queue positions and predicted starts",
    responses={**ok(DepotQueue, "pending jobs per type, in booking order"), **READ_ERRORS},
)
async def depot_queue(
    request: Request[Any, Any, Any],
    depot_id: FromPath[str],
    limit: Annotated[
        int, QueryParameter(ge=1, le=500, description="at most this many jobs per job type")
    ] = 50,
) -> dict[str, Any]:
    runtime = rt(request)
    parsed = _depot_id(depot_id)
    return await runtime.tx(lambda c: board.depot_queue(c, runtime.ctx, parsed, limit))


@get(
    f"{F}/ottoq-depots-utilization/{{depot_id:str}}",
    summary="Resources at work per type over the last hours",
    responses={**ok(DepotUtilization, "average busy resources per step"), **READ_ERRORS},
)
async def depot_utilization(
    request: Request[Any, Any, Any],
    depot_id: FromPath[str],
    hours: Annotated[int, QueryParameter(ge=1, le=48, description="how far back")] = 6,
    step_minutes: Annotated[
        int, QueryParameter(ge=5, le=240, description="length of one step")
    ] = 15,
) -> dict[str, Any]:
    runtime = rt(request)
    parsed = _depot_id(depot_id)
    return await runtime.tx(
        lambda c: board.depot_utilization(c, runtime.ctx, parsed, hours, step_minutes)
    )


ROUTES = [depot_queue, depot_utilization]
