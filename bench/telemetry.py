"""Telemetry: readings per second one by one and in batches, against COPY of the same rows."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx

from bench.harness import Sizes, median
from ottoq.network.seed import CITIES

BATCH = 100
SINGLE_CLIENTS = 16
BATCH_CLIENTS = 4


def _refs() -> list[str]:
    return [f"{city.ref}-{n:05d}" for city in CITIES for n in range(1, 301)]


def _reading(ref: str, n: int) -> dict[str, Any]:
    # Above every threshold, so the benchmark measures ingestion and never opens a job.
    return {"vehicle_id": ref, "soc": 0.5 + (n % 40) / 100, "odometer_km": 1000.0 + n}


async def _single(url: str, seconds: float) -> float:
    refs = _refs()
    sent = 0
    deadline = time.monotonic() + seconds

    async def loop(client: httpx.AsyncClient, offset: int) -> None:
        nonlocal sent
        n = offset
        while time.monotonic() < deadline:
            response = await client.post(
                "/functions/v1/ottoq-vehicles-telemetry", json=_reading(refs[n % len(refs)], n)
            )
            sent += response.status_code == 200
            n += SINGLE_CLIENTS

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        began = time.monotonic()
        await asyncio.gather(*(loop(client, k) for k in range(SINGLE_CLIENTS)))
        return sent / (time.monotonic() - began)


async def _batched(url: str, seconds: float) -> float:
    refs = _refs()
    sent = 0
    deadline = time.monotonic() + seconds

    async def loop(client: httpx.AsyncClient, offset: int) -> None:
        nonlocal sent
        n = offset * BATCH
        while time.monotonic() < deadline:
            batch = [_reading(refs[(n + i) % len(refs)], n + i) for i in range(BATCH)]
            response = await client.post("/functions/v1/ottoq-vehicles-telemetry", json=batch)
            sent += BATCH if response.status_code == 200 else 0
            n += BATCH * BATCH_CLIENTS

    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        began = time.monotonic()
        await asyncio.gather(*(loop(client, k) for k in range(BATCH_CLIENTS)))
        return sent / (time.monotonic() - began)


async def _copy(dsn: str, seconds: float) -> float:
    """The floor: COPY the event rows a reading leaves behind, in batches of the same size."""
    conn = await asyncpg.connect(dsn)
    refs = _refs()
    copied = 0
    try:
        deadline = time.monotonic() + seconds
        began = time.monotonic()
        while time.monotonic() < deadline:
            now = datetime.now(UTC)
            rows = [
                (
                    "VEHICLE",
                    "VEHICLE_TELEMETRY",
                    json.dumps({"reading": _reading(refs[i % len(refs)], i)}),
                    now,
                )
                for i in range(copied, copied + BATCH)
            ]
            await conn.copy_records_to_table(
                "ottoq_events",
                records=rows,
                columns=["entity_type", "event_type", "payload_jsonb", "created_at"],
            )
            copied += BATCH
        return copied / (time.monotonic() - began)
    finally:
        await conn.close()


def measure(url: str, dsn: str, sizes: Sizes) -> dict[str, Any]:
    single, batched, copied = [], [], []
    for _ in range(sizes.repeats):
        single.append(asyncio.run(_single(url, sizes.seconds)))
        batched.append(asyncio.run(_batched(url, sizes.seconds)))
        copied.append(asyncio.run(_copy(dsn, sizes.seconds)))
    floor = median(copied)
    return {
        "single_per_s": median(single),
        "batch_per_s": median(batched),
        "copy_per_s": floor,
        "single_ratio": median(single) / floor,
        "batch_ratio": median(batched) / floor,
        "batch_size": BATCH,
    }
