"""Minimum sizes (the preset's ``min_size``, rule 4 of :mod:`tdcoord.market.eligibility`) hold in
every stage of every scheme: the day-ahead bids are built with them (``build_offers`` step 4) and
each later stage's rescaled bids are cut again (``min_size_quantities`` in ``pipeline/day.py``).
The later stages' bids pass through the re-cut."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import tdcoord.pipeline.day as pipeline_day
from tdcoord.coordination.catalogue import list_models
from tdcoord.market.offers import OfferBook
from tdcoord.market.rules import Preset
from tdcoord.pipeline import SharedDay, build_shared_day, clear_stage, stage_case
from tdcoord.simulation.timeline import MARKET_STAGES
from tdcoord.study import load_study

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "comparison" / "small_study.yaml"
MIN_KW = 30.0  # above some of the small study's node bundles (10–50 kW), below most


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> SharedDay:
    data = yaml.safe_load((ROOT / "src/tdcoord/market/presets/eu_generic.yaml").read_text())
    data["id"] = "eu_generic_min_size"
    data["products"]["congestion_dso"]["min_size"] = {
        "value": f"{MIN_KW:g} kW", "source": "test preset variant (a larger minimum)"
    }
    path = tmp_path_factory.mktemp("preset") / "eu_min.yaml"
    path.write_text(yaml.safe_dump(data))
    study = load_study(SMALL)
    study = study.model_copy(update={
        "market": study.market.model_copy(update={"preset": str(path)}),
        "compare": study.compare.model_copy(update={"events": []}),
    })
    return build_shared_day(study)


def _bids_below_minimum(offers: OfferBook, preset: Preset) -> int:
    """Independent count of (bid, interval) cells offered with a total above 0 but below the
    minimum: a bid = one seller, product, direction and P/Q kind; a seller with a ``/`` in its
    id is a bundle (``min_size_mw``), else a DER alone (``min_size_standalone_mw``)."""
    q = np.where(offers.quantity_mw > 1e-9, offers.quantity_mw, 0.0)
    keys = pd.DataFrame({
        "seller": list(offers.der_id), "product": list(offers.product_id),
        "direction": offers.direction, "reactive": offers.reactive,
    })
    totals = pd.DataFrame(q).groupby([keys[c] for c in keys.columns]).sum()
    low = 0
    for key, row in totals.iterrows():
        parts: tuple[object, ...] = tuple(key)  # type: ignore[arg-type]
        seller, product = str(parts[0]), str(parts[1])
        bundle = "/" in seller
        need = preset.min_size_mw(product) if bundle else preset.min_size_standalone_mw(product)
        v = row.to_numpy()
        low += int(((v > 0) & (v < need - 1e-9)).sum())
    return low


def _low_cells(shared: SharedDay, model: str) -> int:
    state, low = None, 0
    for stage in MARKET_STAGES:
        low += _bids_below_minimum(stage_case(shared, stage, state).offers, shared.preset)
        state = clear_stage(shared, model, stage, state).state
    return low


def _one_model_per_scheme() -> list[str]:
    seen: dict[str, str] = {}
    for m in list_models():
        seen.setdefault(m.scheme, m.id)
    return sorted(seen.values())


def test_the_variant_preset_reaches_the_day(shared: SharedDay) -> None:
    assert shared.preset.min_size_mw("congestion_dso") == pytest.approx(MIN_KW / 1000)


@pytest.mark.parametrize("model", _one_model_per_scheme())
def test_no_stage_offers_a_bid_below_the_minimum(shared: SharedDay, model: str) -> None:
    assert _low_cells(shared, model) == 0


def test_later_stages_pass_their_bids_through_the_rule(
    shared: SharedDay, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The later stages' bids go through ``min_size_quantities`` (its effect on rescaled bids
    is tested in ``tests/market/test_eligibility.py``): a rule that cuts every bid leaves the
    intraday stage nothing to clear, while the day-ahead book (built with step 4) is intact."""
    da = clear_stage(shared, "eu.central", "day_ahead")
    assert stage_case(shared, "intraday", da.state).offers.quantity_mw.sum() > 0
    monkeypatch.setattr(
        pipeline_day, "min_size_quantities", lambda offers, q, preset: np.zeros_like(q)
    )
    assert stage_case(shared, "intraday", da.state).offers.quantity_mw.sum() == 0
    assert stage_case(shared, "day_ahead").offers.quantity_mw.sum() > 0
