"""Parametric LP in one right-hand-side parameter: the optimal-value function ``V(x)``.

For an LP with one column ``x`` whose bounds are the parameter,

.. math::

    V(x) = \\min_y \\{ c^\\top y : A y \\in [r^{lo}, r^{up}],\\;
                      l \\le y \\le u,\\; y_{col} = x \\}

is convex and piecewise linear on its feasible range ``[x_min, x_max]`` (the range ends are the
LPs ``min/max y_col``) and ``+∞`` outside. A solve at a fixed ``x`` gives ``V(x)`` and, as the
reduced cost of the fixed column, a subgradient ``g(x) ∈ ∂V(x)``: the supporting line
``L_x(z) = V(x) + g(x)(z − x)``.

Algorithm (:func:`value_function`; the "sandwich" form of the Eisner–Severance method,
Eisner & Severance 1976; Rote 1992): for an interval ``[a, b]`` with supporting lines
``L_a, L_b`` take their intersection ``m``; if ``V(m) = L_a(m)`` (to ``tol_eur``) then ``V`` is
linear on ``[a, m]`` and on ``[m, b]`` (a convex function between a chord and a supporting line
that coincide) and ``m`` is a breakpoint; otherwise the new line at ``m`` splits the interval in
two. Two distinct supporting lines of a convex function never share a slope, so every solve finds
a new piece and the recursion ends after at most ``2·(pieces) + 1`` solves. All solves reuse one
HiGHS object and its basis (:class:`ParametricLp`).

Used by the DSO's aggregated interface offer (:mod:`tdcoord.coordination.interface_offer`),
where ``x`` is a feeder's import from transmission.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import highspy
import numpy as np

from tdcoord.errors import OptimizationError
from tdcoord.opf.lp.builder import LinearProgram
from tdcoord.opf.lp.warm import WarmLp
from tdcoord.types import FloatArray

__all__ = [
    "ParametricLp",
    "ParametricLpError",
    "ValueFunction",
    "evaluate_end",
    "prune_breakpoints",
    "value_function",
]


class ParametricLpError(OptimizationError):
    """The parametric LP cannot be traced (infeasible inside its own range, or not closing)."""


class ParametricLp:
    """``x ↦ (V(x), g(x))`` and the feasible range on **one** warm HiGHS object.

    The object keeps the LP (``col`` = the parameter column, e.g. a feeder's ``p_root``) and its
    simplex basis alive: every evaluation changes only the bounds of ``col`` (fixed to ``x``),
    the two range LPs change only the cost vector (``±e_col``), and :meth:`load` swaps in
    another interval's data (costs, column and row bounds of an LP with the same matrix) — so
    every solve after the first restarts from the last optimal basis (dual simplex after a bound
    change, primal after a cost change) instead of from scratch. Presolve is off: it would
    discard the basis.

    The HiGHS object is created and configured by :class:`tdcoord.opf.lp.WarmLp`; the hot loop
    then talks to it directly (a few µs per call instead of a full ``LpSolution`` per solve).
    """

    def __init__(self, lp: LinearProgram, col: int) -> None:
        self.n_col = lp.n_col
        warm = WarmLp(lp, method="simplex", presolve=False)  # re-starts from a basis
        self._h = warm.highs
        self.col = int(col)
        self._col_idx = np.array([self.col], dtype=np.int32)
        self._all = np.arange(lp.n_col, dtype=np.int32)
        self.n_solves = 0
        inf = highspy.kHighsInf
        # the data HiGHS holds now (bounds clipped as tdcoord.opf.lp hands them over)
        self._state = {
            "cost": np.array(lp.cost, dtype=np.float64),
            "cl": np.clip(np.array(lp.col_lower, dtype=np.float64), -inf, inf),
            "cu": np.clip(np.array(lp.col_upper, dtype=np.float64), -inf, inf),
            "rl": np.clip(np.array(lp.row_lower, dtype=np.float64), -inf, inf),
            "ru": np.clip(np.array(lp.row_upper, dtype=np.float64), -inf, inf),
        }
        self._cost = self._state["cost"].copy()  # the true costs (the range LPs swap them)
        self._col_bounds = (float(self._state["cl"][col]), float(self._state["cu"][col]))
        self._costs_are_true = True

    def load(
        self,
        cost: FloatArray,
        col_lower: FloatArray,
        col_upper: FloatArray,
        row_lower: FloatArray,
        row_upper: FloatArray,
    ) -> None:
        """Replace the LP data (same matrix); only entries that differ are sent to HiGHS."""
        inf = highspy.kHighsInf
        st = self._state
        self._cost = np.array(cost, dtype=np.float64)
        if self._costs_are_true:
            self._set_costs(self._cost)
        cl = np.clip(np.asarray(col_lower, dtype=np.float64), -inf, inf)
        cu = np.clip(np.asarray(col_upper, dtype=np.float64), -inf, inf)
        self._col_bounds = (float(cl[self.col]), float(cu[self.col]))
        ch = np.flatnonzero((st["cl"] != cl) | (st["cu"] != cu)).astype(np.int32)
        if ch.size:
            self._h.changeColsBounds(ch.size, ch, cl[ch], cu[ch])
            st["cl"][ch], st["cu"][ch] = cl[ch], cu[ch]
        rl = np.clip(np.asarray(row_lower, dtype=np.float64), -inf, inf)
        ru = np.clip(np.asarray(row_upper, dtype=np.float64), -inf, inf)
        ch = np.flatnonzero((st["rl"] != rl) | (st["ru"] != ru)).astype(np.int32)
        if ch.size:
            self._h.changeRowsBounds(ch.size, ch, rl[ch], ru[ch])
            st["rl"][ch], st["ru"][ch] = rl[ch], ru[ch]

    def _set_costs(self, cost: FloatArray) -> None:
        st = self._state
        ch = np.flatnonzero(st["cost"] != cost).astype(np.int32)
        if ch.size:
            self._h.changeColsCost(ch.size, ch, cost[ch])
            st["cost"][ch] = cost[ch]

    def _fix(self, lower: float, upper: float) -> None:
        st = self._state
        if st["cl"][self.col] != lower or st["cu"][self.col] != upper:
            self._h.changeColsBounds(1, self._col_idx, np.array([lower]), np.array([upper]))
            st["cl"][self.col], st["cu"][self.col] = lower, upper

    def _solve(self) -> bool:
        """Warm re-solve; when it does not end optimal, once more from a cold start (a warm
        basis near a degenerate vertex can end in a wrong infeasible status)."""
        self._h.run()
        self.n_solves += 1
        if self._h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            return True
        self._h.clearSolver()
        self._h.run()
        self.n_solves += 1
        return bool(self._h.getModelStatus() == highspy.HighsModelStatus.kOptimal)

    def _true_costs(self) -> None:
        if not self._costs_are_true:
            self._set_costs(self._cost)
            self._costs_are_true = True

    def solution_at(self, x: float) -> tuple[float, FloatArray] | None:
        """``(V(x), column values)`` of the LP with ``p_root`` fixed to ``x``; ``None`` when
        ``x`` is infeasible."""
        self._true_costs()
        self._fix(x, x)
        if not self._solve():
            return None
        sol = self._h.getSolution()
        return float(self._h.getObjectiveValue()), np.asarray(sol.col_value, dtype=np.float64)

    def __call__(self, x: float) -> tuple[float, float] | None:
        """``(V(x), g(x))``, ``g`` the reduced cost of ``p_root`` (a subgradient); ``None`` when
        ``x`` is infeasible."""
        self._true_costs()
        self._fix(x, x)
        if not self._solve():
            return None
        g = float(self._h.getSolution().col_dual[self.col])
        return float(self._h.getObjectiveValue()), g

    def range_end(self, sign: float) -> float | None:
        """``min p_root`` (``sign = 1``) or ``max p_root`` (``sign = −1``); ``None`` when the
        feeder LP is infeasible."""
        self._fix(*self._col_bounds)
        cost = np.zeros(self.n_col)
        cost[self.col] = sign
        self._set_costs(cost)
        self._costs_are_true = False
        if not self._solve():
            return None
        return float(self._h.getSolution().col_value[self.col])


def evaluate_end(oracle: ParametricLp, x: float, inward: float) -> tuple[float, float, float]:
    """``(x, V(x), g(x))`` at a range end ``x``; steps inward (``inward``·(10ᵏ − 1), k < 6) when
    rounding makes the end itself infeasible."""
    for k in range(6):
        xk = x + inward * (10.0**k - 1.0)
        got = oracle(xk)
        if got is not None:
            return xk, got[0], got[1]
    raise ParametricLpError(
        f"the feeder LP is infeasible at the end {x:.9g} MW of its own feasible range",
        where="interface_offer_curve",
        fix="check the feeder data for near-degenerate limits (e.g. v_min = v_max)",
    )


def prune_breakpoints(
    xs: list[float], vs: list[float], tol: float
) -> tuple[FloatArray, FloatArray]:
    """Drop points that lie on the chord of their neighbours (not breakpoints)."""
    keep_x, keep_v = [xs[0]], [vs[0]]
    for i in range(1, len(xs) - 1):  # a few dozen points: not a hot path
        x0, v0 = keep_x[-1], keep_v[-1]
        x2, v2 = xs[i + 1], vs[i + 1]
        chord = v0 + (v2 - v0) * (xs[i] - x0) / (x2 - x0)
        if abs(vs[i] - chord) > tol:
            keep_x.append(xs[i])
            keep_v.append(vs[i])
    if len(xs) > 1:
        keep_x.append(xs[-1])
        keep_v.append(vs[-1])
    return np.asarray(keep_x), np.asarray(keep_v)


def _point(oracle: ParametricLp, x: float) -> tuple[float, float, float] | None:
    got = oracle(x)
    return None if got is None else (x, got[0], got[1])




@dataclasses.dataclass(frozen=True, eq=False)
class ValueFunction:
    """``V`` as breakpoints ``(x, v)`` (ascending ``x``; linear in between), or ``infeasible``
    (empty arrays); ``n_solves`` LP solves were used."""

    x: FloatArray
    v: FloatArray
    status: Literal["optimal", "infeasible"]
    n_solves: int


Line = tuple[float, float, float]
"""A supporting line as ``(x, V(x), g(x))``."""


def _ends(
    oracle: ParametricLp,
    x_range: tuple[float, float] | None,
    known: Line | None,
) -> tuple[Line | None, Line | None, float, float] | None:
    """The requested ends that are feasible (evaluated, or ``known``) and the range ``[x_lo,
    x_hi]`` (range LPs where an end is infinite or infeasible); ``None``: empty range."""
    lo_req, hi_req = (-np.inf, np.inf) if x_range is None else map(float, x_range)
    if lo_req > hi_req:
        return None
    fin_lo, fin_hi = bool(np.isfinite(lo_req)), bool(np.isfinite(hi_req))
    k = known if known is not None and all(np.isfinite(known)) else None
    a = (k if k is not None and k[0] == lo_req else _point(oracle, lo_req)) if fin_lo else None
    b = (k if k is not None and k[0] == hi_req else _point(oracle, hi_req)) if fin_hi else None
    if (fin_lo and a is None) or (fin_hi and b is None):  # a requested end is outside the range
        a = b = None
    x_lo, x_hi = lo_req, hi_req
    if a is None:
        end = oracle.range_end(+1.0)
        if end is None:
            return None
        x_lo = max(end, lo_req)
    if b is None:
        end = oracle.range_end(-1.0)
        if end is None:
            return None
        x_hi = min(end, hi_req)
    if x_lo > x_hi:
        return None
    return a, b, x_lo, x_hi


def _sandwich(
    oracle: ParametricLp,
    a: Line,
    b: Line,
    *,
    x_tol: float,
    tol_eur: float,
    max_solves: int,
    first: int,
    where: str,
) -> dict[float, float]:
    """Every evaluated point ``{x: V(x)}`` of the recursion between the lines ``a`` and ``b``
    (module docstring); at most ``max_solves`` solves counted from ``first``."""
    points = {a[0]: a[1], b[0]: b[1]}
    stack = [(a, b)]
    while stack:
        (xa, va, ga), (xb, vb, gb) = stack.pop()
        tol = tol_eur * (1.0 + max(abs(va), abs(vb)))
        if xb - xa <= x_tol or gb - ga <= 1e-12 * (1.0 + abs(ga) + abs(gb)):
            continue  # same supporting slope: V is linear on [xa, xb]
        xm = (vb - va + ga * xa - gb * xb) / (ga - gb)
        if xm - xa <= x_tol or xb - xm <= x_tol:
            continue  # the lines meet at an end: the chord is a supporting line
        if oracle.n_solves - first >= max_solves:
            raise ParametricLpError(
                f"the parametric LP did not close after {max_solves} solves",
                where=where,
                fix="raise max_solves or tol_eur (numerically noisy duals)",
            )
        got = oracle(xm)
        if got is None:
            raise ParametricLpError(
                f"the feeder LP is infeasible at {xm:.9g} MW inside its feasible range",
                where=where,
                fix="report this case: a convex feasible range cannot have holes",
            )
        vm, gm = got
        points[xm] = vm
        if vm <= va + ga * (xm - xa) + tol:
            continue  # V(m) on both lines: m is a breakpoint, both halves are linear
        stack.append(((xm, vm, gm), (xb, vb, gb)))
        stack.append(((xa, va, ga), (xm, vm, gm)))
    return points


def value_function(
    oracle: ParametricLp,
    *,
    tol_eur: float = 1e-7,
    max_solves: int = 2000,
    x_range: tuple[float, float] | None = None,
    known: Line | None = None,
    where: str = "parametric LP",
) -> ValueFunction:
    """``V`` on the data currently loaded in ``oracle`` (reused across calls: every solve is
    warm), by the sandwich algorithm (module docstring).

    A finite end of ``x_range`` that is feasible is used as it is (no range LP on that side; the
    caller often knows a feasible point); an infinite or infeasible one is replaced by the end of
    the feasible range (``min/max`` of the column). ``known = (x, V(x), g)`` with ``g ∈ ∂V(x)``
    and ``x`` a finite end of ``x_range``: that end's supporting line, not solved again.
    ``where`` names the LP in errors (:class:`ParametricLpError`).
    """
    first = oracle.n_solves
    ends = _ends(oracle, x_range, known)
    if ends is None:
        return ValueFunction(np.zeros(0), np.zeros(0), "infeasible", oracle.n_solves - first)
    a, b, x_lo, x_hi = ends
    span = max(x_hi - x_lo, 0.0)
    x_tol = 1e-9 * (1.0 + abs(x_lo) + abs(x_hi))
    if a is None:
        a = evaluate_end(oracle, x_lo, +x_tol)
    if span <= x_tol:
        return ValueFunction(
            np.array([a[0]]), np.array([a[1]]), "optimal", oracle.n_solves - first
        )
    if b is None:
        b = evaluate_end(oracle, x_hi, -x_tol)
    points = _sandwich(
        oracle, a, b, x_tol=x_tol, tol_eur=tol_eur, max_solves=max_solves, first=first,
        where=where,
    )
    xs = sorted(points)
    vs = [points[x] for x in xs]
    scale = 1.0 + max(abs(v) for v in vs)
    x_arr, v_arr = prune_breakpoints(xs, vs, tol_eur * scale)
    return ValueFunction(x_arr, v_arr, "optimal", oracle.n_solves - first)
