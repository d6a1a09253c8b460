"""``prices.csv``: every price each model's day computed, in the contract's columns, written by
the same writer as the other tables (docs/compare.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tdcoord.comparison.outputs import PRICES_CSV_COLUMNS, write_outputs
from tdcoord.comparison.run import run_comparison
from tdcoord.study import load_study

SMALL = Path(__file__).with_name("small_study.yaml")
MODELS = ["au.sip", "eu.local"]


@pytest.fixture(scope="module")
def prices(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("prices")
    c = run_comparison(load_study(SMALL), MODELS)
    paths = write_outputs(c, out, report=False, csv=True)
    assert paths["prices.csv"] == out / "prices.csv"
    assert paths["prices.parquet"] == out / "prices.parquet"
    frame = pd.read_csv(out / "prices.csv")
    assert len(pd.read_parquet(out / "prices.parquet")) == len(frame)
    return frame


def test_columns_are_the_contract(prices: pd.DataFrame) -> None:
    # the contract's columns, plus the UTC timestamp every table has beside its interval
    assert tuple(c for c in prices.columns if c != "timestamp") == PRICES_CSV_COLUMNS
    cols = list(prices.columns)
    assert cols.index("timestamp") == cols.index("interval") + 1
    assert PRICES_CSV_COLUMNS == (
        "model", "stage", "interval", "node", "component", "price_eur_per_mwh",
    )
    assert set(prices["model"]) == set(MODELS)
    assert np.isfinite(prices["price_eur_per_mwh"]).all()


def test_components_per_kind_of_node(prices: pd.DataFrame) -> None:
    bus = prices["node"].str.startswith("bus:")
    assert set(prices.loc[bus, "component"]) == {"total", "energy", "congestion"}
    assert set(prices.loc[~bus, "component"]) == {
        "total", "energy", "loss", "congestion", "voltage",
    }
    # a TSO-only model prices no distribution node; a DSO-aware one does
    assert not (~bus & (prices["model"] == "au.sip")).any()
    assert (~bus & (prices["model"] == "eu.local")).any()


def test_totals_are_the_sum_of_their_components(prices: pd.DataFrame) -> None:
    # the CSV rounds to its float format: compare at 1e-6 (the in-memory sum is tested to 1e-9)
    wide = prices.pivot_table(
        index=["model", "stage", "node", "interval"],
        columns="component",
        values="price_eur_per_mwh",
    )
    dist = wide.dropna(subset=["loss"])
    parts = dist["energy"] + dist["loss"] + dist["congestion"] + dist["voltage"]
    np.testing.assert_allclose(dist["total"], parts, atol=1e-6, rtol=0)
    lmp = wide[wide["loss"].isna()]
    np.testing.assert_allclose(lmp["total"], lmp["energy"] + lmp["congestion"], atol=1e-6)
