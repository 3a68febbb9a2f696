"""A bare Phoenix channel client for tests that need control the SDKs do not give."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from tests.realtime.flows import WAIT_S


async def open_socket(
    http_url: str, key: str, *, receive_buffer: int | None = None, **params: str
) -> ClientConnection:
    """A vsn 1.0.0 connection; a small `receive_buffer` makes a client that falls behind fast."""
    query = "&".join(f"{k}={v}" for k, v in {"apikey": key, "vsn": "1.0.0", **params}.items())
    url = http_url.replace("http://", "ws://") + f"/realtime/v1/websocket?{query}"
    sock = None
    if receive_buffer is not None:
        host, port = http_url.removeprefix("http://").split(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.connect((host, int(port)))
    # Uncompressed, so that what is sent is what fills the buffers.
    return await connect(url, sock=sock, max_size=None, max_queue=4, compression=None)


async def join(conn: ClientConnection, topic: str, bindings: list[dict[str, Any]]) -> dict:
    """Join `topic` and return the server's reply."""
    config = {"broadcast": {"self": False}, "postgres_changes": bindings}
    message = {
        "topic": topic,
        "event": "phx_join",
        "payload": {"config": config},
        "ref": "1",
        "join_ref": "1",
    }
    await conn.send(json.dumps(message))
    while True:
        frame = json.loads(await asyncio.wait_for(conn.recv(), WAIT_S))
        if frame["event"] == "phx_reply" and frame["ref"] == "1":
            reply: dict[str, Any] = frame["payload"]
            return reply
