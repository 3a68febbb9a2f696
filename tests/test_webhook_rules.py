"""Webhook rules without a database: signatures a standard verifier accepts, filters, backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from ottoq.webhooks import rules

EVENT = {
    "id": 41,
    "city_id": None,
    "entity_type": "JOB",
    "entity_id": str(uuid4()),
    "event_type": "JOB_SCHEDULED",
    "payload_jsonb": {"depot_id": "d-1", "to": "SCHEDULED"},
    "created_at": "2026-01-05T14:00:00+00:00",
}


def _headers(secret: str, body: bytes, at: int) -> dict[str, str]:
    msg_id = rules.message_id(41)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(at),
        "webhook-signature": rules.sign(secret, msg_id, at, body),
    }


def test_a_standard_verifier_accepts_the_signature_and_refuses_a_changed_body() -> None:
    secret = rules.new_secret()
    body = rules.message_body(EVENT)
    now = int(datetime.now(UTC).timestamp())

    message = Webhook(secret).verify(body, _headers(secret, body, now))
    assert message["type"] == "JOB_SCHEDULED" and message["data"]["payload"]["to"] == "SCHEDULED"

    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"41", b"42"), _headers(secret, body, now))
    with pytest.raises(WebhookVerificationError):
        Webhook(rules.new_secret()).verify(body, _headers(secret, body, now))


def test_filters_on_event_type_and_depot() -> None:
    everything = {"event_types": [], "depot_ids": []}
    assert rules.matches(everything, EVENT)
    assert rules.matches({"event_types": ["JOB_SCHEDULED"], "depot_ids": ["d-1"]}, EVENT)
    assert not rules.matches({"event_types": ["JOB_CREATED"], "depot_ids": []}, EVENT)
    assert not rules.matches({"event_types": [], "depot_ids": ["d-2"]}, EVENT)

    telemetry = {**EVENT, "payload_jsonb": {"new": {"home_depot_id": "d-2"}}}
    assert rules.event_depot(telemetry) == "d-2"
    no_depot = {**EVENT, "payload_jsonb": {}}
    assert not rules.matches({"event_types": [], "depot_ids": ["d-1"]}, no_depot)


def test_backoff_doubles_with_bounded_seeded_jitter() -> None:
    for failures in range(1, 30):
        step = min(rules.BACKOFF_BASE * 2 ** min(failures - 1, 20), rules.BACKOFF_CAP)
        wait = rules.backoff(failures, seed=42, key="endpoint")
        assert step / 2 <= wait <= step
        assert wait == rules.backoff(failures, seed=42, key="endpoint")
    spread = {rules.backoff(3, seed=42, key=str(n)) for n in range(20)}
    assert len(spread) > 10
    assert rules.backoff(1, 42, "x") < timedelta(seconds=11)


def test_endpoints_are_disabled_only_after_many_failures() -> None:
    assert not rules.should_disable(rules.DISABLE_AFTER - 1)
    assert rules.should_disable(rules.DISABLE_AFTER)
    total = sum(
        (rules.backoff(n, 42, "e") for n in range(1, rules.DISABLE_AFTER)), start=timedelta()
    )
    assert timedelta(hours=3) < total < timedelta(hours=12)


def test_plain_text_secrets_from_the_earlier_deployment_still_sign() -> None:
    assert rules.secret_key("not base64!") == b"not base64!"
    assert rules.sign("not base64!", "msg_1", 1, b"{}").startswith("v1,")
