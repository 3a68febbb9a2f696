"""A webhook receiver on loopback that checks every signature with the `standardwebhooks` library.

It can be down (nothing listens on its port), failing (it answers 503), or up; tests switch it
between the three to play an outage.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Receiver:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks/ottoq?token=t0ken"
        self.secret: str | None = None
        self.failing = False
        self.accepted: list[dict[str, Any]] = []
        self.message_ids: list[str] = []
        self.rejected: list[str] = []
        self.requests = 0
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    def up(self) -> None:
        if self._server is None:
            self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
            threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _take(self, body: bytes, headers: dict[str, str]) -> int:
        with self._lock:
            self.requests += 1
            if self.failing:
                return 503
            assert self.secret is not None
            try:
                message = Webhook(self.secret).verify(body, headers)
            except WebhookVerificationError as exc:
                self.rejected.append(str(exc))
                return 401
            self.accepted.append(message)
            self.message_ids.append(headers["webhook-id"])
            return 204

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                status = receiver._take(body, {k.lower(): v for k, v in self.headers.items()})
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        return Handler


def event_ids(receiver: Receiver) -> list[int]:
    return [int(m["data"]["id"]) for m in receiver.accepted]
