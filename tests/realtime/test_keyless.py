"""`ottoq up` on loopback accepts calls without a key; subscribing follows the same rule."""

from __future__ import annotations

import pytest

from ottoq.settings import Settings
from tests.realtime.conftest import LiveServer
from tests.realtime.phoenix import join, open_socket


@pytest.fixture
def live_settings() -> Settings:
    return Settings(clock="manual", seed=42, allow_keyless=True)


async def test_a_keyless_join_is_accepted_where_keyless_calls_are(live: LiveServer) -> None:
    conn = await open_socket(live.url, key="")
    reply = await join(conn, "realtime:ottoq", [])
    await conn.close()

    assert reply == {"status": "ok", "response": {"postgres_changes": []}}
