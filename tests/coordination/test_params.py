"""Scheme parameters: every catalogue model runs, every key is accepted exactly where the
contract allows it, and each value changes what the design doc says it changes."""

from __future__ import annotations

import numpy as np
import pytest

from tdcoord.coordination.catalogue import PARAM_SCHEMES, SCHEMES, list_models
from tdcoord.coordination.errors import CoordinationError
from tdcoord.coordination.injectors import prior_from_activation
from tdcoord.coordination.network_model import feeder_model
from tdcoord.coordination.outcome import STATUSES, Outcome
from tdcoord.coordination.schemes import run_scheme
from tdcoord.coordination.schemes._stages import PARAM_VALUES, allowed_params
from tdcoord.coordination.validation import validate_outcome

from .cases import designed_case


@pytest.fixture(scope="module")
def case():  # type: ignore[no-untyped-def]
    return designed_case()


def _valid(case, o: Outcome) -> None:  # type: ignore[no-untyped-def]
    T = case.n_periods
    assert o.status in STATUSES
    assert o.activation_mw.shape == case.offers.quantity_mw.shape
    assert (o.activation_mw >= 0).all()
    assert (o.activation_mw <= case.offers.quantity_mw + 1e-9).all()
    assert o.interface_mw.shape == (case.n_feeders, T)
    assert set(o.activations.buyer) <= {"tso", "platform"} | {
        case.feeder_label(f) for f in range(case.n_feeders)
    }
    by_buyer = o.activations.groupby("buyer").cost_eur.sum()
    for buyer, cost in by_buyer.items():
        if buyer != "tso":  # the TSO's entry also holds generator redispatch
            assert np.isclose(o.cost_by_buyer_eur[str(buyer)], cost)


def test_every_catalogue_model_runs(case) -> None:  # type: ignore[no-untyped-def]
    for entry in list_models():
        params = entry.params.as_dict()
        o = run_scheme(entry.scheme, case, params)
        _valid(case, o)
        assert o.scheme == entry.scheme
        for key, value in params.items():
            assert o.params[key] == value, entry.id
        assert set(o.params) == set(allowed_params(entry.scheme)), entry.id


def test_keys_accepted_exactly_where_the_contract_allows(case) -> None:  # type: ignore[no-untyped-def]
    for scheme in SCHEMES:
        for key, on in PARAM_SCHEMES.items():
            value = PARAM_VALUES[key][-1]
            if on is None or scheme in on:
                assert key in allowed_params(scheme)
            else:
                with pytest.raises(CoordinationError, match=key):
                    run_scheme(scheme, case, {key: value})
        with pytest.raises(CoordinationError):
            run_scheme(scheme, case, {"operator": "nobody"})


def _first_activation_sender(o: Outcome) -> str:
    frame = o.messages.to_frame()
    return str(frame[frame.kind == "activation"].sender.iloc[0])


def test_local_priority_changes_the_order(case) -> None:  # type: ignore[no-untyped-def]
    dso_first = run_scheme("local", case, {"priority": "dso"})
    tso_first = run_scheme("local", case, {"priority": "tso"})
    assert _first_activation_sender(dso_first) == "dso:f0"
    assert _first_activation_sender(tso_first) == "tso"
    assert not np.allclose(dso_first.activation_mw, tso_first.activation_mw)
    # TSO first on the baseline: the DSO clears after, its need is what is left.
    assert dso_first.cost_by_buyer_eur != tso_first.cost_by_buyer_eur


def test_residual_to_tso_false_keeps_dso_offers_local(case) -> None:  # type: ignore[no-untyped-def]
    o = run_scheme("local", case, {"residual_to_tso": False})
    tso_rows = o.activations[o.activations.buyer == "tso"].offer_row.to_numpy()
    assert (case.offers.feeder[tso_rows] == -1).all()
    pairs = o.messages.to_frame()
    assert not ((pairs.sender == "dso:f0") & (pairs.receiver == "tso")).any()
    with_residual = run_scheme("local", case, {"residual_to_tso": True})
    tso_rows = with_residual.activations[with_residual.activations.buyer == "tso"].offer_row
    assert (case.offers.feeder[tso_rows.to_numpy()] >= 0).any()


@pytest.mark.parametrize("scheme", ["centralized", "local", "fragmented", "envelope", "common"])
def test_operator_only_changes_who_runs_it(case, scheme: str) -> None:  # type: ignore[no-untyped-def]
    outs = {op: run_scheme(scheme, case, {"operator": op}) for op in PARAM_VALUES["operator"]}
    base = outs["incumbent"].activation_mw
    for op, o in outs.items():
        assert np.allclose(o.activation_mw, base, atol=1e-9), op
        assert set(o.cost_by_buyer_eur) == set(outs["incumbent"].cost_by_buyer_eur), op
        actors = set(o.messages.to_frame().sender) | set(o.messages.to_frame().receiver)
        assert ("platform" in actors) == (op != "incumbent"), op


