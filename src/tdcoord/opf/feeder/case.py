"""Inputs of the feeder OPF: the case (loads, prices, DER offers per period), options, polygon.

A :class:`FeederCase` holds everything the feeder models (:mod:`tdcoord.opf.feeder.distflow`,
:mod:`tdcoord.opf.feeder.socp`) need besides the :class:`~tdcoord.grid.model.Feeder` itself:

* the price at the root (supply point) per period, €/MWh — the default energy price or, in T+D
  coordination, the LMP of the interface bus;
* fixed loads and static generation per node row and period (MW, Mvar);
* flexible injections (:class:`FlexOffers`): per offer a node, per period
  ``p_min_mw ≤ p ≤ p_max_mw`` and ``q_min_mvar ≤ q ≤ q_max_mvar``, with a linear cost (€/MWh;
  negative p is consumption, so a flexible load bidding to consume is an offer with
  ``p_min_mw < 0``).

Arrays are node-row × period (``(n_node, T)``) and offer × period (``(k, T)``); scalars and 1-D
arrays broadcast. Bad input raises :class:`FeederInputError` before any solver call.

Polygon (apparent-power limit)
------------------------------
``|S| = sqrt(P² + Q²) ≤ S_max`` is replaced by the K-facet regular polygon inscribed in the circle
(vertices on the circle at angles 2πk/K, so the polygon is an *inner* approximation):
``cos φ_k · P + sin φ_k · Q ≤ cos(π/K) · S_max`` with facet normals φ_k = (2k + 1)π/K. Every
facet is scaled by 1/max(|cos φ_k|, |sin φ_k|) so that K = 12 gives the coefficients of
Papavasiliou (2018) / Mieth & Dvorkin (2019); :meth:`FacetPolygon.published12` gives their
coefficients exactly as printed (rounded to four decimals).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from tdcoord.arrays import frozen
from tdcoord.errors import TdcoordError
from tdcoord.grid.model import Feeder
from tdcoord.types import FloatArray, IntArray


class FeederInputError(TdcoordError, ValueError):
    """Invalid feeder-OPF input: shapes, offer nodes, bounds, prices, options."""


def broadcast_table(value: ArrayLike, rows: int, periods: int, what: str) -> FloatArray:
    """Broadcast a scalar, a per-row (rows,), a per-period (periods,) or a (rows, periods) array."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return np.full((rows, periods), float(arr))
    if arr.ndim == 1 and arr.shape[0] == rows:
        return np.repeat(arr[:, None], periods, axis=1)
    if arr.ndim == 1 and arr.shape[0] == periods:
        return np.repeat(arr[None, :], rows, axis=0)
    if arr.shape == (rows, periods):
        return arr.copy()
    raise FeederInputError(
        f"{what} has shape {arr.shape}, expected a scalar, ({rows},), ({periods},) or "
        f"({rows}, {periods})",
        where=what,
        fix="give one value per row and period (rows = nodes or offers)",
    )


@dataclasses.dataclass(frozen=True, eq=False)
class FacetPolygon:
    """Facets ``a_p·P + a_q·Q ≤ a_s·S_max`` of a polygonal apparent-power limit."""

    a_p: FloatArray
    a_q: FloatArray
    a_s: FloatArray

    @property
    def n_facets(self) -> int:
        """Number of facets K."""
        return len(self.a_p)

    @classmethod
    def regular(cls, n_facets: int = 12) -> FacetPolygon:
        """The K-facet regular polygon inscribed in the unit circle (inner approximation)."""
        if n_facets < 3:
            raise FeederInputError(
                f"a polygon needs at least 3 facets, got {n_facets}",
                where="FacetPolygon.regular",
                fix="use e.g. 12",
            )
        phi = (2.0 * np.arange(n_facets) + 1.0) * np.pi / n_facets
        c, s = np.cos(phi), np.sin(phi)
        scale = 1.0 / np.maximum(np.abs(c), np.abs(s))
        rhs = np.full(n_facets, np.cos(np.pi / n_facets))
        return cls(frozen(c * scale), frozen(s * scale), frozen(rhs * scale))

    @classmethod
    def published12(cls) -> FacetPolygon:
        """The rounded 12-facet coefficients of Papavasiliou (2018) as used by Mieth & Dvorkin."""
        t, h = 0.2679, 1.366
        a_p = [1, 1, t, -t, -1, -1, -1, -1, -t, t, 1, 1]
        a_q = [t, 1, 1, 1, 1, t, -t, -1, -1, -1, -1, -t]
        a_s = [1, h, 1, 1, h, 1, 1, h, 1, 1, h, 1]
        return cls(*(frozen(np.asarray(v, dtype=np.float64)) for v in (a_p, a_q, a_s)))


