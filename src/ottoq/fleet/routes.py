"""HTTP routes for vehicles: telemetry, status, arrival and departure."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, JSONBody

from ottoq.errors import Invalid
from ottoq.fleet import service
from ottoq.fleet.schemas import (
    BatchTelemetryResponse,
    MoveResponse,
    TelemetryResponse,
    VehicleStatusResponse,
)
from ottoq.web.docs import READ_ERRORS, WRITE_ERRORS, ok
from ottoq.web.models import ArriveBody, DepartBody, DepotBody, TelemetryBody
from ottoq.web.runtime import rt

F = "/functions/v1"


@post(
    f"{F}/ottoq-vehicles-telemetry",
    status_code=200,
    summary="Ingest one reading, or a list of readings in one transaction",
    responses={**ok(TelemetryResponse | BatchTelemetryResponse, "readings stored"), **WRITE_ERRORS},
)
async def telemetry(
    request: Request[Any, Any, Any], data: JSONBody[TelemetryBody | list[TelemetryBody]]
) -> dict[str, Any]:
    runtime = rt(request)
    if not isinstance(data, list):
        reading = _reading(data)
        return await runtime.tx(lambda c: service.ingest(c, runtime.ctx, reading))

    limit = runtime.ctx.settings.telemetry_batch_limit
    if not 0 < len(data) <= limit:
        raise Invalid(f"a batch holds 1 to {limit} readings; this one has {len(data)}")
    readings = [_reading(item) for item in data]
    results = await runtime.tx(lambda c: service.ingest_many(c, runtime.ctx, readings))
    return {"success": True, "count": len(results), "results": results}


def _reading(data: TelemetryBody) -> service.Reading:
    return service.Reading(
        vehicle_ref=data.vehicle_id,
        soc=data.soc,
        odometer_km=data.odometer_km,
        lat=data.location.lat if data.location else None,
        lon=data.location.lon if data.location else None,
        health=data.health,
        ts=data.ts,
    )


@get(
    f"{F}/ottoq-vehicles-status/{{vehicle_id:str}}",
    summary="A vehicle and its assignment",
    responses={**ok(VehicleStatusResponse, "the vehicle card"), **READ_ERRORS},
)
async def vehicle_status(
    request: Request[Any, Any, Any], vehicle_id: FromPath[str]
) -> dict[str, Any]:
    runtime = rt(request)
    return await runtime.tx(lambda c: service.vehicle_status(c, runtime.ctx, vehicle_id))


@post(
    f"{F}/ottoq-vehicles-arrive",
    status_code=200,
    summary="A vehicle arrived at a depot",
    responses={**ok(MoveResponse, "arrival recorded"), **WRITE_ERRORS},
)
async def arrive(request: Request[Any, Any, Any], data: JSONBody[ArriveBody]) -> dict[str, Any]:
    runtime = rt(request)
    return await runtime.tx(
        lambda c: service.arrive(c, runtime.ctx, data.vehicle_id, data.depot_id)
    )


@post(
    f"{F}/ottoq-vehicles-arrive/{{vehicle_id:str}}",
    status_code=200,
    summary="A vehicle arrived at a depot",
    responses={**ok(MoveResponse, "arrival recorded"), **WRITE_ERRORS},
)
async def arrive_by_path(
    request: Request[Any, Any, Any],
    vehicle_id: FromPath[str],
    data: JSONBody[DepotBody | None] = None,
) -> dict[str, Any]:
    runtime = rt(request)
    depot_id = data.depot_id if data else None
    return await runtime.tx(lambda c: service.arrive(c, runtime.ctx, vehicle_id, depot_id))


@post(
    f"{F}/ottoq-vehicles-depart",
    status_code=200,
    summary="A vehicle left its depot",
    responses={**ok(MoveResponse, "departure recorded"), **WRITE_ERRORS},
)
async def depart(request: Request[Any, Any, Any], data: JSONBody[DepartBody]) -> dict[str, Any]:
    runtime = rt(request)
    return await runtime.tx(lambda c: service.depart(c, runtime.ctx, data.vehicle_id))


ROUTES = [telemetry, vehicle_status, arrive, arrive_by_path, depart]
