"""KPIs against hand computations on the designed case (no AC validation: fast)."""

from __future__ import annotations

import pytest

from tdcoord.coordination.schemes import run_scheme
from tdcoord.coordination.validation import validate_outcome
from tdcoord.kpi.metrics import KPI_KEYS, compute_kpis
from tests.coordination.cases import designed_case


def test_kpis_of_common_by_hand() -> None:
    case = designed_case((4.0, -1.0))
    out = run_scheme("common", case, {})
    k = compute_kpis(case, out, validate_outcome(case, out, ac=False))
    assert tuple(k)[: len(KPI_KEYS)] == KPI_KEYS
    # procurement = Σ price × mw × dt over the activation frame
    a = out.activations
    assert k["procurement_cost"] == pytest.approx(float((a.price_eur_per_mwh * a.mw).sum()))
    assert k["tso_cost"] + k["dso_cost"] == pytest.approx(k["procurement_cost"])
    up = float(out.activation_mw[case.offers.direction == 1].sum())
    assert k["activated_up_mwh"] == pytest.approx(up)
    # balance met: no energy not served, total = procurement, welfare = −total
    assert k["energy_not_served_mwh"] == pytest.approx(0.0, abs=1e-9)
    assert k["total_cost"] == pytest.approx(k["procurement_cost"])
    assert k["welfare"] == -k["total_cost"]
    assert k["messages"] == len(out.messages) and k["bytes"] == out.messages.n_bytes
    assert k["aggregator_revenue"] == pytest.approx({"a": k["procurement_cost"]})


@pytest.mark.parametrize("need_mw", [4.0, 1000.0])
def test_unmet_need_goes_to_reserves_then_is_priced_at_voll(need_mw: float) -> None:
    # 4 MW: the generators' reserves close what the flexibility left; 1000 MW: beyond all
    # their headroom (696 MW), the rest is energy not served at VOLL
    case = designed_case((need_mw, -1.0))
    out = run_scheme("shared_balancing", case, {})
    v = validate_outcome(case, out, ac=False)
    k = compute_kpis(case, out, v)
    pen = case.penalties
    expected = (
        k["procurement_cost"] + v.surplus_mwh * pen.curtailment_eur_per_mwh
        + v.energy_not_served_mwh * pen.voll_eur_per_mwh + v.overload_mwh * pen.overload_eur_per_mwh
        + v.reserve_cost_eur
    )
    assert k["total_cost"] == pytest.approx(expected)
    assert k["balancing_reserve_eur"] == v.reserve_cost_eur and v.reserve_mwh > 0
    assert (v.energy_not_served_mwh > 1.0) == (need_mw > 696.0)
    assert k["interface_deviation_mwh"] > 0