@dataclasses.dataclass(frozen=True)
class FeederOptions:
    """Modelling options and penalty prices (€/MWh, €/MVAh, €/(pu²·h)).

    Penalties are ordered so that the physical remedies come first: curtailment of static
    generation (``curtailment_eur_per_mwh``) < load shedding (``voll_eur_per_mwh``) < limit
    violations. Each name carries its unit (€ per MWh, per MVA·h, per pu²·h).
    """

    polygon: FacetPolygon | int = 12
    losses: str = "loss_factors"  # "none" (lossless LinDistFlow) | "loss_factors"
    loss_tol_mw: float = 1e-6
    loss_max_iter: int = 30
    voll_eur_per_mwh: float = 10_000.0
    curtailment_eur_per_mwh: float = 1_000.0
    overload_eur_per_mvah: float = 100_000.0  # per MVA·h above the (polygonal) rating
    voltage_eur_per_pu2_h: float = 1_000_000.0  # per pu²·h of squared-voltage violation
    binding_tol: float = 1e-6
    #: False drops every slack column (shedding, curtailment, violations): a hard-limit model
    #: that can be infeasible, as in the published formulations (e.g. Mieth & Dvorkin's).
    slacks: bool = True
    #: Leave out polygon facets that no feasible flow can reach (:mod:`tdcoord.opf.feeder.facets`);
    #: it shrinks the thermal rows, usually the largest family. Off by default: it is exact only
    #: while no thermal-overload slack is used (a heavily overloaded case can lose a binding
    #: facet — a known limitation, see docs/opf_feeder.md).
    prune_facets: bool = False

    def facets(self) -> FacetPolygon:
        """The polygon in use."""
        if isinstance(self.polygon, FacetPolygon):
            return self.polygon
        return FacetPolygon.regular(int(self.polygon))

    def check(self) -> None:
        """Reject bad options."""
        if self.losses not in ("none", "loss_factors"):
            raise FeederInputError(
                f"unknown loss model {self.losses!r}",
                where="FeederOptions.losses",
                fix="use 'none' (lossless) or 'loss_factors'",
            )
        for name in (
            "voll_eur_per_mwh",
            "curtailment_eur_per_mwh",
            "overload_eur_per_mvah",
            "voltage_eur_per_pu2_h",
        ):
            if not getattr(self, name) > 0:
                raise FeederInputError(
                    f"{name} must be > 0", where=f"FeederOptions.{name}", fix="give a price"
                )


@dataclasses.dataclass(frozen=True, eq=False)
class FlexOffers:
    """Flexible injections (DER offers). Arrays are (k,) or (k, T); see the module docstring."""

    node: IntArray
    p_min_mw: ArrayLike
    p_max_mw: ArrayLike
    cost_eur_per_mwh: ArrayLike
    q_min_mvar: ArrayLike = 0.0
    q_max_mvar: ArrayLike = 0.0
    #: Optional weights w_k of a norm cost s·‖w ⊙ p_t‖₂ per period (Mieth & Dvorkin's
    #: s·‖√C·g‖₂); requires the conic solver. ``None``: linear costs only.
    norm_weight: ArrayLike | None = None
    norm_scale: float = 0.0

    @staticmethod
    def empty() -> FlexOffers:
        """No offers."""
        return FlexOffers(np.zeros(0, dtype=np.int64), 0.0, 0.0, 0.0)

    def __len__(self) -> int:
        return int(np.asarray(self.node).size)


