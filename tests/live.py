"""A real OTTO-Q on a real port, for clients that need a URL (Supabase's, schemathesis)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from ottoq.clock import Clock
from ottoq.settings import Settings
from ottoq.web.app import create_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def live_server(settings: Settings, dsn: str, clock: Clock) -> Iterator[str]:
    """Serve the app from a thread with its own event loop; yield its base URL."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, dsn, clock=clock),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)  # waiting for a thread to bind its port, not for simulated time
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
