"""Request bodies shared by the routes, with the bounds the contract sets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

AwareDatetime = Annotated[datetime, Meta(tz=True, description="ISO-8601 with a UTC offset")]
Soc = Annotated[float, Meta(ge=0, le=1, description="state of charge, a fraction in [0, 1]")]
NonNegative = Annotated[float, Meta(ge=0)]
Ref = Annotated[
    str, Meta(min_length=1, max_length=200, description="a vehicle's uuid or its external_ref")
]
Latitude = Annotated[float, Meta(ge=-90, le=90)]
Longitude = Annotated[float, Meta(ge=-180, le=180)]
JobType = Literal["CHARGE", "DETAILING", "MAINTENANCE"]
Reason = Annotated[str, Meta(max_length=500)]


class Location(msgspec.Struct):
    lat: Latitude
    lon: Longitude


class TelemetryBody(msgspec.Struct):
    vehicle_id: Ref
    soc: Soc | None = None
    odometer_km: NonNegative | None = None
    location: Location | None = None
    health: dict[str, Any] | None = None
    ts: AwareDatetime | None = None


class JobRequestBody(msgspec.Struct):
    vehicle_id: Ref
    job_type: JobType
    preferred_depot_id: UUID | None = None
    earliest_start_at: AwareDatetime | None = None
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)


class CancelBody(msgspec.Struct):
    job_id: UUID | None = None
    reason: Reason | None = None


class SchedulerBody(msgspec.Struct):
    job_id: UUID | None = None
    process_transitions: bool | None = None


class ScheduleBody(msgspec.Struct):
    vehicle_id: Ref
    rule_type: Literal["weekly", "daily", "interval", "odometer_interval"]
    rule_jsonb: dict[str, Any] = msgspec.field(default_factory=dict)
    next_due_at: AwareDatetime | None = None


class ArriveBody(msgspec.Struct):
    vehicle_id: Ref
    depot_id: UUID | None = None


class DepotBody(msgspec.Struct):
    depot_id: UUID | None = None


class DepartBody(msgspec.Struct):
    vehicle_id: Ref
