"""A fresh database on a server, for runs that keep their data apart (replays, simulations)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import structlog

log = structlog.get_logger()
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def with_database(dsn: str, name: str) -> str:
    """The same server, another database."""
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


async def create_database(dsn: str, name: str) -> str:
    """Create an empty database next to the one `dsn` names; its DSN."""
    if not _NAME.match(name):
        raise ValueError(f"{name!r} is not a plain database name")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    log.info("db.created", name=name)
    return with_database(dsn, name)
