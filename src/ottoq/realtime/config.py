"""Realtime settings, read once from the environment (OTTOQ_REALTIME_*)."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _env(name: str, default: str) -> str:
    return os.environ.get(f"OTTOQ_REALTIME_{name}", default)


@dataclass(frozen=True)
class RealtimeConfig:
    # Off: no outbox reader runs and subscribers are refused (benchmarks compare against it).
    enabled: bool = True
    # Messages waiting for one connection before it is cut off as too slow. A tick that moves
    # hundreds of stalls at once is a burst of two messages per stall for each depot watcher.
    queue_limit: int = 5000
    # The outbox is read this often even when no NOTIFY arrives (a lost wake-up costs this much).
    poll_interval_s: float = 0.5
    # While the reader waits on an id whose transaction may have rolled back, it looks this often.
    gap_poll_s: float = 0.05
    read_batch: int = 500
    replay_page: int = 500
    # A join waits this long for the reader's first read after a start or a database outage.
    ready_timeout_s: float = 5.0
    sse_keepalive_s: float = 15.0

    @classmethod
    def from_env(cls) -> RealtimeConfig:
        return cls(
            enabled=_env("ENABLED", "1").lower() in {"1", "true", "yes", "on"},
            queue_limit=int(_env("QUEUE_LIMIT", "5000")),
            poll_interval_s=float(_env("POLL_INTERVAL", "0.5")),
            read_batch=int(_env("READ_BATCH", "500")),
        )
