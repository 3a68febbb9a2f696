"""A simulated network of any size, built by set-based statements (a few seconds for 100,000)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from ottoq import BRANDING
from ottoq.simulator import network_queries as nq

log = structlog.get_logger()


@dataclass(frozen=True)
class NetworkSize:
    vehicles: int
    depots: int

    @property
    def cities(self) -> int:
        # Two depots a city, as in the demo network.
        return max(1, math.ceil(self.depots / 2))


async def build_network(conn: asyncpg.Connection, size: NetworkSize, seed: int) -> dict[str, Any]:
    """Cities, depots (52 resources each) and vehicles, named Sim-...; made only where missing."""
    tag = f"sim:{seed}"
    config = {"charge_threshold_soc": 0.20, "ottoq_branding": BRANDING}
    async with conn.transaction():
        cities = await conn.fetchval(nq.CITIES, tag, size.cities)
        depots = await conn.fetchval(nq.DEPOTS, tag, size.cities, size.depots, config)
        resources = await conn.fetchval(nq.RESOURCES, tag, size.depots)
        vehicles = await conn.fetchval(nq.VEHICLES, tag, size.cities, size.depots, size.vehicles)
    counts = {"cities": cities, "depots": depots, "resources": resources, "vehicles": vehicles}
    log.info("simulator.network_built", **counts)
    return counts


async def city_ids(conn: asyncpg.Connection, size: NetworkSize, seed: int) -> list[UUID]:
    rows = await conn.fetch(nq.CITY_IDS, f"sim:{seed}", size.cities)
    return [r["id"] for r in rows]
