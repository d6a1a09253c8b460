"""Offer building: from a fleet's flexibility to an :class:`~tdcoord.market.offers.OfferBook`.

For every product and direction (up/down for active products, ``q_up``/``q_down`` — inject /
absorb Mvar — for reactive products, inverter DERs only):

1. **Bundles.** With ``aggregate="node"`` (and where the preset allows aggregation) an aggregator
   bundles its DERs of one type at one node into one bundle, id
   ``"<aggregator>/<type>/f<feeder>n<node>"`` (seed 001 §II.B: the DERA bundles DERs; seed 000
   §1.3: aggregation to reach minimum sizes). DERs without aggregator, DERs below the preset's
   minimum unit size in an aggregation, and every DER with ``aggregate="none"`` are offered
   alone under their own id. Grouping is one ``np.unique`` over integer keys and one sparse
   membership matrix ``A`` (bundles × DERs): no Python loop over DERs.
2. **Quantities.** ``F = A f`` (``f``: the members' flexibility per interval in the direction;
   ``min(up, down)`` for both directions of a symmetric product).
3. **Price.** The bundle cost is the flexibility-weighted mean of its members' marginal costs,
   ``C = A (c ⊙ f) / F`` — exactly the cost per MWh of an activation split pro rata to the
   members' flexibility (how :meth:`OfferSet.split_activation` splits it). The strategy
   (:mod:`tdcoord.market.strategies`) gives the steps; prices are clipped to the preset's price
   floor and cap.
4. **Minimum size.** Per bundle and interval the offered total ``Σ_k q_k`` must reach the
   preset's minimum: ``min_size_mw(product)`` for aggregations, ``min_size_standalone_mw`` for a
   DER alone. Intervals below it are set to 0 (reported, check ``min_size_partial``); a bundle
   below it in every interval is dropped (check ``min_size``).
5. **Prequalification.** With a :class:`~tdcoord.der.registry.DerRegistry`, only DERs *active*
   for the product take part; the others are reported (check ``registry``).

Rows are ordered by product, bundle (feeder, node, aggregator, type), direction, step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from tdcoord.der.base import Flexibility
from tdcoord.der.fleet import Fleet
from tdcoord.market.errors import MarketError
from tdcoord.market.offers import OfferBook
from tdcoord.market.products import Product, get_product
from tdcoord.market.rules import Preset, load_preset
from tdcoord.market.strategies import CostAssumptions, CostBased, der_costs, get_strategy
from tdcoord.types import BoolArray, FloatArray, IntArray

#: Direction labels → (sign, reactive).
DIRECTIONS: dict[str, tuple[int, bool]] = {
    "up": (1, False),
    "down": (-1, False),
    "q_up": (1, True),
    "q_down": (-1, True),
}
REJECTED_COLUMNS = (
    "der_id",
    "aggregator_id",
    "der_type",
    "product_id",
    "direction",
    "check",
    "n_intervals",
    "reason",
)
_TOL = 1e-12


def direction_label(direction: int, reactive: bool) -> str:
    return ("q_" if reactive else "") + ("up" if direction > 0 else "down")


@dataclass(frozen=True, eq=False)
class OfferSet:
    """Offers built from a fleet.

    * ``book`` — the offer steps;
    * ``members`` — ``(n_offers, n_der)`` CSR, 1 where DER ``j`` (fleet order) is a member of
      row ``i``;
    * ``member_flex_mw`` — ``(n_offers, T)`` physical flexibility of the row's members in its
      direction (Mvar for reactive rows), the denominator of the pro-rata split;
    * ``rejected`` — one row per dropped DER or bundle (columns :data:`REJECTED_COLUMNS`;
      ``check`` ∈ ``registry``, ``unavailable``, ``min_size``, ``min_size_partial``).
    """

    book: OfferBook
    members: Any
    member_flex_mw: FloatArray
    rejected: pd.DataFrame

    def split_activation(
        self, activation_mw: npt.ArrayLike, flexibility: Flexibility
    ) -> tuple[FloatArray, FloatArray]:
        """Signed ``(p_mw, q_mvar)`` per DER ``(n_der, T)`` of offer activations ``(n_offers, T)``.

        A DER ``j`` of row ``i`` delivers ``a_i · f_j / F_i`` (pro rata to its flexibility in
        the row's direction), signed by the row's direction; contributions of several rows add.
        """
        a = np.asarray(activation_mw, dtype=np.float64)
        book = self.book
        if a.shape != book.quantity_mw.shape:
            raise MarketError(
                f"activation has shape {a.shape}, expected {book.quantity_mw.shape}",
                where="OfferSet.split_activation",
                fix="one activation per offer row and interval",
            )
        n_der = self.members.shape[1]
        p = np.zeros((n_der, a.shape[1]))
        q = np.zeros_like(p)
        q_max = flexibility.q_max_mvar
        for label, (sign, reactive) in DIRECTIONS.items():
            rows = np.flatnonzero((book.direction == sign) & (book.reactive == reactive))
            if rows.size == 0:
                continue
            denom = self.member_flex_mw[rows]
            ratio = np.divide(a[rows], denom, out=np.zeros_like(denom), where=denom > _TOL)
            share = np.asarray(self.members[rows].T @ ratio)
            if reactive:
                f = q_max if q_max is not None else np.zeros_like(p)
                q += sign * share * f
            else:
                f = flexibility.up_mw if label == "up" else flexibility.down_mw
                p += sign * share * f
        return p, q


# --------------------------------------------------------------------------- grouping


@dataclass(frozen=True, eq=False)
class _Bundles:
    inv: IntArray  # bundle of each DER
    first: IntArray  # a representative DER per bundle
    is_aggregate: BoolArray
    ids: tuple[str, ...]


def _bundles(fleet: Fleet, aggregate: bool, unit_min_mw: float) -> _Bundles:
    n = fleet.n_der
    agg_names = fleet.aggregator_id.astype(str)
    joined = aggregate & (agg_names != "") & (fleet.p_max_mw >= unit_min_mw)
    _, agg_code = np.unique(agg_names, return_inverse=True)
    _, type_code = np.unique(fleet.der_type.astype(str), return_inverse=True)
    single = np.where(joined, -1, np.arange(n))
    keys = np.column_stack(
        [fleet.feeder, fleet.node, agg_code.ravel(), type_code.ravel(), single]
    ).astype(np.int64)
    if n == 0:
        e = np.zeros(0, dtype=np.int64)
        return _Bundles(e, e, np.zeros(0, dtype=bool), ())
    _, first, inv = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inv = inv.ravel().astype(np.int64)
    first = first.astype(np.int64)
    is_agg = joined[first]
    ids = tuple(
        f"{agg_names[j]}/{fleet.der_type[j]}/f{fleet.feeder[j]}n{fleet.node[j]}"
        if is_agg[g]
        else str(fleet.der_id[j])
        for g, j in enumerate(first.tolist())
    )
    return _Bundles(inv, first, is_agg, ids)


def _eligible(fleet: Fleet, product: Product, registry: Any) -> tuple[BoolArray, list[str]]:
    """DERs active for ``product`` in the registry (all when ``registry`` is None) and the
    status text of the others."""
    if registry is None:
        return np.ones(fleet.n_der, dtype=bool), []
    status = [
        str(registry.status(d, product.id)) if d in registry else "not registered"
        for d in fleet.der_id.tolist()
    ]
    ok = np.asarray([s == "active" for s in status], dtype=bool)
    return ok, [s if s == "not registered" else f"status {s}" for s in status]


def _empty_rejected() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in REJECTED_COLUMNS})


# --------------------------------------------------------------------------- building


@dataclasses.dataclass(frozen=True, kw_only=True)
class OfferOptions:
    """The optional choices of :func:`build_offers` (its keyword ``options``).

    ``strategy`` (name or object) with ``strategy_params``; ``aggregate`` ``"node"`` (bundles
    per aggregator, DER type and node, where the preset allows aggregation) or ``"none"``;
    ``registry`` (only DERs active for a product offer it; ``None``: all); ``seed`` for
    randomised strategies; ``flexibility`` (``fleet.flexibility(n_intervals, dt_h)``) when
    already computed; cost ``assumptions``.
    """

    strategy: str | CostBased = "cost_based"
    aggregate: Literal["node", "none"] = "node"
    registry: Any = None
    seed: int = 0
    flexibility: Flexibility | None = None
    assumptions: CostAssumptions | None = None
    strategy_params: dict[str, Any] | None = None


OPTION_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(OfferOptions))


def _options(options: dict[str, Any]) -> OfferOptions:
    unknown = sorted(set(options) - set(OPTION_NAMES))
    if unknown:
        raise MarketError(
            f"unknown offer option(s) {unknown}",
            where="build_offers",
            fix=f"use {', '.join(OPTION_NAMES)}",
        )
    opt = OfferOptions(**options)
    if opt.aggregate not in ("node", "none"):
        raise MarketError(
            f"aggregate = {opt.aggregate!r}", where="build_offers", fix="use 'node' or 'none'"
        )
    return opt


def _market(fleet: Fleet, n_intervals: int, dt_h: float, pre: Preset, opt: OfferOptions) -> _Market:
    """Strategy, flexibility (checked), costs and bundles shared by every product."""
    strat = get_strategy(opt.strategy, **(opt.strategy_params or {}))
    flex = opt.flexibility if opt.flexibility is not None else fleet.flexibility(n_intervals, dt_h)
    if flex.up_mw.shape != (fleet.n_der, n_intervals):
        raise MarketError(
            f"flexibility has shape {flex.up_mw.shape}, expected ({fleet.n_der}, {n_intervals})",
            where="build_offers",
            fix="pass fleet.flexibility(n_intervals, dt_h)",
        )
    costs = der_costs(fleet, opt.assumptions)
    agg_ok = opt.aggregate == "node" and pre.participation.aggregation_allowed.value
    bundles = _bundles(fleet, agg_ok, pre.min_unit_in_aggregation_mw())
    return _Market(fleet, pre, strat, bundles, flex, costs, opt.registry)


def build_offers(
    fleet: Fleet,
    *,
    n_intervals: int,
    dt_h: float,
    preset: Preset | str,
    products: Sequence[str | Product],
    **options: Any,
) -> OfferSet:
    """Offers of ``fleet`` for ``products`` under ``preset`` (see the module doc); ``options``:
    the fields of :class:`OfferOptions` (strategy, aggregation, registry, seed, …).
    Deterministic (``seed`` drives randomised strategies, e.g. ``markup`` with a spread)."""
    opt = _options(options)
    pre = preset if isinstance(preset, Preset) else load_preset(preset)
    prods = [p if isinstance(p, Product) else get_product(p) for p in products]
    if len({p.id for p in prods}) != len(prods):
        raise MarketError("a product is listed twice", where="build_offers", fix="list it once")
    market = _market(fleet, n_intervals, dt_h, pre, opt)
    rng = np.random.default_rng(opt.seed)
    books: list[OfferBook] = []
    members: list[Any] = []
    denoms: list[FloatArray] = []
    rejected: list[pd.DataFrame] = []
    for prod in prods:
        res = _product_offers(market, prod, rng)
        if res is None:
            rejected.append(_unavailable(prod, pre))
            continue
        book, mem, den, rej = res
        books.append(book)
        members.append(mem)
        denoms.append(den)
        rejected.append(rej)
    if books:
        book = OfferBook.concat(books)
        mem = sp.vstack(members, format="csr")
        den = np.vstack(denoms)
    else:
        book = OfferBook.empty(n_intervals)
        mem = sp.csr_matrix((0, fleet.n_der))
        den = np.zeros((0, n_intervals))
    rej_frames = [r for r in rejected if len(r)]
    rej = pd.concat(rej_frames, ignore_index=True) if rej_frames else _empty_rejected()
    return OfferSet(book, mem.astype(np.float64).tocsr(), den, rej)


def _unavailable(prod: Product, pre: Preset) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "der_id": "*",
                "aggregator_id": "",
                "der_type": "",
                "product_id": prod.id,
                "direction": "",
                "check": "unavailable",
                "n_intervals": 0,
                "reason": f"product {prod.id!r} is not available under preset {pre.id!r}",
            }
        ],
        columns=list(REJECTED_COLUMNS),
    )


def _registry_rejections(
    fleet: Fleet, prod: Product, ok: BoolArray, status: list[str], T: int
) -> pd.DataFrame | None:
    """Rows for the DERs not active for ``prod`` in the registry (``None`` when all are)."""
    bad = np.flatnonzero(~ok)
    if not bad.size:
        return None
    return pd.DataFrame(
        {
            "der_id": fleet.der_id[bad].astype(str),
            "aggregator_id": fleet.aggregator_id[bad].astype(str),
            "der_type": fleet.der_type[bad].astype(str),
            "product_id": prod.id,
            "direction": "",
            "check": "registry",
            "n_intervals": T,
            "reason": [
                f"not active for {prod.id} in the registry ({status[j]})" for j in bad.tolist()
            ],
        }
    )


_Direction = tuple[str, FloatArray, FloatArray]  # label, flexibility (n_der, T), cost (n_der,)


def _directions(
    fleet: Fleet, prod: Product, flex: Flexibility, costs: dict[str, FloatArray], ok: BoolArray
) -> tuple[BoolArray, list[_Direction]]:
    """The directions ``prod`` buys with each DER's flexibility and cost in it (reactive
    products: Mvar capability of reactive-capable DERs; symmetric ones: min(up, down))."""
    n, T = fleet.n_der, flex.up_mw.shape[1]
    if prod.reactive:
        q = flex.q_max_mvar if flex.q_max_mvar is not None else np.zeros((n, T))
        dirs = [(lbl, q, costs["q"]) for lbl in ("q_up", "q_down") if lbl[2:] in prod.directions]
        return ok & fleet.reactive_capable, dirs
    sym = np.minimum(flex.up_mw, flex.down_mw) if prod.symmetric else None
    dirs = [
        (
            lbl,
            sym if sym is not None else (flex.up_mw if lbl == "up" else flex.down_mw),
            costs[lbl],
        )
        for lbl in ("up", "down")
        if lbl in prod.directions
    ]
    return ok, dirs


@dataclasses.dataclass(frozen=True, eq=False)
class _Steps:
    """One direction's steps: quantities ``(S, G, T)``, prices ``(S, G, T)``, and the bundle
    flexibility kept after the minimum size ``(G, T)``."""

    quantity_mw: FloatArray
    price_eur_per_mwh: FloatArray
    kept_mw: FloatArray


@dataclasses.dataclass(frozen=True, eq=False)
class _Ctx:
    """What every direction of one product shares."""

    fleet: Fleet
    prod: Product
    pre: Preset
    strat: CostBased
    b: _Bundles
    A: sp.csr_matrix  # bundle × DER membership of the eligible DERs
    min_mw: FloatArray  # (G,)


def _direction_steps(
    x: _Ctx, d: _Direction, rng: np.random.Generator, rej: list[pd.DataFrame]
) -> _Steps:
    """Bundle flexibility, merit cost, minimum size and the strategy's prices of direction
    ``d`` (size rejections appended to ``rej``)."""
    lbl, f, c = d
    A, G = x.A, len(x.b.ids)
    count = np.asarray(A.sum(axis=1)).ravel()
    fr = x.strat.fractions()
    cap = x.pre.energy.price_cap_per_mwh
    floor = x.pre.energy.price_floor_per_mwh
    F = np.asarray(A @ f, dtype=np.float64)  # (G, T)
    wc = np.asarray(A @ (c[:, None] * f), dtype=np.float64)
    mean_c = np.divide(np.asarray(A @ c).ravel(), count, out=np.zeros(G), where=count > 0)
    C = np.where(F > _TOL, wc / np.where(F > _TOL, F, 1.0), mean_c[:, None])
    total = F * fr.sum()
    low = (total > _TOL) & (total < x.min_mw[:, None] - 1e-12)
    F_ok = np.where(low, 0.0, F)
    offered = np.asarray((total > _TOL).any(axis=1), dtype=bool)
    kept = np.asarray((F_ok > _TOL).any(axis=1), dtype=bool)
    rej.append(_size_report(x, lbl, low, (offered, kept), total))
    prices = x.strat.prices(C, rng)  # (S, G, T)
    prices = np.clip(
        prices,
        -np.inf if floor is None else floor.value,
        np.inf if cap is None else cap.value,
    )
    return _Steps(fr[:, None, None] * F_ok[None], prices, F_ok)


def _book(x: _Ctx, labels: list[str], steps: list[_Steps]) -> tuple[OfferBook, Any, FloatArray]:
    """One offer row per bundle, direction and step (bundle-major), its members and the
    member-flexibility denominators."""
    fleet, prod, b = x.fleet, x.prod, x.b
    G, D, S = len(b.ids), len(steps), x.strat.fractions().size
    Q = np.stack([s.quantity_mw for s in steps], axis=1)  # (S, D, G, T)
    P = np.stack([s.price_eur_per_mwh for s in steps], axis=1)
    Fd = np.stack([s.kept_mw for s in steps], axis=0)  # (D, G, T)
    keep = np.asarray((Fd > _TOL).any(axis=2), dtype=bool)  # (D, G)
    g_idx, d_idx, s_idx = np.meshgrid(np.arange(G), np.arange(D), np.arange(S), indexing="ij")
    sel = keep[d_idx, g_idx]  # (G, D, S) in bundle-major order
    g_r, d_r, s_r = g_idx[sel], d_idx[sel], s_idx[sel]
    signs = np.asarray([DIRECTIONS[lbl][0] for lbl in labels], dtype=np.int64)
    first = b.first[g_r]
    row_ids = [b.ids[g] for g in g_r.tolist()]
    offer_ids = [
        f"{prod.id}:{rid}:{labels[d]}:{s}"
        for rid, d, s in zip(row_ids, d_r.tolist(), s_r.tolist(), strict=True)
    ]
    book = OfferBook(
        offer_id=tuple(offer_ids),
        der_id=tuple(row_ids),
        aggregator_id=tuple(fleet.aggregator_id[first].astype(str)),
        product_id=(prod.id,) * len(offer_ids),
        der_type=tuple(fleet.der_type[first].astype(str)),
        direction=signs[d_r],
        feeder=fleet.feeder[first],
        node=fleet.node[first],
        reactive=np.full(g_r.size, prod.reactive),
        quantity_mw=Q[s_r, d_r, g_r],
        price_eur_per_mwh=P[s_r, d_r, g_r],
    )
    return book, x.A[g_r], Fd[d_r, g_r]


@dataclasses.dataclass(frozen=True, eq=False)
class _Market:
    """What every product of one :func:`build_offers` call shares."""

    fleet: Fleet
    pre: Preset
    strat: CostBased
    b: _Bundles
    flex: Flexibility
    costs: dict[str, FloatArray]
    registry: Any


def _product_offers(
    m: _Market, prod: Product, rng: np.random.Generator
) -> tuple[OfferBook, Any, FloatArray, pd.DataFrame] | None:
    """Offers of ``fleet`` for one product (``None`` when the preset does not have it)."""
    fleet, pre, strat, b, flex = m.fleet, m.pre, m.strat, m.b, m.flex
    if not pre.product_available(prod.id):
        return None
    n, T = fleet.n_der, flex.up_mw.shape[1]
    ok, status = _eligible(fleet, prod, m.registry)
    rej: list[pd.DataFrame] = []
    reg = _registry_rejections(fleet, prod, ok, status, T)
    if reg is not None:
        rej.append(reg)
    ok, dirs = _directions(fleet, prod, flex, m.costs, ok)
    cols = np.flatnonzero(ok)
    A = sp.csr_matrix((np.ones(cols.size), (b.inv[cols], cols)), shape=(len(b.ids), n))
    min_mw = np.where(b.is_aggregate, pre.min_size_mw(prod.id), pre.min_size_standalone_mw(prod.id))
    x = _Ctx(fleet, prod, pre, strat, b, A, min_mw)
    steps = [_direction_steps(x, d, rng, rej) for d in dirs]
    if not dirs:
        return (
            OfferBook.empty(T),
            sp.csr_matrix((0, n)),
            np.zeros((0, T)),
            pd.concat(rej or [_empty_rejected()], ignore_index=True),
        )
    book, members, denom = _book(x, [d[0] for d in dirs], steps)
    return book, members, denom, pd.concat(rej or [_empty_rejected()], ignore_index=True)


def _size_report(
    x: _Ctx,
    label: str,
    low: BoolArray,
    offered_kept: tuple[BoolArray, BoolArray],
    total: FloatArray,
) -> pd.DataFrame:
    """Rows for bundles dropped (``min_size``) or cut in some intervals (``min_size_partial``);
    ``offered_kept``: bundles with flexibility before and after the minimum size."""
    fleet, prod, pre, b, min_mw = x.fleet, x.prod, x.pre, x.b, x.min_mw
    offered, kept = offered_kept
    n_low = low.sum(axis=1)
    dropped = offered & ~kept
    partial = kept & (n_low > 0)
    g = np.flatnonzero(dropped | partial)
    if g.size == 0:
        return _empty_rejected()
    first = b.first[g]
    kind = np.where(b.is_aggregate[g], "aggregation", "stand-alone")
    largest = total[g].max(axis=1)
    reasons = [
        (
            f"{label} offer of {1e3 * big:.4g} kW at most is below the {1e3 * m:.4g} kW "
            f"{k} minimum of {pre.id} for {prod.id}: dropped"
            if d
            else f"{label} offer below the {1e3 * m:.4g} kW {k} minimum of {pre.id} for "
            f"{prod.id} in {nl} intervals: set to 0 there"
        )
        for big, m, k, d, nl in zip(
            largest.tolist(),
            min_mw[g].tolist(),
            kind.tolist(),
            dropped[g].tolist(),
            n_low[g].tolist(),
            strict=True,
        )
    ]
    return pd.DataFrame(
        {
            "der_id": [b.ids[i] for i in g.tolist()],
            "aggregator_id": fleet.aggregator_id[first].astype(str),
            "der_type": fleet.der_type[first].astype(str),
            "product_id": prod.id,
            "direction": label,
            "check": np.where(dropped[g], "min_size", "min_size_partial"),
            "n_intervals": n_low[g].astype(np.int64),
            "reason": reasons,
        }
    )
