"""Webhooks: subscriptions, and delivery of the events outbox to them, signed and retried."""
