"""Realtime endpoints: the Phoenix websocket that Supabase clients use, and SSE."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

from litestar import Request, WebSocket, get, websocket
from litestar.exceptions import NotAuthorizedException
from litestar.params import HeaderParameter, QueryParameter
from litestar.response import Stream

from ottoq.errors import BadRequest
from ottoq.realtime import frames, protocol
from ottoq.realtime.changes import feed_topic_for
from ottoq.realtime.hub import Sink, Subscription
from ottoq.realtime.resume import register, replay
from ottoq.realtime.service import Realtime, realtime_of
from ottoq.realtime.session import Session
from ottoq.web.auth import key_from, role_for
from ottoq.web.docs import errors
from ottoq.web.runtime import NotReady

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
# 1008 "policy violation": the connection's own parameters are wrong.
_CLOSE_BAD_PARAMS = 1008


@websocket("/realtime/v1/websocket")
async def realtime_socket(socket: WebSocket[Any, Any, Any]) -> None:
    """Phoenix channels, vsn 1.0.0 or 2.0.0; `after_id` resumes every join after that event."""
    live = realtime_of(socket.app)
    await socket.accept()
    try:
        after_id = _event_id(socket.query_params.get("after_id"))
    except BadRequest as exc:
        await socket.close(_CLOSE_BAD_PARAMS, exc.message)
        return
    vsn = protocol.vsn_of(socket.query_params.get("vsn"))
    await Session(live, socket, vsn, key_from(socket), after_id).run()


@get(
    "/realtime/v1/sse",
    summary="A channel as server-sent events; Last-Event-ID (or after_id) resumes it",
    media_type="text/event-stream",
    responses=errors(400, 422),
)
async def realtime_sse(
    request: Request[Any, Any, Any],
    channel: Annotated[str, QueryParameter(description="ottoq, depots:<id> or vehicles:<id>")],
    after_id: Annotated[str | None, QueryParameter(description="the last event id seen")] = None,
    last_event_id: Annotated[str | None, HeaderParameter(name="Last-Event-ID")] = None,
) -> Stream:
    live = realtime_of(request.app)
    if role_for(live.runtime.ctx.settings, key_from(request)) is None:
        raise NotAuthorizedException("a valid apikey (the anon or the service key) is required")
    topic = feed_topic_for(channel)
    if topic is None:
        raise BadRequest(f"unknown channel {channel!r}: use ottoq, depots:<id> or vehicles:<id>")
    resume = _event_id(last_event_id or after_id)
    reason = await live.unavailable()
    if reason is not None:
        raise NotReady(reason)

    sub = Subscription(Sink(frames.SSE, live.config.queue_limit), topic)
    return Stream(_events(live, sub, resume), media_type="text/event-stream", headers=SSE_HEADERS)


async def _events(live: Realtime, sub: Subscription, after_id: int | None) -> AsyncIterator[str]:
    upto = register(live.hub, sub, after_id)
    catching_up = None
    if upto is not None and after_id is not None:
        pool = live.runtime.require_pool()
        page = live.config.replay_page
        catching_up = asyncio.create_task(replay(live.hub, sub, after_id, upto, pool, page))
    try:
        yield "retry: 1000\n" + frames.sse_comment(f"subscribed to {sub.topic}")
        async for chunk in sse_chunks(sub.sink, live.config.sse_keepalive_s):
            yield chunk
    finally:
        live.hub.remove(sub)
        if catching_up is not None:
            catching_up.cancel()


async def sse_chunks(sink: Sink, keepalive_s: float) -> AsyncIterator[str]:
    """The sink's frames; a comment when idle keeps proxies from closing the stream."""
    while (frame := await sink.next(idle_s=keepalive_s)) is not None:
        yield frame or frames.sse_comment("keepalive")
    yield frames.sse_error(sink.reason or "closed")


def _event_id(text: str | None) -> int | None:
    if text is None or text == "":
        return None
    try:
        value = int(text)
    except ValueError as exc:
        raise BadRequest(f"an event id is a whole number, not {text!r}") from exc
    if value < 0:
        raise BadRequest("an event id is not negative")
    return value


ROUTES = [realtime_socket, realtime_sse]
