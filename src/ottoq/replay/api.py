"""OTTO-Q's HTTP API as the replays use it: one method per function, errors as exceptions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import httpx

F = "/functions/v1"
_RETRIES = 3


class ApiError(Exception):
    def __init__(self, status: int, body: str, path: str) -> None:
        super().__init__(f"{path} answered {status}: {body[:300]}")
        self.status = status


@dataclass
class OttoqApi:
    http: httpx.AsyncClient

    async def call(
        self,
        method: str,
        name: str,
        *,
        json: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """One call; transport errors are retried (job requests carry an idempotency key)."""
        path = f"{F}/{name}"
        for attempt in range(1, _RETRIES + 1):
            try:
                response = await self.http.request(
                    method, path, json=json, params=params, headers=headers
                )
                break
            except httpx.TransportError:
                if attempt == _RETRIES:
                    raise
        if response.status_code >= 300:
            raise ApiError(response.status_code, response.text, path)
        body: dict[str, Any] = response.json()
        return body

    async def config(self) -> dict[str, Any]:
        return await self.call("GET", "ottoq-config")

    async def set_up(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self.call("POST", "ottoq-replay-setup", json=body)

    async def request_job(self, body: dict[str, Any], key: str) -> dict[str, Any]:
        return await self.call(
            "POST", "ottoq-jobs-request", json=body, headers={"Idempotency-Key": key}
        )

    async def arrive(self, vehicle: str, depot_id: UUID | str) -> dict[str, Any]:
        body = {"vehicle_id": vehicle, "depot_id": str(depot_id)}
        return await self.call("POST", "ottoq-vehicles-arrive", json=body)

    async def depart(self, vehicle: str) -> dict[str, Any]:
        return await self.call("POST", "ottoq-vehicles-depart", json={"vehicle_id": vehicle})

    async def telemetry(self, reading: dict[str, Any]) -> dict[str, Any]:
        return await self.call("POST", "ottoq-vehicles-telemetry", json=reading)

    async def telemetry_batch(self, readings: list[dict[str, Any]]) -> dict[str, Any]:
        """Several readings in one request (and one transaction), in order."""
        return await self.call("POST", "ottoq-vehicles-telemetry", json=readings)

    async def tick(self) -> dict[str, Any]:
        return await self.call("POST", "ottoq-scheduler", json={"process_transitions": True})

    async def vehicle(self, ref: str) -> dict[str, Any]:
        return await self.call("GET", f"ottoq-vehicles-status/{ref}")

    async def report(
        self, depot_ids: list[UUID] | None, since: datetime, until: datetime
    ) -> dict[str, Any]:
        params: list[tuple[str, str]] = [("since", since.isoformat()), ("until", until.isoformat())]
        params += [("depot_id", str(d)) for d in depot_ids or []]
        return await self.call("GET", "ottoq-report", params=params)
