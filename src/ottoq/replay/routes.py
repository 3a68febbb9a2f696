"""HTTP route that prepares a replay's city, depot and vehicles (service key)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, post
from litestar.params import JSONBody
from msgspec import Meta

from ottoq.replay.setup import DepotSpec, VehicleSpec, set_up
from ottoq.web.models import Latitude, Longitude, NonNegative, Soc
from ottoq.web.runtime import rt

F = "/functions/v1"
Name = Annotated[str, Meta(min_length=1, max_length=200)]


class ReplayDepot(msgspec.Struct):
    name: Name
    charge_stalls: Annotated[int, Meta(ge=1, le=1000)]
    power_kw: Annotated[float, Meta(gt=0, le=1000)] = 50.0
    address: Annotated[str, Meta(max_length=500)] = ""
    lat: Latitude | None = None
    lon: Longitude | None = None
    config: dict[str, Any] = msgspec.field(default_factory=dict)


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


@post(f"{F}/ottoq-replay-setup", status_code=201, summary="Prepare a replay's depot and fleet")
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
