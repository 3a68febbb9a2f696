"""The demo network: 3 cities, 2 depots each, 52 resources a depot, 300 vehicles a city.

Ids are derived from names, so every installation has the same ids and seeding twice changes
nothing.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

import asyncpg
import structlog

log = structlog.get_logger()

_NS = uuid.UUID("0770a000-0000-4000-8000-000000000000")
CHARGE_STALLS = 40
DETAIL_STALLS = 10
BAYS = 2
VEHICLES_PER_CITY = 300
OEMS = (("Hyundai", 77.4), ("Ford", 91.0), ("Tesla", 75.0), ("Rivian", 135.0), ("Jaguar", 90.0))


@dataclass(frozen=True)
class DepotSeed:
    name: str
    address: str
    lat: float
    lon: float


@dataclass(frozen=True)
class CitySeed:
    name: str
    ref: str
    tz: str
    depots: tuple[DepotSeed, ...]


CITIES = (
    CitySeed(
        "Nashville",
        "Nashville",
        "America/Chicago",
        (
            DepotSeed(
                "Nashville North Depot",
                "1201 Dickerson Pike, Nashville, TN 37207",
                36.1935,
                -86.7677,
            ),
            DepotSeed(
                "Nashville South Depot",
                "2700 Nolensville Pike, Nashville, TN 37211",
                36.1200,
                -86.7440,
            ),
        ),
    ),
    CitySeed(
        "Austin",
        "Austin",
        "America/Chicago",
        (
            DepotSeed("Austin East Depot", "5401 E 7th St, Austin, TX 78702", 30.2560, -97.6980),
            DepotSeed(
                "Austin North Depot", "9500 N Lamar Blvd, Austin, TX 78753", 30.3680, -97.6930
            ),
        ),
    ),
    CitySeed(
        "Los Angeles",
        "LosAngeles",
        "America/Los_Angeles",
        (
            DepotSeed(
                "Los Angeles Downtown Depot",
                "1400 E 7th St, Los Angeles, CA 90021",
                34.0340,
                -118.2430,
            ),
            DepotSeed(
                "Los Angeles Westside Depot",
                "3200 S La Cienega Blvd, Los Angeles, CA 90016",
                34.0260,
                -118.3720,
            ),
        ),
    ),
)


def stable_id(*parts: object) -> uuid.UUID:
    return uuid.uuid5(_NS, "/".join(str(p) for p in parts))


def resource_rows(
    city_id: uuid.UUID,
    depot_id: uuid.UUID,
    power_kw: float = 150.0,
    charge_stalls: int = CHARGE_STALLS,
    detail_stalls: int = DETAIL_STALLS,
    bays: int = BAYS,
) -> list[tuple[object, ...]]:
    """The resources of one depot, numbered as the grid shows them."""
    charge = {"power_kw": power_kw, "connector": "CCS"}
    rows: list[tuple[object, ...]] = []
    for index in range(1, charge_stalls + 1):
        rows.append(
            (
                stable_id(depot_id, "CHARGE_STALL", index),
                city_id,
                depot_id,
                "CHARGE_STALL",
                index,
                charge,
            )
        )
    for index in range(CHARGE_STALLS + 1, CHARGE_STALLS + detail_stalls + 1):
        rows.append(
            (
                stable_id(depot_id, "CLEAN_DETAIL_STALL", index),
                city_id,
                depot_id,
                "CLEAN_DETAIL_STALL",
                index,
                {"vacuum": True, "wash": True},
            )
        )
    for index in range(1, bays + 1):
        rows.append(
            (
                stable_id(depot_id, "MAINTENANCE_BAY", index),
                city_id,
                depot_id,
                "MAINTENANCE_BAY",
                index,
                {"lift": True},
            )
        )
    return rows


def vehicle_rows(
    city: CitySeed, city_id: uuid.UUID, depot_ids: list[uuid.UUID], seed: int
) -> list[tuple[object, ...]]:
    rng = random.Random(f"{seed}:{city.name}")
    rows: list[tuple[object, ...]] = []
    for n in range(1, VEHICLES_PER_CITY + 1):
        ref = f"{city.ref}-{n:05d}"
        oem, battery = OEMS[n % len(OEMS)]
        vin = "7OTQ" + "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(13))
        plate = f"{city.ref[:2].upper()}{rng.randint(1000, 9999)}{rng.choice('ABCDEFGHJK')}"
        rows.append(
            (
                stable_id("vehicle", ref),
                city_id,
                depot_ids[n % len(depot_ids)],
                oem,
                ref,
                vin,
                plate,
                round(rng.uniform(0.15, 1.0), 3),
                round(rng.uniform(0, 50_000), 1),
                battery,
            )
        )
    return rows


async def seed_demo(conn: asyncpg.Connection, seed: int = 42) -> dict[str, int]:
    """Insert whatever part of the demo network is missing; existing rows are left alone."""
    counts = {"cities": 0, "depots": 0, "resources": 0, "vehicles": 0}
    async with conn.transaction():
        for city in CITIES:
            city_id = stable_id("city", city.name)
            counts["cities"] += await _insert_city(conn, city, city_id)
            depot_ids = []
            for depot in city.depots:
                depot_id = stable_id("depot", depot.name)
                depot_ids.append(depot_id)
                counts["depots"] += await _insert_depot(conn, city_id, depot_id, depot)
                counts["resources"] += await insert_resources(
                    conn, resource_rows(city_id, depot_id)
                )
            counts["vehicles"] += await insert_vehicles(
                conn, vehicle_rows(city, city_id, depot_ids, seed)
            )
    log.info("seed.demo", **counts)
    return counts


async def _insert_city(conn: asyncpg.Connection, city: CitySeed, city_id: uuid.UUID) -> int:
    status = await conn.execute(
        "INSERT INTO ottoq_cities (id, name, tz) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        city_id,
        city.name,
        city.tz,
    )
    return int(status.split()[-1])


async def _insert_depot(
    conn: asyncpg.Connection,
    city_id: uuid.UUID,
    depot_id: uuid.UUID,
    depot: DepotSeed,
    config: dict[str, object] | None = None,
) -> int:
    config = config or {
        "charge_threshold_soc": 0.20,
        "ottoq_branding": "Powered by OTTO-Q Technology",
    }
    status = await conn.execute(
        "INSERT INTO ottoq_depots (id, city_id, name, address, lat, lon, config_jsonb)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        depot_id,
        city_id,
        depot.name,
        depot.address,
        depot.lat,
        depot.lon,
        config,
    )
    return int(status.split()[-1])


async def insert_resources(conn: asyncpg.Connection, rows: list[tuple[object, ...]]) -> int:
    result = await conn.fetchval(
        """WITH ins AS (
               INSERT INTO ottoq_resources (id, city_id, depot_id, resource_type, index,
                                            capabilities_jsonb)
               SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[],
                                    $4::ottoq_resource_type[], $5::int[], $6::jsonb[])
               ON CONFLICT DO NOTHING RETURNING 1)
           SELECT count(*) FROM ins""",
        *[list(col) for col in zip(*rows, strict=True)],
    )
    return int(result)


async def insert_vehicles(conn: asyncpg.Connection, rows: list[tuple[object, ...]]) -> int:
    result = await conn.fetchval(
        """WITH ins AS (
               INSERT INTO ottoq_vehicles (id, city_id, home_depot_id, oem, external_ref, vin,
                                           plate, soc, odometer_km, battery_kwh)
               SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[],
                                    $5::text[], $6::text[], $7::text[], $8::float8[],
                                    $9::float8[], $10::float8[])
               ON CONFLICT DO NOTHING RETURNING 1)
           SELECT count(*) FROM ins""",
        *[list(col) for col in zip(*rows, strict=True)],
    )
    return int(result)


async def is_seeded(conn: asyncpg.Connection) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM ottoq_cities)"))
