"""Test harness: a real PostgreSQL, a migrated and seeded template, a fresh copy per test.

OTTOQ_TEST_DATABASE_URL selects a server; without it an embedded one starts for the session.
Time never passes by itself: every test gets a ManualClock and moves it.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from ottoq.clock import ManualClock
from ottoq.context import Ctx
from ottoq.db.embedded import temporary_server
from ottoq.db.migrate import migrate
from ottoq.db.pool import create_pool, database_url
from ottoq.network.seed import seed_demo
from ottoq.settings import Settings
from ottoq.web.app import create_app

START = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)


with_database = database_url


@pytest.fixture(scope="session")
def server_dsn() -> Iterator[str]:
    configured = os.environ.get("OTTOQ_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    with temporary_server("ottoq-test-pg-") as dsn:
        yield dsn


async def _admin(dsn: str, *statements: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _build_template(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        from ottoq.db.pool import _init_connection

        await _init_connection(conn)
        await migrate(conn)
        await seed_demo(conn, seed=42)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def template_db(server_dsn: str) -> Iterator[str]:
    name = f"ottoq_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    asyncio.run(_admin(server_dsn, f'CREATE DATABASE "{name}"'))
    asyncio.run(_build_template(with_database(server_dsn, name)))
    yield name
    asyncio.run(_admin(server_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def db_dsn(server_dsn: str, template_db: str) -> Iterator[str]:
    """A private, migrated and seeded database for one test."""
    name = f"ottoq_t_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(server_dsn, f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"'))
    yield with_database(server_dsn, name)
    asyncio.run(_admin(server_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def settings() -> Settings:
    return Settings(clock="manual", seed=42, allow_keyless=True)


@pytest.fixture
def ctx(settings: Settings, clock: ManualClock) -> Ctx:
    return Ctx(settings=settings, clock=clock)


@pytest.fixture
async def pool(db_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(db_dsn, min_size=1, max_size=8)
    yield pool
    await pool.close()


@pytest.fixture
async def client(
    db_dsn: str, settings: Settings, clock: ManualClock
) -> AsyncIterator[AsyncTestClient]:
    app = create_app(settings, db_dsn, clock=clock)
    async with AsyncTestClient(app=app) as test_client:
        yield test_client
