"""One POST of one message to one endpoint: signed, sent to the checked address, time-boxed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from ottoq import __version__
from ottoq.settings import Settings
from ottoq.webhooks import rules, targets

USER_AGENT = f"OTTO-Q-Webhooks/{__version__}"
# Enough of a receiver's answer to tell what went wrong; a huge body is not read past this.
EXCERPT_BYTES = 512


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    error: str | None
    duration_s: float
    excerpt: str | None = None


class Sender:
    """The HTTP client every delivery of a worker process shares."""

    def __init__(
        self,
        timeout_s: float,
        allow_private: bool,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.timeout_s = timeout_s
        self.allow_private = allow_private
        # Receivers compare webhook-timestamp with their own wall clock to refuse replays, so it
        # is real time even when OTTO-Q runs on a simulated clock.
        self.wall_clock = wall_clock
        # No proxies or .netrc from the environment: the address checked is the address used.
        self.client = httpx.AsyncClient(timeout=timeout_s, follow_redirects=False, trust_env=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Sender:
        return cls(settings.webhook_timeout_s, settings.webhooks_allow_private)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def send(self, url: str, secret: str, event: dict[str, Any]) -> Outcome:
        """POST one event; any answer but a 2xx, and any error, is a failed attempt."""
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout_s):
                target = await targets.check(url, self.allow_private)
                status, excerpt = await self._post(target, secret, event)
        except targets.Refused as exc:
            return Outcome(False, None, exc.message, time.perf_counter() - started)
        except TimeoutError:
            error = f"no answer within {self.timeout_s:g}s"
            return Outcome(False, None, error, time.perf_counter() - started)
        except (httpx.HTTPError, OSError, ValueError) as exc:
            # Whatever went wrong on the way (TLS, a malformed answer) is a failed attempt.
            error = f"{type(exc).__name__}: {exc}"
            return Outcome(False, None, error, time.perf_counter() - started)

        ok = 200 <= status < 300
        failure = None if ok else f"answered HTTP {status}"
        return Outcome(ok, status, failure, time.perf_counter() - started, excerpt)

    async def _post(
        self, target: targets.Target, secret: str, event: dict[str, Any]
    ) -> tuple[int, str]:
        body = rules.message_body(event)
        msg_id = rules.message_id(event["id"])
        timestamp = int(self.wall_clock())
        headers = {
            "host": target.host_header,
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": rules.sign(secret, msg_id, timestamp, body),
        }
        extensions = {"sni_hostname": target.server_name} if target.server_name else {}
        request = self.client.build_request(
            "POST", target.url, content=body, headers=headers, extensions=extensions
        )
        response = await self.client.send(request, stream=True)
        try:
            excerpt = await _read_some(response)
        finally:
            await response.aclose()
        return response.status_code, excerpt


async def _read_some(response: httpx.Response) -> str:
    chunks = b""
    async for chunk in response.aiter_raw():
        chunks += chunk
        if len(chunks) >= EXCERPT_BYTES:
            break
    return chunks[:EXCERPT_BYTES].decode("utf-8", errors="replace")
