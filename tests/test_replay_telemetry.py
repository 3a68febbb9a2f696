"""The Twizy trace as one vehicle's telemetry: exactly one CHARGE job, however it is delivered."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from ottoq.clock import ManualClock
from ottoq.network.seed import stable_id
from ottoq.replay.api import OttoqApi
from ottoq.replay.pacing import SteppedPacer
from ottoq.replay.stream import Delivery, TracePlan, stream_trace
from ottoq.replay.trace import read_trace

SAMPLE = Path(__file__).parent / "data" / "twizy_T1_03_29_2021_last10min.csv"


def test_the_trace_reads_percent_as_a_fraction_and_integrates_speed() -> None:
    readings = read_trace(SAMPLE)
    assert len(readings) == 600
    assert readings[0].soc == pytest.approx(0.2364) and readings[-1].soc == pytest.approx(0.15)
    assert all(b.at - a.at == timedelta(seconds=1) for a, b in pairwise(readings))
    odometer = [r.odometer_km for r in readings]
    assert odometer == sorted(odometer) and 2 < odometer[-1] < 10


def test_a_row_with_a_garbled_date_follows_the_one_before(tmp_path: Path) -> None:
    lines = SAMPLE.read_text().splitlines()
    garbled = lines[2].replace("03/29/2021", "90/02/2032")
    path = tmp_path / "trace.csv"
    path.write_text("\n".join([lines[0], lines[1], garbled, lines[3]]) + "\n")
    readings = read_trace(path)
    assert [r.at - readings[0].at for r in readings] == [timedelta(seconds=s) for s in range(3)]


@pytest.mark.parametrize(
    "delivery",
    [Delivery(), Delivery(batch=25, repeat=2), Delivery(batch=1, repeat=2, parallel=8)],
    ids=["one-by-one", "batches-sent-twice", "racing-duplicates"],
)
async def test_the_drain_below_the_threshold_opens_exactly_one_charge_job(
    client: AsyncTestClient, clock: ManualClock, pool: asyncpg.Pool, delivery: Delivery
) -> None:
    readings = read_trace(SAMPLE)
    plan = TracePlan("t", "TWIZY-T1", readings, timedelta(0), delivery)
    clock.set(readings[0].at - timedelta(minutes=1))
    api = OttoqApi(client)
    pacer = SteppedPacer(clock, api.tick, tick_every=timedelta(minutes=1))

    outcome = await stream_trace(api, pacer, plan)

    async with pool.acquire() as conn:
        jobs = await conn.fetch(
            "SELECT id, state FROM ottoq_jobs WHERE vehicle_id = $1 AND job_type = 'CHARGE'",
            stable_id("vehicle", "TWIZY-T1"),
        )
        vehicle = await conn.fetchrow(
            "SELECT soc, odometer_km FROM ottoq_vehicles WHERE external_ref = 'TWIZY-T1'"
        )
    assert len(jobs) == 1 and outcome.charge_jobs == {str(jobs[0]["id"])}
    assert outcome.report["jobs"] == {"CHARGE": {jobs[0]["state"]: 1}}
    assert vehicle["soc"] == pytest.approx(0.15)
    assert vehicle["odometer_km"] == pytest.approx(readings[-1].odometer_km)
