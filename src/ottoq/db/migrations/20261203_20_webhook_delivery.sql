-- Webhook delivery. Each endpoint reads the events outbox through its own cursor, so one slow
-- or broken receiver holds back only itself, and everything it missed is still in the outbox
-- when it comes back. Every attempt is kept in ottoq_webhook_deliveries.

ALTER TABLE ottoq_webhooks
    ADD COLUMN description        text NOT NULL DEFAULT '',
    -- The cursor: every event up to this id has been delivered or did not match the filter.
    ADD COLUMN last_event_id      bigint NOT NULL DEFAULT 0,
    -- The outbox gap the cursor is waiting on, if any (see events/outbox.py).
    ADD COLUMN gap_at             bigint,
    ADD COLUMN gap_clears_at_xid  bigint,
    -- Failed attempts in a row on the event at the head of this endpoint's queue.
    ADD COLUMN failure_count      integer NOT NULL DEFAULT 0 CHECK (failure_count >= 0),
    ADD COLUMN next_attempt_at    timestamptz,
    ADD COLUMN attempts_total     bigint NOT NULL DEFAULT 0,
    ADD COLUMN failures_total     bigint NOT NULL DEFAULT 0,
    ADD COLUMN last_success_at    timestamptz,
    ADD COLUMN disabled_at        timestamptz,
    ADD COLUMN disabled_reason    text;

-- Subscriptions carried over from the earlier deployment never received anything; replaying the
-- whole history at them now would flood them, so they start at the head of the outbox.
UPDATE ottoq_webhooks SET last_event_id = (SELECT coalesce(max(id), 0) FROM ottoq_events);

CREATE INDEX ottoq_webhooks_due ON ottoq_webhooks (next_attempt_at) WHERE is_active;

CREATE TABLE ottoq_webhook_deliveries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id       uuid NOT NULL REFERENCES ottoq_webhooks (id) ON DELETE CASCADE,
    -- The city of the event delivered; null for events that span cities.
    city_id          uuid,
    event_id         bigint NOT NULL,
    -- The `webhook-id` header: the same on every retry of one event, so receivers can dedupe.
    message_id       text NOT NULL,
    attempt          integer NOT NULL CHECK (attempt > 0),
    attempted_at     timestamptz NOT NULL,
    ok               boolean NOT NULL,
    status_code      integer,
    error            text,
    duration_ms      double precision NOT NULL,
    response_excerpt text,
    -- When the next try of this event is due, for failed attempts that will be retried.
    next_attempt_at  timestamptz
);
CREATE INDEX ottoq_webhook_deliveries_by_webhook
    ON ottoq_webhook_deliveries (webhook_id, id DESC);
