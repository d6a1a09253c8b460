"""Single imbalance price from the TSO's activations, and imbalance against a BRP position."""

from __future__ import annotations

import numpy as np
import pytest

from tdcoord.settlement.errors import SettlementError
from tdcoord.settlement.imbalance_price import single_imbalance_price
from tdcoord.settlement.run import settle_run

from ._frames import act


def test_price_by_hand() -> None:
    frame = act(
        [
            ("d1", "a1", "p", 0, "tso", 1, 2.0, 30.0),
            ("d2", "a1", "p", 0, "tso", 1, 1.0, 40.0),  # marginal up bid at 0: 40
            ("d1", "a1", "p", 1, "tso", -1, 1.0, 20.0),  # long at 1: 50 − 20
            ("d1", "a1", "p", 2, "dso:f1", 1, 5.0, 99.0),  # a DSO buy is not balancing
            ("d1", "a1", "p", 3, "tso", 1, 1.0, 10.0),
            ("d2", "a1", "p", 3, "tso", -1, 2.0, 15.0),  # net down at 3: 50 − 15
        ]
    )
    price = single_imbalance_price(np.full(4, 50.0), frame)
    np.testing.assert_allclose(price, [90.0, 30.0, 50.0, 35.0])


def test_no_activation_gives_the_reference_price() -> None:
    ref = np.array([10.0, -5.0])
    np.testing.assert_array_equal(single_imbalance_price(ref, act([])), ref)


def test_bad_reference_is_rejected() -> None:
    with pytest.raises(SettlementError, match="reference price"):
        single_imbalance_price(np.array([np.nan]), act([]))
    with pytest.raises(SettlementError, match="outside"):
        single_imbalance_price(np.zeros(1), act([("d", "a", "p", 3, "tso", 1, 1.0, 1.0)]))


def test_imbalance_against_the_position_by_hand() -> None:
    # position 1 MW (intraday forecast), 0.3 MW up requested and delivered, but the DER's own
    # output came in 0.2 MW above its forecast: metered 1.5 → imbalance 1.5 − (1 + 0.3) = +0.2
    # (long) → the TSO pays the aggregator 0.2 MWh × 100 €/MWh.
    s = settle_run(
        act([("d1", "a1", "mfrr", 0, "tso", 1, 0.3, 40.0)]),
        np.array([[1.5]]),
        "metered_schedule",
        "eu_generic",
        der_ids=["d1"],
        dt_h=1.0,
        schedule_mw=np.array([[1.2]]),  # the delivery baseline: actual output without activation
        position_mw=np.array([[1.0]]),
        imbalance_price_eur_per_mwh=100.0,
    )
    assert s.imbalance_mw is not None
    np.testing.assert_allclose(s.imbalance_mw, [[0.2]])
    items = s.transactions.groupby("item")["amount_eur"].sum()
    assert items["imbalance"] == pytest.approx(20.0)
    assert items["activation"] == pytest.approx(0.3 * 40.0)
    assert s.residual_eur == pytest.approx(0.0, abs=1e-9)
