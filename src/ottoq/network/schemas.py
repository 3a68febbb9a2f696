"""The shapes of the depot grid and the configuration, for the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import msgspec

ResourceType = Literal["CHARGE_STALL", "CLEAN_DETAIL_STALL", "MAINTENANCE_BAY"]
ResourceStatus = Literal["AVAILABLE", "RESERVED", "BUSY", "OUT_OF_SERVICE"]


class Cell(msgspec.Struct):
    id: UUID
    type: ResourceType
    index: int
    status: ResourceStatus
    label: str
    job_id: UUID | None
    vehicle_id: UUID | None


class DepotResources(msgspec.Struct):
    depot_id: UUID
    depot_name: str
    city: str
    branding: str
    resources: list[Cell]
    updated_at: datetime


class DepotSummary(msgspec.Struct):
    id: UUID
    name: str
    charge_threshold_soc: float


class City(msgspec.Struct):
    id: UUID
    name: str
    tz: str
    depots: list[DepotSummary]


class SimulatorSummary(msgspec.Struct):
    is_running: bool
    mode: str | None
    last_reset_at: datetime | None
    config: dict[str, Any]


class Config(msgspec.Struct):
    branding: str
    cities: list[City]
    simulator: SimulatorSummary
    version: str
    features: dict[str, Any]
