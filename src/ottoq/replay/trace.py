"""Reading a 1 Hz driving trace (the Twizy format): state of charge, speed and GPS per second.

State of charge comes in percent and leaves as a fraction; speed (km/h) is integrated into an
odometer that starts at 0. A few rows of the published traces carry a garbled date; a 1 Hz
trace has one row a second, so such a row is placed one second after the row before it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ottoq.errors import Invalid

# The published traces were recorded around Rabat-Salé-Kénitra, Morocco.
TRACE_TZ = ZoneInfo("Africa/Casablanca")
_COLUMNS = ("Date", "Time", "Soc", "Speed", "LAT", "LON")
_STEP = timedelta(seconds=1)


@dataclass(frozen=True)
class TraceReading:
    at: datetime
    soc: float
    odometer_km: float
    lat: float | None
    lon: float | None


def read_trace(path: Path) -> list[TraceReading]:
    """Every row of the trace as a reading, in order."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in _COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise Invalid(f"{path.name}: not a 1 Hz trace; missing columns {', '.join(missing)}")
        return _readings(list(reader))


def _readings(rows: list[dict[str, str]]) -> list[TraceReading]:
    out: list[TraceReading] = []
    odometer = 0.0
    for row in rows:
        previous = out[-1] if out else None
        at = _moment(row, previous.at if previous else None)
        if previous is not None:
            odometer += max(float(row["Speed"]), 0.0) * (at - previous.at).total_seconds() / 3600
        lat, lon = float(row["LAT"]), float(row["LON"])
        fix = (lat, lon) != (0.0, 0.0)
        soc = round(min(max(float(row["Soc"]) / 100, 0.0), 1.0), 4)
        out.append(
            TraceReading(at, soc, round(odometer, 4), lat if fix else None, lon if fix else None)
        )
    return out


def _moment(row: dict[str, str], previous: datetime | None) -> datetime:
    try:
        parsed = datetime.strptime(f"{row['Date']} {row['Time']}", "%m/%d/%Y %H:%M:%S")
        moment = parsed.replace(tzinfo=TRACE_TZ)
    except ValueError:
        moment = None
    if previous is None:
        if moment is None:
            raise Invalid("the first row of the trace has no readable date and time")
        return moment
    if moment is None or not previous < moment <= previous + timedelta(hours=1):
        return previous + _STEP
    return moment
