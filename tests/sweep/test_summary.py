from __future__ import annotations

import pandas as pd
import pytest

from tdcoord.sweep.summary import annual_values, rank_shares, stats, summarize


def frame() -> pd.DataFrame:
    rows = []
    costs = {("a", 0): 10.0, ("b", 0): 20.0, ("a", 1): 30.0, ("b", 1): 30.0}
    for (m, s), c in costs.items():
        for day, w in (("2016-01-15", 100.0), ("2016-07-14", 265.0)):
            rows.append(
                {
                    "model_id": m,
                    "sample": s,
                    "day": day,
                    "weight_days": w,
                    "sim_seed": 1,
                    "draw_offer_markup": 0.1,
                    "total_cost": c,
                    "parties_per_der": 2.0,
                    "status": "optimal",
                }
            )
    return pd.DataFrame(rows)


def test_annual_values_are_weighted_sums() -> None:
    annual = annual_values(frame())
    a0 = annual[(annual["model_id"] == "a") & (annual["sample"] == 0)].iloc[0]
    assert a0["total_cost"] == 10.0 * 365.0
    assert a0["parties_per_der"] == 2.0  # intensive: weighted mean
    assert "draw_offer_markup" not in annual and "sim_seed" not in annual


def test_ties_share_the_ranks() -> None:
    shares = rank_shares(annual_values(frame()), ("a", "b"))
    assert shares["a"] == {1: 0.75, 2: 0.25}
    assert shares["b"] == {1: 0.25, 2: 0.75}


def test_summary_has_the_statistics_and_p_best() -> None:
    s = summarize(frame(), ("a", "b"))
    assert s["a"]["p_best"] == 0.75
    assert set(s["a"]["total_cost"]) == {"mean", "std", "p5", "p95"}
    assert s["a"]["total_cost"]["mean"] == 20.0 * 365.0
    assert "status" not in s["a"]


def test_stats_of_one_sample() -> None:
    assert stats(pd.Series([4.0]).to_numpy()) == {"mean": 4.0, "std": 0.0, "p5": 4.0, "p95": 4.0}
    st = stats(pd.Series([float(k) for k in range(101)]).to_numpy())
    assert st["p5"] == pytest.approx(5.0) and st["p95"] == pytest.approx(95.0)


def test_paired_difference_to_the_cheapest_model() -> None:
    s = summarize(frame(), ("b", "a"))
    assert s["a"]["total_cost_vs_reference"] == {
        "reference": "a", "mean": 0.0, "std": 0.0, "p5": 0.0, "p95": 0.0,
    }
    diff = s["b"]["total_cost_vs_reference"]
    assert diff["reference"] == "a" and diff["mean"] == 5.0 * 365.0
