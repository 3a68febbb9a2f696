"""HTTP route for the simulator's controls (the brief's ottoq-simulator function)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, post
from litestar.params import JSONBody
from msgspec import Meta

from ottoq.simulator.service import act
from ottoq.web.docs import WRITE_ERRORS, ok
from ottoq.web.runtime import rt

F = "/functions/v1"
Action = Literal["start", "stop", "reset", "tick", "check_reset", "status"]


class SimulatorBody(msgspec.Struct):
    action: Action | None = None
    # Settings to change on start (seed, reset_minutes, job_weights, ...); see SimConfig.
    config: dict[str, Any] | None = None
    mode: Annotated[str, Meta(min_length=1, max_length=40)] | None = None


class SimulatorState(msgspec.Struct):
    is_running: bool
    mode: str
    last_reset_at: datetime | None
    next_reset_at: datetime | None
    last_tick_at: datetime | None
    started_at: datetime | None
    next_reservation_at: datetime | None
    reservations: int
    resets: int
    config: dict[str, Any]


class SimulatorResponse(msgspec.Struct):
    success: bool
    message: str
    simulator: SimulatorState
    reset: dict[str, Any] | msgspec.UnsetType | None = msgspec.UNSET
    tick: dict[str, Any] | msgspec.UnsetType | None = msgspec.UNSET


@post(
    f"{F}/ottoq-simulator",
    status_code=200,
    summary="Start, stop, reset or tick the simulator; no action reports its state",
    responses={**ok(SimulatorResponse, "what was done, and the simulator's state"), **WRITE_ERRORS},
)
async def simulator(
    request: Request[Any, Any, Any], data: JSONBody[SimulatorBody | None] = None
) -> dict[str, Any]:
    runtime = rt(request)
    body = data or SimulatorBody()
    return await act(runtime.require_pool(), runtime.ctx, body.action, body.config, body.mode)


ROUTES = [simulator]
