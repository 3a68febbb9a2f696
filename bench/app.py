"""The app as `ottoq serve` builds it, as a uvicorn factory for benchmark server processes."""

from __future__ import annotations

from litestar import Litestar

from ottoq.settings import Settings
from ottoq.web.app import create_app


def make_app() -> Litestar:
    settings = Settings.from_env()
    assert settings.database_url, "OTTOQ_DATABASE_URL must name the benchmark database"
    return create_app(settings, settings.database_url)
