"""Offer building: bundles, members matrix, conservation, minimum sizes per preset, registry."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from tdcoord.der.battery import Battery
from tdcoord.der.fleet import Fleet
from tdcoord.der.fleet_spec import FleetSpec, build_fleet
from tdcoord.der.prequalification import PrequalificationResult, TrafficLight
from tdcoord.der.pv import Pv
from tdcoord.der.registry import DerRegistry
from tdcoord.grid.model import GridModel
from tdcoord.market.errors import MarketError
from tdcoord.market.offer_building import build_offers
from tdcoord.market.rules import Preset, available_presets, load_preset, preset_from_dict

T, DT = 3, 0.25
PV_AVAIL = np.array([0.0, 0.004, 0.008])


def tiny_fleet() -> Fleet:
    """3 PV at node 1 (aggregators A, A, B) and 2 batteries at node 2 (A), feeder 0."""
    pv = Pv.create(["pv0", "pv1", "pv2"], s_inverter_mva=0.01, available_p_mw=PV_AVAIL)
    bat = Battery.create(
        ["b0", "b1"], e_max_mwh=0.02, p_charge_max_mw=0.005, p_discharge_max_mw=0.005
    )
    return Fleet(
        {"pv": pv, "battery": bat},
        feeder=[0] * 5,
        node=[1, 1, 1, 2, 2],
        aggregator_id=["A", "A", "B", "A", "A"],
        embedded_in_load=[False] * 5,
    )


def preset_with(base: str, **participation: Any) -> Preset:
    """A bundled preset with participation values replaced (as a user-made preset)."""
    path = Path(__file__).parents[2] / "src/tdcoord/market/presets" / f"{base}.yaml"
    data = yaml.safe_load(path.read_text())
    for key, value in participation.items():
        data["participation"][key] = {"value": value, "source": "test preset variant"}
    data["id"] = f"{base}_variant"
    return preset_from_dict(data)


def registry_for(fleet: Fleet, product: str, active: set[str]) -> DerRegistry:
    clock = lambda: datetime(2025, 1, 1, tzinfo=UTC)  # noqa: E731
    reg = DerRegistry(clock)
    for d in fleet.der_id.tolist():
        reg.register(d, kind="pv", connecting_so="dso", by="test")
        if d in active:
            res = PrequalificationResult(d, product, TrafficLight.GREEN)
            reg.prequalify(d, res, procuring_sos=["dso"], by="dso")
            reg.activate(d, product, by="agg")
    return reg


def test_tiny_fleet_rows_members_and_prices() -> None:
    fleet = tiny_fleet()
    os_ = build_offers(fleet, n_intervals=T, dt_h=DT, preset="nodes", products=["congestion_dso"])
    b = os_.book
    assert b.der_id == (("A/pv/f0n1",) * 2 + ("B/pv/f0n1",) * 2 + ("A/battery/f0n2",) * 4)
    assert b.direction.tolist() == [-1, -1, -1, -1, 1, 1, -1, -1]
    assert b.offer_id[0] == "congestion_dso:A/pv/f0n1:down:0"
    assert b.aggregator_id[:4] == ("A", "A", "B", "B")
    assert b.node.tolist() == [1, 1, 1, 1, 2, 2, 2, 2] and (b.feeder == 0).all()
    m = os_.members.toarray()
    np.testing.assert_array_equal(m[0], [1, 1, 0, 0, 0])
    np.testing.assert_array_equal(m[2], [0, 0, 1, 0, 0])
    np.testing.assert_array_equal(m[4], [0, 0, 0, 1, 1])
    # PV down: two steps of half of 2 × available; B: half of 1 × available
    np.testing.assert_allclose(b.quantity_mw[0], 0.5 * 2 * PV_AVAIL)
    np.testing.assert_allclose(b.quantity_mw[2], 0.5 * PV_AVAIL)
    np.testing.assert_allclose(b.price_eur_per_mwh[0], 82.0)
    np.testing.assert_allclose(b.price_eur_per_mwh[1], 102.5)
    flex = fleet.flexibility(T, DT)
    np.testing.assert_allclose(b.quantity_mw[4] + b.quantity_mw[5], flex.up_mw[3:].sum(axis=0))
    bat = 31.25 + 80 * (1 / 0.95**2 - 1)
    np.testing.assert_allclose(b.price_eur_per_mwh[4], bat)
    assert os_.rejected.empty


def test_split_activation_pro_rata() -> None:
    fleet = tiny_fleet()
    os_ = build_offers(fleet, n_intervals=T, dt_h=DT, preset="nodes", products=["congestion_dso"])
    flex = fleet.flexibility(T, DT)
    a = os_.book.quantity_mw.copy()  # activate everything
    p, q = os_.split_activation(a, flex)
    np.testing.assert_allclose(p[:3], -flex.down_mw[:3])  # PV fully curtailed
    np.testing.assert_allclose(p[3:], flex.up_mw[3:] - flex.down_mw[3:])
    assert not q.any()
    np.testing.assert_allclose(p.sum(axis=0), os_.book.signed_injection_mw(a).sum(axis=0))


def test_conservation_on_a_feeder_fleet(cigre_mv: GridModel) -> None:
    fleet = build_fleet(
        cigre_mv, FleetSpec(phase="subsequent_phase", season="summer", n_intervals=8)
    )
    flex = fleet.flexibility(8, DT)
    os_ = build_offers(
        fleet,
        n_intervals=8,
        dt_h=DT,
        preset="nodes",
        products=["congestion_dso", "voltage_support"],
        flexibility=flex,
    )
    b, m = os_.book, os_.members
    assert m.shape == (b.n_offers, fleet.n_der)
    groups = (
        pd.DataFrame(
            {"a": fleet.aggregator_id, "t": fleet.der_type, "f": fleet.feeder, "n": fleet.node}
        )
        .groupby(["a", "t", "f", "n"])
        .ngroup()
        .to_numpy()
    )
    for sign, reactive, f in (
        (1, False, flex.up_mw),
        (-1, False, flex.down_mw),
        (1, True, flex.q_max_mvar),
    ):
        rows = (b.direction == sign) & (b.reactive == reactive)
        assert f is not None
        if reactive:
            f = np.where(fleet.reactive_capable[:, None], f, 0.0)
        # independent bundle sums (pandas groupby); NODES drops bundle-intervals below 1 kW
        per_bundle = pd.DataFrame(f).groupby(groups).sum().to_numpy()
        want = np.where(per_bundle >= 0.001, per_bundle, 0.0).sum(axis=0)
        np.testing.assert_allclose(b.quantity_mw[rows].sum(axis=0), want, rtol=1e-9)
        assert want.sum() > 0.95 * f.sum()
        # each DER in at most one bundle per direction (two steps → counted twice)
        cover = np.asarray(m[np.flatnonzero(rows)].sum(axis=0)).ravel()
        assert set(np.unique(cover)) <= {0.0, 2.0}
        full = m[np.flatnonzero(rows)] @ f
        kept = os_.member_flex_mw[rows]
        np.testing.assert_allclose(kept[kept > 0], full[kept > 0])
        assert (full[kept == 0] < 0.001).all()
    # reactive rows only from inverter DERs
    q_rows = np.flatnonzero(b.reactive)
    q_members = np.asarray(m[q_rows].sum(axis=0)).ravel() > 0
    assert fleet.reactive_capable[q_members].all()
    # bundles: one aggregator, one type, one node
    coo = m.tocoo()
    assert (fleet.node[coo.col] == b.node[coo.row]).all()
    assert (fleet.der_type[coo.col] == np.asarray(b.der_type)[coo.row]).all()
    assert (fleet.aggregator_id[coo.col] == np.asarray(b.aggregator_id)[coo.row]).all()
    # deterministic
    again = build_offers(
        fleet,
        n_intervals=8,
        dt_h=DT,
        preset="nodes",
        products=["congestion_dso", "voltage_support"],
        flexibility=flex,
    )
    assert again.book.offer_id == b.offer_id
    np.testing.assert_array_equal(again.book.price_eur_per_mwh, b.price_eur_per_mwh)


@pytest.fixture(scope="module")
def small_fleet(cigre_mv: GridModel) -> tuple[Fleet, Any]:
    spec = FleetSpec(phase="subsequent_phase", season="summer", n_intervals=4, customer_peak_kw=8)
    fleet = build_fleet(cigre_mv, spec)
    return fleet, fleet.flexibility(4, DT)


@pytest.mark.parametrize("preset_name", available_presets())
def test_min_size_rules_of_every_preset(small_fleet: tuple[Fleet, Any], preset_name: str) -> None:
    fleet, flex = small_fleet
    pre = load_preset(preset_name)
    for aggregate in ("node", "none"):
        os_ = build_offers(
            fleet,
            n_intervals=4,
            dt_h=DT,
            preset=pre,
            products=["congestion_dso"],
            aggregate=aggregate,
            flexibility=flex,  # type: ignore[arg-type]
        )
        b = os_.book
        need = (
            pre.min_size_mw("congestion_dso")
            if aggregate == "node"
            else (pre.min_size_standalone_mw("congestion_dso"))
        )
        for sign in (1, -1):
            rows = np.flatnonzero(b.direction == sign)
            tot = pd.DataFrame(b.quantity_mw[rows]).groupby(np.asarray(b.der_id)[rows]).sum()
            assert ((tot == 0) | (tot >= need - 1e-12)).all(axis=None), preset_name
        rej = os_.rejected
        dropped = rej[rej["check"] == "min_size"]
        for der_id, direction in zip(
            dropped["der_id"][:50], dropped["direction"][:50], strict=True
        ):
            assert der_id not in set(
                np.asarray(b.der_id)[b.direction == (1 if direction == "up" else -1)]
            )
        if aggregate == "none":
            assert all("/" not in d for d in b.der_id)  # every DER alone


def test_min_size_drops_reported() -> None:
    fleet = tiny_fleet()
    os_ = build_offers(fleet, n_intervals=T, dt_h=DT, preset="pjm", products=["congestion_dso"])
    assert os_.book.n_offers == 0  # 100 kW PJM minimum; the tiny bundles are ≤ 16 kW
    rej = os_.rejected
    assert set(rej["check"]) == {"min_size"}
    assert set(rej["der_id"]) == {"A/pv/f0n1", "B/pv/f0n1", "A/battery/f0n2"}
    assert rej["reason"].str.contains("100 kW aggregation minimum of pjm").all()
    # partial: a 10 kW minimum keeps PV bundle A only where 2 × available ≥ 10 kW (interval 2)
    part = build_offers(
        fleet,
        n_intervals=T,
        dt_h=DT,
        preset=preset_with("nodes", min_size="10 kW"),
        products=["congestion_tso"],
    )
    rows = np.flatnonzero(np.asarray(part.book.der_id) == "A/pv/f0n1")
    np.testing.assert_allclose(part.book.quantity_mw[rows].sum(axis=0), [0.0, 0.0, 0.016])
    r = part.rejected
    assert r.loc[r["der_id"] == "A/pv/f0n1", "check"].tolist() == ["min_size_partial"]
    assert r.loc[r["der_id"] == "A/pv/f0n1", "n_intervals"].tolist() == [1]


def test_unit_minimum_and_no_aggregation() -> None:
    fleet = tiny_fleet()  # PV 10 kVA, batteries 5 kW
    unit = build_offers(
        fleet,
        n_intervals=T,
        dt_h=DT,
        preset=preset_with("nodes", min_unit_size_in_aggregation="6 kW"),
        products=["congestion_dso"],
    )
    assert {"b0", "b1", "A/pv/f0n1"} <= set(unit.book.der_id)  # batteries offered alone
    alone = build_offers(
        fleet,
        n_intervals=T,
        dt_h=DT,
        preset=preset_with("nodes", aggregation_allowed=False),
        products=["congestion_dso"],
    )
    assert set(alone.book.der_id) == {"pv0", "pv1", "pv2", "b0", "b1"}
    assert (np.asarray(alone.members.sum(axis=1)).ravel() == 1).all()


def test_registry_filters_members() -> None:
    fleet = tiny_fleet()
    reg = registry_for(fleet, "congestion_dso", active={"pv0", "b0", "b1"})
    os_ = build_offers(
        fleet, n_intervals=T, dt_h=DT, preset="nodes", products=["congestion_dso"], registry=reg
    )
    covered = np.asarray(os_.members.sum(axis=0)).ravel() > 0
    assert covered.tolist() == [True, False, False, True, True]
    rej = os_.rejected[os_.rejected["check"] == "registry"]
    assert rej["der_id"].tolist() == ["pv1", "pv2"]
    assert rej["reason"].str.contains("status registered").all()


def test_bad_arguments() -> None:
    fleet = tiny_fleet()
    with pytest.raises(MarketError, match="unknown product"):
        build_offers(fleet, n_intervals=T, dt_h=DT, preset="nodes", products=["nope"])
    with pytest.raises(MarketError, match="aggregate"):
        build_offers(fleet, n_intervals=T, dt_h=DT, preset="nodes", products=["fcr"], aggregate="x")  # type: ignore[arg-type]
    with pytest.raises(MarketError, match="unknown bidding strategy"):
        build_offers(fleet, n_intervals=T, dt_h=DT, preset="nodes", products=["fcr"], strategy="x")


def test_strategies_change_prices_and_quantities() -> None:
    fleet = tiny_fleet()
    kw = {"n_intervals": T, "dt_h": DT, "preset": "nodes", "products": ["congestion_dso"]}
    base = build_offers(fleet, **kw).book  # type: ignore[arg-type]
    mk = build_offers(fleet, strategy="markup", **kw).book  # type: ignore[arg-type]
    wh = build_offers(fleet, strategy="withholding", **kw).book  # type: ignore[arg-type]
    np.testing.assert_allclose(mk.price_eur_per_mwh, 1.2 * base.price_eur_per_mwh)
    np.testing.assert_allclose(wh.quantity_mw, 0.5 * base.quantity_mw)
    np.testing.assert_allclose(wh.price_eur_per_mwh, base.price_eur_per_mwh)


def test_unknown_offer_option_is_named() -> None:
    from tdcoord.market.errors import MarketError as _MarketError
    from tdcoord.market.offer_building import OPTION_NAMES

    with pytest.raises(_MarketError, match="unknown offer option") as err:
        build_offers(
            tiny_fleet(), n_intervals=2, dt_h=1.0, preset="eu_generic",
            products=["congestion_dso"], stratgy="markup",
        )
    assert "strategy" in str(err.value) and "strategy" in OPTION_NAMES
