"""The queue-quality benchmark's parts on tiny cases whose answers are known by hand."""

from __future__ import annotations

import random

import asyncpg
import pytest
from bench import queue_replay
from bench.queue_quality import Session, fcfs_starts

# One stall: a long stay, then two short ones that queue behind it.
QUEUE = [Session("a", 0, 10), Session("b", 2, 5), Session("c", 3, 1)]


def test_fcfs_serves_in_arrival_order_on_the_stall_that_frees_first() -> None:
    assert fcfs_starts(QUEUE, 1) == [0, 10, 15]
    assert fcfs_starts(QUEUE, 2) == [0, 2, 7]


def test_stretches_cut_where_every_stall_is_idle_and_nobody_waits() -> None:
    from bench.queue_optimum import stretches

    sessions = [*QUEUE, Session("d", 15, 3), Session("e", 40, 2)]
    assert stretches(sessions, fcfs_starts(sessions, 1)) == [range(0, 4), range(4, 5)]


def test_the_optimum_serves_short_stays_first_and_proves_it() -> None:
    pytest.importorskip("ortools")
    from bench.queue_optimum import solve

    best = solve(QUEUE, 1, 10.0, fcfs_starts(QUEUE, 1))

    # Keeping the stall free for c (3-4), then b (4-9), then a (9-19) costs 11 minutes in all,
    # against 20 for first come, first served.
    assert best.proven
    assert best.total_wait == min(_total(QUEUE, order) for order in _orders())
    assert best.total_wait == 11


def test_the_optimum_fits_on_the_stalls_and_lies_between_its_bound_and_fcfs() -> None:
    pytest.importorskip("ortools")
    from bench.queue_optimum import solve

    rng = random.Random(2)
    arrivals = sorted(rng.randrange(0, 1500) for _ in range(40))
    sessions = [Session(f"u{n}", a, rng.randrange(5, 60)) for n, a in enumerate(arrivals)]
    # One stay far longer than the rest, as the real week has: its stretch's best schedule holds
    # it back into later stretches, which must be solved again around it.
    sessions[5] = Session("long", sessions[5].arrival, 400)
    fcfs = fcfs_starts(sessions, 2)

    best = solve(sessions, 2, 2.0, fcfs)

    assert best.collisions > 0
    assert all(start >= s.arrival for start, s in zip(best.starts, sessions, strict=True))
    assert _most_at_once(sessions, best.starts) <= 2
    fcfs_wait = sum(f - s.arrival for f, s in zip(fcfs, sessions, strict=True))
    assert best.bound <= best.total_wait <= fcfs_wait


def _most_at_once(sessions: list[Session], starts: list[int]) -> int:
    ends = [(start + s.service, -1) for start, s in zip(starts, sessions, strict=True)]
    moments = sorted([(start, 1) for start in starts] + ends)
    taken = most = 0
    for _, change in moments:
        taken += change
        most = max(most, taken)
    return most


def _orders() -> list[list[int]]:
    from itertools import permutations

    return [list(p) for p in permutations(range(len(QUEUE)))]


def _total(sessions: list[Session], order: list[int]) -> int:
    """Total wait on one stall when the sessions take it in `order`, each as early as it can."""
    free, total = 0, 0
    for n in order:
        start = max(free, sessions[n].arrival)
        total += start - sessions[n].arrival
        free = start + sessions[n].service
    return total


async def test_the_engine_replays_a_queue_as_fcfs_when_no_estimate_is_short(db_dsn: str) -> None:
    result = await queue_replay.replay(db_dsn, QUEUE, 1, estimate_min=20)

    assert result.waits == [0.0, 8.0, 12.0]
    assert (result.conflicts, result.overruns, result.unserved) == (0, 0, 0)


async def test_stays_stated_in_the_requests_become_the_windows(db_dsn: str) -> None:
    result = await queue_replay.replay(db_dsn, QUEUE, 1, estimate_min=20, told=True)

    assert result.waits == [0.0, 8.0, 12.0]
    conn = await asyncpg.connect(db_dsn)
    try:
        lengths = await conn.fetch("SELECT duration_seconds FROM ottoq_jobs ORDER BY created_at")
    finally:
        await conn.close()
    assert [r[0] / 60 for r in lengths] == [10, 5, 1]


async def test_a_stay_past_the_estimate_blocks_the_next_vehicle(db_dsn: str) -> None:
    result = await queue_replay.replay(db_dsn, QUEUE[:2], 1, estimate_min=6)

    # The engine ends a's job at minute 6 and starts b there, but a leaves only at 10.
    assert result.believed_waits == [0.0, 4.0]
    assert result.waits == [0.0, 8.0]
    assert (result.conflicts, result.overruns) == (1, 2)
