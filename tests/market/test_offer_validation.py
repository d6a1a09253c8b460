"""Offer validation: one test per rejection reason, strict mode, and a clean book passing."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
import yaml

from tdcoord.market.offer_building import OfferSet, build_offers
from tdcoord.market.offer_validation import validate_offers
from tdcoord.market.offers import OfferBook, OfferError
from tdcoord.market.rules import preset_from_dict
from tests.market.test_offer_building import DT, T, preset_with, registry_for, tiny_fleet

PRESETS = Path(__file__).parents[2] / "src/tdcoord/market/presets"
PRESET = "eu_generic"  # congestion_dso: 1 kW minimum, price cap 4000, floor −500


def _built() -> tuple[Any, OfferSet]:
    fleet = tiny_fleet()
    return fleet, build_offers(
        fleet, n_intervals=T, dt_h=DT, preset=PRESET, products=["congestion_dso"]
    )


def _mod(book: OfferBook, row: int, **changes: Any) -> OfferBook:
    kw: dict[str, Any] = {}
    for f in fields(book):
        v = getattr(book, f.name)
        if f.name in changes:
            v = list(v) if isinstance(v, tuple) else np.array(v, copy=True)
            v[row] = changes[f.name]
        kw[f.name] = v
    return OfferBook(**kw)


def _checks(report: Any, row: int) -> set[str]:
    return set(report.rejected.loc[report.rejected["row"] == row, "check"])


def test_built_offers_pass() -> None:
    fleet, os_ = _built()
    rep = validate_offers(os_.book, fleet, os_.members, PRESET)
    assert rep.ok and rep.valid.all() and rep.accepted(os_.book).n_offers == os_.book.n_offers


def test_unknown_and_unavailable_product() -> None:
    fleet, os_ = _built()
    book = _mod(os_.book, 1, product_id="congestion_xx")
    rep = validate_offers(book, fleet, os_.members, PRESET)
    assert _checks(rep, 1) == {"unknown_product"} and rep.valid.sum() == book.n_offers - 1
    # a user preset that switches the product off
    data = yaml.safe_load((PRESETS / "nodes.yaml").read_text())
    data["products"]["congestion_dso"]["available"] = {"value": False, "source": "test variant"}
    rep2 = validate_offers(os_.book, fleet, os_.members, preset_from_dict(data))
    assert (rep2.rejected["check"] == "unknown_product").sum() == os_.book.n_offers
    assert rep2.rejected["reason"].str.contains("not available").all()


def test_no_members() -> None:
    fleet, os_ = _built()
    m = os_.members.tolil()
    m[2, :] = 0
    rep = validate_offers(os_.book, fleet, sp.csr_matrix(m), PRESET)
    assert "no_members" in _checks(rep, 2)


def test_members_shape_mismatch_raises() -> None:
    fleet, os_ = _built()
    with pytest.raises(OfferError, match="members has shape"):
        validate_offers(os_.book, fleet, os_.members[:, :3], PRESET)


def test_location_mismatch() -> None:
    fleet, os_ = _built()
    book = _mod(os_.book, 0, node=3)
    rep = validate_offers(book, fleet, os_.members, PRESET)
    assert _checks(rep, 0) == {"location"}
    assert "sits at feeder 0 node 1" in rep.rejected["reason"].iloc[0]


def test_not_prequalified() -> None:
    fleet, os_ = _built()
    reg = registry_for(fleet, "congestion_dso", active={"pv0", "pv1", "b0", "b1"})
    rep = validate_offers(os_.book, fleet, os_.members, PRESET, registry=reg)
    bad = set(rep.rejected["row"])
    assert bad == {2, 3}  # the B/pv bundle holds pv2, not active
    assert set(rep.rejected["check"]) == {"not_prequalified"}
    assert "'pv2'" in rep.rejected["reason"].iloc[0]


def test_aggregation_forbidden_and_unit_minimum() -> None:
    fleet, os_ = _built()
    rep = validate_offers(
        os_.book, fleet, os_.members, preset_with(PRESET, aggregation_allowed=False)
    )
    multi = np.flatnonzero(np.asarray(os_.members.sum(axis=1)).ravel() > 1)
    assert set(rep.rejected.loc[rep.rejected["check"] == "aggregation", "row"]) == set(multi)
    rep2 = validate_offers(
        os_.book, fleet, os_.members, preset_with(PRESET, min_unit_size_in_aggregation="6 kW")
    )
    rows = set(rep2.rejected.loc[rep2.rejected["check"] == "aggregation", "row"])
    bat_rows = {i for i, d in enumerate(os_.book.der_id) if "battery" in d}
    assert rows == bat_rows  # 5 kW batteries below a 6 kW unit minimum


def test_beyond_physical_flexibility() -> None:
    fleet, os_ = _built()
    q = os_.book.quantity_mw.copy()
    q[1, 2] *= 1.01  # second step pushes the bundle 0.5 % above its members' flexibility
    rep = validate_offers(os_.book.with_quantity(q), fleet, os_.members, PRESET)
    assert set(rep.rejected["row"]) == {1} and _checks(rep, 1) == {"flexibility"}
    assert "interval 2" in rep.rejected["reason"].iloc[0]
    q2 = os_.book.quantity_mw.copy()
    q2[0, 1] += 1e-6  # the first step alone stays within: the sum of steps counts
    rep2 = validate_offers(os_.book.with_quantity(q2), fleet, os_.members, PRESET)
    assert set(rep2.rejected["row"]) == {1}


def test_price_outside_cap_and_floor() -> None:
    fleet, os_ = _built()
    p = os_.book.price_eur_per_mwh.copy()
    p[0, 1] = 4000.5
    p[3, 0] = -600.0
    book = OfferBook(**{**_kw(os_.book), "price_eur_per_mwh": p})
    rep = validate_offers(book, fleet, os_.members, PRESET)
    assert _checks(rep, 0) == {"price"} and _checks(rep, 3) == {"price"}
    assert "above the cap 4000" in rep.rejected["reason"].iloc[0]
    assert "below the floor -500" in rep.rejected["reason"].iloc[1]


def _kw(book: OfferBook) -> dict[str, Any]:
    return {f.name: getattr(book, f.name) for f in fields(book)}


def test_below_minimum_size() -> None:
    fleet, os_ = _built()
    q = os_.book.quantity_mw.copy()
    q[4:6, 1] = 0.0004  # battery bundle up: 0.8 kW in interval 1 (< 1 kW)
    rep = validate_offers(os_.book.with_quantity(q), fleet, os_.members, PRESET)
    assert set(rep.rejected["row"]) == {4, 5}
    assert set(rep.rejected["check"]) == {"min_size"}
    assert "0.8 kW in interval 1" in rep.rejected["reason"].iloc[0]
    # stand-alone rows (no aggregator) need the stand-alone minimum: IESO 100 kW
    solo = _mod(os_.book, 4, aggregator_id="")
    rep2 = validate_offers(solo, fleet, os_.members, "ieso")
    assert "min_size" in _checks(rep2, 4)


def test_negative_quantity_rejected_by_the_book() -> None:
    _, os_ = _built()
    q = os_.book.quantity_mw.copy()
    q[0, 1] = -0.001
    with pytest.raises(OfferError, match="negative quantity"):
        os_.book.with_quantity(q)


def test_strict_raises_on_first() -> None:
    fleet, os_ = _built()
    book = _mod(_mod(os_.book, 5, node=1), 2, product_id="zz")
    with pytest.raises(OfferError, match="product 'zz' is unknown") as err:
        validate_offers(book, fleet, os_.members, PRESET, strict=True)
    assert err.value.where == f"offer {book.offer_id[2]}"
