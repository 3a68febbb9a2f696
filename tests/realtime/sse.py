"""A minimal server-sent events reader for tests (what a browser's EventSource does)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx

from tests.realtime.flows import WAIT_S


async def blocks(response: httpx.Response) -> AsyncIterator[dict[str, str]]:
    """Each event block as its fields; comment lines come as `comment`."""
    fields: dict[str, str] = {}
    async for line in response.aiter_lines():
        if line == "":
            if fields:
                yield fields
            fields = {}
            continue
        name, _, value = line.partition(":")
        fields["comment" if name == "" else name] = value.removeprefix(" ")


class Stream:
    """An open SSE response whose events are taken one at a time, with a deadline."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._blocks = blocks(response)

    async def next_block(self) -> dict[str, str]:
        return await asyncio.wait_for(anext(self._blocks), WAIT_S)

    async def events(self, count: int) -> list[dict[str, Any]]:
        """The next `count` events, keepalive comments skipped."""
        found: list[dict[str, Any]] = []
        while len(found) < count:
            block = await self.next_block()
            if "data" in block:
                found.append(block)
        return found
