"""Telemetry in, vehicle status out, arrivals and departures at the depot."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from ottoq.context import Ctx
from ottoq.errors import Conflict, Invalid, NotFound
from ottoq.events.store import record
from ottoq.fleet import queries as fq
from ottoq.jobs import queries as jq
from ottoq.jobs.maintenance import check_odometer_rules
from ottoq.jobs.service import JobRequest, describe_job, request_job
from ottoq.network.queries import find_depot

log = structlog.get_logger()

DEFAULT_THRESHOLD = 0.20
# How far ahead of OTTO-Q's clock a reading's own timestamp may be (vehicle clocks drift).
MAX_CLOCK_SKEW = timedelta(minutes=5)
# A vehicle reporting a position this close to a depot where it has a job has arrived there.
DEFAULT_ARRIVAL_RADIUS_M = 150.0


@dataclass(frozen=True)
class Reading:
    vehicle_ref: str
    soc: float | None = None
    odometer_km: float | None = None
    lat: float | None = None
    lon: float | None = None
    health: dict[str, Any] | None = None
    ts: datetime | None = None

    def as_payload(self) -> dict[str, Any]:
        return {
            "soc": self.soc,
            "odometer_km": self.odometer_km,
            "lat": self.lat,
            "lon": self.lon,
            "health": self.health,
            "ts": self.ts.isoformat() if self.ts else None,
        }


async def ingest(conn: asyncpg.Connection, ctx: Ctx, reading: Reading) -> dict[str, Any]:
    """Store a reading; open a CHARGE job when the charge falls to the depot's threshold."""
    vehicle = await fq.find_vehicle(conn, reading.vehicle_ref)
    if vehicle is None:
        raise NotFound(f"vehicle {reading.vehicle_ref} not found")
    now = ctx.now()
    if reading.ts is not None and reading.ts > now + MAX_CLOCK_SKEW:
        # A reading from the future would hide every real one after it as "older".
        raise Invalid(f"ts {reading.ts.isoformat()} is in the future (now {now.isoformat()})")
    row = await conn.fetchrow(
        fq.APPLY_TELEMETRY,
        vehicle["id"],
        reading.soc,
        reading.odometer_km,
        reading.lat,
        reading.lon,
        reading.health or {},
        reading.ts or now,
        now,
        reading.as_payload(),
    )

    if row["fresh"] and reading.lat is not None and reading.lon is not None:
        await _arrive_if_near(conn, ctx, row, now)
    if row["fresh"] and reading.odometer_km is not None:
        await check_odometer_rules(conn, ctx, row["id"], reading.odometer_km, now)
    triggered = None
    if row["fresh"] and reading.soc is not None:
        triggered = await _auto_charge(conn, ctx, dict(row), vehicle)
    status = await conn.fetchval("SELECT status FROM ottoq_vehicles WHERE id = $1", row["id"])
    return {
        "success": True,
        "vehicle": {"id": row["id"], "soc": row["soc"], "status": status},
        "job_triggered": triggered,
    }


async def ingest_many(
    conn: asyncpg.Connection, ctx: Ctx, readings: list[Reading]
) -> list[dict[str, Any]]:
    """A batch in order and all or nothing: one unknown vehicle refuses the whole batch."""
    return [await ingest(conn, ctx, reading) for reading in readings]


async def _auto_charge(
    conn: asyncpg.Connection, ctx: Ctx, row: dict[str, Any], vehicle: dict[str, Any]
) -> dict[str, Any] | None:
    threshold = await _threshold(conn, row["home_depot_id"])
    if row["soc"] is None or row["soc"] > threshold:
        return None
    if await conn.fetchrow(jq.OPEN_JOB_OF_TYPE, row["id"], "CHARGE") is not None:
        return None
    req = JobRequest(
        vehicle_ref=str(row["id"]),
        job_type="CHARGE",
        metadata={"trigger": "low_soc", "soc": row["soc"]},
    )
    try:
        async with conn.transaction():
            outcome = await request_job(conn, ctx, req)
    except Conflict:
        # A racing reading opened the job first; one job is what we want.
        return None
    log.info("telemetry.charge_triggered", vehicle=vehicle["external_ref"], soc=row["soc"])
    return {"success": True, "job": outcome.job}


