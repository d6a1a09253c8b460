"""Dynamic operating envelopes: hand-solved, robustness (hypothesis), rules, CSIP-AUS, AC check."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tdcoord.coordination.envelopes import (
    CSIP_AUS_LIMITS,
    RULES,
    EnvelopeError,
    Envelopes,
    operating_envelopes,
)
from tdcoord.grid.model import Feeder, make_feeder
from tdcoord.grid.validate import NodeInjections, run_feeders
from tdcoord.opf.feeder.case import FeederCase, FeederOptions, FlexOffers
from tdcoord.opf.feeder.distflow import solve_distflow
from tests.grid.helpers import branches, nodes


def two_node() -> Feeder:
    return make_feeder(
        "two",
        base_mva=1.0,
        root=0,
        nodes=nodes([0, 1], v_min=[1.0, 0.95], v_max=[1.0, 1.05]),
        branches=branches([(0, 1)], r=0.05, x=0.0, rating=[1.2]),
    )


def test_two_node_hand_solved() -> None:
    """w = 1 − 0.1 P, P = 0.5 − p: export E ≤ 1.525 (w ≤ 1.1025; rating gives 1.7),
    import I ≤ 0.475 (w ≥ 0.9025; rating gives 0.7)."""
    f = two_node()
    load = [0.0, 0.5]
    rows = [1, 1]
    kw: dict[str, Any] = {"export_max_mw": [2.0, 0.2], "import_max_mw": [1.0, 1.0]}
    eq = operating_envelopes(f, load, [0, 0], rows, rule="equal", **kw)
    assert np.allclose(eq.export_mw[:, 0], [1.325, 0.2])  # e + 0.2 = 1.525
    assert np.allclose(eq.import_mw[:, 0], [0.2375, 0.2375])
    pr = operating_envelopes(f, load, [0, 0], rows, rule="proportional", **kw)
    assert np.allclose(pr.export_mw[:, 0], np.array([2.0, 0.2]) * 1.525 / 2.2)
    assert np.allclose(pr.import_mw[:, 0], [0.2375, 0.2375])
    mt = operating_envelopes(f, load, [0, 0], rows, rule="max_total", **kw)
    assert mt.export_mw.sum() == pytest.approx(1.525)
    assert mt.import_mw.sum() == pytest.approx(0.475)
    assert eq.export_status == ("ok",) and eq.import_status == ("ok",)


def test_two_node_thermal_binding() -> None:
    """With r tiny the rating binds: |P| ≤ 1.2 ⇒ E ≤ 1.7, I ≤ 0.7."""
    f = make_feeder(
        "two",
        base_mva=1.0,
        root=0,
        nodes=nodes([0, 1]),
        branches=branches([(0, 1)], r=1e-4, x=0.0, rating=[1.2]),
    )
    env = operating_envelopes(f, [0.0, 0.5], [0.0, 0.0], [1], 5.0, 5.0, rule="max_total")
    assert env.export_mw[0, 0] == pytest.approx(1.7)
    assert env.import_mw[0, 0] == pytest.approx(0.7)


def feeder_mv(cigre_mv: Any) -> Feeder:
    return cigre_mv.feeders[0]  # type: ignore[no-any-return]


def setup_case(f: Feeder, seed: int, T: int) -> tuple[Any, Any, Any, Any, Any]:
    rng = np.random.default_rng(seed)
    scale = rng.uniform(0.1, 0.6, T)
    lp = f.node_load_mw()[:, None] * scale[None, :]
    lq = f.node_load_mvar()[:, None] * scale[None, :]
    n_der = int(rng.integers(3, 25))
    rows = rng.integers(1, f.n_node, n_der)
    cap_e = rng.uniform(0.1, 4.0, n_der)
    cap_i = rng.uniform(0.1, 4.0, (n_der, T))
    return lp, lq, rows, cap_e, cap_i


def dispatches(env: Envelopes, rng: np.random.Generator, per_interval: int) -> Any:
    """Random points of the box plus its two extreme corners, (n_der, T·per_interval)."""
    lo, hi = -env.import_mw, env.export_mw
    u = rng.uniform(0, 1, (env.n_der, env.n_periods, per_interval))
    corner = rng.integers(0, 2, u.shape).astype(float)
    u = np.where(rng.uniform(size=u.shape) < 0.5, corner, u)
    u[:, :, 0], u[:, :, 1] = 0.0, 1.0
    p = lo[:, :, None] + u * (hi - lo)[:, :, None]
    return p.reshape(env.n_der, -1)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 100_000), rule=st.sampled_from(RULES))
def test_dispatch_inside_envelopes_is_safe(cigre_mv: Any, seed: int, rule: str) -> None:
    """Independent check: the feeder OPF with every DER fixed at the dispatch needs no slack."""
    f = feeder_mv(cigre_mv)
    lp, lq, rows, cap_e, cap_i = setup_case(f, seed, T=2)
    env = operating_envelopes(f, lp, lq, rows, cap_e, cap_i, rule=rule)
    assert set(env.export_status + env.import_status) == {"ok"}  # loads kept light enough
    assert (env.export_mw <= cap_e[:, None] + 1e-12).all()
    assert (env.import_mw <= cap_i + 1e-12).all()
    rng = np.random.default_rng(seed + 1)
    per = 6
    p = dispatches(env, rng, per)
    assert env.contains(p.reshape(env.n_der, env.n_periods, per).transpose(2, 0, 1))
    case = FeederCase.build(
        f,
        n_periods=p.shape[1],
        load_p_mw=np.repeat(lp, per, axis=1),
        load_q_mvar=np.repeat(lq, per, axis=1),
        sgen_scale=0.0,
        offers=FlexOffers(node=f.nodes.id[rows], p_min_mw=p, p_max_mw=p, cost_eur_per_mwh=0.0),
    )
    result = solve_distflow(case, FeederOptions(losses="none"))
    assert result.status == "optimal", result.slacks if hasattr(result, "slacks") else ""
    v = result.v_pu
    assert (v >= f.nodes.v_min_pu[:, None] - 1e-6).all()
    assert (v <= f.nodes.v_max_pu[:, None] + 1e-6).all()


def test_rule_properties(cigre_mv: Any) -> None:
    f = feeder_mv(cigre_mv)
    lp, lq, rows, _, _ = setup_case(f, 11, T=3)
    big = np.full(len(rows), 50.0)  # capabilities never bind: equal gives one value for all
    eq = operating_envelopes(f, lp, lq, rows, big, big, rule="equal")
    assert np.allclose(eq.export_mw, eq.export_mw[:1]) and np.allclose(
        eq.import_mw, eq.import_mw[:1]
    )
    assert (eq.export_mw < 50).all()  # the grid binds
    cap = np.linspace(0.5, 5.0, len(rows))
    pr = operating_envelopes(f, lp, lq, rows, cap, cap, rule="proportional")
    ratio = pr.export_mw / cap[:, None]
    assert np.allclose(ratio, ratio[:1])
    assert np.allclose(pr.import_mw / cap[:, None], (pr.import_mw / cap[:, None])[:1])
    eqc = operating_envelopes(f, lp, lq, rows, cap, cap, rule="equal")
    capped = eqc.export_mw < cap[:, None] - 1e-9
    for t in range(3):  # equal: the same limit for every DER not held at its own capability
        vals = eqc.export_mw[capped[:, t], t]
        assert np.allclose(vals, vals[:1])
        assert (eqc.export_mw[~capped[:, t], t] <= vals.max() + 1e-9).all() if vals.size else True
    mt = operating_envelopes(f, lp, lq, rows, cap, cap, rule="max_total")
    for other in (pr, eqc):
        assert (mt.export_mw.sum(axis=0) >= other.export_mw.sum(axis=0) - 1e-7).all()
        assert (mt.import_mw.sum(axis=0) >= other.import_mw.sum(axis=0) - 1e-7).all()


def test_envelopes_are_maximal(cigre_mv: Any) -> None:
    """equal/proportional: 0.1 % more on every DER breaks a limit in the worst case."""
    f = feeder_mv(cigre_mv)
    lp, lq, rows, cap_e, _ = setup_case(f, 5, T=1)
    cap = cap_e * 10
    for rule in ("equal", "proportional"):
        env = operating_envelopes(f, lp, lq, rows, cap, cap, rule=rule)
        p = env.export_mw * 1.001
        case = FeederCase.build(
            f,
            load_p_mw=lp,
            load_q_mvar=lq,
            sgen_scale=0.0,
            offers=FlexOffers(node=f.nodes.id[rows], p_min_mw=p, p_max_mw=p, cost_eur_per_mwh=0),
        )
        assert solve_distflow(case, FeederOptions(losses="none")).status == "optimal_with_slacks"


def test_csip_aus_mapping() -> None:
    env = operating_envelopes(two_node(), [0.0, 0.5], [0, 0], [1], 5.0, 5.0, rule="equal")
    assert CSIP_AUS_LIMITS == {
        "import_mw": "opModImpLimW",
        "export_mw": "opModExpLimW",
        "load_mw": "opModLoadLimW",
        "generation_mw": "opModGenLimW",
    }
    w = env.csip_aus_w()
    assert w["opModExpLimW"][0, 0] == pytest.approx(1.525e6)
    assert w["opModImpLimW"][0, 0] == pytest.approx(0.475e6)
    assert np.array_equal(env.load_mw, env.import_mw)
    assert np.array_equal(env.generation_mw, env.export_mw)


def test_baseline_violation_is_a_status() -> None:
    """Load 1.2 MW: w = 0.88 < 0.9025 even with every DER at 0 — no safe import envelope."""
    env = operating_envelopes(two_node(), [0.0, 1.2], [0, 0], [1], 1.0, 1.0, rule="max_total")
    assert env.import_status == ("baseline_violation",)
    assert env.import_mw[0, 0] == 0.0
    assert env.export_status == ("ok",) and env.export_mw[0, 0] > 0


@pytest.mark.parametrize("rule", RULES)
def test_ac_check_case33bw(case33bw: Any, rule: str) -> None:
    """AC (pandapower) at the box corners. LinDistFlow neglects losses, which lower voltages: with
    no margin the AC voltage may undershoot v_min by a little (documented tolerance 0.01 pu); with
    v_margin_pu = 0.01 no AC limit is violated."""
    f = case33bw.feeders[0]
    n = f.n_node
    f = dataclasses.replace(
        f,
        nodes=f.nodes.replace(
            v_min_pu=np.r_[1.0, np.full(n - 1, 0.9)], v_max_pu=np.r_[1.0, np.full(n - 1, 1.05)]
        ),
    )
    lp, lq = 0.5 * f.node_load_mw(), 0.5 * f.node_load_mvar()
    rows = np.arange(1, n)
    cap = np.random.default_rng(1).uniform(0.1, 0.5, n - 1)
    for margin, tol in ((0.0, 0.01), (0.01, 1e-6)):
        env = operating_envelopes(f, lp, lq, rows, cap, cap, rule=rule, v_margin_pu=margin)
        for p in (env.export_mw[:, 0], -env.import_mw[:, 0]):
            inj = np.zeros(n)
            np.add.at(inj, rows, p)
            (flow,) = run_feeders([f], {f.id: NodeInjections(lp - inj, lq)})
            assert flow.converged
            assert flow.v_pu.min() >= 0.9 - tol and flow.v_pu.max() <= 1.05 + tol


def test_ac_check_cigre_mv_thermal(cigre_mv: Any) -> None:
    """CIGRE MV has ratings. Without margins the import corner of max_total overloads a line in
    AC by a few percent (LinDistFlow ignores reactive losses and the current rise at low voltage)
    and undershoots v_min by ~0.011 pu; with v_margin_pu = 0.015 and s_margin_frac = 0.05 the AC
    flow respects every limit."""
    f = feeder_mv(cigre_mv)
    lp, lq = 0.3 * f.node_load_mw(), 0.3 * f.node_load_mvar()
    rows = np.arange(1, f.n_node)
    cap = np.full(f.n_node - 1, 20.0)
    for margins, v_tol, load_tol in (((0.0, 0.0), 0.015, 10.0), ((0.015, 0.05), 1e-6, 1e-6)):
        env = operating_envelopes(
            f,
            lp,
            lq,
            rows,
            cap,
            cap,
            rule="max_total",
            v_margin_pu=margins[0],
            s_margin_frac=margins[1],
        )
        worst = 0.0
        for p in (env.export_mw[:, 0], -env.import_mw[:, 0]):
            inj = np.zeros(f.n_node)
            np.add.at(inj, rows, p)
            (flow,) = run_feeders([f], {f.id: NodeInjections(lp - inj, lq)})
            assert flow.converged
            worst = max(worst, float(flow.loading_percent.max()))
            assert flow.v_pu.min() >= f.nodes.v_min_pu.min() - v_tol
            assert flow.v_pu.max() <= f.nodes.v_max_pu.max() + v_tol
        assert 90.0 <= worst <= 100.0 + load_tol  # a line is (nearly) at its rating


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"rule": "fair"}, "unknown envelope rule"),
        ({"der_node_row": [0]}, "outside"),
        ({"export_max_mw": [-1.0]}, ">= 0"),
        ({"import_max_mw": [1.0, 2.0]}, "shape"),
        ({"load_p_mw": [0.0]}, "shape"),
        ({"v_margin_pu": 0.7}, "margin"),
        ({"s_margin_frac": 1.0}, "margin"),
    ],
)
def test_bad_input(kwargs: dict[str, Any], match: str) -> None:
    args: dict[str, Any] = {
        "load_p_mw": [0.0, 0.5],
        "load_q_mvar": [0.0, 0.0],
        "der_node_row": [1],
        "export_max_mw": [1.0],
        "import_max_mw": [1.0],
    }
    args.update(kwargs)
    with pytest.raises(EnvelopeError, match=match):
        operating_envelopes(two_node(), **args)
