"""Baran & Wu 33-bus feeder, AC power flow (../shared/reference/README.md: losses 202.68 kW,
minimum voltage 0.91309 pu at bus 18 (1-based), substation import 3.91768 MW)."""

from __future__ import annotations

import numpy as np
import pytest

from tdcoord.grid.validate import run_feeders, validate


def test_case33bw_losses_and_minimum_voltage(case33bw) -> None:  # type: ignore[no-untyped-def]
    f = case33bw.feeders[0]
    (flow,) = run_feeders([f])
    assert flow.converged
    assert flow.losses_mw * 1000 == pytest.approx(202.68, abs=0.005)
    assert flow.v_pu.min() == pytest.approx(0.91309, abs=5e-6)
    assert int(f.nodes.id[np.argmin(flow.v_pu)]) + 1 == 18
    assert flow.root_p_mw == pytest.approx(3.91768, abs=5e-6)


def test_batched_equals_single(case33bw, cigre_mv) -> None:  # type: ignore[no-untyped-def]
    feeders = [case33bw.feeders[0], cigre_mv.feeders[0], case33bw.feeders[0].scaled(0.5, "half")]
    batch = run_feeders(feeders, batch_size=10)
    single = [run_feeders([f])[0] for f in feeders]
    for a, b in zip(batch, single, strict=True):
        assert np.allclose(a.v_pu, b.v_pu, atol=1e-7)
        assert a.losses_mw == pytest.approx(b.losses_mw, abs=1e-6)  # NR tolerance 1e-8


def test_case33bw_violations_listed(case33bw) -> None:  # type: ignore[no-untyped-def]
    """Voltages below the source's 0.9 pu limit do not occur; tightening to 0.95 reports them."""
    result = validate(case33bw)
    assert result.violations == ()
    import dataclasses

    f = case33bw.feeders[0]
    tight = dataclasses.replace(f, nodes=f.nodes.replace(v_min_pu=np.full(f.n_node, 0.95)))
    from tdcoord.grid.model import GridModel

    res = validate(GridModel("tight", None, (tight,)))
    low = [v for v in res.violations if v.kind == "voltage_low"]
    assert len(low) > 0 and min(v.value for v in low) == pytest.approx(0.91309, abs=5e-6)


def test_a_failing_feeder_is_isolated_by_bisection(
    case33bw, cigre_mv, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    """One feeder loaded far beyond collapse among good ones: only it is marked not converged,
    the others equal their single solves, and the bisection costs O(log N) power flows."""
    import pandapower as pp

    good = [case33bw.feeders[0].scaled(0.2 + 0.1 * k, f"g{k}") for k in range(7)]
    bad = case33bw.feeders[0].scaled(40.0, "bad")
    feeders = [*good[:5], bad, *good[5:]]
    calls = []
    real = pp.runpp
    monkeypatch.setattr(pp, "runpp", lambda net, **kw: (calls.append(len(net.bus)), real(net, **kw)))
    flows = run_feeders(feeders, batch_size=8)
    assert [f.converged for f in flows] == [f.id != "bad" for f in feeders]
    assert len(calls) <= 2 * 3 + 1  # 8 feeders: 3 levels of halves, 2 power flows per level
    monkeypatch.setattr(pp, "runpp", real)
    for f, flow in zip(feeders, flows, strict=True):
        if f.id != "bad":
            (alone,) = run_feeders([f])
            assert np.allclose(flow.v_pu, alone.v_pu, atol=1e-7)
