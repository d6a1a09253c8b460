"""Who may offer what, and who may buy it: the rules of the day applied to the offers.

Seed 000 §1.3 (grid prequalification, minimum sizes, export rules of US demand response) and
seed 001 §IV (prequalification by the connecting DSO; the "traffic light" that decides whether a
unit may be activated). The rules act on the offers every model clears, so every model meets
them alike:

1. **Export ban** (presets with ``participation.demand_response_export_allowed = false``: PJM,
   NYISO; seed 000 §1.3 "PJM, like NYISO, prohibits power exports from customers that
   participate in wholesale demand response programs"). A demand-response participant
   (:data:`DEMAND_RESPONSE_TYPES`: controllable consumption) may lower its consumption, never
   turn it into an export: ``up_jt ≤ max(0, −p^base_jt)`` (sign convention of
   :mod:`tdcoord.der.base`: ``p < 0`` is consumption).
2. **Red** units of the DSO's grid prequalification
   (:func:`tdcoord.der.grid_prequalification.grid_prequalify`) offer nothing in the directions
   they fail (``up``/``down``; a reactive product in both ``q`` directions when either fails).
3. **Amber** units are capped at their hosting headroom
   (:func:`tdcoord.der.grid_prequalification.hosting_headroom_mw`) in the directions they are
   amber for. Where the headroom binds (flexibility above it in some interval) the unit is
   offered **alone** there: an aggregation splits its activations pro rata to the members'
   physical flexibility and could ask it beyond its cap. An amber unit whose flexibility lies
   within its headroom stays in its bundle (its pro-rata share never exceeds its flexibility).
4. **Minimum sizes**: :func:`tdcoord.market.offer_building.build_offers` step 4, unchanged.
5. **Buyers**: :func:`may_buy` — an offer row may be bought only by a buyer its product lists
   (``products.yaml`` ``buyers``); the clearing applies it (``ClearingSpec.buyers``).

:func:`build_eligible_offers` applies 1–4 and returns one
:class:`~tdcoord.market.offer_building.OfferSet` whose ``members`` hold, per row, only the DERs
allowed in the row's direction (the pro-rata split of activations never reaches an excluded
unit), and whose ``rejected`` frame reports the grid rules (``check`` ``grid_red``,
``grid_amber``) and the export ban (``export_ban``) next to the checks of ``build_offers``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tdcoord.der.base import Flexibility
from tdcoord.der.fleet import Fleet
from tdcoord.market.offer_building import REJECTED_COLUMNS, OfferSet, build_offers
from tdcoord.market.offers import OfferBook
from tdcoord.market.products import Buyer, Product, get_product
from tdcoord.market.rules import Preset, load_preset
from tdcoord.types import BoolArray, FloatArray, IntArray

#: DER types that take part as demand response (controllable consumption).
DEMAND_RESPONSE_TYPES: tuple[str, ...] = ("flexible_load", "heat_pump", "ev")
_TOL = 1e-12


def may_buy(offers: OfferBook, buyer: Buyer) -> BoolArray:
    """Rows of ``offers`` whose product lists ``buyer`` (``"TSO"``, ``"DSO"``, ``"MO"``)."""
    allowed = {p for p in set(offers.product_id) if get_product(p).bought_by(buyer)}
    return np.fromiter((p in allowed for p in offers.product_id), bool, len(offers.product_id))


def export_capped(fleet: Fleet, flex: Flexibility, baseline_p_mw: FloatArray, preset: Preset) -> (
    Flexibility
):
    """Rule 1: up-flexibility of demand-response DERs capped at their baseline consumption when
    the preset forbids their export (unchanged otherwise)."""
    if preset.participation.demand_response_export_allowed.value:
        return flex
    dr = np.isin(fleet.der_type.astype(str), DEMAND_RESPONSE_TYPES)[:, None]
    up = np.where(dr, np.minimum(flex.up_mw, np.maximum(-baseline_p_mw, 0.0)), flex.up_mw)
    return Flexibility(up, flex.down_mw, flex.q_max_mvar)


def _labels(prod: Product) -> list[str]:
    return [("q_" if prod.reactive else "") + d for d in prod.directions]


def _lights(grid_pq: Any, prod: Product, n_der: int) -> dict[str, Any]:
    """Per direction label: light codes (0 green, 1 amber, 2 red) per DER."""
    if grid_pq is None:
        return {lbl: np.zeros(n_der, dtype=np.int64) for lbl in _labels(prod)}
    codes = {lbl: np.asarray(grid_pq.cases[lbl]["light"], dtype=np.int64) for lbl in _labels(prod)}
    if prod.reactive:  # one q capability serves both q directions: the worse light binds
        worst = np.max(np.vstack(list(codes.values())), axis=0)
        codes = dict.fromkeys(codes, worst)
    return codes


def _headroom(grid_pq: Any, label: str, amber: BoolArray, T: int) -> FloatArray:
    from tdcoord.der.grid_prequalification import hosting_headroom_mw

    cap = np.full((amber.size, T), np.inf)
    rows = np.flatnonzero(amber)
    if rows.size:
        cap[rows] = hosting_headroom_mw(grid_pq, label, rows)
    return cap


def _split(flex: Flexibility, codes: dict[str, Any], grid_pq: Any) -> tuple[Flexibility, ...]:
    """(green part, amber part capped at its headroom) of ``flex``; red directions are in
    neither; directions the product does not buy stay in the green part (unused)."""
    T = flex.up_mw.shape[1]
    q = flex.q_max_mvar if flex.q_max_mvar is not None else np.zeros_like(flex.up_mw)
    green: list[FloatArray] = []
    amber_part: list[FloatArray] = []
    for labels, arr in ((("up",), flex.up_mw), (("down",), flex.down_mw), (("q_up", "q_down"), q)):
        mine = [lbl for lbl in labels if lbl in codes]
        if not mine:
            green.append(arr)
            amber_part.append(np.zeros_like(arr))
            continue
        c = codes[mine[0]]
        cap = np.min([_headroom(grid_pq, lbl, c == 1, T) for lbl in mine], axis=0)
        # an amber unit whose flexibility already lies within its headroom is capped by its
        # own flexibility: it stays in its bundle (a pro-rata share never exceeds it)
        binding = (c == 1) & (arr > cap + _TOL).any(axis=1)
        green.append(np.where(((c == 0) | ((c == 1) & ~binding))[:, None], arr, 0.0))
        amber_part.append(np.where(binding[:, None], np.minimum(arr, cap), 0.0))
    return Flexibility(*green), Flexibility(*amber_part)


def _pruned(built: OfferSet, flex: Flexibility) -> OfferSet:
    """Members kept only where the DER has flexibility in the row's direction."""
    book = built.book
    q = flex.q_max_mvar if flex.q_max_mvar is not None else np.zeros_like(flex.up_mw)
    has = np.vstack([(f > _TOL).any(axis=1) for f in (flex.up_mw, flex.down_mw, q)])
    kind = np.where(book.reactive, 2, np.where(book.direction > 0, 0, 1))
    m = sp.coo_matrix(built.members)
    keep = has[kind[m.row], m.col]
    members = sp.csr_matrix((m.data[keep], (m.row[keep], m.col[keep])), shape=m.shape)
    return OfferSet(book, members, built.member_flex_mw, built.rejected)


