"""The shapes vehicles take in responses, for the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import msgspec

from ottoq.jobs.schemas import JobResponse, JobState, JobType

VehicleStatusName = Literal["IDLE", "ON_TRIP", "ENROUTE_DEPOT", "AT_DEPOT", "IN_SERVICE"]


class VehicleBrief(msgspec.Struct):
    id: UUID
    soc: float | None
    status: VehicleStatusName


class TelemetryResponse(msgspec.Struct):
    success: bool
    vehicle: VehicleBrief
    job_triggered: JobResponse | None


class BatchTelemetryResponse(msgspec.Struct):
    success: bool
    count: int
    results: list[TelemetryResponse]


class Vehicle(msgspec.Struct):
    id: UUID
    external_ref: str
    oem: str
    vin: str | None
    plate: str | None
    soc: float | None
    odometer_km: float | None
    status: VehicleStatusName
    city: str
    last_telemetry_at: datetime | None


class DepotRef(msgspec.Struct):
    id: UUID
    name: str
    address: str


class ResourceRef(msgspec.Struct):
    id: UUID
    type: str
    index: int
    label: str


class Assignment(msgspec.Struct):
    job_id: UUID
    job_type: JobType
    state: JobState
    depot: DepotRef
    resource: ResourceRef | None
    scheduled_start_at: datetime | msgspec.UnsetType | None = msgspec.UNSET
    eta_seconds: int | msgspec.UnsetType | None = msgspec.UNSET
    completion_at: datetime | msgspec.UnsetType | None = msgspec.UNSET
    queue_position: int | msgspec.UnsetType = msgspec.UNSET
    predicted_start_at: datetime | msgspec.UnsetType | None = msgspec.UNSET


class VehicleStatusResponse(msgspec.Struct):
    vehicle: Vehicle
    assignment: Assignment | None


class MoveResponse(msgspec.Struct):
    success: bool
    vehicle_id: UUID
    job_ids: list[UUID]
    status: VehicleStatusName
