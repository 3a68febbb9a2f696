"""A replay's own place in OTTO-Q: a city, one depot sized like the real site, its vehicles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg
import structlog

from ottoq import BRANDING
from ottoq.context import Ctx
from ottoq.errors import Invalid
from ottoq.events.store import record
from ottoq.network.seed import insert_resources, insert_vehicles, resource_rows, stable_id
from ottoq.replay import queries as rq

log = structlog.get_logger()


@dataclass(frozen=True)
class DepotSpec:
    name: str
    charge_stalls: int
    power_kw: float = 50.0
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    charge_threshold_soc: float = 0.20
    # The shortest and longest CHARGE a stall is planned for, in minutes (the engine's bounds).
    charge_minutes: tuple[float, float] | None = None


@dataclass(frozen=True)
class VehicleSpec:
    external_ref: str
    oem: str = ""
    battery_kwh: float | None = None
    soc: float | None = None
    odometer_km: float | None = None


async def set_up(
    conn: asyncpg.Connection,
    ctx: Ctx,
    city_name: str,
    tz: str,
    depot: DepotSpec,
    vehicles: list[VehicleSpec],
) -> dict[str, Any]:
    """Make what is missing (safe to repeat) and say what there is."""
    _check_zone(tz)
    city = await rq.city(conn, stable_id("city", city_name), city_name, tz)
    depot_id = stable_id("depot", city_name, depot.name)
    created = await rq.insert_depot(
        conn,
        depot_id,
        city["id"],
        depot.name,
        depot.address,
        depot.lat,
        depot.lon,
        _depot_config(depot),
    )
    if created:
        rows = resource_rows(city["id"], depot_id, depot.power_kw, depot.charge_stalls, 0, 0)
        await insert_resources(conn, rows)
    if vehicles:
        await insert_vehicles(conn, [_vehicle_row(city["id"], depot_id, v) for v in vehicles])

    ids = await rq.vehicle_ids(conn, [v.external_ref for v in vehicles])
    stalls = await rq.charge_stalls(conn, depot_id)
    await _record(conn, ctx, city["id"], depot_id, created, stalls, len(ids))
    log.info("replay.setup", depot=depot.name, stalls=stalls, vehicles=len(ids), created=created)
    return {
        "success": True,
        "city_id": city["id"],
        "depot_id": depot_id,
        "created": created,
        "charge_stalls": stalls,
        "vehicles": ids,
    }


def _check_zone(tz: str) -> None:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(f"unknown time zone {tz!r}") from exc


def _depot_config(depot: DepotSpec) -> dict[str, Any]:
    # Marked as a replay's, so that the demo simulator leaves its vehicles alone.
    config: dict[str, Any] = {
        "charge_threshold_soc": depot.charge_threshold_soc,
        "ottoq_branding": BRANDING,
        "charge_power_kw": depot.power_kw,
        "replay": True,
    }
    if depot.charge_minutes is not None:
        low, high = depot.charge_minutes
        if not 0 < low <= high:
            raise Invalid("charge_minutes must be [shortest, longest] with 0 < shortest <= longest")
        config["durations"] = {"CHARGE": [(low + high) / 2, (high - low) / 2]}
    return config


def _vehicle_row(city_id: UUID, depot_id: UUID, v: VehicleSpec) -> tuple[object, ...]:
    return (
        stable_id("vehicle", v.external_ref),
        city_id,
        depot_id,
        v.oem,
        v.external_ref,
        None,
        None,
        v.soc,
        v.odometer_km,
        v.battery_kwh,
    )


async def _record(
    conn: asyncpg.Connection,
    ctx: Ctx,
    city_id: UUID,
    depot_id: UUID,
    created: bool,
    stalls: int,
    vehicles: int,
) -> None:
    await record(
        conn,
        city_id=city_id,
        entity_type="DEPOT",
        entity_id=depot_id,
        event_type="REPLAY_DEPOT_READY",
        payload={"created": created, "charge_stalls": stalls, "vehicles": vehicles},
        at=ctx.now(),
    )
