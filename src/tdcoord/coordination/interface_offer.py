"""The DSO's aggregated interface offer: the feeder's exact cost of each T–D interface exchange.

A DSO that clears its own flexibility first (``local`` and ``multi_level`` schemes with
``interface_offer = "aggregated"``; TSTP, California Total DSO, IESO Total DSO — seed 001 §III.A
and §III.C: "submitting a single aggregated bid for each transmission-distribution interface")
passes to the TSO one offer curve per interface instead of the individual DER offers. The curve
is computed, not guessed: it is the optimal-value function of the feeder LP

.. math::

    V(x) = \\min_y \\{ c^\\top y : A y \\in [r^{lo}, r^{up}],\\; l \\le y \\le u,
                      \\; p^{root}(y) = x \\}

where the LP is the lossless LinDistFlow feeder OPF of :mod:`tdcoord.opf.feeder.program` (P and Q
balances, squared voltages with limits, polygonal branch and substation ratings, hard limits by
default) with a zero root price, so that ``c^T y`` is the cost of the activated offers (€ per
interval of ``dt_h`` hours) and ``x`` is the import into the feeder from transmission (MW,
positive = the feeder imports, as ``Outcome.interface_mw``). ``V`` is convex and piecewise linear
in ``x`` on the feasible range ``[x_min, x_max]`` (the right-hand side of one equality row is the
parameter), and ``+∞`` outside it.

Algorithm (parametric LP by supporting lines — the "sandwich" form of the Eisner–Severance method
for one right-hand-side parameter): the range ends come from two LPs (``min/max p_root``). A solve
at a fixed ``x`` returns ``V(x)`` and, as the reduced cost of the fixed ``p_root`` column, a
subgradient ``g(x) ∈ ∂V(x)``, i.e. a supporting line ``L_x(z) = V(x) + g(x)(z − x)``. For an
interval ``[a, b]`` with supporting lines ``L_a, L_b`` take their intersection ``m``; if ``V(m) =
L_a(m)`` (to ``tol_eur``) then ``V`` is linear on ``[a, m]`` and on ``[m, b]`` (a convex function
between a chord and a supporting line that coincide) and ``m`` is a breakpoint; otherwise the new
line at ``m`` splits the interval in two. Two distinct supporting lines of a convex function never
share a slope, so every solve finds a new piece and the recursion ends after at most ``2·(pieces) +
1`` solves. Every solve reuses one HiGHS object and its basis
(:class:`~tdcoord.opf.lp.parametric.ParametricLp`, where the general algorithm lives:
:func:`~tdcoord.opf.lp.parametric.value_function`): the range LPs change only the cost vector, each
evaluation only the bounds of ``p_root``, and a caller with many intervals of the same matrix (the
DSO's 96 curves, :mod:`tdcoord.coordination.aggregated`) swaps in the next interval's costs and
bounds.

The curve as ordinary offers (:meth:`InterfaceCurve.steps`): relative to the reference exchange
``x_ref`` (the baseline exchange — all offers at zero, ``Σ`` net load for lossless LinDistFlow —
clipped into the feasible range), lowering the import by ``Δ`` is an **up** offer (more injection
into transmission at the interface bus) costing ``V(x_ref − Δ) − V(x_ref)``; raising it is a
**down** offer. Each linear piece becomes one step with quantity = its length and price = its slope
(€/MWh, ``−slope`` for up steps). Convexity makes both step ladders ascend in price, so a TSO that
clears them in merit order pays exactly ``V`` — the exact aggregation of the feeder.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from tdcoord.errors import TdcoordError
from tdcoord.grid.model import Feeder
from tdcoord.market.offers import OfferBook
from tdcoord.opf import lp as lpmod
from tdcoord.opf.feeder.case import FeederCase, FeederOptions, FlexOffers
from tdcoord.opf.feeder.program import build_program
from tdcoord.opf.lp.parametric import ParametricLp, ParametricLpError, value_function
from tdcoord.types import FloatArray, IntArray

__all__ = [
    "InterfaceCurve",
    "InterfaceOfferError",
    "dispatch_at_exchange",
    "interface_curves_from_book",
    "interface_offer_book",
    "interface_offer_curve",
    "offers_of_feeder",
    "sandwich_curve",
]


class InterfaceOfferError(TdcoordError, ValueError):
    """Bad input to the aggregated interface offer (shapes, nodes, directions, options)."""


CurveStatus = Literal["optimal", "infeasible"]


@dataclasses.dataclass(frozen=True, eq=False)
class InterfaceCurve:
    """``V(x)``: breakpoints ``(x_mw, cost_eur)`` of the feeder's optimal cost per exchange.

    ``x_mw`` ascends from ``x_min`` to ``x_max`` (import into the feeder, MW); ``cost_eur`` is the
    optimal offer cost over one interval of ``dt_h`` hours. Between breakpoints ``V`` is linear.
    ``status`` is ``"infeasible"`` (empty arrays) when no exchange satisfies the feeder limits.
    """

    feeder_id: str
    x_mw: FloatArray
    cost_eur: FloatArray
    baseline_mw: float
    dt_h: float
    status: CurveStatus
    n_solves: int

    @property
    def ok(self) -> bool:
        """True when the feeder has a feasible exchange."""
        return self.status == "optimal"

    @property
    def x_min_mw(self) -> float:
        """Lowest feasible import (NaN when infeasible)."""
        return float(self.x_mw[0]) if self.ok else float("nan")

    @property
    def x_max_mw(self) -> float:
        """Highest feasible import (NaN when infeasible)."""
        return float(self.x_mw[-1]) if self.ok else float("nan")

    @property
    def reference_mw(self) -> float:
        """The baseline exchange clipped into ``[x_min, x_max]`` (the zero of the steps)."""
        return float(np.clip(self.baseline_mw, self.x_min_mw, self.x_max_mw))

    @property
    def baseline_feasible(self) -> bool:
        """True when the baseline exchange lies in the feasible range (to the rounding of the
        range ends, ``1e-9 · (1 + |x_min| + |x_max|)``, as :meth:`cost_at`)."""
        if not self.ok:
            return False
        tol = 1e-9 * (1.0 + abs(self.x_min_mw) + abs(self.x_max_mw))
        return self.x_min_mw - tol <= self.baseline_mw <= self.x_max_mw + tol

    @property
    def slopes_eur_per_mwh(self) -> FloatArray:
        """Marginal cost of one more MW of import on each piece, €/MWh (ascending)."""
        if len(self.x_mw) < 2:
            return np.zeros(0)
        return np.asarray(np.diff(self.cost_eur) / np.diff(self.x_mw) / self.dt_h)

    def cost_at(self, x_mw: ArrayLike) -> FloatArray:
        """``V(x)`` by linear interpolation; ``+inf`` outside the feasible range."""
        x = np.asarray(x_mw, dtype=np.float64)
        if not self.ok:
            return np.full(x.shape, np.inf)
        tol = 1e-9 * (1.0 + abs(self.x_min_mw) + abs(self.x_max_mw))
        inside = (x >= self.x_min_mw - tol) & (x <= self.x_max_mw + tol)
        value = np.interp(x, self.x_mw, self.cost_eur)
        return np.asarray(np.where(inside, value, np.inf))

    def steps(self) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """``(up_mw, up_price, down_mw, down_price)`` relative to :attr:`reference_mw`.

        Up steps lower the import (nearest piece first), down steps raise it; prices in €/MWh,
        non-decreasing along each ladder (convexity of ``V``).
        """
        if not self.ok or len(self.x_mw) < 2:
            z = np.zeros(0)
            return z, z.copy(), z.copy(), z.copy()
        ref = self.reference_mw
        x = self.x_mw
        slopes = self.slopes_eur_per_mwh
        lo, hi = x[:-1], x[1:]
        up_len = np.clip(np.minimum(hi, ref) - lo, 0.0, None)
        down_len = np.clip(hi - np.maximum(lo, ref), 0.0, None)
        tiny = 1e-9 * (1.0 + abs(x[0]) + abs(x[-1]))
        up = np.flatnonzero(up_len > tiny)[::-1]
        down = np.flatnonzero(down_len > tiny)
        return up_len[up], -slopes[up], down_len[down], slopes[down]


# -- input ---------------------------------------------------------------------------------------


def _vector(value: ArrayLike, n: int, what: str) -> FloatArray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise InterfaceOfferError(
            f"{what} has shape {arr.shape}, expected ({n},)",
            where=f"interface offer input {what}",
            fix="give one value per node row (loads) or per offer step (offers) for one interval",
        )
    if not np.isfinite(arr).all():
        raise InterfaceOfferError(
            f"{what} contains NaN or infinite values",
            where=f"interface offer input {what}",
            fix="give finite numbers",
        )
    return arr


def _check_offers(
    feeder: Feeder, rows: ArrayLike, direction: ArrayLike, quantity: ArrayLike, price: ArrayLike
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    r = np.asarray(rows).reshape(-1)
    k = r.size
    if k and not np.issubdtype(r.dtype, np.integer):
        raise InterfaceOfferError(
            "offer node rows must be integers", where="offer_node_row", fix="give node rows"
        )
    r = r.astype(np.int64)
    bad = (r < 1) | (r >= feeder.n_node)
    if bad.any():
        raise InterfaceOfferError(
            f"offer node row {int(r[bad][0])} is outside 1..{feeder.n_node - 1}",
            where=f"feeder {feeder.id!r} offer {int(np.flatnonzero(bad)[0])}",
            fix="give node rows of the feeder (row 0 is the supply point and cannot hold offers)",
        )
    d = np.asarray(direction).reshape(-1)
    if d.shape != (k,) or not np.isin(d, (-1, 1)).all():
        raise InterfaceOfferError(
            "offer directions must be +1 (up) or -1 (down), one per offer step",
            where=f"feeder {feeder.id!r} offer_direction",
            fix="use +1 for up (more injection) and -1 for down",
        )
    q = _vector(quantity, k, "offer_quantity_mw")
    if (q < 0).any():
        raise InterfaceOfferError(
            f"negative offer quantity {q.min():g} MW",
            where=f"feeder {feeder.id!r} offer {int(np.argmin(q))}",
            fix="quantities are magnitudes (>= 0); use the direction for the sign",
        )
    c = _vector(price, k, "offer_price_eur_per_mwh")
    return r, d.astype(np.int64), q, c


def offers_of_feeder(
    book: OfferBook, feeder_index: int, interval: int
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """The active-power steps of ``book`` in feeder ``feeder_index`` for one interval.

    Returns ``(node_row, direction, quantity_mw, price_eur_per_mwh)`` for
    :func:`interface_offer_curve`.
    """
    if not 0 <= interval < book.n_periods:
        raise InterfaceOfferError(
            f"interval {interval} outside 0..{book.n_periods - 1}",
            where="offers_of_feeder",
            fix="give an interval of the offer book",
        )
    rows = np.flatnonzero((book.feeder == feeder_index) & ~book.reactive)
    return (
        book.node[rows].astype(np.int64),
        book.direction[rows].astype(np.int64),
        np.asarray(book.quantity_mw[rows, interval], dtype=np.float64),
        np.asarray(book.price_eur_per_mwh[rows, interval], dtype=np.float64),
    )


# -- the curve -----------------------------------------------------------------------------------


OfferSteps = tuple[ArrayLike, ArrayLike, ArrayLike, ArrayLike]
"""Offer steps as ``(node_row, direction, quantity_mw, price_eur_per_mwh)``."""


def _program(
    feeder: Feeder,
    load_p_mw: ArrayLike,
    load_q_mvar: ArrayLike,
    steps: OfferSteps,
    options: FeederOptions | None,
    dt_h: float,
    baseline_mw: float | None,
) -> tuple[lpmod.LinearProgram, int, float]:
    """The feeder LP of :func:`interface_offer_curve`, the ``p_root`` column and the baseline."""
    opts = options if options is not None else FeederOptions(losses="none", slacks=False)
    opts.check()
    if opts.losses != "none":
        raise InterfaceOfferError(
            f"losses={opts.losses!r} is not supported for the interface curve",
            where="interface_offer_curve options",
            fix="use FeederOptions(losses='none'); the curve is the value function of the "
            "lossless LinDistFlow LP",
        )
    if feeder.n_node < 2:
        raise InterfaceOfferError(
            "the feeder has no branch", where=f"feeder {feeder.id!r}", fix="give a real feeder"
        )
    if not (np.isfinite(dt_h) and dt_h > 0):
        raise InterfaceOfferError(
            "dt_h must be > 0", where="interface_offer_curve", fix="e.g. 0.25"
        )
    n = feeder.n_node
    lp_mw = _vector(load_p_mw, n, "load_p_mw")
    lq_mvar = _vector(load_q_mvar, n, "load_q_mvar")
    rows, direction, qty, price = _check_offers(feeder, *steps)
    up = direction > 0
    offers = FlexOffers(
        node=feeder.nodes.id[rows],
        p_min_mw=np.where(up, 0.0, -qty),
        p_max_mw=np.where(up, qty, 0.0),
        # down step: injection p = −a, cost price·a = −price·p
        cost_eur_per_mwh=price * direction,
    )
    case = FeederCase.build(
        feeder,
        price_eur_per_mwh=0.0,
        load_p_mw=lp_mw[:, None],
        load_q_mvar=lq_mvar[:, None],
        sgen_scale=0.0,
        offers=offers,
        dt_h=dt_h,
    )
    base = float(lp_mw.sum()) if baseline_mw is None else float(baseline_mw)
    program = build_program(case, opts, model="lindistflow")
    lp = program.lp
    col = lp.col_blocks["p_root"].start
    return lp, col, base


def dispatch_at_exchange(  # noqa: PLR0913  (one array per offer attribute, as the curve)
    feeder: Feeder,
    load_p_mw: ArrayLike,
    load_q_mvar: ArrayLike,
    offer_node_row: ArrayLike,
    offer_direction: ArrayLike,
    offer_quantity_mw: ArrayLike,
    offer_price_eur_per_mwh: ArrayLike,
    x_mw: float,
    *,
    options: FeederOptions | None = None,
    dt_h: float = 1.0,
) -> FloatArray | None:
    """The dispatch behind the curve at import ``x_mw``: activated magnitude per offer step
    (MW ≥ 0) of the feeder LP of :func:`interface_offer_curve` with ``p_root`` fixed to
    ``x_mw`` (its cost is ``V(x_mw)``); ``None`` when ``x_mw`` is infeasible. This is how the
    DSO disaggregates the quantity the TSO accepted on its aggregated offer."""
    steps = (offer_node_row, offer_direction, offer_quantity_mw, offer_price_eur_per_mwh)
    lp, col, _ = _program(feeder, load_p_mw, load_q_mvar, steps, options, dt_h, None)
    lo, up = lp.col_lower.copy(), lp.col_upper.copy()
    lo[col] = up[col] = float(x_mw)
    sol = lpmod.solve(dataclasses.replace(lp, col_lower=lo, col_upper=up), method="simplex")
    if not sol.ok:
        return None
    d = np.asarray(offer_direction, dtype=np.float64).reshape(-1)
    q = np.asarray(offer_quantity_mw, dtype=np.float64).reshape(-1)
    p = sol.x[lp.col_blocks["p_offer"]]
    return np.asarray(np.clip(p * d, 0.0, q), dtype=np.float64)


def interface_offer_curve(  # noqa: PLR0913  (one array per offer attribute + options)
    feeder: Feeder,
    load_p_mw: ArrayLike,
    load_q_mvar: ArrayLike,
    offer_node_row: ArrayLike,
    offer_direction: ArrayLike,
    offer_quantity_mw: ArrayLike,
    offer_price_eur_per_mwh: ArrayLike,
    *,
    options: FeederOptions | None = None,
    dt_h: float = 1.0,
    baseline_mw: float | None = None,
    tol_eur: float = 1e-7,
    max_solves: int = 2000,
    x_range: tuple[float, float] | None = None,
) -> InterfaceCurve:
    """The exact aggregated interface offer ``V(x)`` of one feeder for one interval.

    ``load_p_mw`` / ``load_q_mvar``: net load per node row (consumption − static generation),
    shape ``(n_node,)``. Offers: node row (≥ 1), direction (+1 up / −1 down), quantity (MW ≥ 0)
    and price (€/MWh) per step, as in :class:`~tdcoord.market.offers.OfferBook`
    (:func:`offers_of_feeder` extracts them from a book). ``options``: polygon and slacks of the
    feeder LP (default: 12-facet polygon, hard limits, ``slacks=False``); losses must be
    ``"none"`` (the curve is the value function of the lossless LinDistFlow LP). ``baseline_mw``
    defaults to ``Σ load_p_mw`` (the exchange with every offer at zero).
    ``tol_eur``: absolute cost tolerance (scaled by ``1 + |V|``) that decides when a supporting
    line is tight. ``x_range``: compute ``V`` only on this part of the feasible range.
    """
    steps = (offer_node_row, offer_direction, offer_quantity_mw, offer_price_eur_per_mwh)
    lp, col, base = _program(
        feeder, load_p_mw, load_q_mvar, steps, options, dt_h, baseline_mw,
    )
    return curve_of_program(
        lp, col, base, feeder.id, dt_h, tol_eur=tol_eur, max_solves=max_solves, x_range=x_range
    )


def curve_of_program(
    lp: lpmod.LinearProgram,
    col: int,
    base: float,
    feeder_id: str,
    dt_h: float,
    *,
    tol_eur: float = 1e-7,
    max_solves: int = 2000,
    x_range: tuple[float, float] | None = None,
) -> InterfaceCurve:
    """The sandwich algorithm of :func:`interface_offer_curve` on a built feeder LP whose column
    ``col`` is the root import (one interval)."""
    return sandwich_curve(
        ParametricLp(lp, col), base, feeder_id, dt_h, tol_eur=tol_eur, max_solves=max_solves,
        x_range=x_range,
    )


def sandwich_curve(
    oracle: ParametricLp,
    base: float,
    feeder_id: str,
    dt_h: float,
    *,
    tol_eur: float = 1e-7,
    max_solves: int = 2000,
    x_range: tuple[float, float] | None = None,
    known: tuple[float, float, float] | None = None,
) -> InterfaceCurve:
    """The interface curve ``V`` of the feeder LP loaded in ``oracle`` by the sandwich algorithm
    of :func:`tdcoord.opf.lp.parametric.value_function` (``x_range``, ``known``: see there)."""
    try:
        vf = value_function(
            oracle, tol_eur=tol_eur, max_solves=max_solves, x_range=x_range, known=known,
            where=f"feeder {feeder_id!r} interface curve",
        )
    except ParametricLpError as e:
        raise InterfaceOfferError(e.what, where=e.where, fix=e.fix) from e
    return InterfaceCurve(feeder_id, vf.x, vf.v, base, dt_h, vf.status, vf.n_solves)


def interface_curves_from_book(
    feeder: Feeder,
    feeder_index: int,
    book: OfferBook,
    load_p_mw: ArrayLike,
    load_q_mvar: ArrayLike,
    *,
    options: FeederOptions | None = None,
    dt_h: float = 1.0,
) -> list[InterfaceCurve]:
    """One :func:`interface_offer_curve` per interval of ``book`` for feeder ``feeder_index``.

    ``load_p_mw`` / ``load_q_mvar``: net load per node row and interval, ``(n_node, T)`` (or
    ``(n_node,)`` for the same load in every interval).
    """
    T = book.n_periods
    n = feeder.n_node
    loads = []
    for value, what in ((load_p_mw, "load_p_mw"), (load_q_mvar, "load_q_mvar")):
        arr = np.asarray(value, dtype=np.float64)
        if arr.ndim == 1:
            arr = np.repeat(arr[:, None], T, axis=1)
        if arr.shape != (n, T):
            raise InterfaceOfferError(
                f"{what} has shape {np.shape(value)}, expected ({n}, {T}) or ({n},)",
                where=f"feeder {feeder.id!r} interface curves",
                fix="give the net load per node row and interval of the offer book",
            )
        loads.append(arr)
    curves = []
    for t in range(T):  # one parametric LP per interval (T is small)
        rows, d, q, c = offers_of_feeder(book, feeder_index, t)
        curves.append(
            interface_offer_curve(
                feeder,
                loads[0][:, t],
                loads[1][:, t],
                rows,
                d,
                q,
                c,
                options=options,
                dt_h=dt_h,
            )
        )
    return curves


def interface_offer_book(
    curves: Sequence[InterfaceCurve],
    *,
    bus_row: int,
    product_id: str = "interface",
) -> OfferBook:
    """One interface's curves (one per interval) as transmission-level offer steps.

    Rows are ``up:0, up:1, …, down:0, …`` (step ``k`` of every interval in one row; quantity 0
    where an interval has fewer steps); ``feeder = −1``, ``node = bus_row`` (the interface's
    transmission bus row), ``der_id = "interface:<feeder id>"``,
    ``aggregator_id = "dso:<feeder id>"``, ``der_type = "interface"``.
    """
    if not curves:
        raise InterfaceOfferError(
            "no curves", where="interface_offer_book", fix="give one curve per interval"
        )
    ids = {c.feeder_id for c in curves}
    if len(ids) != 1:
        raise InterfaceOfferError(
            f"curves of several feeders {sorted(ids)}",
            where="interface_offer_book",
            fix="build one book per interface (then OfferBook.concat)",
        )
    if bus_row < 0:
        raise InterfaceOfferError(
            f"bus row {bus_row} < 0", where="interface_offer_book", fix="give a bus row"
        )
    fid = curves[0].feeder_id
    T = len(curves)
    ladders = [c.steps() for c in curves]
    n_up = max(len(s[0]) for s in ladders)
    n_dn = max(len(s[2]) for s in ladders)
    qty = np.zeros((n_up + n_dn, T))
    price = np.zeros((n_up + n_dn, T))
    for t, (uq, upr, dq, dpr) in enumerate(ladders):  # T intervals, not a hot path
        qty[: len(uq), t], price[: len(uq), t] = uq, upr
        qty[n_up : n_up + len(dq), t], price[n_up : n_up + len(dq), t] = dq, dpr
        if len(uq):
            price[len(uq) : n_up, t] = upr[-1]
        if len(dq):
            price[n_up + len(dq) :, t] = dpr[-1]
    k = n_up + n_dn
    offer_ids = tuple(f"interface:{fid}:up:{i}" for i in range(n_up)) + tuple(
        f"interface:{fid}:down:{i}" for i in range(n_dn)
    )
    return OfferBook(
        offer_id=offer_ids,
        der_id=(f"interface:{fid}",) * k,
        aggregator_id=(f"dso:{fid}",) * k,
        product_id=(product_id,) * k,
        der_type=("interface",) * k,
        direction=np.concatenate([np.ones(n_up), -np.ones(n_dn)]).astype(np.int64),
        feeder=np.full(k, -1, dtype=np.int64),
        node=np.full(k, bus_row, dtype=np.int64),
        reactive=np.zeros(k, dtype=bool),
        quantity_mw=qty,
        price_eur_per_mwh=price,
    )
