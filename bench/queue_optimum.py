"""The offline optimum: least total wait with every arrival and dwell known in advance.

One CP-SAT model of the whole week finds poor schedules and a weak bound in a minute, so the week
is cut where first-come-first-served leaves every stall idle with nobody waiting, and each busy
stretch is first solved on its own with CP-SAT. A stretch's best schedule may hold a long stay
back past the next cut (the week's 15-hour stay waits for the short ones); every later stretch
it then collides with is solved again around it, so that the schedules fit together. (Making
such a stretch finish by the cut instead, or joining the stretches into one model, both did
worse within the same time.)

Any schedule of the week, looked at one stretch at a time, is a schedule of that stretch alone,
so lower bounds for the stretches alone add up to a lower bound for the week. A stretch's bound
is CP-SAT's own where it proved its schedule optimal, else the better of that and a time-indexed
linear relaxation (GLOP), which is far tighter on the long stretches where CP-SAT's bound stalls.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.queue_quality import Session

# CP-SAT's portfolio of strategies: eight workers find far better bounds than two, even on the
# two cores the machine has, so the solver is given eight and the wall-clock limit stays as set.
# The price is a schedule that varies from run to run. Deterministic search (work units, workers
# taking turns) repeats exactly but took twice the time here for a schedule 10-15 % worse.
WORKERS = 8
# Share of the time limit for solving stretches on their own; the rest re-solves collisions.
ALONE_SHARE = 0.6


@dataclass
class Stretch:
    part: range
    bound: float = 0.0
    proven: bool = False
    # Total wait of the best schedule of this stretch on its own.
    alone: int = 0


@dataclass
class Optimum:
    starts: list[int]
    total_wait: int = 0
    bound: int = 0
    stretches: int = 0
    unproven: int = 0
    # Stretches solved again around a stay that an earlier one's schedule ran into them.
    collisions: int = 0
    solve_s: float = 0.0
    relax_s: float = 0.0

    @property
    def proven(self) -> bool:
        return self.total_wait <= self.bound

    @property
    def gap(self) -> float:
        """Share of the schedule's total wait that the bound does not vouch for."""
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
    """The best schedule CP-SAT finds within about `limit_s`, FCFS to start from, and its bound."""
    began = time.perf_counter()
    best = Optimum(starts=list(fcfs))
    every = [Stretch(p) for p in stretches(sessions, fcfs)]
    # Stretches where nobody waits under FCFS are optimal as they are.
    busy = [s for s in every if _waits(sessions, fcfs, s.part)]
    left = sum(len(s.part) for s in busy)
    for stretch in busy:
        budget = (began + limit_s * ALONE_SHARE - time.perf_counter()) * len(stretch.part) / left
        left -= len(stretch.part)
        _cp_solve(sessions, stalls, stretch, best, budget)
        stretch.alone = _waits(sessions, best.starts, stretch.part)
    _fit_together(sessions, stalls, every, best, began + limit_s)
    if _waits(sessions, best.starts, range(len(sessions))) > _waits(
        sessions, fcfs, range(len(fcfs))
    ):
        # Collisions can cost more than holding the long stay back saved: FCFS is feasible too.
        best.starts = list(fcfs)
    best.solve_s = time.perf_counter() - began

    for stretch in busy:
        if not stretch.proven:
            relaxed = _relaxation_bound(sessions, stalls, stretch.part, stretch.alone)
            stretch.bound = max(stretch.bound, relaxed)
        best.bound += math.ceil(stretch.bound - 1e-6)
    best.relax_s = time.perf_counter() - began - best.solve_s
    best.total_wait = _waits(sessions, best.starts, range(len(sessions)))
    best.stretches = len(busy)
    best.unproven = sum(not s.proven for s in busy)
    return best


def _waits(sessions: list[Session], starts: list[int], part: range) -> int:
    return sum(starts[n] - sessions[n].arrival for n in part)


