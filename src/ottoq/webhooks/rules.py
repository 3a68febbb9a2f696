"""Webhook rules with no I/O: secrets, signing, filters, the message body and the retry schedule.

Messages follow Standard Webhooks: the body is signed as `{webhook-id}.{webhook-timestamp}.{body}`
with HMAC-SHA256 under the endpoint's secret, and the secret travels as `whsec_` + base64.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import random
import secrets
from datetime import timedelta
from typing import Any

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32

# Retries: the first waits about BACKOFF_BASE, each next one twice as long, none over BACKOFF_CAP.
BACKOFF_BASE = timedelta(seconds=10)
BACKOFF_CAP = timedelta(hours=1)
# Failed attempts in a row after which an endpoint is disabled: 3 to 6.5 hours of retrying.
DISABLE_AFTER = 15


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key a stored secret stands for."""
    body = secret.removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        # Secrets carried over from the earlier deployment are plain text, not base64.
        return body.encode()


def message_id(event_id: int) -> str:
    return f"msg_{event_id}"


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for one message."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def message_body(event: dict[str, Any]) -> bytes:
    """The JSON POSTed for one event: its type and time, and the event row as `data`."""
    data = {
        "id": event["id"],
        "city_id": event.get("city_id"),
        "entity_type": event["entity_type"],
        "entity_id": event.get("entity_id"),
        "event_type": event["event_type"],
        "payload": event.get("payload_jsonb") or {},
        "created_at": event["created_at"],
    }
    message = {"type": event["event_type"], "timestamp": event["created_at"], "data": data}
    return json.dumps(message, separators=(",", ":"), default=str).encode()


def event_depot(event: dict[str, Any]) -> str | None:
    """The depot an event concerns: its own, else the row's, else the vehicle's home depot."""
    payload = event.get("payload_jsonb") or {}
    row = payload.get("new") or payload.get("old") or {}
    depot = payload.get("depot_id") or row.get("depot_id") or row.get("home_depot_id")
    return str(depot) if depot else None


def matches(endpoint: dict[str, Any], event: dict[str, Any]) -> bool:
    """Whether an endpoint subscribed to an event; an empty filter lets everything through."""
    types = endpoint["event_types"] or []
    if types and event["event_type"] not in types:
        return False
    depots = {str(d) for d in endpoint["depot_ids"] or []}
    return not depots or event_depot(event) in depots


def backoff(failures: int, seed: int, key: str) -> timedelta:
    """How long to wait after the `failures`-th failure in a row, with seeded jitter.

    The jitter spreads endpoints that failed together (a receiver's outage) so they do not all
    come back at once; seeding it by endpoint and attempt makes every worker and every test run
    compute the same schedule. The wait lies between half and all of the exponential step.
    """
    doublings = min(max(failures - 1, 0), 20)
    step = min(BACKOFF_BASE * 2**doublings, BACKOFF_CAP)
    draw = random.Random(f"{seed}:{key}:{failures}").random()
    return step / 2 + step / 2 * draw


def should_disable(failures: int) -> bool:
    return failures >= DISABLE_AFTER
