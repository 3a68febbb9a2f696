"""A running OTTO-Q for realtime clients: uvicorn in a thread, sharing the test's ManualClock."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from litestar import Litestar

from ottoq.clock import ManualClock
from ottoq.realtime.config import RealtimeConfig
from ottoq.realtime.service import Realtime, realtime_of
from ottoq.settings import Settings
from ottoq.web.app import create_app

ANON = "anon-key-for-tests"
SERVICE = "service-key-for-tests"
_START_TIMEOUT_S = 20.0


@dataclass
class LiveServer:
    url: str
    app: Litestar
    clock: ManualClock

    @property
    def realtime_url(self) -> str:
        """What the Supabase clients are given (they add /websocket themselves)."""
        return f"{self.url}/realtime/v1"

    def api(self) -> httpx.AsyncClient:
        """An HTTP client with the service key, for making the changes subscribers watch."""
        return httpx.AsyncClient(base_url=self.url, headers={"apikey": SERVICE}, timeout=10)

    def realtime(self) -> Realtime:
        return realtime_of(self.app)

    def subscriptions(self) -> int:
        return self.realtime().hub.subscriptions()


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def wait_healthy(url: str, ready: Any = None) -> None:
    """Until /health answers 200 (and `ready()` holds, when given)."""
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200 and (
                ready is None or ready()
            ):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not become healthy")


@pytest.fixture
def live_settings() -> Settings:
    return Settings(clock="manual", seed=42, anon_key=ANON, service_key=SERVICE)


@pytest.fixture
def realtime_config() -> RealtimeConfig:
    return RealtimeConfig(poll_interval_s=0.2)


@pytest.fixture
def live(
    db_dsn: str, live_settings: Settings, clock: ManualClock, realtime_config: RealtimeConfig
) -> Iterator[LiveServer]:
    app = create_app(live_settings, db_dsn, clock=clock, realtime=realtime_config)
    sock = free_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="on",
        ws="websockets-sansio",
        timeout_graceful_shutdown=2,
        ws_per_message_deflate=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, lambda: realtime_of(app).hub.ready.is_set())
        yield LiveServer(url=url, app=app, clock=clock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