def test_centralized_static_limits_and_no_local_management(case) -> None:  # type: ignore[no-untyped-def]
    plain = run_scheme("centralized", case, {})
    limits = run_scheme("centralized", case, {"dso_static_limits": True})
    assert "static_limits" in set(limits.messages.to_frame().kind)
    assert "static_limits" not in set(plain.messages.to_frame().kind)
    assert "dso:f0" in plain.cost_by_buyer_eur  # the DSO posts its need on the platform
    passive = run_scheme("centralized", case, {"local_congestion_management": False})
    assert "dso:f0" not in passive.cost_by_buyer_eur
    assert "needs" not in set(passive.messages.to_frame().kind)


def test_fragmented_schedule_exchange_removes_double_activation(case) -> None:  # type: ignore[no-untyped-def]
    blind = run_scheme("fragmented", case, {"schedule_exchange": False})
    told = run_scheme("fragmented", case, {"schedule_exchange": True})
    assert "schedule" in set(told.messages.to_frame().kind)

    def doubles(o: Outcome) -> int:
        per = o.activations.groupby(["offer_row", "interval"]).mw.sum()
        q = case.offers.quantity_mw
        rows = per.index.get_level_values(0).to_numpy()
        ts = per.index.get_level_values(1).to_numpy()
        return int((per.to_numpy() > q[rows, ts] + 1e-9).sum())

    assert doubles(blind) >= 1
    assert doubles(told) == 0


def _lindistflow_ok(case, o: Outcome) -> bool:  # type: ignore[no-untyped-def]
    prior = prior_from_activation(case, o.activation_mw)
    for f in range(case.n_feeders):
        fm = feeder_model(case, f)
        v2, p, q = fm.state(prior.feeder_p_mw[f], prior.feeder_q_mvar[f])
        fd = fm.feeder
        if (np.sqrt(v2[1:]) < fd.nodes.v_min_pu[1:, None] - 1e-7).any():
            return False
        if (np.sqrt(v2[1:]) > fd.nodes.v_max_pu[1:, None] + 1e-7).any():
            return False
        if (np.hypot(p, q) > fd.branches.rating_mva[:, None] + 1e-6).any():
            return False
    return True


@pytest.mark.parametrize("need", [(4.0, -1.0), (1.0, 2.0, -3.0), (6.0, -4.0)])
def test_aggregated_interface_offer(need: tuple[float, ...]) -> None:
    case = designed_case(need)
    agg = run_scheme("local", case, {"interface_offer": "aggregated"})
    thru = run_scheme("local", case, {"interface_offer": "pass_through"})
    assert _lindistflow_ok(case, agg)
    rep_a = validate_outcome(case, agg)
    rep_p = validate_outcome(case, thru)
    pen = case.penalties

    def total(o: Outcome, rep) -> float:  # type: ignore[no-untyped-def]
        return o.procurement_cost_eur + rep.energy_not_served_mwh * pen.voll_eur_per_mwh + (
            rep.surplus_mwh * pen.curtailment_eur_per_mwh
        ) + rep.overload_mwh * pen.overload_eur_per_mwh + rep.voltage_pu_h * (
            pen.voltage_eur_per_pu_h
        )

    assert total(agg, rep_a) <= total(thru, rep_p) + 1e-6
    kinds = agg.messages.to_frame()
    assert ((kinds.kind == "aggregated_offer") & (kinds.sender == "dso:f0")
            & (kinds.receiver == "tso")).sum() == 1
    assert (kinds.kind == "accepted_quantity").any()
    multi = run_scheme("multi_level", case, {"interface_offer": "aggregated"})
    assert _lindistflow_ok(case, multi)


@pytest.mark.parametrize("rule", ["equal", "proportional", "max_total"])
def test_envelope_dispatch_respects_feeder_limits(rule: str) -> None:
    case = designed_case((6.0, -4.0))
    o = run_scheme("envelope", case, {"envelope_rule": rule})
    assert _lindistflow_ok(case, o)
    env = o.messages.to_frame()
    assert ((env.kind == "envelope") & (env.sender == "dso:f0")).sum() == 1


def test_envelope_dso_computes_the_relief_but_does_not_buy() -> None:
    # Australia's Hybrid model: the baseline overloads b12; the DSO's envelopes force the relief
    # (the net injection change at the downstream node) but the platform buys every MW of it.
    case = designed_case((6.0, -4.0))
    o = run_scheme("envelope", case, {})
    assert _lindistflow_ok(case, o)
    assert not any(b.startswith("dso:") for b in o.cost_by_buyer_eur)
    assert set(o.activations.buyer) <= {"tso"}
    msgs = o.messages.to_frame()
    assert not (msgs.sender.str.startswith("dso:") & (msgs.kind == "activation")).any()
    # the relief bought is the one the local market's DSO buys, at no lower cost in total
    local = run_scheme("local", case, {})
    dso_rows = local.activations[local.activations.buyer.str.startswith("dso:")]
    assert len(dso_rows) and dso_rows.mw.sum() > 0.0
    relief = o.activations.set_index(["offer_row", "interval"]).mw
    for r in dso_rows.itertuples():
        assert relief.get((r.offer_row, r.interval), 0.0) > 0.0
