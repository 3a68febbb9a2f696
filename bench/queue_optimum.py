"""The offline optimum: least total wait with every arrival and dwell known in advance (CP-SAT).

One CP-SAT model of the whole week finds poor schedules and a weak bound in a minute, so the week
is cut where first-come-first-served leaves every stall idle with nobody waiting, and each busy
stretch is solved on its own. Any schedule of the week, looked at one stretch at a time, is a
schedule of that stretch alone, so the stretches' proven bounds add up to a lower bound for the
week. The stretches' schedules usually fit together as they are; where one reaches into the next
stretch and collides with it, the later stretch is solved again around what is already there.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.queue_quality import Session

# CP-SAT's portfolio of strategies: eight workers find far better bounds than two, even on the
# two cores the machine has, so the solver is given eight and the wall-clock limit stays as set.
WORKERS = 8


@dataclass
class Optimum:
    starts: list[int]
    total_wait: int = 0
    bound: float = 0.0
    proven: bool = False
    stretches: int = 0
    unproven_stretches: int = 0
    spills: int = 0
    seconds: float = 0.0

    @property
    def gap(self) -> float:
        """Share of the schedule's total wait that the bound does not yet vouch for."""
        return 0.0 if self.total_wait == 0 else 1 - self.bound / self.total_wait


def stretches(sessions: list[Session], fcfs: list[int]) -> list[range]:
    """Index ranges of sessions between moments when FCFS has every stall idle and none waiting."""
    cuts, busy_until, first = [], 0, 0
    for n, (session, start) in enumerate(zip(sessions, fcfs, strict=True)):
        if n and session.arrival >= busy_until:
            cuts.append(range(first, n))
            first = n
        busy_until = max(busy_until, start + session.service)
    cuts.append(range(first, len(sessions)))
    return cuts


def solve(sessions: list[Session], stalls: int, limit_s: float, fcfs: list[int]) -> Optimum:
    """Solve stretch by stretch within about `limit_s` in all, FCFS as the starting schedule."""
    began = time.perf_counter()
    best = Optimum(starts=list(fcfs))
    parts = [p for p in stretches(sessions, fcfs) if _waits(sessions, fcfs, p)]
    best.stretches = len(parts)
    # Stretches where nobody waits under FCFS are already optimal and cost nothing.
    todo = sum(len(p) for p in parts)
    for part in parts:
        budget = (limit_s - (time.perf_counter() - began)) * len(part) / todo
        todo -= len(part)
        proven, bound = _solve_stretch(sessions, stalls, part, [], max(budget, 0.5), best)
        best.bound += bound
        best.unproven_stretches += not proven

    for part in parts:
        spill = _running_at(sessions, best.starts, sessions[part.start].arrival, part.start)
        if spill and not _fits(sessions, best.starts, part, spill, stalls):
            best.spills += 1
            _solve_stretch(sessions, stalls, part, spill, 2.0, best)
    best.total_wait = sum(best.starts[n] - s.arrival for n, s in enumerate(sessions))
    best.proven = best.total_wait <= best.bound + 1e-6
    best.seconds = time.perf_counter() - began
    return best


def _waits(sessions: list[Session], starts: list[int], part: range) -> int:
    return sum(starts[n] - sessions[n].arrival for n in part)


def _running_at(
    sessions: list[Session], starts: list[int], moment: int, before: int
) -> list[tuple[int, int]]:
    """(start, length) of earlier sessions still on a stall at `moment`."""
    return [
        (starts[n], sessions[n].service)
        for n in range(before)
        if starts[n] + sessions[n].service > moment
    ]


def _fits(
    sessions: list[Session],
    starts: list[int],
    part: range,
    spill: list[tuple[int, int]],
    stalls: int,
) -> bool:
    """No moment has more than `stalls` of the stretch's and the spilled sessions on a stall."""
    stays = [(starts[n], sessions[n].service) for n in part] + spill
    # At one minute an ending stay frees its stall before a starting one takes it.
    moments = sorted([(a, 1) for a, _ in stays] + [(a + length, -1) for a, length in stays])
    taken = 0
    for _, change in moments:
        taken += change
        if taken > stalls:
            return False
    return True


def _solve_stretch(
    sessions: list[Session],
    stalls: int,
    part: range,
    spill: list[tuple[int, int]],
    limit_s: float,
    best: Optimum,
) -> tuple[bool, float]:
    """Write the stretch's best schedule into `best`; (proved optimal, proven bound)."""
    from ortools.sat.python import cp_model

    chunk = [sessions[n] for n in part]
    model = cp_model.CpModel()
    horizon = max(s.arrival for s in chunk) + sum(s.service for s in chunk)
    horizon += sum(length for _, length in spill)
    starts = [model.new_int_var(sessions[n].arrival, horizon, f"start{n}") for n in part]
    stays = [
        model.new_fixed_size_interval_var(start, s.service, f"stay{n}")
        for n, start, s in zip(part, starts, chunk, strict=True)
    ]
    stays += [model.new_fixed_size_interval_var(a, length, "spill") for a, length in spill]
    # Unit demands under capacity K: any such schedule can be laid out on K identical stalls.
    model.add_cumulative(stays, [1] * len(stays), stalls)
    model.minimize(sum(starts) - sum(s.arrival for s in chunk))
    for n, start in zip(part, starts, strict=True):
        model.add_hint(start, best.starts[n])

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = limit_s
    solver.parameters.num_workers = WORKERS
    solver.parameters.random_seed = 1
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError(f"CP-SAT found no schedule: {solver.status_name(status)}")
    for n, start in zip(part, starts, strict=True):
        best.starts[n] = solver.value(start)
    return status == cp_model.OPTIMAL, solver.best_objective_bound
