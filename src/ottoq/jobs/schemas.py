"""The shapes jobs take in responses, for the OpenAPI document (tests check what is served)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import msgspec

JobState = Literal["PENDING", "SCHEDULED", "ACTIVE", "COMPLETED", "CANCELLED", "EXPIRED"]
JobType = Literal["CHARGE", "DETAILING", "MAINTENANCE"]


class Job(msgspec.Struct):
    id: UUID
    city_id: UUID
    vehicle_id: UUID
    depot_id: UUID
    resource_id: UUID | None
    job_type: JobType
    state: JobState
    requested_start_at: datetime
    scheduled_start_at: datetime | None
    scheduled_end_at: datetime | None
    eta_seconds: int | None
    duration_seconds: int
    arrived_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    metadata_jsonb: dict[str, Any]
    idempotency_key: str | None
    created_at: datetime
    updated_at: datetime
    # Only while PENDING: where the job stands and when it should start.
    queue_position: int | msgspec.UnsetType = msgspec.UNSET
    predicted_start_at: datetime | msgspec.UnsetType | None = msgspec.UNSET


class JobResponse(msgspec.Struct):
    success: bool
    job: Job
    idempotent: bool | msgspec.UnsetType = msgspec.UNSET


class CancelResponse(msgspec.Struct):
    success: bool
    message: str
    job_id: UUID
    job: Job


class SchedulerResponse(msgspec.Struct):
    success: bool
    tick_id: str | msgspec.UnsetType = msgspec.UNSET
    now: datetime | msgspec.UnsetType = msgspec.UNSET
    transitions: dict[str, int] | msgspec.UnsetType = msgspec.UNSET
    job_ids: dict[str, list[str]] | msgspec.UnsetType = msgspec.UNSET
    message: str | msgspec.UnsetType = msgspec.UNSET
    job: Job | msgspec.UnsetType = msgspec.UNSET


class Schedule(msgspec.Struct):
    id: UUID
    city_id: UUID
    vehicle_id: UUID
    rule_type: str
    rule_jsonb: dict[str, Any]
    next_due_at: datetime | None
    last_run_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ScheduleResponse(msgspec.Struct):
    success: bool
    schedule: Schedule
