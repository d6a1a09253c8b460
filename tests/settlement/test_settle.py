"""Payments per preset: pricing rules, penalties, availability, imbalance, congestion rent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tdcoord.market import load_preset
from tdcoord.settlement import PenaltyRule, SettlementError, seller_prices, settle_run
from tdcoord.settlement.settle import pricing_by_row
from tests.settlement._frames import act

EU = load_preset("eu_generic")


def _hand_case() -> pd.DataFrame:
    return act(
        [
            ("d1", "a1", "mfrr", 0, "tso", 1, 2.0, 50.0),
            ("d2", "a2", "mfrr", 0, "tso", 1, 1.0, 80.0),
            ("d2", "a2", "congestion_dso", 1, "dso:f1", -1, 1.0, 30.0),
        ]
    )


def test_pricing_rules_per_product_and_cap() -> None:
    frame = act(
        [
            ("d1", "a1", "mfrr", 0, "tso", 1, 2.0, 50.0),
            ("d2", "a1", "mfrr", 0, "tso", 1, 1.0, 80.0),
            ("d3", "a1", "mfrr", 0, "tso", -1, 1.0, 10.0),  # down: highest ask 10
            ("d4", "a1", "mfrr", 0, "tso", -1, 1.0, -5.0),
            ("d5", "a1", "mfrr", 0, "tso", 1, 0.0, 300.0),  # not accepted: sets no price
            ("d6", "a1", "congestion_dso", 0, "dso:f1", 1, 1.0, 70.0),  # pay-as-bid in EU
            ("d7", "a1", "mfrr", 1, "tso", 1, 1.0, 5000.0),  # above the 4000 cap
        ]
    )
    rules = pricing_by_row(frame, EU)
    assert list(rules) == ["pay_as_clear"] * 5 + ["pay_as_bid", "pay_as_clear"]
    price = seller_prices(frame, rules, 4000.0, -500.0)
    np.testing.assert_allclose(price, [80.0, 80.0, 10.0, 10.0, 300.0, 70.0, 4000.0])
    gb = pricing_by_row(frame, load_preset("gb"))
    assert set(gb) == {"pay_as_bid"}


def test_settle_run_hand_case() -> None:
    # worked in docs/settlement.md "A worked example"
    metered = np.array([[2.0, 0.0], [0.5, -1.0]])
    s = settle_run(
        _hand_case(),
        metered,
        "metered_schedule",
        "eu_generic",
        der_ids=["d1", "d2"],
        dt_h=1.0,
        schedule_mw=np.zeros((2, 2)),
        imbalance_price_eur_per_mwh=100.0,
        aggregator_fee_share=0.2,
    )
    expected = {
        "tso": -90.0,
        "dso:f1": -30.0,
        "aggregator:a1": 32.0,
        "aggregator:a2": -48.0,
        "der:d1": 128.0,
        "der:d2": 8.0,
    }
    assert s.totals == pytest.approx(expected)
    assert s.residual_eur == pytest.approx(0.0, abs=1e-9)
    assert s.balance.ok
    items = s.transactions.groupby("item")["amount_eur"].sum()
    assert items["activation"] == pytest.approx(160 + 40 + 30)
    assert items["penalty"] == pytest.approx(60.0)
    assert items["imbalance"] == pytest.approx(-50.0)
    row = s.statements.query("party == 'aggregator:a2' and item == 'penalty'")
    assert row["amount_eur"].tolist() == [-60.0]
    assert row["counterparty"].tolist() == ["tso"]
    assert set(s.statements.columns) >= {"party", "counterparty", "item", "interval", "mwh"}


def test_congestion_rent_goes_to_the_market_operator() -> None:
    frame = _hand_case()
    frame["buyer_price_eur_per_mwh"] = [90.0, 90.0, 30.0]
    frame["seller_price_eur_per_mwh"] = [75.0, 85.0, 30.0]  # DER nodal prices (DLMP)
    metered = np.array([[2.0, 0.0], [1.0, -1.0]])
    s = settle_run(
        frame,
        metered,
        "metered_schedule",
        EU,
        der_ids=["d1", "d2"],
        dt_h=0.5,
        schedule_mw=np.zeros((2, 2)),
    )
    # rent = (90-75)·2·0.5 + (90-85)·1·0.5 = 15 + 2.5
    assert s.totals["mo"] == pytest.approx(17.5)
    assert s.totals["tso"] == pytest.approx(-(90 * 1.0 + 90 * 0.5))
    assert s.residual_eur == pytest.approx(0.0, abs=1e-9)
    rent = s.balance.by_item.set_index("item").loc["congestion_rent"]
    assert rent["received_eur"] == pytest.approx(17.5)


def test_availability_and_utilisation_for_capacity_products() -> None:
    frame = act([("d1", "a1", "capacity_nwa", 1, "dso:f1", 1, 1.0, 40.0)])
    avail = pd.DataFrame(
        {
            "der_id": ["d1", "d1"],
            "aggregator_id": ["a1", "a1"],
            "buyer": ["dso:f1", "dso:f1"],
            "product_id": ["capacity_nwa", "capacity_nwa"],
            "interval": [0, 1],
            "mw": [2.0, 2.0],
            "price_eur_per_mw_h": [10.0, 10.0],
        }
    )
    s = settle_run(
        frame,
        np.array([[0.0, 1.0]]),
        "metered_schedule",
        EU,
        der_ids=["d1"],
        dt_h=1.0,
        schedule_mw=np.zeros((1, 2)),
        availability=avail,
    )
    items = s.transactions.groupby("item")["amount_eur"].sum()
    assert items["availability"] == pytest.approx(40.0)
    assert items["utilisation"] == pytest.approx(40.0)
    assert "activation" not in items
    assert s.totals["dso:f1"] == pytest.approx(-80.0)
    assert s.totals["der:d1"] == pytest.approx(80.0)
    bad = avail.assign(product_id="mfrr")
    with pytest.raises(SettlementError, match="not a capacity"):
        settle_run(
            frame,
            np.array([[0.0, 1.0]]),
            "metered_schedule",
            EU,
            der_ids=["d1"],
            dt_h=1.0,
            schedule_mw=np.zeros((1, 2)),
            availability=bad,
        )


def test_value_stacking_inside_settle_run_pays_only_what_is_honoured() -> None:
    frame = act(
        [
            ("d1", "a1", "mfrr", 0, "tso", 1, 2.0, 50.0),
            ("d1", "a1", "congestion_dso", 0, "dso:f1", 1, 2.0, 70.0),
        ]
    )
    s = settle_run(
        frame,
        np.array([[3.0]]),
        "metered_schedule",
        EU,
        der_ids=["d1"],
        dt_h=1.0,
        schedule_mw=np.zeros((1, 1)),
        capacity_up_mw=[[3.0]],
        capacity_down_mw=[[3.0]],
        priority="dso_first",
    )
    assert s.stacking is not None
    assert len(s.stacking.conflicts) == 1
    # DSO 2 MWh pay-as-bid 70, TSO 1 MWh at the mFRR clearing price 50; the cut MW is no
    # non-delivery, so no penalty
    assert s.totals["dso:f1"] == pytest.approx(-140.0)
    assert s.totals["tso"] == pytest.approx(-50.0)
    assert "penalty" not in set(s.transactions["item"])


def test_penalty_rule_validation() -> None:
    with pytest.raises(SettlementError, match="penalty factor"):
        PenaltyRule(factor=-1.0)
    np.testing.assert_allclose(
        PenaltyRule(2.0, 100.0).price_eur_per_mwh([-50.0, 300.0]), [200.0, 600.0]
    )


def test_bad_input_says_what_where_fix() -> None:
    args = {"der_ids": ["d1", "d2"], "dt_h": 1.0, "schedule_mw": np.zeros((2, 2))}
    metered = np.array([[2.0, 0.0], [0.5, -1.0]])
    with pytest.raises(SettlementError, match="unknown pricing rule 'vickrey'") as e1:
        settle_run(
            _hand_case(), metered, "metered_schedule", EU, pricing={"mfrr": "vickrey"}, **args
        )
    assert "pay_as_clear" in e1.value.fix
    with pytest.raises(SettlementError, match="unknown baseline") as e2:
        settle_run(_hand_case(), metered, "baseline_10_10", EU, **args)
    assert "available" in e2.value.fix or "x_of_y" in e2.value.fix
    with pytest.raises(SettlementError, match="negative metered consumption") as e3:
        settle_run(
            _hand_case(), metered, "metered_schedule", EU, meter_convention="consumption", **args
        )
    assert e3.value.where == "metered_mw"
    assert "meter_convention='injection'" in e3.value.fix
    with pytest.raises(SettlementError, match="both capacity"):
        settle_run(
            _hand_case(), metered, "metered_schedule", EU, capacity_up_mw=np.ones((2, 2)), **args
        )
    with pytest.raises(SettlementError, match="imbalance price"):
        settle_run(
            _hand_case(),
            metered,
            "metered_schedule",
            EU,
            imbalance_price_eur_per_mwh=[1.0, 2.0, 3.0],
            **args,
        )
    with pytest.raises(SettlementError, match="fee share"):
        settle_run(_hand_case(), metered, "metered_schedule", EU, aggregator_fee_share=1.5, **args)
    with pytest.raises(SettlementError, match=r"metered_mw has shape \(2, 2\), expected \(3, 2\)"):
        settle_run(
            _hand_case(),
            metered,
            "metered_schedule",
            EU,
            der_ids=["d1", "d2", "d3"],
            dt_h=1.0,
            schedule_mw=np.zeros((3, 2)),
        )


def test_consumption_meter_convention_is_negated() -> None:
    # consumption registers: schedule 3 MW load, metered 1 MW load → injection rose by 2 (up)
    frame = act([("d1", "a1", "mfrr", 0, "tso", 1, 2.0, 50.0)])
    s = settle_run(
        frame,
        [[1.0]],
        "metered_schedule",
        EU,
        der_ids=["d1"],
        dt_h=1.0,
        schedule_mw=[[3.0]],
        meter_convention="consumption",
    )
    assert s.totals["tso"] == pytest.approx(-100.0)
    np.testing.assert_allclose(s.baseline_mw, [[-3.0]])


def test_balance_check_flags_a_missing_counterparty() -> None:
    from tdcoord.settlement import balance_check

    metered = np.array([[2.0, 0.0], [0.5, -1.0]])
    s = settle_run(
        _hand_case(),
        metered,
        "metered_schedule",
        EU,
        der_ids=["d1", "d2"],
        dt_h=1.0,
        schedule_mw=np.zeros((2, 2)),
    )
    assert s.balance.ok
    broken = s.statements.drop(index=s.statements.index[0])
    check = balance_check(broken)
    assert not check.ok
    assert check.residual_eur == pytest.approx(-s.statements["amount_eur"].iat[0])
    assert set(check.by_role) >= {"tso", "dso", "aggregator", "der"}


def test_no_activations_leaves_only_imbalance() -> None:
    # DERs without an aggregator are their own BRP: 1 MW long for 3 × 0.25 h at 50 → 37.5 each
    s = settle_run(
        act([]),
        np.ones((2, 3)),
        "metered_schedule",
        EU,
        der_ids=["a", "b"],
        dt_h=0.25,
        schedule_mw=np.zeros((2, 3)),
        imbalance_price_eur_per_mwh=50.0,
    )
    assert s.totals == pytest.approx({"der:a": 37.5, "der:b": 37.5, "tso": -75.0})
    assert s.residual_eur == 0.0
