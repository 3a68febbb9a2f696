"""`postgres_changes` bindings: what a channel asked for, its id, and which changes match.

Filters use PostgREST's syntax (`depot_id=eq.<id>`, `status=in.(BUSY,RESERVED)`); several
conditions joined by commas must all hold. A change matches on its new row, a DELETE on its old.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import msgspec

from ottoq.realtime.changes import PUBLISHED_TABLES, RowChange

EVENTS = frozenset({"*", "INSERT", "UPDATE", "DELETE"})
OPERATORS = frozenset({"eq", "neq", "lt", "lte", "gt", "gte", "in", "is"})
# Supabase's clients treat id 0 as "no binding", so ids live in 1..2**27-1 like phash2's.
_ID_RANGE = 2**27 - 1
_CONDITION = re.compile(
    r"^(?P<column>[A-Za-z_][A-Za-z0-9_]*)=(?P<negate>not\.)?(?P<op>[a-z]+)\.(?P<value>.*)$"
)


class BindingError(ValueError):
    """A binding the server cannot honour; the join is refused with this reason."""


@dataclass(frozen=True)
class Condition:
    column: str
    op: str
    value: str | tuple[str, ...]
    negate: bool = False

    def holds(self, row: dict[str, Any]) -> bool:
        if self.column not in row:
            return False
        return _compare(self.op, row[self.column], self.value) != self.negate


@dataclass(frozen=True)
class Binding:
    id: int
    event: str
    tables: frozenset[str]
    conditions: tuple[Condition, ...]
    # What the client sent, echoed back with the id: both clients compare it field by field.
    requested: dict[str, Any]
    # Equal keys match the same changes, so their subscribers can share one encoded frame.
    key: tuple[Any, ...] = ()

    def matches(self, change: RowChange) -> bool:
        if change.table not in self.tables:
            return False
        if self.event != "*" and self.event != change.type:
            return False
        row = change.old_record if change.type == "DELETE" else change.record
        return all(c.holds(row) for c in self.conditions)

    def echo(self) -> dict[str, Any]:
        return {**self.requested, "id": self.id}


def parse_bindings(raw: Any) -> list[Binding]:
    """The join's `postgres_changes` list, in the client's order."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise BindingError("postgres_changes must be a list")
    return [parse_binding(item) for item in raw]


def parse_binding(raw: Any) -> Binding:
    if not isinstance(raw, dict):
        raise BindingError("each postgres_changes binding must be an object")
    event = str(raw.get("event", "*")).upper()
    if event not in EVENTS:
        raise BindingError(f"event must be one of {', '.join(sorted(EVENTS))}, not {event!r}")
    return Binding(
        id=binding_id(raw),
        event=event,
        tables=_tables(raw.get("schema"), raw.get("table")),
        conditions=parse_filter(raw.get("filter")),
        requested=dict(raw),
        key=(event, raw.get("schema"), raw.get("table"), raw.get("filter")),
    )


def binding_id(raw: dict[str, Any]) -> int:
    """A stable, non-zero id: the same binding gets the same id in every process."""
    key = [raw.get("event"), raw.get("schema"), raw.get("table"), raw.get("filter")]
    return zlib.crc32(msgspec.json.encode(key)) % _ID_RANGE + 1


def _tables(schema: Any, table: Any) -> frozenset[str]:
    if schema not in (None, "", "public", "*"):
        raise BindingError(f"only the public schema is published, not {schema!r}")
    if table in (None, "", "*"):
        return frozenset(PUBLISHED_TABLES)
    if table not in PUBLISHED_TABLES:
        raise BindingError(f"{table!r} is not published; tables: {', '.join(PUBLISHED_TABLES)}")
    return frozenset({table})


def parse_filter(text: Any) -> tuple[Condition, ...]:
    if text in (None, ""):
        return ()
    if not isinstance(text, str):
        raise BindingError("filter must be a string such as depot_id=eq.<id>")
    return tuple(_condition(part) for part in _split_top_level(text))


def _condition(part: str) -> Condition:
    found = _CONDITION.match(part.strip())
    if found is None or found["op"] not in OPERATORS:
        raise BindingError(
            f"filter {part!r} is not column=op.value with op one of {', '.join(sorted(OPERATORS))}"
        )
    value: str | tuple[str, ...] = _canonical(found["value"])
    if found["op"] == "in":
        value = tuple(_canonical(item) for item in _in_list(found["value"]))
    return Condition(found["column"], found["op"], value, negate=bool(found["negate"]))


def _in_list(text: str) -> tuple[str, ...]:
    if not (text.startswith("(") and text.endswith(")")):
        raise BindingError(f"an in filter lists its values in parentheses, not {text!r}")
    return tuple(item.strip().strip('"') for item in text[1:-1].split(",") if item.strip())


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside parentheses, so `a=in.(1,2),b=eq.3` is two conditions."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _compare(op: str, actual: Any, wanted: str | tuple[str, ...]) -> bool:
    if op == "is":
        return _is(actual, str(wanted))
    if op == "in":
        return any(_order(actual, item) == 0 for item in wanted)
    if actual is None:
        return False
    order = _order(actual, str(wanted))
    if order is None:
        return op == "neq"
    return {
        "eq": order == 0,
        "neq": order != 0,
        "lt": order < 0,
        "lte": order <= 0,
        "gt": order > 0,
        "gte": order >= 0,
    }[op]


def _is(actual: Any, wanted: str) -> bool:
    lowered = wanted.lower()
    if lowered == "null":
        return actual is None
    if lowered in ("true", "false"):
        return actual is (lowered == "true")
    return False


def _order(actual: Any, wanted: str) -> int | None:
    """-1, 0 or 1 comparing a row value with a filter's text; None when they cannot compare."""
    if actual is None:
        return None
    if isinstance(actual, bool):
        return _sign(int(actual) - int(wanted.lower() == "true"))
    if isinstance(actual, int | float):
        try:
            return _sign(actual - float(wanted))
        except ValueError:
            return None
    if isinstance(actual, dict | list):
        return 0 if msgspec.json.encode(actual).decode() == wanted else 1
    return _order_text(str(actual), wanted)


def _order_text(actual: str, wanted: str) -> int:
    return _sign((actual > wanted) - (actual < wanted))


def _canonical(value: str) -> str:
    """A uuid in the lower-case form rows carry, so that uuids compare as plain text."""
    try:
        return str(UUID(value))
    except ValueError:
        return value


def _sign(value: float) -> int:
    return (value > 0) - (value < 0)
