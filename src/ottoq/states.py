"""The three state machines, written once as data and used by the SQL guards and the tests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Machine:
    name: str
    transitions: dict[str, frozenset[str]]

    @property
    def states(self) -> frozenset[str]:
        return frozenset(self.transitions)

    def allows(self, current: str, target: str) -> bool:
        return target in self.transitions.get(current, frozenset())

    def sources(self, target: str) -> list[str]:
        """The states a row may be in for a move to `target` to be legal."""
        return sorted(s for s, targets in self.transitions.items() if target in targets)

    def pairs(self) -> list[str]:
        """Every legal move as 'FROM>TO', the form SQL guards compare against."""
        return sorted(f"{s}>{t}" for s, targets in self.transitions.items() for t in targets)


def _machine(name: str, moves: dict[str, set[str]]) -> Machine:
    return Machine(name, {state: frozenset(targets) for state, targets in moves.items()})


JOB = _machine(
    "job",
    {
        "PENDING": {"SCHEDULED", "CANCELLED", "EXPIRED"},
        # SCHEDULED -> PENDING: the job was bumped from its window by an overrun and queues again.
        "SCHEDULED": {"ACTIVE", "CANCELLED", "EXPIRED", "PENDING"},
        "ACTIVE": {"COMPLETED", "CANCELLED"},
        "COMPLETED": set(),
        "CANCELLED": set(),
        "EXPIRED": set(),
    },
)

OPEN_JOB_STATES = ("PENDING", "SCHEDULED", "ACTIVE")
LIVE_JOB_STATES = ("SCHEDULED", "ACTIVE")

RESOURCE = _machine(
    "resource",
    {
        "AVAILABLE": {"RESERVED", "BUSY", "OUT_OF_SERVICE"},
        "RESERVED": {"AVAILABLE", "BUSY", "OUT_OF_SERVICE"},
        "BUSY": {"AVAILABLE", "RESERVED"},
        "OUT_OF_SERVICE": {"AVAILABLE"},
    },
)

VEHICLE = _machine(
    "vehicle",
    {
        "IDLE": {"ON_TRIP", "ENROUTE_DEPOT", "AT_DEPOT"},
        "ON_TRIP": {"IDLE", "ENROUTE_DEPOT", "AT_DEPOT"},
        # ENROUTE_DEPOT -> IN_SERVICE: fleets that report no arrivals start when the window opens.
        "ENROUTE_DEPOT": {"AT_DEPOT", "IN_SERVICE", "IDLE", "ON_TRIP"},
        "AT_DEPOT": {"IN_SERVICE", "ENROUTE_DEPOT", "IDLE", "ON_TRIP"},
        "IN_SERVICE": {"IDLE", "AT_DEPOT"},
    },
)

JOB_TYPE_RESOURCE = {
    "CHARGE": "CHARGE_STALL",
    "DETAILING": "CLEAN_DETAIL_STALL",
    "MAINTENANCE": "MAINTENANCE_BAY",
}
RESOURCE_TYPES = ("CHARGE_STALL", "CLEAN_DETAIL_STALL", "MAINTENANCE_BAY")
JOB_TYPES = tuple(JOB_TYPE_RESOURCE)
