"""A resource's calendar: where the next window of a given length fits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

Window = tuple[datetime, datetime]


def earliest_fit(booked: Iterable[Window], not_before: datetime, length: timedelta) -> datetime:
    """The earliest start >= not_before at which `length` fits between the booked windows."""
    start = not_before
    for booked_start, booked_end in sorted(booked):
        if booked_end <= start:
            continue
        if booked_start >= start + length:
            return start
        start = max(start, booked_end)
    return start


def overlaps(a: Window, b: Window) -> bool:
    return a[0] < b[1] and b[0] < a[1]
