"""The rules of the day on the offers (tdcoord.market.eligibility): each test shows the rule
acting and that the outcome differs without it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import tdcoord.der.grid_prequalification as gpq
from tdcoord.der.base import Flexibility
from tdcoord.der.fleet import Fleet
from tdcoord.der.fleet_spec import FleetSpec, build_fleet
from tdcoord.grid.model import GridModel
from tdcoord.market.eligibility import (
    DEMAND_RESPONSE_TYPES,
    build_eligible_offers,
    export_capped,
    may_buy,
    min_size_quantities,
)
from tdcoord.market.offer_building import OfferSet, build_offers
from tdcoord.market.offers import OfferBook
from tdcoord.market.products import get_product
from tdcoord.market.rules import load_preset
from tdcoord.simulation.timeline import der_requests

from .test_offer_building import DT, T, preset_with, tiny_fleet


def _book(products: list[str]) -> OfferBook:
    n = len(products)
    return OfferBook(
        offer_id=[f"o{i}" for i in range(n)], der_id=[f"d{i}" for i in range(n)],
        aggregator_id=["a"] * n, product_id=products, der_type=["battery"] * n,
        direction=[1] * n, feeder=[0] * n, node=[1] * n, reactive=[False] * n,
        quantity_mw=np.ones((n, 2)), price_eur_per_mwh=np.ones((n, 2)),
    )


def test_may_buy_follows_each_products_buyers() -> None:
    products = ["congestion_dso", "mfrr", "congestion_shared", "da_energy", "congestion_tso"]
    book = _book(products)
    for buyer in ("TSO", "DSO", "MO"):
        expected = [buyer in get_product(p).buyers for p in products]
        np.testing.assert_array_equal(may_buy(book, buyer), expected)  # type: ignore[arg-type]
    np.testing.assert_array_equal(may_buy(book, "TSO"), [False, True, True, False, True])


def _lights(fleet: Fleet, **codes: dict[str, int]) -> Any:
    """A stand-in grid prequalification: light code per direction and DER id (default green)."""
    ids = fleet.der_id.tolist()
    cases = {}
    for case in ("up", "down", "q_up", "q_down"):
        c = np.zeros(fleet.n_der, dtype=np.int64)
        for der, code in codes.get(case, {}).items():
            c[ids.index(der)] = code
        cases[case] = {"light": c}
    return SimpleNamespace(cases=cases)


def _requests(built: OfferSet, fleet: Fleet) -> np.ndarray:
    """Every offer row fully accepted, split to DERs as the pipeline splits it."""
    flex = fleet.flexibility(T, DT)
    req, _, _ = der_requests(
        built.book, built.members, built.book.quantity_mw, flex.up_mw, flex.down_mw
    )
    return np.asarray(req)


def _build(fleet: Fleet, pq: Any) -> OfferSet:
    return build_eligible_offers(
        fleet, n_intervals=T, dt_h=DT, preset="nodes", products=["congestion_dso"],
        grid_prequalification=pq,
    )


def test_red_unit_gets_no_request_in_the_direction_it_fails() -> None:
    fleet = tiny_fleet()
    i0, i1 = 0, 1  # pv0 and pv1: identical PV of aggregator A at node 1 (one bundle)
    red = _build(fleet, _lights(fleet, down={"pv0": 2}))
    req = _requests(red, fleet)
    assert (req[i0] >= 0).all() and (req[i1] < 0).any()  # pv0 never curtailed, pv1 is
    assert (req[i0] > 0).sum() == (req[i1] > 0).sum()  # up is not failed: both offer up
    rej = red.rejected
    assert rej.loc[rej["check"] == "grid_red", ["der_id", "direction"]].values.tolist() == [
        ["pv0", "down"]
    ]
    # without the rule pv0 is curtailed like pv1
    req_all = _requests(_build(fleet, None), fleet)
    np.testing.assert_allclose(req_all[i0], req_all[i1])
    assert (req_all[i0] < 0).any()


def test_amber_unit_is_capped_at_its_headroom_and_offered_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fleet = tiny_fleet()
    cap_mw = 0.001
    seen: list[str] = []

    def headroom(pq: Any, case: str, rows: Any) -> np.ndarray:
        seen.append(case)
        return np.full((len(rows), T), cap_mw)

    monkeypatch.setattr(gpq, "hosting_headroom_mw", headroom)
    built = _build(fleet, _lights(fleet, down={"pv1": 1}))
    assert seen == ["down"]
    b = built.book
    alone = np.flatnonzero((np.asarray(b.der_id) == "pv1") & (b.direction == -1))
    assert alone.size and (b.quantity_mw[alone].sum(axis=0) <= cap_mw + 1e-12).all()
    req = _requests(built, fleet)
    assert (-req[1] <= cap_mw + 1e-12).all()  # never asked beyond its headroom
    assert (-req[0]).max() > cap_mw  # pv0 (green) is
    # without the rule pv1 is asked beyond the cap
    assert (-_requests(_build(fleet, None), fleet)[1]).max() > cap_mw


def test_amber_unit_within_its_headroom_stays_in_its_bundle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Headroom above the unit's flexibility does not bind: no stand-alone row, the same
    offers and requests as without the rule."""
    fleet = tiny_fleet()
    monkeypatch.setattr(
        gpq, "hosting_headroom_mw", lambda pq, case, rows: np.full((len(rows), T), 1e3)
    )
    built = _build(fleet, _lights(fleet, down={"pv1": 1}))
    assert "pv1" not in set(np.asarray(built.book.der_id).tolist())
    np.testing.assert_allclose(_requests(built, fleet), _requests(_build(fleet, None), fleet))
    assert (built.rejected["check"] == "grid_amber").sum() == 1  # still reported


