"""The shapes of the depot board's responses, for the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from ottoq.jobs.schemas import JobType


class QueuedJob(msgspec.Struct):
    job_id: UUID
    vehicle_id: UUID
    external_ref: str
    soc: float | None
    job_type: JobType
    # A maintenance job's task when its request named one.
    task: str | None
    # 1 = booked next among pending jobs of this type at this depot.
    queue_position: int
    requested_start_at: datetime
    # None when no resource of the type is in service.
    predicted_start_at: datetime | None
    duration_seconds: int
    created_at: datetime


class QueueLengths(msgspec.Struct):
    CHARGE: int
    DETAILING: int
    MAINTENANCE: int


class DepotQueue(msgspec.Struct):
    depot_id: UUID
    now: datetime
    queue_lengths: QueueLengths
    jobs: list[QueuedJob]


class Capacity(msgspec.Struct):
    total: int
    in_service: int


class CapacityByType(msgspec.Struct):
    CHARGE_STALL: Capacity
    CLEAN_DETAIL_STALL: Capacity
    MAINTENANCE_BAY: Capacity


class BusyByType(msgspec.Struct):
    """Average number of resources of each type at work during the step."""

    CHARGE_STALL: float
    CLEAN_DETAIL_STALL: float
    MAINTENANCE_BAY: float


class UtilizationStep(msgspec.Struct):
    start: datetime
    busy: BusyByType


class DepotUtilization(msgspec.Struct):
    depot_id: UUID
    now: datetime
    since: datetime
    step_seconds: int
    capacity: CapacityByType
    steps: list[UtilizationStep]
