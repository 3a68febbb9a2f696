"""Settings read once from the environment (OTTOQ_*), passed explicitly from then on."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path


def _env(name: str, default: str) -> str:
    return os.environ.get(f"OTTOQ_{name}", default)


def _flag(name: str, default: bool) -> bool:
    return _env(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


def _maybe_flag(name: str) -> bool | None:
    return _flag(name, False) if f"OTTOQ_{name}" in os.environ else None


def _range(text: str) -> tuple[float, float]:
    low, _, high = text.partition("-")
    bounds = (float(low), float(high or low))
    return (min(bounds), max(bounds))


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    data_dir: Path = Path(".ottoq")
    clock: str = "real"
    seed: int = 42
    booking_horizon: timedelta = timedelta(hours=24)
    arrival_grace: timedelta = timedelta(minutes=15)
    # RESERVED shows on a stall once its next window starts within this lead.
    reserve_lead: timedelta = timedelta(minutes=15)
    # Fleets that report no arrivals get their jobs started when the window opens.
    arrival_required: bool = True
    tick_interval_s: float = 1.0
    db_pool_max: int = 20
    max_body_bytes: int = 1_000_000
    telemetry_batch_limit: int = 1000
    anon_key: str | None = None
    service_key: str | None = None
    # Requests without a key act with the service role; only `ottoq up` on loopback sets this.
    allow_keyless: bool = False
    log_format: str = "auto"
    log_level: str = "INFO"
    # Webhook targets on private, loopback or link-local addresses are refused unless this is set.
    webhooks_allow_private: bool = False
    webhook_timeout_s: float = 10.0
    # `ottoq worker` serves its own /metrics on this port when it is not 0.
    worker_metrics_port: int = 0
    # The simulator's loop in the worker; a replay's own OTTO-Q runs without it.
    simulator_enabled: bool = True
    # Set by `ottoq up`: True starts the demo fleet, False stops it, None leaves it as it was.
    simulator_autostart: bool | None = None
    simulator_tick_s: float = 1.0
    # The simulator resets itself after a random draw from this range, in simulated minutes.
    simulator_reset_minutes: tuple[float, float] = (5.0, 10.0)
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("OTTOQ_DATABASE_URL") or None,
            data_dir=Path(_env("DATA_DIR", ".ottoq")),
            clock=_env("CLOCK", "real"),
            seed=int(_env("SEED", "42")),
            booking_horizon=timedelta(hours=float(_env("BOOKING_HORIZON_HOURS", "24"))),
            arrival_grace=timedelta(minutes=float(_env("ARRIVAL_GRACE_MINUTES", "15"))),
            reserve_lead=timedelta(minutes=float(_env("RESERVE_LEAD_MINUTES", "15"))),
            arrival_required=_flag("ARRIVAL_REQUIRED", True),
            tick_interval_s=float(_env("TICK_INTERVAL", "1.0")),
            db_pool_max=int(_env("DB_POOL_MAX", "20")),
            max_body_bytes=int(_env("MAX_BODY_BYTES", "1000000")),
            telemetry_batch_limit=int(_env("TELEMETRY_BATCH_LIMIT", "1000")),
            anon_key=os.environ.get("OTTOQ_ANON_KEY") or None,
            service_key=os.environ.get("OTTOQ_SERVICE_KEY") or None,
            allow_keyless=_flag("ALLOW_KEYLESS", False),
            log_format=_env("LOG_FORMAT", "auto"),
            log_level=_env("LOG_LEVEL", "INFO").upper(),
            webhooks_allow_private=_flag("WEBHOOKS_ALLOW_PRIVATE", False),
            webhook_timeout_s=float(_env("WEBHOOK_TIMEOUT", "10")),
            worker_metrics_port=int(_env("WORKER_METRICS_PORT", "0")),
            simulator_enabled=_flag("SIMULATOR", True),
            simulator_autostart=_maybe_flag("SIMULATOR_AUTOSTART"),
            simulator_tick_s=float(_env("SIMULATOR_TICK", "1.0")),
            simulator_reset_minutes=_range(_env("SIMULATOR_RESET_MINUTES", "5-10")),
        )

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]
