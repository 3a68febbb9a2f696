"""Request bodies for managing webhook subscriptions."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from ottoq.webhooks.targets import MAX_URL_LENGTH

Url = Annotated[str, Meta(min_length=1, max_length=MAX_URL_LENGTH)]
EventType = Annotated[
    str, Meta(pattern=r"^[A-Z][A-Z0-9_]*$", max_length=64, description="e.g. JOB_SCHEDULED")
]
EventTypes = Annotated[list[EventType], Meta(max_length=100, description="empty: every event type")]
DepotIds = Annotated[list[UUID], Meta(max_length=1000, description="empty: every depot")]
Description = Annotated[str, Meta(max_length=500)]


class WebhookCreate(msgspec.Struct):
    url: Url
    event_types: EventTypes = msgspec.field(default_factory=list)
    depot_ids: DepotIds = msgspec.field(default_factory=list)
    description: Description = ""
    is_active: bool = True


class WebhookUpdate(msgspec.Struct):
    """Only the fields given change; `is_active: true` also clears failures and retries now."""

    url: Url | None = None
    event_types: EventTypes | None = None
    depot_ids: DepotIds | None = None
    description: Description | None = None
    is_active: bool | None = None
