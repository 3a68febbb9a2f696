"""The shapes of webhook answers, for the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec


class Webhook(msgspec.Struct):
    id: UUID
    url: str
    description: str
    event_types: list[str]
    depot_ids: list[UUID]
    is_active: bool
    created_at: datetime
    updated_at: datetime
    # Every event up to this id has been delivered or did not match the filter.
    last_event_id: int
    failure_count: int
    next_attempt_at: datetime | None
    attempts_total: int
    failures_total: int
    last_success_at: datetime | None
    disabled_at: datetime | None
    disabled_reason: str | None


class NewWebhook(Webhook):
    # `whsec_` + base64: the signing secret, shown in this answer only.
    secret: str


class Created(msgspec.Struct):
    success: bool
    webhook: NewWebhook


class Changed(msgspec.Struct):
    success: bool
    webhook: Webhook


class One(msgspec.Struct):
    webhook: Webhook


class Listing(msgspec.Struct):
    webhooks: list[Webhook]


class Deleted(msgspec.Struct):
    success: bool
    id: UUID


class Delivery(msgspec.Struct):
    id: int
    event_id: int
    message_id: str
    attempt: int
    attempted_at: datetime
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: float
    response_excerpt: str | None
    next_attempt_at: datetime | None


class Deliveries(msgspec.Struct):
    deliveries: list[Delivery]
    next_before: int | None