@dataclasses.dataclass(frozen=True, eq=False)
class FeederCase:
    """A feeder OPF case: feeder + per-period prices, loads, static generation and offers."""

    feeder: Feeder
    price_eur_per_mwh: FloatArray  # (T,)
    load_p_mw: FloatArray  # (n_node, T)
    load_q_mvar: FloatArray
    sgen_p_mw: FloatArray
    sgen_q_mvar: FloatArray
    offer_row: IntArray  # node row of each offer
    offer_p_min_mw: FloatArray  # (k, T)
    offer_p_max_mw: FloatArray
    offer_q_min_mvar: FloatArray
    offer_q_max_mvar: FloatArray
    offer_cost_eur_per_mwh: FloatArray
    offer_norm_weight: FloatArray | None = None  # (k,)
    offer_norm_scale: float = 0.0
    dt_h: float = 1.0
    q_price_eur_per_mvarh: float = 0.0

    @property
    def n_periods(self) -> int:
        """Number of periods T."""
        return len(self.price_eur_per_mwh)

    @property
    def n_offers(self) -> int:
        """Number of flexible offers k."""
        return len(self.offer_row)

    @property
    def has_norm_cost(self) -> bool:
        """True when the case carries a second-order-cone cost term (conic solver needed)."""
        return self.offer_norm_weight is not None and self.offer_norm_scale > 0.0

    @classmethod
    def build(  # noqa: PLR0913  (keyword-only inputs of the public constructor)
        cls,
        feeder: Feeder,
        *,
        price_eur_per_mwh: ArrayLike = 50.0,
        n_periods: int | None = None,
        load_scale: ArrayLike = 1.0,
        sgen_scale: ArrayLike = 1.0,
        load_p_mw: ArrayLike | None = None,
        load_q_mvar: ArrayLike | None = None,
        offers: FlexOffers | None = None,
        dt_h: float = 1.0,
        q_price_eur_per_mvarh: float = 0.0,
    ) -> FeederCase:
        """Assemble and validate a case.

        ``n_periods`` defaults to the length of ``price_eur_per_mwh`` (1 for a scalar). Loads are
        the feeder's loads times ``load_scale`` (scalar, per period or per node and period) unless
        ``load_p_mw``/``load_q_mvar`` are given explicitly (node row × period).
        """
        price = _prices(price_eur_per_mwh, n_periods)
        T = len(price)
        lp_, lq_, sp_, sq_ = _loads(feeder, T, load_scale, sgen_scale, load_p_mw, load_q_mvar)
        off = offers if offers is not None else FlexOffers.empty()
        rows, (pmin, pmax, qmin, qmax, cost), weight = _offer_tables(feeder, off, T)
        case = cls(
            feeder=feeder,
            price_eur_per_mwh=price,
            load_p_mw=lp_,
            load_q_mvar=lq_,
            sgen_p_mw=sp_,
            sgen_q_mvar=sq_,
            offer_row=rows,
            offer_p_min_mw=pmin,
            offer_p_max_mw=pmax,
            offer_q_min_mvar=qmin,
            offer_q_max_mvar=qmax,
            offer_cost_eur_per_mwh=cost,
            offer_norm_weight=weight,
            offer_norm_scale=float(off.norm_scale),
            dt_h=float(dt_h),
            q_price_eur_per_mvarh=float(q_price_eur_per_mvarh),
        )
        case.check()
        return case

    def check(self) -> None:
        """Reject non-finite data and upside-down bounds."""
        where = f"feeder {self.feeder.id!r} OPF case"
        arrays: dict[str, Any] = {
            "price_eur_per_mwh": self.price_eur_per_mwh,
            "load_p_mw": self.load_p_mw,
            "load_q_mvar": self.load_q_mvar,
            "sgen_p_mw": self.sgen_p_mw,
            "sgen_q_mvar": self.sgen_q_mvar,
            "offer p_min_mw": self.offer_p_min_mw,
            "offer p_max_mw": self.offer_p_max_mw,
            "offer q_min_mvar": self.offer_q_min_mvar,
            "offer q_max_mvar": self.offer_q_max_mvar,
            "offer cost_eur_per_mwh": self.offer_cost_eur_per_mwh,
        }
        for name, arr in arrays.items():
            if not np.isfinite(arr).all():
                raise FeederInputError(
                    f"{name} contains NaN or infinite values",
                    where=where,
                    fix="give finite numbers (use FeederOptions penalties, not inf, for limits)",
                )
        for lo, hi, what in (
            (self.offer_p_min_mw, self.offer_p_max_mw, "p"),
            (self.offer_q_min_mvar, self.offer_q_max_mvar, "q"),
        ):
            bad = np.argwhere(lo > hi)
            if bad.size:
                raise FeederInputError(
                    f"offer {int(bad[0, 0])} has {what}_min > {what}_max "
                    f"in period {int(bad[0, 1])}",
                    where=where,
                    fix="swap the offer limits",
                )
        if not (np.isfinite(self.dt_h) and self.dt_h > 0):
            raise FeederInputError("dt_h must be > 0", where=where, fix="e.g. 0.25 for PT15M")
        if self.offer_norm_weight is not None and (self.offer_norm_weight < 0).any():
            raise FeederInputError("norm weights must be ≥ 0", where=where, fix="use √quad_cost")

    def with_price(self, price_eur_per_mwh: ArrayLike) -> FeederCase:
        """A copy with another root price (scalar or per period)."""
        price = np.broadcast_to(
            np.asarray(price_eur_per_mwh, dtype=np.float64), (self.n_periods,)
        ).copy()
        return dataclasses.replace(self, price_eur_per_mwh=price)