async def _threshold(conn: asyncpg.Connection, depot_id: UUID | None) -> float:
    if depot_id is None:
        return DEFAULT_THRESHOLD
    depot = await find_depot(conn, depot_id)
    configured = (depot or {}).get("config_jsonb", {}).get("charge_threshold_soc")
    # A configured 0 means 0: only a missing value falls back to the default.
    return DEFAULT_THRESHOLD if configured is None else float(configured)


async def _arrive_if_near(
    conn: asyncpg.Connection, ctx: Ctx, row: asyncpg.Record, now: datetime
) -> None:
    jobs = await conn.fetch(
        "SELECT DISTINCT d.id, d.lat, d.lon, d.config_jsonb FROM ottoq_jobs j"
        " JOIN ottoq_depots d ON d.id = j.depot_id"
        " WHERE j.vehicle_id = $1 AND j.state IN ('PENDING', 'SCHEDULED') AND j.arrived_at IS NULL",
        row["id"],
    )
    for depot in jobs:
        radius = float(depot["config_jsonb"].get("arrival_radius_m", DEFAULT_ARRIVAL_RADIUS_M))
        if (
            depot["lat"] is not None
            and distance_m(row["lat"], row["lon"], depot["lat"], depot["lon"]) <= radius
        ):
            await mark_arrived(conn, ctx, row["id"], row["city_id"], depot["id"], now)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6_371_000 * 2 * math.asin(math.sqrt(a))


async def mark_arrived(
    conn: asyncpg.Connection,
    ctx: Ctx,
    vehicle_id: UUID,
    city_id: UUID,
    depot_id: UUID | None,
    now: datetime,
) -> list[UUID]:
    jobs = await conn.fetch(fq.MARK_ARRIVED, vehicle_id, depot_id, now)
    await record(
        conn,
        city_id=city_id,
        entity_type="VEHICLE",
        entity_id=vehicle_id,
        event_type="VEHICLE_ARRIVED",
        payload={
            "depot_id": str(depot_id) if depot_id else None,
            "job_ids": [str(j["id"]) for j in jobs],
        },
        at=now,
    )
    await fq.settle_vehicles(conn, [vehicle_id], now)
    return [j["id"] for j in jobs]


async def arrive(
    conn: asyncpg.Connection, ctx: Ctx, vehicle_ref: str, depot_id: UUID | None
) -> dict[str, Any]:
    """The vehicle is at the depot: its booked jobs there may start when their windows open."""
    vehicle = await fq.find_vehicle(conn, vehicle_ref)
    if vehicle is None:
        raise NotFound(f"vehicle {vehicle_ref} not found")
    if depot_id is not None and await find_depot(conn, depot_id) is None:
        raise NotFound(f"depot {depot_id} not found")
    job_ids = await mark_arrived(conn, ctx, vehicle["id"], vehicle["city_id"], depot_id, ctx.now())
    return {
        "success": True,
        "vehicle_id": vehicle["id"],
        "job_ids": job_ids,
        "status": await _status(conn, vehicle["id"]),
    }


async def depart(conn: asyncpg.Connection, ctx: Ctx, vehicle_ref: str) -> dict[str, Any]:
    """The vehicle left: a running job ends now, jobs it never started are cancelled."""
    vehicle = await fq.find_vehicle(conn, vehicle_ref)
    if vehicle is None:
        raise NotFound(f"vehicle {vehicle_ref} not found")
    now = ctx.now()
    finished, resources = [], []
    leaving = await conn.fetch(
        fq.OPEN_JOBS_OF_LEAVING, vehicle["id"], ctx.settings.arrival_required
    )
    for job in leaving:
        done = await _end_on_departure(conn, ctx, dict(job), now)
        if done is not None:
            finished.append(done["id"])
            resources.append(job["resource_id"])

    await jq.refresh_resources(conn, resources, now, ctx.reserve_until(now))
    await fq.settle_vehicles(conn, [vehicle["id"]], now)
    await record(
        conn,
        city_id=vehicle["city_id"],
        entity_type="VEHICLE",
        entity_id=vehicle["id"],
        event_type="VEHICLE_DEPARTED",
        payload={"job_ids": [str(j) for j in finished]},
        at=now,
    )
    return {
        "success": True,
        "vehicle_id": vehicle["id"],
        "job_ids": finished,
        "status": await _status(conn, vehicle["id"]),
    }


