"""Periodic maintenance schedules: storing rules and opening their jobs when due."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from ottoq.context import Ctx
from ottoq.errors import Conflict, NotFound
from ottoq.events.store import record
from ottoq.fleet.queries import find_vehicle
from ottoq.jobs.rules import next_due, odometer_due, validate_rule
from ottoq.jobs.service import JobRequest, request_job

log = structlog.get_logger()

UPSERT = """
INSERT INTO ottoq_schedules (city_id, vehicle_id, rule_type, rule_jsonb, next_due_at,
                             created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $6)
ON CONFLICT (vehicle_id, rule_type) DO UPDATE
SET rule_jsonb = EXCLUDED.rule_jsonb, next_due_at = EXCLUDED.next_due_at,
    updated_at = EXCLUDED.updated_at
RETURNING *, (xmax = 0) AS inserted
"""

DUE = """
SELECT s.*, c.tz FROM ottoq_schedules s JOIN ottoq_cities c ON c.id = s.city_id
WHERE s.next_due_at <= $1
ORDER BY s.next_due_at LIMIT $2
FOR UPDATE OF s SKIP LOCKED
"""

ODOMETER_RULES = """
SELECT * FROM ottoq_schedules WHERE vehicle_id = $1 AND rule_type = 'odometer_interval'
FOR UPDATE SKIP LOCKED
"""

ADVANCE = """
UPDATE ottoq_schedules SET last_run_at = $2, next_due_at = $3, rule_jsonb = $4, updated_at = $2
WHERE id = $1 RETURNING *
"""


async def upsert_schedule(
    conn: asyncpg.Connection,
    ctx: Ctx,
    vehicle_ref: str,
    rule_type: str,
    rule: dict[str, Any],
    next_due_at: datetime | None,
) -> tuple[bool, dict[str, Any]]:
    """Create or replace the vehicle's rule of this type; (created, schedule)."""
    vehicle = await find_vehicle(conn, vehicle_ref)
    if vehicle is None:
        raise NotFound(f"vehicle {vehicle_ref} not found")
    rule = validate_rule(rule_type, rule)
    now = ctx.now()
    if rule_type == "odometer_interval":
        rule.setdefault("last_km", vehicle["odometer_km"] or 0)
    due = next_due_at or next_due(rule_type, rule, vehicle["city_tz"], now)

    row = dict(
        await conn.fetchrow(UPSERT, vehicle["city_id"], vehicle["id"], rule_type, rule, due, now)
    )
    created = row.pop("inserted")
    await record(
        conn,
        city_id=vehicle["city_id"],
        entity_type="SCHEDULE",
        entity_id=row["id"],
        event_type="SCHEDULE_CREATED" if created else "SCHEDULE_UPDATED",
        payload={
            "table": "ottoq_schedules",
            "vehicle_id": str(vehicle["id"]),
            "rule_type": rule_type,
            "rule": rule,
        },
        at=now,
    )
    return created, row


async def open_due_schedules(conn: asyncpg.Connection, ctx: Ctx, now: datetime) -> list[UUID]:
    """Open the job of every time rule that has come due, and move the rule on."""
    opened = []
    for schedule in await conn.fetch(DUE, now, 100):
        job_id = await _open_job(conn, ctx, dict(schedule), schedule["next_due_at"])
        following = next_due(schedule["rule_type"], schedule["rule_jsonb"], schedule["tz"], now)
        await conn.execute(ADVANCE, schedule["id"], now, following, schedule["rule_jsonb"])
        if job_id is not None:
            opened.append(job_id)
    return opened


async def check_odometer_rules(
    conn: asyncpg.Connection,
    ctx: Ctx,
    vehicle_id: UUID,
    odometer_km: float | None,
    now: datetime,
) -> list[UUID]:
    """Called on telemetry: open the job of any distance rule the new reading crosses."""
    opened = []
    for schedule in await conn.fetch(ODOMETER_RULES, vehicle_id):
        rule = schedule["rule_jsonb"]
        if not odometer_due(rule, odometer_km):
            continue
        job_id = await _open_job(conn, ctx, dict(schedule), now)
        await conn.execute(ADVANCE, schedule["id"], now, None, {**rule, "last_km": odometer_km})
        if job_id is not None:
            opened.append(job_id)
    return opened


async def _open_job(
    conn: asyncpg.Connection, ctx: Ctx, schedule: dict[str, Any], due_at: datetime
) -> UUID | None:
    rule = schedule["rule_jsonb"]
    metadata = {
        "schedule_id": str(schedule["id"]),
        "task": rule.get("task", "Maintenance"),
        "due_at": due_at.isoformat(),
    }
    req = JobRequest(
        vehicle_ref=str(schedule["vehicle_id"]),
        job_type=rule["job_type"],
        earliest_start_at=due_at,
        metadata=metadata,
    )
    try:
        async with conn.transaction():
            outcome = await request_job(conn, ctx, req)
    except Conflict:
        log.info("schedule.skipped_open_job", schedule_id=str(schedule["id"]))
        return None
    log.info(
        "schedule.job_opened",
        schedule_id=str(schedule["id"]),
        job_id=str(outcome.job["id"]),
        rule_type=schedule["rule_type"],
    )
    return UUID(str(outcome.job["id"]))
