"""Apply the versioned SQL migrations in order, once each, under an advisory lock."""

from __future__ import annotations

from importlib import resources

import asyncpg
import structlog

log = structlog.get_logger()

# Any fixed number works; it only has to be the same in every OTTO-Q process.
_MIGRATION_LOCK = 0x0770_0001


def migration_files() -> list[tuple[str, str]]:
    """Every migration as (version, sql), sorted by version (their date-and-purpose names)."""
    folder = resources.files("ottoq.db") / "migrations"
    found = [
        (p.name.removesuffix(".sql"), p.read_text())
        for p in folder.iterdir()
        if p.name.endswith(".sql")
    ]
    return sorted(found)


async def applied_versions(conn: asyncpg.Connection) -> set[str]:
    exists = await conn.fetchval("SELECT to_regclass('ottoq_schema_migrations') IS NOT NULL")
    if not exists:
        return set()
    rows = await conn.fetch("SELECT version FROM ottoq_schema_migrations")
    return {r["version"] for r in rows}


async def is_migrated(conn: asyncpg.Connection) -> bool:
    wanted = {version for version, _ in migration_files()}
    return wanted <= await applied_versions(conn)


async def migrate(conn: asyncpg.Connection) -> list[str]:
    """Apply what is missing; safe when several processes start at once."""
    await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS ottoq_schema_migrations ("
            " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = await applied_versions(conn)
        applied = []
        for version, sql in migration_files():
            if version in done:
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute(
                    "INSERT INTO ottoq_schema_migrations (version) VALUES ($1)", version
                )
            log.info("db.migrated", version=version)
            applied.append(version)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