def _fit_together(
    sessions: list[Session], stalls: int, every: list[Stretch], best: Optimum, deadline: float
) -> None:
    """Solve again, in time order, each stretch that collides with stays from earlier ones."""
    for stretch in every[1:]:
        held = _running_at(sessions, best.starts, stretch.part.start)
        if held and not _fits(sessions, best.starts, stretch.part, held, stalls):
            best.collisions += 1
            # Half of what is left: the first collisions, with the longest stays, matter most.
            budget = max(1.0, (deadline - time.perf_counter()) / 2)
            _cp_solve(sessions, stalls, Stretch(stretch.part), best, budget, held)


def _running_at(sessions: list[Session], starts: list[int], before: int) -> list[int]:
    """Sessions before index `before` still on a stall when session `before` arrives."""
    moment = sessions[before].arrival
    return [n for n in range(before) if starts[n] + sessions[n].service > moment]


def _fits(
    sessions: list[Session], starts: list[int], part: range, held: list[int], stalls: int
) -> bool:
    """No moment has more than `stalls` of the stretch's and the held sessions on a stall."""
    stays = [(starts[n], sessions[n].service) for n in [*held, *part]]
    # At one minute an ending stay frees its stall before a starting one takes it.
    moments = sorted([(a, 1) for a, _ in stays] + [(a + length, -1) for a, length in stays])
    taken = 0
    for _, change in moments:
        taken += change
        if taken > stalls:
            return False
    return True


def _cp_solve(
    sessions: list[Session],
    stalls: int,
    stretch: Stretch,
    best: Optimum,
    limit_s: float,
    held: list[int] | None = None,
) -> None:
    """Write CP-SAT's best schedule for the stretch into `best`, around the `held` sessions."""
    from ortools.sat.python import cp_model

    part, held = stretch.part, held or []
    model = cp_model.CpModel()
    horizon = max(sessions[n].arrival for n in part)
    horizon += sum(sessions[n].service for n in [*part, *held])
    starts = {n: model.new_int_var(sessions[n].arrival, horizon, f"start{n}") for n in part}
    stays = [
        model.new_fixed_size_interval_var(starts[n], sessions[n].service, f"stay{n}") for n in part
    ]
    stays += [
        model.new_fixed_size_interval_var(best.starts[n], sessions[n].service, f"held{n}")
        for n in held
    ]
    # Unit demands under capacity K: any such schedule can be laid out on K identical stalls.
    model.add_cumulative(stays, [1] * len(stays), stalls)
    model.minimize(sum(starts.values()) - sum(sessions[n].arrival for n in part))
    for n, start in starts.items():
        model.add_hint(start, best.starts[n])

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(limit_s, 0.5)
    solver.parameters.num_workers = WORKERS
    solver.parameters.random_seed = 1
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError(f"CP-SAT found no schedule: {solver.status_name(status)}")
    for n, start in starts.items():
        best.starts[n] = solver.value(start)
    if not held:
        # Around held sessions the bound is not one for the stretch alone.
        stretch.bound = solver.best_objective_bound
        stretch.proven = status == cp_model.OPTIMAL


def _relaxation_bound(sessions: list[Session], stalls: int, part: range, width: int) -> float:
    """Time-indexed LP bound on the stretch's least total wait; 0 when GLOP gives up.

    x[j][k] is the share of session j that starts k minutes after its arrival. No session of an
    optimal schedule waits longer than `width`, the total wait of a schedule of the stretch alone.
    """
    from ortools.linear_solver import pywraplp

    lp = pywraplp.Solver.CreateSolver("GLOP")
    lp.SetTimeLimit(60_000)
    objective = lp.Objective()
    running: dict[int, list[Any]] = {}
    for n in part:
        arrival, length = sessions[n].arrival, sessions[n].service
        once = lp.RowConstraint(1, 1, "")
        for k in range(width + 1):
            share = lp.NumVar(0, 1, "")
            once.SetCoefficient(share, 1)
            objective.SetCoefficient(share, k)
            for minute in range(arrival + k, arrival + k + length):
                running.setdefault(minute, []).append(share)
    for shares in running.values():
        if len(shares) > stalls:
            row = lp.RowConstraint(0, stalls, "")
            for share in shares:
                row.SetCoefficient(share, 1)
    objective.SetMinimization()
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return 0.0
    return float(objective.Value())
