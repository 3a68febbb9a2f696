"""Requesting and cancelling jobs: the engine's entry points for the API and the tick."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from ottoq.context import Ctx
from ottoq.errors import Conflict, IllegalTransition, Invalid, NotFound
from ottoq.fleet.queries import find_vehicle, settle_vehicles
from ottoq.jobs import queries as q
from ottoq.jobs.booking import find_window, place
from ottoq.jobs.durations import DEFAULT_POWER_KW, DEFAULT_TARGET_SOC, DurationInput, job_duration
from ottoq.jobs.forecast import predicted_start
from ottoq.jobs.priority import priority_key
from ottoq.network.queries import city_depots, find_depot
from ottoq.states import JOB, JOB_TYPE_RESOURCE, JOB_TYPES, OPEN_JOB_STATES

log = structlog.get_logger()


@dataclass(frozen=True)
class JobRequest:
    vehicle_ref: str
    job_type: str
    preferred_depot_id: UUID | None = None
    earliest_start_at: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None

    def fingerprint(self) -> str:
        """What makes two requests with one idempotency key the same request."""
        body = {
            "vehicle": self.vehicle_ref,
            "job_type": self.job_type,
            "depot": str(self.preferred_depot_id) if self.preferred_depot_id else None,
            "earliest": self.earliest_start_at.isoformat() if self.earliest_start_at else None,
            "metadata": self.metadata,
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class RequestOutcome:
    job: dict[str, Any]
    created: bool


async def request_job(conn: asyncpg.Connection, ctx: Ctx, req: JobRequest) -> RequestOutcome:
    """Accept a job and book it into the earliest window, or queue it when none fits."""
    if req.job_type not in JOB_TYPES:
        raise Invalid(f"job_type must be one of {', '.join(JOB_TYPES)}")
    replayed = await _replay(conn, ctx, req)
    if replayed is not None:
        return replayed

    vehicle = await find_vehicle(conn, req.vehicle_ref)
    if vehicle is None:
        raise NotFound(f"vehicle {req.vehicle_ref} not found")
    depots = await _depots_for(conn, vehicle, req.preferred_depot_id)
    facts = await conn.fetchrow(q.VEHICLE_OPEN_JOBS, vehicle["id"], depots[0]["id"], req.job_type)
    if facts["open_id"] is not None:
        # The open job may be this very request's, made by a twin that committed a moment ago.
        replayed = await _replay(conn, ctx, req)
        if replayed is not None:
            return replayed
        raise _second_open_job(req.job_type, facts["open_id"], facts["open_state"])

    now = ctx.now()
    job = await _insert(conn, ctx, req, vehicle, depots[0], now, at_depot=facts["at_depot"])
    if job is None:
        # A concurrent request with the same key or for the same vehicle and type won the race.
        return await _after_race(conn, ctx, req, vehicle["id"])

    job = await try_book(conn, ctx, job, [d["id"] for d in depots], now)
    return RequestOutcome(await describe_job(conn, ctx, job), created=True)


async def _replay(conn: asyncpg.Connection, ctx: Ctx, req: JobRequest) -> RequestOutcome | None:
    if not req.idempotency_key:
        return None
    row = await conn.fetchrow(q.JOB_BY_KEY, req.idempotency_key)
    if row is None:
        return None
    if row["request_hash"] != req.fingerprint():
        raise Invalid("Idempotency-Key was already used with a different request body")
    return RequestOutcome(await describe_job(conn, ctx, dict(row)), created=False)


async def _after_race(
    conn: asyncpg.Connection, ctx: Ctx, req: JobRequest, vehicle_id: UUID
) -> RequestOutcome:
    replayed = await _replay(conn, ctx, req)
    if replayed is not None:
        return replayed
    await _refuse_second_open_job(conn, vehicle_id, req.job_type)
    raise Conflict("the request raced with another one for this vehicle; retry it")


async def _depots_for(
    conn: asyncpg.Connection, vehicle: dict[str, Any], preferred: UUID | None
) -> list[dict[str, Any]]:
    """The depots a job may be booked at: the requested one, else the vehicle's city's."""
    if preferred is not None:
        depot = await find_depot(conn, preferred)
        if depot is None:
            raise NotFound(f"depot {preferred} not found")
        if depot["city_id"] != vehicle["city_id"]:
            raise Invalid(
                f"depot {depot['name']} is in {depot['city_name']}, not in the city "
                f"of vehicle {vehicle['external_ref']} ({vehicle['city_name']})"
            )
        return [depot]
    depots = await city_depots(conn, vehicle["city_id"])
    if not depots:
        raise Invalid(f"the city of vehicle {vehicle['external_ref']} has no depot")
    # The home depot first, so that it wins ties and holds the job while it queues.
    depots.sort(key=lambda d: d["id"] != vehicle["home_depot_id"])
    return depots


def _second_open_job(job_type: str, job_id: UUID, state: str) -> Conflict:
    return Conflict(
        f"vehicle already has an open {job_type} job {job_id} ({state})",
        job_id=str(job_id),
        state=state,
    )


async def _refuse_second_open_job(
    conn: asyncpg.Connection, vehicle_id: UUID, job_type: str
) -> None:
    row = await conn.fetchrow(q.OPEN_JOB_OF_TYPE, vehicle_id, job_type)
    if row is not None:
        raise _second_open_job(job_type, row["id"], row["state"])


async def _insert(
    conn: asyncpg.Connection,
    ctx: Ctx,
    req: JobRequest,
    vehicle: dict[str, Any],
    depot: dict[str, Any],
    now: datetime,
    *,
    at_depot: bool,
) -> dict[str, Any] | None:
    duration = _duration(ctx, req, vehicle, depot, now)
    ready_by = _ready_by(req.metadata)
    key = priority_key(req.job_type, vehicle["soc"], ready_by, now)
    requested = max(now, req.earliest_start_at) if req.earliest_start_at else now
    row = await conn.fetchrow(
        q.INSERT_JOB,
        vehicle["city_id"],
        vehicle["id"],
        depot["id"],
        req.job_type,
        requested,
        int(duration.total_seconds()),
        key,
        req.metadata,
        req.idempotency_key,
        req.fingerprint(),
        now if at_depot else None,
        now,
    )
    if row is None:
        return None
    log.info(
        "job.created", job_id=str(row["id"]), job_type=req.job_type, vehicle=vehicle["external_ref"]
    )
    return dict(row)


def _duration(
    ctx: Ctx, req: JobRequest, vehicle: dict[str, Any], depot: dict[str, Any], now: datetime
) -> timedelta:
    config = depot["config_jsonb"] or {}
    spec = DurationInput(
        job_type=req.job_type,
        soc=vehicle["soc"],
        battery_kwh=vehicle["battery_kwh"],
        target_soc=float(req.metadata.get("target_soc", DEFAULT_TARGET_SOC)),
        power_kw=float(config.get("charge_power_kw", DEFAULT_POWER_KW)),
        depot_config=config,
        seed_key=f"{vehicle['external_ref']}:{req.job_type}:{now.isoformat()}",
        planned_minutes=_planned_minutes(req.metadata),
    )
    return job_duration(spec, ctx.settings.seed)


def _planned_minutes(metadata: dict[str, Any]) -> float | None:
    raw = metadata.get("duration_minutes")
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 < raw < float("inf"):
        raise Invalid("metadata.duration_minutes must be a positive number of minutes")
    return float(raw)


def _ready_by(metadata: dict[str, Any]) -> datetime | None:
    raw = metadata.get("ready_by")
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(str(raw))
    except ValueError as exc:
        raise Invalid("metadata.ready_by must be an ISO-8601 timestamp with an offset") from exc
    if moment.tzinfo is None:
        raise Invalid("metadata.ready_by must carry a UTC offset")
    return moment


async def try_book(
    conn: asyncpg.Connection,
    ctx: Ctx,
    job: dict[str, Any],
    depot_ids: list[UUID],
    now: datetime,
) -> dict[str, Any]:
    """Book a pending job unless a higher-priority job is already queued for the same stalls."""
    ahead = await conn.fetchval(
        q.AHEAD_IN_QUEUE,
        job["depot_id"],
        job["job_type"],
        job["priority_key"],
        now + ctx.settings.booking_horizon,
    )
    if ahead:
        return job
    window = await find_window(conn, ctx, job, depot_ids, now)
    if window is None:
        log.info("job.queued", job_id=str(job["id"]), depot_id=str(job["depot_id"]))
        return job
    return await place(conn, ctx, job, window, now)


def public_job(job: dict[str, Any]) -> dict[str, Any]:
    """A job without the engine's private bookkeeping."""
    return {k: v for k, v in job.items() if k not in {"request_hash", "priority_key"}}