def test_headroom_matches_the_traffic_light(cigre_mv: GridModel) -> None:
    """An independent check of hosting_headroom_mw (margins 0): a red unit's full activation
    exceeds its headroom somewhere; a unit above its headroom that is not red is the amber
    "only with reactive support" case; every other unit stays within it."""
    spec = FleetSpec(phase="subsequent_phase", season="winter", n_intervals=96, customer_peak_kw=200)
    fleet = build_fleet(cigre_mv, spec)
    pq = gpq.grid_prequalify(
        cigre_mv, fleet, [get_product("congestion_dso")], n_intervals=96, dt_h=DT,
        season="winter", margin_v_pu=0.0, margin_loading=0.0,
    )
    head = gpq.hosting_headroom_mw(pq, "down", np.arange(fleet.n_der))
    assert head.shape == (fleet.n_der, 96)
    down = fleet.flexibility(96, DT).down_mw
    case = pq.cases["down"]
    over = (down > head + 1e-6).any(axis=1)
    red = case["light"] == 2
    assert red.any()
    assert over[red].all()
    assert case["reactive_fix"][over & ~red].all()


def test_export_ban_caps_demand_response_at_its_consumption(cigre_mv: GridModel) -> None:
    spec = FleetSpec(phase="subsequent_phase", season="winter", n_intervals=T, customer_peak_kw=8)
    fleet = build_fleet(cigre_mv, spec)
    base = fleet.baseline_p_mw(T, DT)
    flex = fleet.flexibility(T, DT)
    dr = np.isin(fleet.der_type.astype(str), DEMAND_RESPONSE_TYPES)
    assert dr.any()
    # a flexibility that would export: up beyond the baseline consumption
    big = Flexibility(flex.up_mw + 0.01, flex.down_mw, flex.q_max_mvar)
    pjm = load_preset("pjm")
    capped = export_capped(fleet, big, base, pjm)
    assert (capped.up_mw[dr] <= np.maximum(-base[dr], 0.0) + 1e-12).all()
    np.testing.assert_array_equal(capped.up_mw[~dr], big.up_mw[~dr])
    assert export_capped(fleet, big, base, load_preset("eu_generic")) is big
    # in the offers: every up bid of demand response stays within its members' consumption
    variant = preset_with("pjm", min_size="1 kW")
    built = build_eligible_offers(
        fleet, n_intervals=T, dt_h=DT, preset=variant, products=["congestion_dso"],
        flexibility=big,
    )
    b = built.book
    rows = np.flatnonzero((b.direction == 1) & np.isin(np.asarray(b.der_type), DEMAND_RESPONSE_TYPES))
    assert rows.size
    consumption = np.asarray(built.members[rows] @ np.maximum(-base, 0.0))
    per_bid = _per_bid(b, rows)
    assert (per_bid <= consumption[_first_rows(b, rows)] + 1e-9).all()
    assert set(built.rejected["check"]) >= {"export_ban"}
    free = build_eligible_offers(
        fleet, n_intervals=T, dt_h=DT, preset=preset_with("pjm", min_size="1 kW",
        demand_response_export_allowed=True), products=["congestion_dso"], flexibility=big,
    )
    fb = free.book
    frows = np.flatnonzero((fb.direction == 1) & np.isin(np.asarray(fb.der_type), DEMAND_RESPONSE_TYPES))
    f_cons = np.asarray(free.members[frows] @ np.maximum(-base, 0.0))
    assert (_per_bid(fb, frows) > f_cons[_first_rows(fb, frows)] + 1e-9).any()


def _first_rows(b: OfferBook, rows: np.ndarray) -> np.ndarray:
    """Position in ``rows`` of each bid's first step (bids = seller; steps are adjacent)."""
    ids = np.asarray(b.der_id)[rows]
    _, first = np.unique(ids, return_index=True)
    return np.sort(first)


def _per_bid(b: OfferBook, rows: np.ndarray) -> np.ndarray:
    ids = np.asarray(b.der_id)[rows]
    order = _first_rows(b, rows)
    return np.vstack([b.quantity_mw[rows[ids == ids[i]]].sum(axis=0) for i in order])


def test_min_size_holds_for_rescaled_quantities() -> None:
    """Rule 4 on a later stage's rescaled bids: below the minimum, the bid is 0 there."""
    fleet = tiny_fleet()
    pre = preset_with("nodes", min_size="10 kW")
    built = build_offers(
        fleet, n_intervals=T, dt_h=DT, preset="nodes", products=["congestion_tso"]
    )
    b = built.book
    left = min_size_quantities(b, b.quantity_mw, pre)
    ids = np.asarray(b.der_id)
    for seller in set(ids.tolist()):
        for sign in (1, -1):
            rows = np.flatnonzero((ids == seller) & (b.direction == sign))
            if not rows.size:
                continue
            need = pre.min_size_mw("congestion_tso") if "/" in seller else (
                pre.min_size_standalone_mw("congestion_tso")
            )
            before = b.quantity_mw[rows].sum(axis=0)
            after = left[rows].sum(axis=0)
            np.testing.assert_allclose(after, np.where(before >= need - 1e-12, before, 0.0))
    assert left.sum() < b.quantity_mw.sum()  # the rule cut something: it acts
    np.testing.assert_array_equal(
        min_size_quantities(b, b.quantity_mw, load_preset("nodes")), b.quantity_mw
    )
