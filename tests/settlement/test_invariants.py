"""Settlement invariants with hypothesis, checked against a plain-loop reference settlement.

* money balances across all parties (residual 0) and every party's total equals the reference;
* penalties only on non-delivery: full delivery → no penalty; partial → proportional;
* pay-as-clear pays at least pay-as-bid for the same accepted offers.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tdcoord.market import load_preset
from tdcoord.settlement import seller_prices, settle_run
from tests.settlement._frames import act

EU = load_preset("eu_generic")  # mfrr/afrr/capacity_nwa pay-as-clear, congestion_dso pay-as-bid
DERS = ["d1", "d2", "d3"]
AGG = {"d1": "a1", "d2": "a1", "d3": "a2"}
T, DT = 2, 0.25
CAP, FLOOR, FACTOR, FEE = 4000.0, -500.0, 1.5, 0.2


def _reference(frame: pd.DataFrame, metered: np.ndarray, imb_price: np.ndarray) -> dict[str, float]:
    """The same rules, written as loops over rows (schedule = 0 is the baseline)."""
    tot: dict[str, float] = defaultdict(float)
    clear: dict[tuple[object, ...], float] = {}
    for r in frame.itertuples():
        if r.mw > 0:
            key = (r.buyer, r.product_id, r.interval, r.direction)
            clear[key] = max(clear.get(key, -np.inf), r.price_eur_per_mwh)
    req = np.zeros((len(DERS), T))
    for r in frame.itertuples():
        req[DERS.index(r.der_id), r.interval] += r.direction * r.mw
    earn: dict[str, float] = defaultdict(float)
    for r in frame.itertuples():
        u, t = DERS.index(r.der_id), r.interval
        rule = "pay_as_bid" if r.product_id == "congestion_dso" else "pay_as_clear"
        key = (r.buyer, r.product_id, t, r.direction)
        p = clear.get(key) if rule == "pay_as_clear" else None
        seller = min(max(r.price_eur_per_mwh if p is None or r.mw == 0 else p, FLOOR), CAP)
        buyer_p = r.buyer_price_eur_per_mwh
        rho = 1.0 if abs(req[u, t]) <= 1e-12 else min(max(metered[u, t] / req[u, t], 0.0), 1.0)
        got = rho * r.mw * DT
        agg = f"aggregator:{r.aggregator_id}"
        tot[r.buyer] -= buyer_p * got
        tot[agg] += seller * got
        tot["mo"] += (buyer_p - seller) * got
        pen = FACTOR * abs(seller) * (1 - rho) * r.mw * DT
        tot[agg] -= pen
        tot[r.buyer] += pen
        earn[r.der_id] += seller * got - pen
    for u, der in enumerate(DERS):
        party = f"aggregator:{AGG[der]}"
        for t in range(T):
            money = imb_price[t] * (metered[u, t] - req[u, t]) * DT
            tot[party] += money
            tot["tso"] -= money
        tot[f"der:{der}"] += (1 - FEE) * earn[der]
        tot[f"aggregator:{AGG[der]}"] -= (1 - FEE) * earn[der]
    return dict(tot)


_price = st.floats(-100.0, 5000.0, allow_nan=False)


@st.composite
def _case(draw: st.DrawFn) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rows = []
    for _ in range(draw(st.integers(1, 12))):
        der = draw(st.sampled_from(DERS))
        rows.append(
            (
                der,
                AGG[der],
                draw(st.sampled_from(["mfrr", "afrr", "congestion_dso", "capacity_nwa"])),
                draw(st.integers(0, T - 1)),
                draw(st.sampled_from(["tso", "dso:f1", "dso:f2"])),
                draw(st.sampled_from([1, -1])),
                draw(st.floats(0.0, 5.0)),
                draw(_price),
            )
        )
    frame = act(rows, DT)
    frame["buyer_price_eur_per_mwh"] = [draw(_price) for _ in rows]
    metered = np.array([[draw(st.floats(-6.0, 6.0)) for _ in range(T)] for _ in DERS])
    imb = np.array([draw(st.floats(-200.0, 1000.0)) for _ in range(T)])
    return frame, metered, imb


@settings(max_examples=30, deadline=None)
@given(_case())
def test_money_balances_and_matches_the_reference(
    case: tuple[pd.DataFrame, np.ndarray, np.ndarray],
) -> None:
    frame, metered, imb = case
    s = settle_run(
        frame,
        metered,
        "metered_schedule",
        EU,
        der_ids=DERS,
        dt_h=DT,
        schedule_mw=np.zeros((len(DERS), T)),
        imbalance_price_eur_per_mwh=imb,
        aggregator_fee_share=FEE,
        der_aggregator=AGG,
    )
    scale = 1.0 + float(np.abs(s.statements["amount_eur"]).sum())
    assert abs(s.residual_eur) <= 1e-9 * scale
    assert s.balance.ok
    ref = _reference(frame, metered, imb)
    for party in set(ref) | set(s.totals):
        assert s.totals.get(party, 0.0) == pytest.approx(ref.get(party, 0.0), abs=1e-7 * scale)


@st.composite
def _one_direction(draw: st.DrawFn) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rows = []
    sign = {(d, t): draw(st.sampled_from([1, -1])) for d in DERS for t in range(T)}
    for _ in range(draw(st.integers(1, 10))):
        der, t = draw(st.sampled_from(DERS)), draw(st.integers(0, T - 1))
        rows.append(
            (
                der,
                AGG[der],
                "mfrr",
                t,
                "tso",
                sign[(der, t)],
                draw(st.floats(0.1, 5.0)),
                draw(st.floats(1.0, 500.0)),
            )
        )
    frac = np.array([[draw(st.floats(0.0, 1.0)) for _ in range(T)] for _ in DERS])
    return act(rows, DT), frac, np.array([0.0])


@settings(max_examples=20, deadline=None)
@given(_one_direction())
def test_penalties_only_on_non_delivery(case: tuple[pd.DataFrame, np.ndarray, np.ndarray]) -> None:
    frame, frac, _ = case
    req = np.zeros((len(DERS), T))
    for r in frame.itertuples():
        req[DERS.index(r.der_id), r.interval] += r.direction * r.mw
    kw = {"der_ids": DERS, "dt_h": DT, "schedule_mw": np.zeros((len(DERS), T))}
    full = settle_run(frame, req, "metered_schedule", EU, **kw)
    assert "penalty" not in set(full.transactions["item"])
    part = settle_run(frame, frac * req, "metered_schedule", EU, **kw)
    pen = part.transactions.query("item == 'penalty'")
    got = pen.groupby(["der_id", "interval"])["amount_eur"].sum()
    price = seller_prices(frame, ["pay_as_clear"] * len(frame), CAP, FLOOR)
    expect: dict[tuple[str, int], float] = defaultdict(float)
    for k, r in enumerate(frame.itertuples()):
        u = DERS.index(r.der_id)
        expect[(r.der_id, r.interval)] += FACTOR * price[k] * (1 - frac[u, r.interval]) * r.mw * DT
    for key, value in expect.items():
        assert got.get(key, 0.0) == pytest.approx(value, rel=1e-9, abs=1e-9)
    assert (pen["amount_eur"] > 0).all()


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.floats(0.0, 10.0), st.floats(-500.0, 4000.0)),
        min_size=1,
        max_size=15,
    )
)
def test_pay_as_clear_pays_at_least_pay_as_bid(offers: list[tuple[int, float, float]]) -> None:
    frame = act([("d1", "a1", "mfrr", t, "tso", 1, mw, p) for t, mw, p in offers])
    clear = seller_prices(frame, ["pay_as_clear"] * len(frame))
    bid = seller_prices(frame, ["pay_as_bid"] * len(frame))
    assert (clear >= bid).all()
    mw = frame["mw"].to_numpy()
    assert float(clear @ mw) >= float(bid @ mw) - 1e-9
    # the uniform price is the highest accepted ask in each interval
    for t, g in frame.loc[frame["mw"] > 0].groupby("interval"):
        assert np.all(clear[g.index] == g["price_eur_per_mwh"].max()), t