async def describe_job(conn: asyncpg.Connection, ctx: Ctx, job: dict[str, Any]) -> dict[str, Any]:
    """The job as the API shows it; a pending job also says where it stands in the queue."""
    shown = public_job(job)
    if job["state"] != "PENDING":
        return shown
    position = await conn.fetchval(
        q.QUEUE_POSITION, job["depot_id"], job["job_type"], job["priority_key"]
    )
    shown["queue_position"] = position
    shown["predicted_start_at"] = await _predicted_start(conn, ctx, job, position)
    return shown


async def _predicted_start(
    conn: asyncpg.Connection, ctx: Ctx, job: dict[str, Any], position: int
) -> datetime | None:
    now = ctx.now()
    rows = await conn.fetch(
        q.RESOURCE_FREE_AT, job["depot_id"], JOB_TYPE_RESOURCE[job["job_type"]], now
    )
    return predicted_start(
        (r["free_at"] for r in rows),
        now,
        job["requested_start_at"],
        position,
        timedelta(seconds=job["duration_seconds"]),
    )


async def cancel_job(
    conn: asyncpg.Connection, ctx: Ctx, job_id: UUID, reason: str | None
) -> tuple[bool, dict[str, Any]]:
    """Cancel an open job; (False, job) when it had already finished."""
    now = ctx.now()
    cancelled = await q.guarded(
        conn,
        q.CANCEL_JOB,
        job_id,
        now,
        JOB.sources("CANCELLED"),
        "JOB_CANCELLED",
        reason or "cancelled",
    )
    if cancelled is None:
        current = await q.fetch_job(conn, job_id)
        if current is None:
            raise NotFound(f"job {job_id} not found")
        if current["state"] not in OPEN_JOB_STATES:
            return False, current
        raise IllegalTransition("job", job_id, current["state"], "CANCELLED")

    await q.refresh_resources(conn, [cancelled["resource_id"]], now, ctx.reserve_until(now))
    await settle_vehicles(conn, [cancelled["vehicle_id"]], now)
    log.info("job.cancelled", job_id=str(job_id), reason=reason)
    return True, cancelled
