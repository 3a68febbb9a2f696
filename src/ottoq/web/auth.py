"""API keys: the anon key reads and subscribes, the service key does everything.

Keys arrive as `apikey: <key>` or `Authorization: Bearer <key>` (what Supabase clients send),
or as an `apikey` query parameter where headers cannot be set (websockets, EventSource).
"""

from __future__ import annotations

import hmac
from enum import StrEnum
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from ottoq.settings import Settings

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Role(StrEnum):
    ANON = "anon"
    SERVICE = "service"


def key_from(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The key a client presented, wherever it put it."""
    header = connection.headers.get("apikey")
    if header:
        return header
    bearer = connection.headers.get("authorization", "")
    if bearer.lower().startswith("bearer "):
        return bearer[7:].strip() or None
    query = connection.query_params.get("apikey")
    return str(query) if query else None


def _same(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a.encode(), b.encode())


def role_for(settings: Settings, key: str | None) -> Role | None:
    """The role a key grants; None when the key is missing or wrong."""
    if key is None:
        return Role.SERVICE if settings.allow_keyless else None
    if _same(settings.service_key, key):
        return Role.SERVICE
    if _same(settings.anon_key, key):
        return Role.ANON
    return None


def require_role(
    settings: Settings, connection: ASGIConnection[Any, Any, Any, Any], needed: Role
) -> Role:
    """The caller's role, or 401 (no or wrong key) / 403 (anon key where service is needed)."""
    role = role_for(settings, key_from(connection))
    if role is None:
        raise NotAuthorizedException("a valid apikey or Bearer token is required")
    if needed is Role.SERVICE and role is not Role.SERVICE:
        raise PermissionDeniedException("this call needs the service key; the anon key only reads")
    return role


def functions_guard(connection: ASGIConnection[Any, Any, Any, Any], _: Any) -> None:
    """Every /functions/v1 call: reads need a key, writes need the service key."""
    from ottoq.web.runtime import runtime_of

    if not connection.scope["path"].startswith("/functions/"):
        return
    settings = runtime_of(connection.app.state).ctx.settings
    method = connection.scope.get("method", "GET")
    require_role(settings, connection, Role.ANON if method in READ_METHODS else Role.SERVICE)


def service_only(connection: ASGIConnection[Any, Any, Any, Any], _: Any) -> None:
    """Routes that even reading needs the service key for (webhook targets and attempts)."""
    from ottoq.web.runtime import runtime_of

    require_role(runtime_of(connection.app.state).ctx.settings, connection, Role.SERVICE)
