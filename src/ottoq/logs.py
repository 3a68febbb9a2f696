"""Structured logs: one dotted event name per line with fields; JSON or readable console.

Everything goes through structlog, the standard library's loggers too (uvicorn, asyncpg), so a
production log is JSON from end to end. A request id (web/observe.py) or a tick id (the
scheduler) is bound in context and lands on every line written while it is being handled.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog
from structlog.typing import Processor

_SECRET_KEYS = {
    "apikey",
    "authorization",
    "secret",
    "password",
    "service_key",
    "anon_key",
    "token",
    "cookie",
    "database_url",
    "dsn",
    "webhook-signature",
}
# Secrets that can hide inside any value: webhook secrets, OTTO-Q's keys, passwords in DSNs.
_SECRET_VALUES = [
    (re.compile(r"whsec_[A-Za-z0-9+/=]+"), "whsec_***"),
    (re.compile(r"ottoq_(service|anon)_[A-Za-z0-9_-]+"), r"ottoq_\1_***"),
    (re.compile(r"(\w+://[^:/@\s]+):[^@\s]+@"), r"\1:***@"),
]
# Libraries whose INFO lines carry full URLs, where a webhook target's token would show.
_QUIET = ("httpx", "httpcore")


def _scrub(text: str) -> str:
    for pattern, replacement in _SECRET_VALUES:
        text = pattern.sub(replacement, text)
    return text


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if key.lower() in _SECRET_KEYS:
            event[key] = "***"
        elif isinstance(value, str):
            event[key] = _scrub(value)
    return event


def processors(as_json: bool) -> list[Processor]:
    """The chain every line passes through, structlog's own and the standard library's."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if as_json:
        return [
            *shared,
            structlog.processors.dict_tracebacks,
            _redact,
            structlog.processors.JSONRenderer(),
        ]
    # The console renderer draws tracebacks itself, after redaction of the fields.
    return [*shared, _redact, structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())]


def configure(fmt: str = "auto", level: str = "INFO") -> None:
    """JSON when asked or when not on a terminal; coloured key=value lines on a terminal."""
    as_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    chain = processors(as_json)
    numeric_level = logging.getLevelName(level.upper())
    structlog.configure(
        processors=chain,
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    _route_stdlib(chain, numeric_level)


def _route_stdlib(chain: list[Processor], level: int) -> None:
    """Standard-library log records leave through the same chain, in the same format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *chain[:-1]],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, chain[-1]],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
