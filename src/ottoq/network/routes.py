"""HTTP routes for the network: the depot grid and the system configuration."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get
from litestar.params import FromPath

from ottoq.errors import NotFound
from ottoq.network import service
from ottoq.network.schemas import Config, DepotResources
from ottoq.web.docs import READ_ERRORS, errors, ok
from ottoq.web.runtime import rt

F = "/functions/v1"


@get(
    f"{F}/ottoq-depots-resources/{{depot_id:str}}",
    summary="A depot's resource grid",
    responses={**ok(DepotResources, "the grid: 50 cells and 2 bays"), **READ_ERRORS},
)
async def depot_resources(
    request: Request[Any, Any, Any], depot_id: FromPath[str]
) -> dict[str, Any]:
    runtime = rt(request)
    try:
        parsed = UUID(depot_id)
    except ValueError as exc:
        raise NotFound(f"depot {depot_id} not found") from exc
    return await runtime.tx(lambda c: service.depot_resources(c, runtime.ctx, parsed))


@get(
    f"{F}/ottoq-config",
    summary="System configuration and branding",
    responses={**ok(Config, "cities, depots, simulator, features"), **errors()},
)
async def config(request: Request[Any, Any, Any]) -> dict[str, Any]:
    runtime = rt(request)
    return await runtime.tx(lambda c: service.system_config(c, runtime.ctx))


ROUTES = [depot_resources, config]
