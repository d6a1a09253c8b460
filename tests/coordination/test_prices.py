"""Hierarchical prices: DLMP components (energy, loss, congestion, voltage) against the clearing's
own DLMP, finite-difference re-solves and ``opf feeder`` with the same root price."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tdcoord.coordination.clearing import ClearingSpec, Margins, clear
from tdcoord.coordination.injectors import offer_injectors, tie_break_eur_per_mwh
from tdcoord.coordination.messages import MessageLog
from tdcoord.coordination.network_model import feeder_model
from tdcoord.coordination.outcome import Cleared, make_outcome
from tdcoord.coordination.price_table import PRICE_COLUMNS, stage_dlmps, stage_prices
from tdcoord.coordination.prices import DLMP_COMPONENTS, loss_multipliers
from tdcoord.opf.feeder.case import FeederCase
from tdcoord.opf.feeder.distflow import solve_distflow

from .cases import designed_case, feeder


def _dso_clear(case, dp_mw: float = 0.0, node: int = 4):  # type: ignore[no-untyped-def]
    """The DSO's clearing of the designed feeder (branch b12 congested), optionally with an
    extra withdrawal ``dp_mw`` at ``node``."""
    if dp_mw:
        p = case.feeder_p_mw[0].copy()
        p[node] += dp_mw
        case = dataclasses.replace(case, feeder_p_mw=(p,))
    inj = offer_injectors(case, [0, 1, 2])
    return clear(case, ClearingSpec(injectors=inj, feeders=(0,), margins=Margins(0.0, 0.0)))


def test_congestion_component_is_the_hand_solved_dlmp() -> None:
    case = designed_case((0.0,))
    res = _dso_clear(case)
    parts = res.dlmp_parts[0]
    # below the congested branch an extra withdrawal costs one more MW of relief at 30 €/MWh
    # (the bid plus the canonical tie-break of the clearing)
    price = 30.0 + tie_break_eur_per_mwh(case.offers.offer_id)[1]
    assert parts.congestion_eur_per_mwh[4, 0] == pytest.approx(price, rel=1e-9)
    assert parts.congestion_eur_per_mwh[1, 0] == pytest.approx(0.0)
    np.testing.assert_allclose(parts.voltage_eur_per_mwh, 0.0, atol=1e-12)
    # without a balance row the clearing's DLMP is the network part alone
    np.testing.assert_allclose(
        parts.congestion_eur_per_mwh + parts.voltage_eur_per_mwh,
        res.dlmp_eur_per_mwh[0],
        atol=1e-9,
    )


@pytest.mark.parametrize("node", [1, 2, 3, 4])
def test_network_components_match_a_finite_difference_resolve(node: int) -> None:
    case = designed_case((0.0,))
    base = _dso_clear(case)
    eps = 1e-3
    moved = _dso_clear(case, eps, node)
    fd = (moved.objective_eur - base.objective_eur) / (eps * case.dt_h)
    parts = base.dlmp_parts[0]
    network = parts.congestion_eur_per_mwh[node, 0] + parts.voltage_eur_per_mwh[node, 0]
    assert network == pytest.approx(fd, abs=1e-6)


def test_joint_clearing_components_sum_to_its_dlmp() -> None:
    # TSO balance + lines + the feeder in one LP: the DLMP already carries the interface LMP
    case = designed_case((4.0, -1.0))
    inj = offer_injectors(case, [0, 1, 2, 3, 4])
    res = clear(
        case,
        ClearingSpec(
            injectors=inj,
            need_mw=case.tso_need_mw,
            lines=True,
            feeders=(0,),
            margins=Margins(0.0, 0.0),
        ),
    )
    assert res.lmp_eur_per_mwh is not None
    root = res.lmp_eur_per_mwh[case.interface_bus_row[0]]
    comps = res.dlmp_parts[0].components(root)
    total = comps["energy"] + comps["loss"] + comps["congestion"] + comps["voltage"]
    np.testing.assert_allclose(comps["total"], total, atol=1e-9, rtol=0)
    np.testing.assert_allclose(
        comps["total"] - comps["loss"], res.dlmp_eur_per_mwh[0], atol=1e-9, rtol=0
    )
    np.testing.assert_allclose(comps["energy"], np.broadcast_to(root, comps["energy"].shape))


def _opf_point(load_scale: float, price: float):  # type: ignore[no-untyped-def]
    fd = feeder(rating_12=50.0)
    case = FeederCase.build(fd, price_eur_per_mwh=[price], load_scale=[load_scale])
    res = solve_distflow(case)
    assert res.status == "optimal" and res.prices is not None
    return fd, res


@settings(max_examples=10, deadline=None)
@given(st.floats(0.2, 1.5), st.floats(-50.0, 300.0))
def test_loss_multipliers_are_opf_feeders_loss_factors(scale: float, price: float) -> None:
    # opf feeder (LinDistFlow with loss factors, converged) with root price π and no binding
    # limit: its DLMP is π g at its own operating point, g from the same loss factors
    fd, res = _opf_point(scale, price)
    g = loss_multipliers(fd, res.p_flow_mw, res.q_flow_mvar, res.v_pu**2)
    np.testing.assert_allclose(price * g, res.prices.total, atol=1e-4 * max(1.0, abs(price)))
    assert (g[1:] > 1.0).all()  # every withdrawal below the root costs losses


def test_clearing_dlmp_agrees_with_opf_feeder_at_the_same_root_price() -> None:
    # the DSO clearing (lossless LinDistFlow point, loss factors priced) against opf feeder
    # (loss-factor iterations to the point with losses) on the same uncongested feeder
    price = 60.0
    case = designed_case((0.0,))
    fd = feeder(rating_12=50.0)
    case = dataclasses.replace(case, grid=dataclasses.replace(case.grid, feeders=(fd,)))
    res = clear(case, ClearingSpec(injectors=offer_injectors(case, [0, 1, 2]), feeders=(0,)))
    comps = res.dlmp_parts[0].components(np.array([price]))
    _, opf = _opf_point(1.0, price)
    assert opf.prices is not None
    # the operating points differ by the losses themselves (second order): within 1 %
    np.testing.assert_allclose(comps["loss"], opf.prices.loss, rtol=0.02, atol=1e-6)
    np.testing.assert_allclose(comps["total"], opf.prices.total, rtol=1e-3)


def test_loss_multipliers_of_an_unloaded_feeder_are_one() -> None:
    fd = feeder()
    m, T = fd.n_node - 1, 3
    g = loss_multipliers(fd, np.zeros((m, T)), np.zeros((m, T)), np.ones((m + 1, T)))
    np.testing.assert_array_equal(g, 1.0)


def test_loss_multiplier_grows_along_the_path() -> None:
    fm = feeder_model(designed_case((0.0,)), 0)
    v2, p, q = fm.state()
    g = loss_multipliers(fm.feeder, p, q, v2)
    assert np.all(np.diff(g[:, 0]) > 0)  # a chain: each node further from the root


def _outcome(case, res):  # type: ignore[no-untyped-def]
    return make_outcome(
        case,
        "test",
        {},
        Cleared(
            status=res.status,
            parts=[("dso:f0", np.zeros_like(case.offers.quantity_mw))],
            messages=MessageLog(),
            compute_s=0.0,
            lmp_eur_per_mwh=res.lmp_eur_per_mwh,
            dlmp_eur_per_mwh=res.dlmp_eur_per_mwh,
            dlmp_parts=res.dlmp_parts,
        ),
    )


def test_stage_prices_hand_down_the_root_price() -> None:
    case = designed_case((0.0,))
    out = _outcome(case, _dso_clear(case))
    assert out.lmp_eur_per_mwh is None
    lmp = np.full((3, 1), 45.0)
    lmp[2] = 70.0  # the interface bus (bus 3)
    table = stage_prices(case, out, lmp)
    assert tuple(table.columns) == PRICE_COLUMNS
    assert set(table["component"]) == set(DLMP_COMPONENTS)
    energy = table[table["component"] == "energy"]["price_eur_per_mwh"]
    np.testing.assert_allclose(energy, 70.0)
    comps = stage_dlmps(case, out, lmp)[0]
    relief = 30.0 + tie_break_eur_per_mwh(case.offers.offer_id)[1]  # bid + canonical tie-break
    assert comps["total"][4, 0] == pytest.approx(
        70.0 * (1 + comps["loss"][4, 0] / 70.0) + relief, rel=1e-9
    )
    wide = table.pivot_table(
        index=["node", "interval"], columns="component", values="price_eur_per_mwh"
    )
    parts = wide["energy"] + wide["loss"] + wide["congestion"] + wide["voltage"]
    np.testing.assert_allclose(wide["total"], parts, atol=1e-9, rtol=0)


def test_stage_prices_split_transmission_lmps() -> None:
    case = designed_case((4.0,))
    inj = offer_injectors(case, [3, 4])
    res = clear(case, ClearingSpec(injectors=inj, need_mw=case.tso_need_mw, lines=True))
    table = stage_prices(case, _outcome(case, res))
    assert set(table["node"]) == {"bus:1", "bus:2", "bus:3"}
    wide = table.pivot_table(
        index=["node", "interval"], columns="component", values="price_eur_per_mwh"
    )
    np.testing.assert_allclose(wide["total"], wide["energy"] + wide["congestion"], atol=1e-12)
    # the marginal offer (bid + canonical tie-break), no congestion
    np.testing.assert_allclose(wide["energy"], 40.0 + tie_break_eur_per_mwh(case.offers.offer_id)[3])
