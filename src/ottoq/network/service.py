"""The depot grid and the system configuration, as the API shows them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from ottoq import BRANDING, __version__
from ottoq.context import Ctx
from ottoq.errors import NotFound
from ottoq.network import queries as nq
from ottoq.network.labels import cell_label


def branding(config: dict[str, Any] | None) -> str:
    return str((config or {}).get("ottoq_branding") or BRANDING)


async def depot_resources(conn: asyncpg.Connection, ctx: Ctx, depot_id: UUID) -> dict[str, Any]:
    depot = await nq.find_depot(conn, depot_id)
    if depot is None:
        raise NotFound(f"depot {depot_id} not found")
    now = ctx.now()
    cells = await nq.depot_grid(conn, depot_id)
    resources = [
        {
            "id": c["id"],
            "type": c["resource_type"],
            "index": c["index"],
            "status": c["status"],
            "label": cell_label(c, now),
            "job_id": c["current_job_id"],
            "vehicle_id": c["vehicle_id"],
            "job_state": c["job_state"],
            "capabilities": c["capabilities_jsonb"],
            "scheduled_start_at": c["scheduled_start_at"],
            "scheduled_end_at": c["scheduled_end_at"],
        }
        for c in cells
    ]
    updated = max((c["updated_at"] for c in cells), default=depot["updated_at"])
    return {
        "depot_id": depot["id"],
        "depot_name": depot["name"],
        "city": depot["city_name"],
        "city_id": depot["city_id"],
        "address": depot["address"],
        "branding": branding(depot["config_jsonb"]),
        "resources": resources,
        "updated_at": updated,
        "now": now,
    }


async def system_config(conn: asyncpg.Connection, ctx: Ctx) -> dict[str, Any]:
    cities = await nq.config_cities(conn)
    sim = await nq.simulator_state(conn)
    return {
        "branding": BRANDING,
        "cities": [
            {"id": c["id"], "name": c["name"], "tz": c["tz"], "depots": c["depots"]} for c in cities
        ],
        "simulator": {
            "is_running": sim.get("is_running", False),
            "mode": sim.get("mode"),
            "last_reset_at": sim.get("last_reset_at"),
            "config": sim.get("config_jsonb", {}),
        },
        "version": __version__,
        "clock": {"now": ctx.now(), "speed": ctx.clock.speed},
        "features": {
            "realtime": True,
            "idempotency_keys": True,
            "calendar_booking": True,
            "maintenance_schedules": True,
            "arrival_required": ctx.settings.arrival_required,
        },
    }
