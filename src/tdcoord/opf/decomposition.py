"""Benders decomposition as a price–quantity exchange: one loop for every master/subproblem split.

Math (Benders 1962; Geoffrion 1972; Conejo et al., *Decomposition Techniques in Mathematical
Programming*, 2006, ch. 3). A problem ``min_x c(x) + Σ_s V_s(x_s)`` whose subproblem values
``V_s`` are convex in the quantities ``x_s`` that link them to the master (an LP value function in
its right-hand side is convex and piecewise linear) equals the master

.. math::

    \\min_{x, \\theta}\\; c(x) + \\sum_s \\theta_s \\quad\\text{s.t.}\\quad
    \\theta_s \\ge V_s(\\hat x^k_s) + g^k_s\\,(x_s - \\hat x^k_s) \\quad \\forall k,

with :math:`g^k_s \\in \\partial V_s(\\hat x^k_s)` (the subproblem's dual price of the linking
quantity). One cut per subproblem entry and round ("multi-cut"). Each round:

1. the master, with every cut so far, proposes quantities :math:`\\hat x` and gives the lower
   bound LB (its objective) and its own cost :math:`c(\\hat x)`;
2. the subproblems, with :math:`\\hat x` fixed, return their values :math:`V_s(\\hat x_s)` and
   prices :math:`g_s` — the upper bound UB = :math:`c(\\hat x) + \\sum_s V_s(\\hat x_s)` and one new
   cut per entry;
3. stop when the convergence test holds (default: ``(UB − LB) / max(1, |UB|) ≤ gap_tol``),
   else add the cuts and go to 1.

Only prices and quantities cross the boundary, so the same loop is the TSO–DSO exchange of a
decentralised market (``coordination/schemes/common``) and the decomposed joint T+D OPF
(:mod:`tdcoord.opf.joint.benders`). The callbacks own their solvers: :func:`exchange` only holds
the cuts and the bounds.

API::

    run = exchange(master, subproblems, gap_tol=1e-5, max_rounds=50, initial_cuts=cuts0)

* ``master(cuts) -> MasterStep`` — solve with every cut in ``cuts`` (the full, ordered list; a
  warm master adds only those it has not seen, e.g. ``cuts[n_seen:]``);
* ``subproblems(proposal) -> SubproblemStep`` — evaluate at the proposal;
* :class:`Cut` — ``θ ≥ value + slope·(x − point)`` entry-wise (arrays of one shape, e.g.
  subproblems × periods);
* :class:`ExchangeRun` — status, rounds, bounds, gap, the last and the best steps, the cuts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Generic, Literal, TypeVar

import numpy as np

from tdcoord.types import FloatArray

M = TypeVar("M")
S = TypeVar("S")

ExchangeStatus = Literal["converged", "max_rounds", "master_failed", "subproblem_failed"]


@dataclasses.dataclass(frozen=True, eq=False)
class Cut:
    """The cut ``θ ≥ value + slope · (x − point)``, entry by entry (arrays of one shape)."""

    point: FloatArray
    value: FloatArray
    slope: FloatArray

    @property
    def intercept(self) -> FloatArray:
        """``value − slope · point``: the cut reads ``θ − slope · x ≥ intercept``."""
        return np.asarray(self.value - self.slope * self.point, dtype=np.float64)


@dataclasses.dataclass(frozen=True, eq=False)
class MasterStep(Generic[M]):
    """One master solve: ``ok`` (else the exchange stops), the lower bound (master objective),
    the proposed quantities, the master's own cost without the θ terms, and any payload."""

    ok: bool
    lower_bound: float
    proposal: FloatArray
    own_cost: float
    payload: M


@dataclasses.dataclass(frozen=True, eq=False)
class SubproblemStep(Generic[S]):
    """The subproblems at a proposal: ``ok``, their values and prices (the cut data; the same
    shape as the proposal), and any payload."""

    ok: bool
    value: FloatArray
    slope: FloatArray
    payload: S


@dataclasses.dataclass(frozen=True, eq=False)
class ExchangeRun(Generic[M, S]):
    """Outcome of :func:`exchange`.

    ``upper_bound`` is the last round's (``best_upper_bound`` the lowest seen); ``gap`` is
    ``(UB − LB) / max(1, |UB|)`` of the last round (``inf`` before any subproblem answer).
    ``best`` holds the master and subproblem steps of the round with the lowest upper bound.
    """

    status: ExchangeStatus
    rounds: int
    lower_bound: float
    upper_bound: float
    best_upper_bound: float
    gap: float
    master: MasterStep[M] | None
    subproblems: SubproblemStep[S] | None
    best: tuple[MasterStep[M], SubproblemStep[S]] | None
    cuts: tuple[Cut, ...]


def relative_gap(lower: float, upper: float) -> float:
    """``(upper − lower) / max(1, |upper|)``."""
    return (upper - lower) / max(1.0, abs(upper))


Converged = Callable[[float, float, float], bool]
"""A convergence test ``(lower, upper, best_upper) -> bool`` (bounds of the current round)."""


def gap_below(gap_tol: float) -> Converged:
    """The default convergence test: :func:`relative_gap` of this round's bounds ≤ ``gap_tol``."""

    def test(lower: float, upper: float, best_upper: float) -> bool:
        return relative_gap(lower, upper) <= gap_tol

    return test


def exchange(
    master: Callable[[Sequence[Cut]], MasterStep[M]],
    subproblems: Callable[[FloatArray], SubproblemStep[S]],
    *,
    gap_tol: float = 1e-5,
    max_rounds: int = 50,
    initial_cuts: Sequence[Cut] = (),
    converged: Converged | None = None,
) -> ExchangeRun[M, S]:
    """Run the Benders price–quantity exchange (module docstring) for at most ``max_rounds``.

    ``converged(lower, upper, best_upper)`` replaces the default :func:`gap_below` test (e.g.
    ``lambda lo, up, best: best - lo <= tol * max(1, abs(best))`` to test the best upper bound).
    The loop stops at the first master or subproblem failure.
    """
    test = converged if converged is not None else gap_below(gap_tol)
    cuts: list[Cut] = list(initial_cuts)
    status: ExchangeStatus = "max_rounds"
    rounds = 0
    lower = -np.inf
    upper = best_upper = gap = np.inf
    m_step: MasterStep[M] | None = None
    s_step: SubproblemStep[S] | None = None
    best: tuple[MasterStep[M], SubproblemStep[S]] | None = None
    while rounds < max_rounds:
        rounds += 1
        m_step = master(tuple(cuts))
        if not m_step.ok:
            status = "master_failed"
            break
        lower = m_step.lower_bound
        s_step = subproblems(m_step.proposal)
        if not s_step.ok:
            status = "subproblem_failed"
            break
        upper = m_step.own_cost + float(s_step.value.sum())
        if upper < best_upper:
            best_upper, best = upper, (m_step, s_step)
        gap = relative_gap(lower, upper)
        if test(lower, upper, best_upper):
            status = "converged"
            break
        cuts.append(Cut(m_step.proposal, s_step.value, s_step.slope))
    return ExchangeRun(
        status=status,
        rounds=rounds,
        lower_bound=lower,
        upper_bound=upper,
        best_upper_bound=best_upper,
        gap=gap,
        master=m_step,
        subproblems=s_step,
        best=best,
        cuts=tuple(cuts),
    )
