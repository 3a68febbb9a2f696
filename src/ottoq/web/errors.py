"""Every error leaves as {"error": "<what was wrong>"} with the contract's status code."""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException

from ottoq.errors import OttoqError

log = structlog.get_logger()


def _body(message: str, status: int, **extra: Any) -> Response[dict[str, Any]]:
    return Response({"error": message, **extra}, status_code=status)


def domain_error(_: Request[Any, Any, Any], exc: OttoqError) -> Response[dict[str, Any]]:
    return _body(exc.message, exc.status_code, **exc.extra)


def validation_error(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    problems = [_problem(item) for item in exc.extra or [] if isinstance(item, dict)]
    if not problems:
        # Nothing field-specific: the body could not be decoded at all.
        return _body(f"malformed JSON body: {exc.detail}", 400)
    return _body("; ".join(problems), 422)


def _problem(item: dict[str, Any]) -> str:
    key = item.get("key")
    where = f"{key}: " if key and key != "data" else ""
    return f"{where}{item.get('message')}"


def http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    message = str(exc.detail)
    if isinstance(exc.__cause__, SerializationException | msgspec.DecodeError):
        message = f"malformed JSON body: {message}"
    # Keep the exception's headers: a 405 must say which methods are allowed.
    return Response({"error": message}, status_code=exc.status_code, headers=exc.headers)


def data_error(_: Request[Any, Any, Any], exc: asyncpg.DataError) -> Response[dict[str, Any]]:
    # Values the database refuses (a date out of range, text where a number goes) are bad input.
    return _body(f"invalid value: {exc}", 422)


def too_deep(_: Request[Any, Any, Any], exc: RecursionError) -> Response[dict[str, Any]]:
    # The JSON decoder recurses per nesting level; a body nested thousands deep exhausts it.
    return _body("malformed JSON body: nested too deeply", 400)


def unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.exception("http.unhandled", path=request.url.path, error=type(exc).__name__)
    return _body("internal error; it has been logged", 500)


HANDLERS: dict[Any, Any] = {
    OttoqError: domain_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    asyncpg.DataError: data_error,
    RecursionError: too_deep,
    asyncpg.IntegrityConstraintViolationError: data_error,
    Exception: unexpected,
}
