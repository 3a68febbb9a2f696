"""HTTP floor: OTTO-Q's cheapest endpoint against a bare ASGI callable on the same server."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

from bench.harness import Sizes, median


def wrk_rps(url: str, seconds: float, connections: int = 64) -> float:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", url],
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"Requests/sec:\s+([\d.]+)", out.stdout)
    assert match, out.stdout
    return float(match.group(1))


def measure(ottoq_url: str, bare_url: str, sizes: Sizes) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    ottoq, bare = [], []
    for _ in range(sizes.repeats):
        ottoq.append(wrk_rps(f"{ottoq_url}/health", sizes.seconds))
        bare.append(wrk_rps(f"{bare_url}/health", sizes.seconds))
    return {
        "ottoq_rps": median(ottoq),
        "bare_rps": median(bare),
        "ratio": median(ottoq) / median(bare),
    }