async def _end_on_departure(
    conn: asyncpg.Connection, ctx: Ctx, job: dict[str, Any], now: datetime
) -> dict[str, Any] | None:
    """Complete what was being served, cancel what never started."""
    state = job["state"]
    if state == "SCHEDULED" and _was_started(ctx, job, now):
        # Its window opened with the vehicle there: it was served even if no tick has noticed yet,
        # so it is stamped ACTIVE as the tick would have done rather than cancelled.
        started = await jq.guarded(conn, jq.ACTIVATE_JOB, job["id"], now, [state], "JOB_ACTIVE")
        state = "ACTIVE" if started is not None else state
    if state == "ACTIVE":
        return await jq.guarded(
            conn, jq.COMPLETE_ON_DEPARTURE, job["id"], now, ["ACTIVE"], "JOB_COMPLETED"
        )
    return await jq.guarded(
        conn,
        jq.CANCEL_JOB,
        job["id"],
        now,
        ["PENDING", "SCHEDULED"],
        "JOB_CANCELLED",
        "vehicle left",
    )


def _was_started(ctx: Ctx, job: dict[str, Any], now: datetime) -> bool:
    there = job["arrived_at"] is not None or not ctx.settings.arrival_required
    return there and job["scheduled_start_at"] <= now and not job["stall_taken"]


async def _status(conn: asyncpg.Connection, vehicle_id: UUID) -> str:
    status: str = await conn.fetchval("SELECT status FROM ottoq_vehicles WHERE id = $1", vehicle_id)
    return status


async def vehicle_status(conn: asyncpg.Connection, ctx: Ctx, vehicle_ref: str) -> dict[str, Any]:
    """The vehicle card: the vehicle and what the depot has planned for it."""
    vehicle = await fq.find_vehicle(conn, vehicle_ref)
    if vehicle is None:
        raise NotFound(f"vehicle {vehicle_ref} not found")
    job = await conn.fetchrow(fq.ASSIGNMENT, vehicle["id"])
    shown = {
        key: vehicle[key]
        for key in (
            "id",
            "external_ref",
            "oem",
            "vin",
            "plate",
            "soc",
            "odometer_km",
            "status",
            "last_telemetry_at",
            "lat",
            "lon",
            "battery_kwh",
        )
    }
    shown["city"] = vehicle["city_name"]
    return {
        "vehicle": shown,
        "assignment": await _assignment(conn, ctx, dict(job)) if job else None,
    }


async def _assignment(conn: asyncpg.Connection, ctx: Ctx, job: dict[str, Any]) -> dict[str, Any]:
    now = ctx.now()
    out: dict[str, Any] = {
        "job_id": job["id"],
        "job_type": job["job_type"],
        "state": job["state"],
        "depot": {
            "id": job["depot_id"],
            "name": job["depot_name"],
            "address": job["depot_address"],
        },
        "resource": None,
    }
    if job["resource_type"] is not None:
        word = "Bay" if job["resource_type"] == "MAINTENANCE_BAY" else "Stall"
        out["resource"] = {
            "id": job["resource_id"],
            "type": job["resource_type"],
            "index": job["resource_index"],
            "label": f"{word} {job['resource_index']}",
        }
    if job["state"] == "SCHEDULED":
        out["scheduled_start_at"] = job["scheduled_start_at"]
        out["eta_seconds"] = job["eta_seconds"]
        out["completion_at"] = job["scheduled_end_at"]
    elif job["state"] == "ACTIVE":
        out["scheduled_start_at"] = job["scheduled_start_at"]
        out["eta_seconds"] = max(0, int((job["scheduled_end_at"] - now).total_seconds()))
        out["completion_at"] = job["scheduled_end_at"]
    else:
        described = await describe_job(conn, ctx, job)
        out["queue_position"] = described["queue_position"]
        out["predicted_start_at"] = described["predicted_start_at"]
    return out
