"""OpenAPI pieces every route shares: the error body and the statuses it comes with."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec


class ErrorBody(msgspec.Struct):
    error: str


_MEANING = {
    400: "malformed request (bad JSON, wrong shape)",
    401: "no key, or a wrong one",
    403: "the anon key cannot do this",
    404: "unknown id",
    409: "illegal state change, or an open job of that type exists",
    413: "request body larger than the configured limit",
    422: "well-formed but invalid",
    503: "the database is not reachable or not migrated yet",
}


def errors(*codes: int) -> dict[int, ResponseSpec]:
    """The error responses of a route; every route can also answer 401, 403 and 503."""
    wanted = sorted({*codes, 401, 403, 503})
    return {
        code: ResponseSpec(ErrorBody, description=_MEANING[code], generate_examples=False)
        for code in wanted
    }


def ok(model: Any, description: str, code: int = 200) -> dict[int, ResponseSpec]:
    return {code: ResponseSpec(model, description=description, generate_examples=False)}


WRITE_ERRORS = errors(400, 404, 413, 422)
READ_ERRORS = errors(400, 404, 422)
