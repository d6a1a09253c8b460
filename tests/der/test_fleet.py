"""Fleets: penetration builder (determinism, shares, customers rule), per-node sums, scale."""

from __future__ import annotations

import numpy as np
import pytest

from tdcoord.der.fleet_penetration import customers_per_node, penetration_fleet
from tdcoord.der.fleet_profiles import clear_sky_pv, load_shape
from tdcoord.der.fleet_spec import PHASES, FleetSpec, build_fleet
from tdcoord.grid.model import GridModel


def test_customers_per_node_rule() -> None:
    # 2 kW ADMD: 0.0101 MW → round(5.05) = 5; root row gets none
    got = customers_per_node(np.array([1.0, 0.0101, 0.003, 0.0]), 2.0)
    assert got.tolist() == [0, 5, 2, 0]


def test_same_seed_identical_arrays(cigre_mv: GridModel) -> None:
    spec = FleetSpec(seed=7, phase="subsequent_phase", n_intervals=8)
    a, b = build_fleet(cigre_mv, spec), build_fleet(cigre_mv, spec)
    for name in ("der_id", "der_type", "feeder", "node", "aggregator_id", "p_max_mw"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert np.array_equal(a.baseline_p_mw(8, 0.25), b.baseline_p_mw(8, 0.25))
    c = build_fleet(cigre_mv, FleetSpec(seed=8, phase="subsequent_phase", n_intervals=8))
    assert not np.array_equal(a.p_max_mw, c.p_max_mw)


@pytest.mark.parametrize("phase", ["initial_phase", "subsequent_phase"])
def test_shares_respected(cigre_mv: GridModel, phase: str) -> None:
    spec = FleetSpec(phase=phase, n_intervals=4)  # type: ignore[arg-type]
    fleet = build_fleet(cigre_mv, spec)
    n_cust = int(customers_per_node(cigre_mv.feeders[0].node_load_mw(), 2.0).sum())
    for der_type, share in PHASES[phase].items():
        assert int((fleet.der_type == der_type).sum()) == round(share * n_cust), der_type
    # every DER sits at a loaded node of its feeder, never at the root
    load = cigre_mv.feeders[0].node_load_mw()
    assert (fleet.node >= 1).all() and (load[fleet.node] > 0).all()


def test_net_injection_by_node_equals_manual_sum(cigre_mv: GridModel) -> None:
    fleet = build_fleet(cigre_mv, FleetSpec(n_intervals=6, phase="subsequent_phase"))
    p = fleet.baseline_p_mw(6, 0.25)
    n = cigre_mv.feeders[0].n_node
    got = fleet.net_injection_by_node(0, n, p)
    want = np.zeros((n, 6))
    for i in range(fleet.n_der):  # independent (loop) computation
        want[fleet.node[i]] += p[i]
    np.testing.assert_allclose(got, want, atol=1e-12)
    no_emb = fleet.net_injection_by_node(0, n, p, include_embedded=False)
    emb = fleet.embedded_in_load
    np.testing.assert_allclose(no_emb.sum(), p[~emb].sum(), atol=1e-9)


def test_hundred_thousand_ders_build(cigre_mv: GridModel) -> None:
    # shares of 1 with a 0.3 kW customer size on CIGRE MV give > 10^5 DERs
    spec = FleetSpec(
        customer_peak_kw=0.9,
        shares={"pv": 1.0, "battery": 1.0, "ev": 1.0, "heat_pump": 1.0, "flexible_load": 1.0},
        n_intervals=4,
        n_aggregators=5,
    )
    fleet = penetration_fleet(cigre_mv, spec)
    assert fleet.n_der >= 100_000
    assert len(set(fleet.aggregator_id.tolist())) == 5
    assert fleet.flexibility(2, 0.25).up_mw.shape == (fleet.n_der, 2)


def test_profiles_shapes() -> None:
    shape = load_shape("residential", "winter")
    assert shape.shape == (96,) and shape.max() == pytest.approx(1.0, abs=1e-4)
    hourly = load_shape("residential", "winter", 24, 1.0)
    np.testing.assert_allclose(hourly, shape.reshape(24, 4).mean(axis=1))
    pv = clear_sky_pv(96, 0.25, season="summer", latitude_deg=50.0)
    assert pv[:16].max() == 0.0 and pv[-8:].max() == 0.0  # night
    assert 40 <= int(np.argmax(pv)) <= 55  # solar noon near 12:00
    # Haurwitz at zenith 0: 1098·exp(−0.057) W/m² × PR 0.85
    assert pv.max() <= 1.098 * np.exp(-0.057) * 0.85 + 1e-12
