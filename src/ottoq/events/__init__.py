"""The append-only audit log, which is also the outbox for realtime and webhooks."""
