"""The unmodified supabase-js, under the machine's Node.js, against a running OTTO-Q."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import NASHVILLE_NORTH
from tests.realtime.conftest import ANON, LiveServer
from tests.realtime.flows import WAIT_S, job_life
from tests.realtime.phoenix import join, open_socket

JS_DIR = Path(__file__).resolve().parent.parent / "js"


@pytest.fixture(scope="session")
def js_dir() -> Path:
    """tests/js with its node_modules, installed from the lock file when missing."""
    if not (JS_DIR / "node_modules" / "@supabase" / "supabase-js").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, check=True)
    return JS_DIR


async def _line(node: asyncio.subprocess.Process) -> dict[str, Any]:
    assert node.stdout is not None
    raw = await asyncio.wait_for(node.stdout.readline(), WAIT_S)
    assert raw, "supabase-js exited early"
    line: dict[str, Any] = json.loads(raw)
    return line


@pytest.mark.parametrize("vsn", ["2.0.0", "1.0.0"])
async def test_supabase_js_sees_a_stall_go_reserved_busy_available(
    live: LiveServer, js_dir: Path, vsn: str
) -> None:
    script = str(js_dir / "watch_depot.mjs")
    node = await asyncio.create_subprocess_exec(
        "node",
        script,
        live.url,
        ANON,
        str(NASHVILLE_NORTH),
        vsn,
        "3",
        cwd=js_dir,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert await _line(node) == {"kind": "status", "status": "SUBSCRIBED", "error": None}
        async with live.api() as api:
            job = await job_life(api, live.clock)
        changes = [(await _line(node))["payload"] for _ in range(3)]
        assert await asyncio.wait_for(node.wait(), WAIT_S) == 0
    finally:
        if node.returncode is None:
            node.kill()
            await node.wait()

    assert [(c["old"]["status"], c["new"]["status"]) for c in changes] == [
        ("AVAILABLE", "RESERVED"),
        ("RESERVED", "BUSY"),
        ("BUSY", "AVAILABLE"),
    ]
    for change in changes:
        assert change["eventType"] == "UPDATE" and change["table"] == "ottoq_resources"
        assert change["new"]["id"] == change["old"]["id"] == job["resource_id"]
        assert (
            change["new"]["index"] == 1 and change["new"]["capabilities_jsonb"]["power_kw"] == 150
        )
        assert change["new"]["depot_id"] == str(NASHVILLE_NORTH)


@pytest.mark.parametrize("vsn", ["2.0.0", "1.0.0"])
async def test_a_supabase_js_broadcast_reaches_another_subscriber(
    live: LiveServer, js_dir: Path, vsn: str
) -> None:
    listener = await open_socket(live.url, ANON)
    await join(listener, "realtime:room-7", [])
    node = await asyncio.create_subprocess_exec(
        "node",
        str(js_dir / "send_broadcast.mjs"),
        live.url,
        ANON,
        "room-7",
        vsn,
        cwd=js_dir,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert await _line(node) == {"ack": "ok"}
        heard = json.loads(await asyncio.wait_for(listener.recv(), WAIT_S))
    finally:
        await node.wait()
        await listener.close()

    assert heard["event"] == "broadcast" and heard["topic"] == "realtime:room-7"

    assert heard["payload"] == {"type": "broadcast", "event": "wave", "payload": {"from": "js"}}


async def test_supabase_js_resumes_with_after_id_in_its_socket_params(
    live: LiveServer, js_dir: Path
) -> None:
    async with live.api() as api:
        await job_life(api, live.clock)

    # Everything happened before it connected; from event 0 on, it receives all of it.
    node = await asyncio.create_subprocess_exec(
        "node",
        str(js_dir / "watch_depot.mjs"),
        live.url,
        ANON,
        str(NASHVILLE_NORTH),
        "2.0.0",
        "3",
        "0",
        cwd=js_dir,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert (await _line(node))["status"] == "SUBSCRIBED"
        changes = [(await _line(node))["payload"] for _ in range(3)]
    finally:
        await node.wait()

    assert [c["new"]["status"] for c in changes] == ["RESERVED", "BUSY", "AVAILABLE"]
