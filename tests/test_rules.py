"""Pure rules, no database: calendars, state machines, priority, durations, labels, schedules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ottoq.errors import Invalid
from ottoq.jobs.calendar import earliest_fit, overlaps
from ottoq.jobs.durations import DurationInput, bounds, job_duration
from ottoq.jobs.priority import priority_key
from ottoq.jobs.rules import next_due, odometer_due, validate_rule
from ottoq.network.labels import cell_label
from ottoq.states import JOB, RESOURCE, VEHICLE

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def test_earliest_fit_uses_the_first_gap_long_enough() -> None:
    booked = [(T0 + 10 * MIN, T0 + 50 * MIN), (T0 + 70 * MIN, T0 + 90 * MIN)]
    assert earliest_fit(booked, T0, 10 * MIN) == T0
    assert earliest_fit(booked, T0, 11 * MIN) == T0 + 50 * MIN
    assert earliest_fit(booked, T0, 30 * MIN) == T0 + 90 * MIN
    assert earliest_fit(booked, T0 + 60 * MIN, 5 * MIN) == T0 + 60 * MIN


windows = st.lists(st.tuples(st.integers(0, 600), st.integers(1, 120)), max_size=8)


@given(windows, st.integers(0, 600), st.integers(1, 120))
# The machine is shared: a slow example is not a wrong one.
@settings(deadline=None)
def test_earliest_fit_never_overlaps_and_is_earliest(
    raw: list[tuple[int, int]], start: int, length: int
) -> None:
    booked: list[tuple[datetime, datetime]] = []
    for begin, size in raw:
        window = (T0 + begin * MIN, T0 + (begin + size) * MIN)
        if not any(overlaps(window, other) for other in booked):
            booked.append(window)
    fit = earliest_fit(booked, T0 + start * MIN, length * MIN)
    placed = (fit, fit + length * MIN)

    assert fit >= T0 + start * MIN
    assert not any(overlaps(placed, other) for other in booked)
    for earlier in range(start, int((fit - T0) / MIN)):
        candidate = (T0 + earlier * MIN, T0 + (earlier + length) * MIN)
        assert any(overlaps(candidate, other) for other in booked)


def test_machines_are_closed_and_terminal_states_are_final() -> None:
    for machine in (JOB, RESOURCE, VEHICLE):
        for targets in machine.transitions.values():
            assert targets <= machine.states
    for state in ("COMPLETED", "CANCELLED", "EXPIRED"):
        assert JOB.transitions[state] == frozenset()
    assert JOB.sources("CANCELLED") == ["ACTIVE", "PENDING", "SCHEDULED"]
    assert VEHICLE.allows("ENROUTE_DEPOT", "AT_DEPOT")
    assert not VEHICLE.allows("IDLE", "IN_SERVICE")
    assert "BUSY>AVAILABLE" in RESOURCE.pairs()


def test_lower_charge_goes_first_and_ageing_beats_urgency_eventually() -> None:
    early_full = priority_key("CHARGE", 0.9, None, T0)
    early_empty = priority_key("CHARGE", 0.1, None, T0)
    assert early_empty < early_full
    much_later_empty = priority_key("CHARGE", 0.1, None, T0 + timedelta(hours=10))
    assert early_full < much_later_empty


def test_an_earlier_deadline_goes_first_at_equal_charge() -> None:
    soon = priority_key("DETAILING", None, T0 + timedelta(hours=1), T0)
    later = priority_key("DETAILING", None, T0 + timedelta(hours=8), T0)
    assert soon < later


@given(st.floats(0, 1), st.floats(1, 200), st.sampled_from(["CHARGE", "DETAILING", "MAINTENANCE"]))
def test_durations_stay_within_the_depot_bounds(soc: float, battery: float, job_type: str) -> None:
    spec = DurationInput(job_type, soc, battery, 0.8, 150.0, {}, "k")
    low, high = bounds(job_type, {})
    minutes = job_duration(spec, seed=1).total_seconds() / 60
    assert low <= minutes <= high


def test_durations_repeat_for_the_same_seed_and_vary_with_it() -> None:
    spec = DurationInput("DETAILING", None, None, 0.8, 150.0, {}, "Austin-00001:x")
    assert job_duration(spec, 7) == job_duration(spec, 7)
    assert len({job_duration(spec, seed) for seed in range(20)}) > 1


def test_depot_config_overrides_duration_bounds() -> None:
    assert bounds("MAINTENANCE", {"durations": {"MAINTENANCE": [60, 0]}}) == (60, 60)


def _cell(**fields: object) -> dict[str, object]:
    base = {
        "status": "AVAILABLE",
        "job_state": None,
        "external_ref": "Nashville-00042",
        "job_type": "CHARGE",
        "metadata_jsonb": {},
        "started_at": None,
        "duration_seconds": 1200,
        "scheduled_start_at": None,
        "scheduled_end_at": None,
    }
    return {**base, **fields}


def test_labels_follow_the_contract() -> None:
    assert cell_label(_cell(), T0) == "Available"
    assert cell_label(_cell(status="OUT_OF_SERVICE"), T0) == "Out of Service"
    busy = _cell(status="BUSY", job_state="ACTIVE", started_at=T0, scheduled_end_at=T0 + 20 * MIN)
    assert cell_label(busy, T0) == "Vehicle Nashville-00042 \u2014 Charging \u2014 20m left"
    long = _cell(
        status="BUSY",
        job_state="ACTIVE",
        job_type="MAINTENANCE",
        metadata_jsonb={"task": "Brake check"},
        started_at=T0,
        duration_seconds=7500,
        scheduled_end_at=T0 + 125 * MIN,
    )
    assert cell_label(long, T0) == "Vehicle Nashville-00042 \u2014 Brake check \u2014 2h 5m left"
    soon = _cell(status="RESERVED", job_state="SCHEDULED", scheduled_start_at=T0 + 7 * MIN)
    assert cell_label(soon, T0).endswith("\u2014 starts in 7m")
    assert cell_label(soon, T0 + 7 * MIN).endswith("\u2014 starting soon")


LA = ZoneInfo("America/Los_Angeles")


def test_weekly_rule_keeps_local_time_across_daylight_saving() -> None:
    rule = validate_rule("weekly", {"weekday": "MON", "time": "06:00"})
    before = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    first = next_due("weekly", rule, "America/Los_Angeles", before)
    second = next_due("weekly", rule, "America/Los_Angeles", first)
    assert first is not None and second is not None
    assert first.astimezone(LA).hour == second.astimezone(LA).hour == 6
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(days=7, hours=-1)


def test_rules_are_validated() -> None:
    with pytest.raises(Invalid, match="interval_km"):
        validate_rule("odometer_interval", {"interval_km": -5})
    with pytest.raises(Invalid, match="weekday"):
        validate_rule("weekly", {"weekday": "Funday", "time": "06:00"})
    with pytest.raises(Invalid, match="rule_type"):
        validate_rule("hourly-ish", {})
    rule = validate_rule("odometer_interval", {"interval_km": 10_000, "last_km": 5_000})
    assert not odometer_due(rule, 14_999) and odometer_due(rule, 15_000)
