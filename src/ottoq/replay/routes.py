"""HTTP route that prepares a replay's city, depot and vehicles (service key)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, Response, post
from litestar.params import JSONBody
from msgspec import Meta

from ottoq.replay.setup import DepotSpec, VehicleSpec, set_up
from ottoq.web.docs import WRITE_ERRORS, ok
from ottoq.web.models import Latitude, Longitude, NonNegative, Soc
from ottoq.web.runtime import rt

F = "/functions/v1"
Name = Annotated[str, Meta(min_length=1, max_length=200)]


Minutes = Annotated[float, Meta(gt=0, le=7 * 24 * 60)]


class ReplayDepot(msgspec.Struct):
    name: Name
    charge_stalls: Annotated[int, Meta(ge=1, le=1000)]
    power_kw: Annotated[float, Meta(gt=0, le=1000)] = 50.0
    address: Annotated[str, Meta(max_length=500)] = ""
    lat: Latitude | None = None
    lon: Longitude | None = None
    charge_threshold_soc: Soc = 0.20
    charge_minutes: tuple[Minutes, Minutes] | None = None


class ReplayVehicle(msgspec.Struct):
    external_ref: Name
    oem: Annotated[str, Meta(max_length=100)] = ""
    battery_kwh: Annotated[float, Meta(gt=0, le=10_000)] | None = None
    soc: Soc | None = None
    odometer_km: NonNegative | None = None


class ReplaySetupBody(msgspec.Struct):
    city: Name
    tz: Annotated[str, Meta(min_length=1, max_length=64, description="IANA zone")]
    depot: ReplayDepot
    vehicles: Annotated[list[ReplayVehicle], Meta(max_length=50_000)] = msgspec.field(
        default_factory=list
    )


class ReplaySetupResponse(msgspec.Struct):
    success: bool
    city_id: UUID
    depot_id: UUID
    created: bool
    charge_stalls: int
    vehicles: dict[str, UUID]


@post(
    f"{F}/ottoq-replay-setup",
    status_code=201,
    summary="Prepare a replay's city, depot and vehicles (made once, then reused)",
    responses={
        **ok(ReplaySetupResponse, "created", 201),
        **ok(ReplaySetupResponse, "already there"),
        **WRITE_ERRORS,
    },
)
async def replay_setup(
    request: Request[Any, Any, Any], data: JSONBody[ReplaySetupBody]
) -> Response[dict[str, Any]]:
    runtime = rt(request)
    depot = DepotSpec(**msgspec.structs.asdict(data.depot))
    vehicles = [VehicleSpec(**msgspec.structs.asdict(v)) for v in data.vehicles]
    outcome = await runtime.tx(
        lambda c: set_up(c, runtime.ctx, data.city, data.tz, depot, vehicles)
    )
    return Response(outcome, status_code=201 if outcome["created"] else 200)


ROUTES = [replay_setup]
