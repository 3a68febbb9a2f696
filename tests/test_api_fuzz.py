"""Schemathesis against /openapi.json: positive, negative and stateful cases, fixed seed.

Every check runs except `positive_data_acceptance`: schema-valid ids that do not exist are
rightly answered 404, which that check counts as a rejection.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ottoq.clock import ManualClock
from ottoq.settings import Settings
from tests.live import live_server

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def test_schemathesis_finds_no_server_error_and_no_schema_break(
    db_dsn: str, settings: Settings, clock: ManualClock, tmp_path: Path
) -> None:
    with live_server(settings, db_dsn, clock) as url:
        run = subprocess.run(
            [
                str(SCHEMATHESIS),
                "run",
                f"{url}/openapi.json",
                "--checks",
                "all",
                "--exclude-checks",
                "positive_data_acceptance",
                "--mode",
                "all",
                "--phases",
                "coverage,fuzzing,stateful",
                "--max-examples",
                "25",
                "--seed",
                "20261203",
                "--no-color",
                "--report-dir",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    assert run.returncode == 0, run.stdout[-6000:]
    assert "passed" in run.stdout
