"""The sessions replay on the attributed Dundee samples, through the API on the manual clock."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from ottoq.clock import ManualClock
from ottoq.errors import Invalid
from ottoq.replay.api import OttoqApi
from ottoq.replay.driver import SessionsOutcome, replay_sessions
from ottoq.replay.pacing import SteppedPacer
from ottoq.replay.plan import moments, plan_sessions
from ottoq.replay.sessions import LONDON, Session, read_sessions, vehicle_keys, within
from ottoq.report.render import kpi_table, write_chart

DATA = Path(__file__).parent / "data"
LOCHEE = DATA / "lochee_hub_rapid_2018-07-07_08.csv"
COUNCIL = DATA / "dundee_sessions_2018-07-07.csv"
AHEAD = timedelta(minutes=1)


def test_the_lochee_file_reads_local_iso_times() -> None:
    source = read_sessions(LOCHEE)
    assert source.site == "Lochee Charging Hub, Dundee"
    assert len(source.sessions) + source.skipped == 174
    first = source.sessions[0]
    assert first.plug_in.tzinfo is LONDON and first.plug_in.date() == date(2018, 7, 7)
    assert all(s.plug_out > s.plug_in for s in source.sessions)
    assert [s.plug_in for s in source.sessions] == sorted(s.plug_in for s in source.sessions)


def test_the_council_file_reads_day_first_dates_and_takes_the_busiest_site() -> None:
    source = read_sessions(COUNCIL)
    assert source.site == "Lochee Charging Hub, Dundee"
    assert source.sites["Lochee Charging Hub, Dundee"] == 91
    assert all(s.plug_in.date() == date(2018, 7, 7) for s in source.sessions)
    # 18:30 local in July is 17:30 UTC: the wall times are read in Europe/London.
    assert source.sessions[0].plug_in.utcoffset() == timedelta(hours=1)


def test_a_site_is_named_by_a_unique_part_of_its_name() -> None:
    queen = read_sessions(COUNCIL, site="queen street")
    assert queen.site.startswith("Queen Street Car Park")
    assert len(queen.sessions) + queen.skipped == 29
    west = read_sessions(COUNCIL, site="Housing Office West")
    assert len(west.sessions) == 3 and west.skipped == 1
    with pytest.raises(Invalid, match="exactly one site"):
        read_sessions(COUNCIL, site="Dundee")


def test_a_window_starts_at_local_midnight() -> None:
    sessions = read_sessions(LOCHEE).sessions
    second_day = within(sessions, date(2018, 7, 8), 1)
    assert second_day and all(s.plug_in.date() == date(2018, 7, 8) for s in second_day)
    assert len(within(sessions, date(2018, 7, 7), 0.5)) < len(within(sessions, None, 1))


def test_a_user_plugged_in_twice_at_once_gets_a_second_vehicle() -> None:
    at = datetime(2018, 7, 7, 10, 0, tzinfo=LONDON)
    sessions = [
        Session("u1", "c1", at, at + timedelta(minutes=30)),
        Session("u1", "c2", at + timedelta(minutes=10), at + timedelta(minutes=20)),
        Session("u1", "c1", at + timedelta(minutes=40), at + timedelta(minutes=50)),
    ]
    assert vehicle_keys(sessions) == ["u1", "u1~2", "u1"]
    # Calling ahead of a plug-in needs the vehicle free that much earlier.
    assert vehicle_keys(sessions, timedelta(minutes=15)) == ["u1", "u1~2", "u1~2"]


def test_departures_come_before_announcements_at_the_same_moment() -> None:
    plan = plan_sessions(read_sessions(LOCHEE).sessions, "Lochee", "t", None, timedelta(0), AHEAD)
    for _, ends, begins in moments(plan.visits, AHEAD):
        assert ends or begins
    assert sum(len(b) for _, _, b in moments(plan.visits, AHEAD)) == len(plan.visits)


async def _replay(
    client: AsyncTestClient, clock: ManualClock, stalls: int | None, days: float | None
) -> SessionsOutcome:
    sessions = within(read_sessions(LOCHEE).sessions, None, days)
    plan = plan_sessions(sessions, "Lochee", f"s{stalls}", stalls, timedelta(0), AHEAD)
    api = OttoqApi(client)
    # OTTO-Q's clock starts at the first replayed session, as the command's own clock does.
    clock.set(plan.first - AHEAD - timedelta(minutes=1))
    return await replay_sessions(api, SteppedPacer(clock, api.tick), plan)


async def test_replaying_the_sample_ends_with_no_double_booking_and_plausible_kpis(
    client: AsyncTestClient, clock: ManualClock, tmp_path: Path
) -> None:
    outcome = await _replay(client, clock, None, None)
    report, visits = outcome.report, outcome.plan.visits

    assert outcome.plan.stalls == 4
    assert outcome.stats.requested == len(visits) and not outcome.stats.refused
    assert report["double_bookings"] == 0 and report["invariant_violations"] == 0
    outcomes = report["jobs"]["CHARGE"]
    assert outcomes.get("COMPLETED", 0) + outcomes.get("CANCELLED", 0) == len(visits)
    assert outcomes["COMPLETED"] >= 0.95 * len(visits)
    wait = report["waits"]["CHARGE"]
    assert 0 <= wait["mean_s"] < 15 * 60 and 0 <= wait["p95_s"] <= wait["max_s"] < 3 * 3600
    assert 3 <= report["peak_busy"]["CHARGE_STALL"] <= 4
    assert 5 < report["utilization"]["CHARGE_STALL"]["pct"] < 80

    chart = write_chart(report, tmp_path / "replay.png", "sample", LONDON.key)
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(kpi_table(report, "sample").rows) >= 8


async def test_fewer_stalls_make_vehicles_queue_and_still_nothing_is_double_booked(
    client: AsyncTestClient, clock: ManualClock
) -> None:
    outcome = await _replay(client, clock, 2, 1)
    report = outcome.report

    assert report["double_bookings"] == 0 and report["invariant_violations"] == 0
    assert report["peak_busy"]["CHARGE_STALL"] == 2
    assert report["peak_queue"]["CHARGE"] >= 2
    assert report["waits"]["CHARGE"]["p95_s"] > 10 * 60
    states = Counter(report["jobs"]["CHARGE"])
    assert set(states) <= {"COMPLETED", "CANCELLED"}
