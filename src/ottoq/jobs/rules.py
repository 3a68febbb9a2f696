"""Maintenance rules: when a periodic rule is next due. Pure functions, local time aware."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ottoq.errors import Invalid
from ottoq.states import JOB_TYPES

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
TIME_RULES = ("weekly", "daily", "interval")
RULE_TYPES = (*TIME_RULES, "odometer_interval")


def validate_rule(rule_type: str, rule: dict[str, Any]) -> dict[str, Any]:
    """The rule with defaults filled in; Invalid (422) says what is wrong with it."""
    if rule_type not in RULE_TYPES:
        raise Invalid(f"rule_type must be one of {', '.join(RULE_TYPES)}")
    rule = {"job_type": "MAINTENANCE", **rule}
    if rule["job_type"] not in JOB_TYPES:
        raise Invalid(f"rule_jsonb.job_type must be one of {', '.join(JOB_TYPES)}")
    if rule_type == "odometer_interval":
        _positive(rule, "interval_km")
    elif rule_type == "interval":
        _positive(rule, "every_hours")
    else:
        _local_time(rule)
        if rule_type == "weekly":
            _weekday(rule)
    return rule


def _positive(rule: dict[str, Any], name: str) -> None:
    value = rule.get(name)
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        raise Invalid(f"rule_jsonb.{name} must be a positive number")


def _local_time(rule: dict[str, Any]) -> time:
    try:
        return time.fromisoformat(str(rule.get("time", "")))
    except ValueError as exc:
        raise Invalid("rule_jsonb.time must be a local time such as 06:00") from exc


def _weekday(rule: dict[str, Any]) -> int:
    day = str(rule.get("weekday", "")).upper()[:3]
    if day not in WEEKDAYS:
        raise Invalid(f"rule_jsonb.weekday must be one of {', '.join(WEEKDAYS)}")
    return WEEKDAYS.index(day)


def next_due(rule_type: str, rule: dict[str, Any], tz: str, after: datetime) -> datetime | None:
    """The first moment strictly after `after` at which a time rule is due, in the city's zone."""
    if rule_type == "interval":
        return after + timedelta(hours=float(rule["every_hours"]))
    if rule_type not in ("weekly", "daily"):
        return None
    zone = ZoneInfo(tz)
    at = _local_time(rule)
    local_day = after.astimezone(zone).date()
    for offset in range(0, 9):
        day = local_day + timedelta(days=offset)
        if rule_type == "weekly" and day.weekday() != _weekday(rule):
            continue
        # Built from the local wall time, so 06:00 stays 06:00 across daylight-saving changes.
        candidate = datetime.combine(day, at, tzinfo=zone)
        if candidate > after:
            return candidate
    raise AssertionError("a weekly rule is due within 8 days")


def odometer_due(rule: dict[str, Any], odometer_km: float | None) -> bool:
    if odometer_km is None:
        return False
    return odometer_km >= float(rule.get("last_km", 0)) + float(rule["interval_km"])