def _report(fleet: Fleet, prod: Product, codes: dict[str, Any], T: int) -> pd.DataFrame:
    frames = []
    for lbl, c in codes.items():
        for code, check, what in ((2, "grid_red", "excluded"), (1, "grid_amber", "capped")):
            j = np.flatnonzero(c == code)
            if not j.size:
                continue
            frames.append(
                pd.DataFrame(
                    {
                        "der_id": fleet.der_id[j].astype(str),
                        "aggregator_id": fleet.aggregator_id[j].astype(str),
                        "der_type": fleet.der_type[j].astype(str),
                        "product_id": prod.id,
                        "direction": lbl,
                        "check": check,
                        "n_intervals": T,
                        "reason": f"DSO grid prequalification {check[5:]} for {lbl}: {what}"
                        + (" at its hosting headroom (alone where it binds)" if code == 1 else ""),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=list(REJECTED_COLUMNS)
    )


def _concat(sets: Sequence[OfferSet], n_der: int, T: int, extra: list[pd.DataFrame]) -> OfferSet:
    books = [s.book for s in sets if s.book.n_offers]
    book = OfferBook.concat(books) if books else OfferBook.empty(T)
    mems = [s.members for s in sets if s.book.n_offers]
    members = sp.vstack(mems, format="csr") if mems else sp.csr_matrix((0, n_der))
    dens = [s.member_flex_mw for s in sets if s.book.n_offers]
    den = np.vstack(dens) if dens else np.zeros((0, T))
    frames = [r for r in [*(s.rejected for s in sets), *extra] if len(r)]
    rej = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=list(REJECTED_COLUMNS)
    )
    return OfferSet(book, members.astype(np.float64), den, rej)


def build_eligible_offers(
    fleet: Fleet,
    *,
    n_intervals: int,
    dt_h: float,
    preset: Preset | str,
    products: Sequence[str | Product],
    grid_prequalification: Any = None,
    **options: Any,
) -> OfferSet:
    """:func:`~tdcoord.market.offer_building.build_offers` with the rules of the module doc:
    ``grid_prequalification`` is a :class:`~tdcoord.der.grid_prequalification.GridPrequalification`
    of the fleet for (at least) ``products`` (``None``: every unit green); ``options`` those of
    ``build_offers``."""
    pre = preset if isinstance(preset, Preset) else load_preset(preset)
    flex = options.pop("flexibility", None)
    if flex is None:
        flex = fleet.flexibility(n_intervals, dt_h)
    capped = export_capped(fleet, flex, fleet.baseline_p_mw(n_intervals, dt_h), pre)
    extra = [_export_report(fleet, flex, capped, n_intervals)]
    sets: list[OfferSet] = []
    for p in products:
        prod = p if isinstance(p, Product) else get_product(p)
        codes = _lights(grid_prequalification, prod, fleet.n_der)
        green, amber = _split(capped, codes, grid_prequalification)
        kw: dict[str, Any] = {
            "n_intervals": n_intervals, "dt_h": dt_h, "preset": pre, "products": [prod]
        }
        sets.append(_pruned(build_offers(fleet, **kw, **options, flexibility=green), green))
        if (amber.up_mw > 0).any() or (amber.down_mw > 0).any() or (
            amber.q_max_mvar is not None and (amber.q_max_mvar > 0).any()
        ):
            alone = {**options, "aggregate": "none"}
            built = build_offers(fleet, **kw, **alone, flexibility=amber)
            sets.append(_pruned(_without_rejects(built), amber))
        extra.append(_report(fleet, prod, codes, n_intervals))
    return _concat(sets, fleet.n_der, n_intervals, extra)


def _without_rejects(built: OfferSet) -> OfferSet:
    """``built`` without its ``rejected`` rows (the amber pass repeats the green pass's
    registry rows)."""
    return OfferSet(built.book, built.members, built.member_flex_mw, built.rejected.iloc[0:0])


def _export_report(
    fleet: Fleet, flex: Flexibility, capped: Flexibility, T: int
) -> pd.DataFrame:
    cut = (flex.up_mw - capped.up_mw) > _TOL
    j = np.flatnonzero(cut.any(axis=1))
    return pd.DataFrame(
        {
            "der_id": fleet.der_id[j].astype(str),
            "aggregator_id": fleet.aggregator_id[j].astype(str),
            "der_type": fleet.der_type[j].astype(str),
            "product_id": "*",
            "direction": "up",
            "check": "export_ban",
            "n_intervals": cut[j].sum(axis=1).astype(np.int64),
            "reason": "demand response may not export under the preset: up capped at the "
            "baseline consumption",
        }
    )


def bid_groups(offers: OfferBook) -> tuple[IntArray, int]:
    """The bid of every offer step — one seller (bundle or DER), product, direction and
    reactive flag — as a group code ``(n_offer,)`` in order of first appearance, and the number
    of bids."""
    keys = pd.DataFrame(
        {
            "seller": list(offers.der_id),
            "product": list(offers.product_id),
            "direction": offers.direction,
            "reactive": offers.reactive,
        }
    )
    codes = np.asarray(
        keys.groupby(list(keys.columns), sort=False).ngroup().to_numpy(), dtype=np.int64
    )
    return codes, int(codes.max()) + 1 if codes.size else 0


def min_size_quantities(offers: OfferBook, quantity_mw: FloatArray, preset: Preset) -> FloatArray:
    """Rule 4 on quantities other than the built ones (a later stage's unsold, rescaled
    offers): per bid — one seller (bundle or DER), product and direction — and interval, the
    steps' total must reach the preset's minimum (``min_size_mw`` for an aggregation, a row with
    more than one member; ``min_size_standalone_mw`` for a DER alone), else the bid is 0 there
    (as :func:`~tdcoord.market.offer_building.build_offers` step 4)."""
    n = offers.n_offers
    if n == 0:
        return quantity_mw
    codes, n_groups = bid_groups(offers)
    group = sp.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(n_groups, n))
    total = np.asarray(group @ quantity_mw)[codes]
    is_agg = ["/" in d for d in offers.der_id]
    mins = {
        p: (preset.min_size_mw(p), preset.min_size_standalone_mw(p))
        for p in set(offers.product_id)
    }
    need = np.array(
        [mins[p][0] if a else mins[p][1] for p, a in zip(offers.product_id, is_agg, strict=True)]
    )
    low = total < need[:, None] - 1e-12
    return np.asarray(np.where(low, 0.0, quantity_mw), dtype=np.float64)
