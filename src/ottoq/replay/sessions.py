"""Reading Dundee charging sessions: the council's raw CSV and the Lochee hub file.

Both hold local wall times in Europe/London. The raw file has day-first dates and every site of
the city; the Lochee file is one hub's rapid sessions with ISO times. Pure functions, no I/O
beyond reading the file.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ottoq.errors import Invalid

LONDON = ZoneInfo("Europe/London")
LOCHEE_SITE = "Lochee Charging Hub, Dundee"
_RAW_COLUMNS = ("User ID", "CP ID", "Start Date", "Start Time", "End Date", "End Time", "Site")
_LOCHEE_COLUMNS = ("user_id", "cp_id", "plug_in", "plug_out")


@dataclass(frozen=True)
class Session:
    user_id: str
    charger: str
    plug_in: datetime
    plug_out: datetime
    kwh: float | None = None

    @property
    def dwell(self) -> timedelta:
        return self.plug_out - self.plug_in


@dataclass
class SessionFile:
    site: str
    sessions: list[Session]
    skipped: int = 0
    sites: Counter[str] = field(default_factory=Counter)


def read_sessions(path: Path, site: str | None = None) -> SessionFile:
    """The valid sessions of one site, in plug-in order; rows without a usable span are skipped."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = tuple(reader.fieldnames or ())
        if all(c in header for c in _LOCHEE_COLUMNS):
            parsed = _lochee(reader, site)
        elif all(c in header for c in _RAW_COLUMNS):
            parsed = _council(list(reader), site)
        else:
            raise Invalid(f"{path.name}: not a Dundee sessions file (columns: {', '.join(header)})")
    parsed.sessions.sort(key=lambda s: (s.plug_in, s.plug_out, s.user_id))
    return parsed


def _lochee(rows: Iterable[dict[str, str]], site: str | None) -> SessionFile:
    found = SessionFile(site=site or LOCHEE_SITE, sessions=[])
    for row in rows:
        session = _session(
            row["user_id"],
            row["cp_id"],
            _iso_local(row["plug_in"]),
            _iso_local(row["plug_out"]),
            row.get("kwh"),
        )
        _keep(found, session)
    return found


def _council(rows: list[dict[str, str]], site: str | None) -> SessionFile:
    sites = Counter(r["Site"].strip() for r in rows if r.get("Site"))
    chosen = pick_site(sites, site)
    found = SessionFile(site=chosen, sessions=[], sites=sites)
    for row in rows:
        if row["Site"].strip() != chosen:
            continue
        session = _session(
            row["User ID"],
            row["CP ID"],
            _day_first(row["Start Date"], row["Start Time"]),
            _day_first(row["End Date"], row["End Time"]),
            row.get("Total kWh"),
        )
        _keep(found, session)
    return found


def pick_site(sites: Counter[str], wanted: str | None) -> str:
    """The site asked for (exact or a unique part of its name), else the busiest one."""
    if not sites:
        raise Invalid("the file names no site")
    if wanted is None:
        return sites.most_common(1)[0][0]
    exact = [s for s in sites if s.lower() == wanted.lower()]
    partial = [s for s in sites if wanted.lower() in s.lower()]
    matches = exact or partial
    if len(matches) != 1:
        listed = "; ".join(matches or list(sites))
        raise Invalid(f"--site {wanted!r} must name exactly one site; candidates: {listed}")
    return matches[0]


def _keep(found: SessionFile, session: Session | None) -> None:
    if session is None or session.dwell <= timedelta(0):
        found.skipped += 1
        return
    found.sessions.append(session)


def _session(
    user: str, charger: str, start: datetime | None, end: datetime | None, kwh: str | None
) -> Session | None:
    if not user.strip() or start is None or end is None:
        return None
    return Session(user.strip(), charger.strip(), start, end, _number(kwh))


def _iso_local(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=LONDON)


def _day_first(day: str, clock: str) -> datetime | None:
    try:
        moment = datetime.strptime(f"{day.strip()} {clock.strip()}", "%d/%m/%Y %H:%M")
    except ValueError:
        return None
    return moment.replace(tzinfo=LONDON)


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def within(sessions: list[Session], first_day: date | None, days: float | None) -> list[Session]:
    """The sessions plugged in from local midnight of `first_day`, for `days` days."""
    if not sessions:
        return []
    start = (
        datetime.combine(first_day, time(0), tzinfo=LONDON) if first_day else sessions[0].plug_in
    )
    end = start + timedelta(days=days) if days is not None else None
    return [s for s in sessions if s.plug_in >= start and (end is None or s.plug_in < end)]


def vehicle_keys(sessions: list[Session], gap: timedelta = timedelta(0)) -> list[str]:
    """A vehicle per user; a user plugged in twice at once (a shared card) gets a second one.

    A vehicle is taken until `gap` after its plug-out, so that each has one session at a time.
    """
    busy_until: dict[str, list[datetime]] = {}
    keys = []
    for session in sessions:
        slots = busy_until.setdefault(session.user_id, [])
        free = session.plug_in - gap
        slot = next((n for n, end in enumerate(slots) if end <= free), len(slots))
        if slot == len(slots):
            slots.append(session.plug_out)
        else:
            slots[slot] = session.plug_out
        keys.append(session.user_id if slot == 0 else f"{session.user_id}~{slot + 1}")
    return keys


def charger_count(sessions: list[Session]) -> int:
    return len({s.charger for s in sessions})