def _prices(price_eur_per_mwh: ArrayLike, n_periods: int | None) -> FloatArray:
    """The root price per period (``n_periods`` defaults to the number of prices given)."""
    price = np.atleast_1d(np.asarray(price_eur_per_mwh, dtype=np.float64))
    T = int(n_periods) if n_periods is not None else len(price)
    if T < 1:
        raise FeederInputError("n_periods must be ≥ 1", where="FeederCase", fix="give ≥ 1")
    if price.ndim != 1 or len(price) not in (1, T):
        raise FeederInputError(
            f"price has {price.size} values for {T} periods",
            where="price_eur_per_mwh",
            fix="give a scalar or one price per period",
        )
    return np.broadcast_to(price, (T,)).astype(np.float64)


def _loads(
    feeder: Feeder,
    T: int,
    load_scale: ArrayLike,
    sgen_scale: ArrayLike,
    load_p_mw: ArrayLike | None,
    load_q_mvar: ArrayLike | None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Node loads (P, Q) and static generation (P, Q), node row × period."""
    n = feeder.n_node
    lp_ = (
        broadcast_table(load_p_mw, n, T, "load_p_mw")
        if load_p_mw is not None
        else feeder.node_load_mw()[:, None] * broadcast_table(load_scale, n, T, "load_scale")
    )
    lq_ = (
        broadcast_table(load_q_mvar, n, T, "load_q_mvar")
        if load_q_mvar is not None
        else feeder.node_load_mvar()[:, None] * broadcast_table(load_scale, n, T, "load_scale")
    )
    sc = broadcast_table(sgen_scale, n, T, "sgen_scale")
    return lp_, lq_, feeder.node_sgen_mw()[:, None] * sc, feeder.node_sgen_mvar()[:, None] * sc


def _offer_tables(
    feeder: Feeder, off: FlexOffers, T: int
) -> tuple[IntArray, tuple[FloatArray, ...], FloatArray | None]:
    """Offer node rows, (p_min, p_max, q_min, q_max, cost) tables (offer × period) and the
    norm-cost weights."""
    k = len(off)
    node_ids = np.asarray(off.node, dtype=np.int64).reshape(-1)
    known = np.isin(node_ids, feeder.nodes.id)
    if not known.all():
        raise FeederInputError(
            f"offers at unknown nodes {node_ids[~known][:5].tolist()}",
            where=f"feeder {feeder.id!r} offers",
            fix="give node ids of the feeder",
        )
    rows = feeder.node_rows(node_ids)
    tables = (
        broadcast_table(off.p_min_mw, k, T, "offer p_min_mw"),
        broadcast_table(off.p_max_mw, k, T, "offer p_max_mw"),
        broadcast_table(off.q_min_mvar, k, T, "offer q_min_mvar"),
        broadcast_table(off.q_max_mvar, k, T, "offer q_max_mvar"),
        broadcast_table(off.cost_eur_per_mwh, k, T, "offer cost_eur_per_mwh"),
    )
    weight: FloatArray | None = None
    if off.norm_weight is not None:
        weight = np.broadcast_to(np.asarray(off.norm_weight, dtype=np.float64), (k,)).copy()
    return rows, tables, weight
