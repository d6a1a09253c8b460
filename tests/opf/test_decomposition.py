"""The Benders price–quantity exchange (tdcoord.opf.decomposition) on a one-dimensional toy."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
import scipy.sparse as sp

from tdcoord.opf.decomposition import (
    Cut,
    MasterStep,
    SubproblemStep,
    exchange,
    gap_below,
    relative_gap,
)
from tdcoord.opf.lp import LpBuilder, solve

PIECES = ((-2.0, 10.0), (0.5, -2.5), (0.0, 0.0))  # V(x) = max(a x + b): convex, kinks at 4, 5


def value(x: float) -> tuple[float, float]:
    """V(x) and a subgradient."""
    a, b = max(PIECES, key=lambda p: p[0] * x + p[1])
    return a * x + b, a


def master(cuts: Sequence[Cut]) -> MasterStep[int]:
    """min x + θ, 0 ≤ x ≤ 10, θ ≥ −100, every cut θ − g x ≥ V − g x̂."""
    b = LpBuilder()
    x = b.add_columns("x", 1, 0.0, 10.0, 1.0)
    th = b.add_columns("theta", 1, -100.0, np.inf, 1.0)
    for k, c in enumerate(cuts):
        blocks = [(x, sp.csr_matrix([[-float(c.slope[0])]])), (th, sp.csr_matrix([[1.0]]))]
        b.add_rows(f"cut{k}", blocks, float(c.intercept[0]), np.inf)
    sol = solve(b.build())
    return MasterStep(sol.ok, sol.objective, sol.x[x], float(sol.x[x][0]), len(cuts))


def subproblem(x_hat: np.ndarray) -> SubproblemStep[None]:
    v, g = value(float(x_hat[0]))
    return SubproblemStep(True, np.array([v]), np.array([g]), None)


def test_exchange_converges_to_the_optimum() -> None:
    run = exchange(master, subproblem, gap_tol=1e-9, max_rounds=20)
    assert run.status == "converged"
    assert run.upper_bound == pytest.approx(5.0)
    assert run.lower_bound == pytest.approx(5.0)
    assert run.master is not None
    assert float(run.master.proposal[0]) == pytest.approx(5.0)
    assert run.best is not None and run.best_upper_bound == pytest.approx(5.0)
    assert len(run.cuts) == run.rounds - 1  # one cut per unconverged round


def test_initial_cuts_are_seen_by_the_first_master() -> None:
    seen: list[int] = []

    def spy(cuts: Sequence[Cut]) -> MasterStep[int]:
        seen.append(len(cuts))
        return master(cuts)

    first = Cut(np.array([4.5]), *map(np.array, ([value(4.5)[0]], [value(4.5)[1]])))
    run = exchange(spy, subproblem, gap_tol=1e-9, initial_cuts=[first])
    assert seen[0] == 1 and run.status == "converged"


def test_stops_on_master_failure_and_max_rounds() -> None:
    def failing(cuts: Sequence[Cut]) -> MasterStep[None]:
        return MasterStep(False, float("nan"), np.zeros(1), float("nan"), None)

    run = exchange(failing, subproblem)
    assert run.status == "master_failed" and run.rounds == 1 and run.gap == np.inf
    capped = exchange(master, subproblem, gap_tol=0.0, max_rounds=1)
    assert capped.status == "max_rounds" and capped.rounds == 1


def test_custom_convergence_test_gets_the_best_upper_bound() -> None:
    calls: list[tuple[float, float, float]] = []

    def test(lower: float, upper: float, best: float) -> bool:
        calls.append((lower, upper, best))
        return gap_below(1e-9)(lower, best, best)

    run = exchange(master, subproblem, converged=test)
    assert run.status == "converged"
    assert all(best <= up for _, up, best in calls)
    assert relative_gap(1.0, 2.0) == pytest.approx(0.5)
