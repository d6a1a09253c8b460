"""The study's ``settlement:`` section in the day: baseline method (preset default, study
override), stacking priority, ``pricing: dlmp``, the ERCOT load-zone basis, and the checks."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from tdcoord.errors import StudyError
from tdcoord.market.rules import load_preset
from tdcoord.pipeline import SharedDay, build_shared_day, run_model_day
from tdcoord.pipeline.prices import DAY_PRICE_COLUMNS, day_prices
from tdcoord.pipeline.settle import settle_model, settlement_inputs
from tdcoord.pipeline.settle_prices import (
    offer_locations,
    priced_stages,
    seller_size_mw,
    zone_prices,
)
from tdcoord.settlement.baselines import Baseline, BaselineInputs, register_baseline
from tdcoord.simulation.timeline import ModelDay
from tdcoord.study import load_study
from tdcoord.study.load import validate_study
from tdcoord.study.schema import SettlementSpec

SMALL = Path(__file__).resolve().parents[1] / "comparison" / "small_study.yaml"
MODEL = "eu.local"


@pytest.fixture(scope="module")
def shared() -> SharedDay:
    return build_shared_day(load_study(SMALL))


@pytest.fixture(scope="module")
def day(shared: SharedDay) -> ModelDay:
    return run_model_day(shared, MODEL)


@pytest.fixture(scope="module")
def prices(shared: SharedDay, day: ModelDay) -> pd.DataFrame:
    return day_prices(shared, day)


def _with(shared: SharedDay, preset: str | None = None, **settlement: Any) -> SharedDay:
    assert shared.study is not None
    study = shared.study.model_copy(update={"settlement": SettlementSpec(**settlement)})
    pr = shared.preset if preset is None else load_preset(preset)
    return dataclasses.replace(shared, study=study, preset=pr)


def test_day_prices_cover_every_stage_and_component(
    shared: SharedDay, prices: pd.DataFrame
) -> None:
    assert tuple(prices.columns) == DAY_PRICE_COLUMNS
    assert {"energy_market", "day_ahead", "intraday", "real_time"} <= set(prices["stage"])
    dist = prices[prices["node"].str.contains("/")]
    wide = dist.pivot_table(
        index=["stage", "node", "interval"],
        columns="component",
        values="price_eur_per_mwh",
        observed=True,
    )
    parts = wide["energy"] + wide["loss"] + wide["congestion"] + wide["voltage"]
    np.testing.assert_allclose(wide["total"], parts, atol=1e-9, rtol=0)


def test_dso_stage_takes_the_stage_lmp_at_its_interface(
    shared: SharedDay, day: ModelDay, prices: pd.DataFrame
) -> None:
    # the LMP → DLMP hand-off: a feeder's energy component is the LMP of its interface bus
    case = day.case
    tr = case.grid.transmission
    assert tr is not None
    fd = case.grid.feeders[0]
    bus = f"bus:{int(tr.buses.id[case.interface_bus_row[0]])}"
    for stage in ("day_ahead", "real_time"):
        p = prices[prices["stage"] == stage]
        lmp = p[(p["node"] == bus) & (p["component"] == "total")].set_index("interval")
        energy = p[(p["node"] == f"{fd.id}/{int(fd.nodes.id[-1])}") & (p["component"] == "energy")]
        got = energy.set_index("interval")["price_eur_per_mwh"]
        np.testing.assert_allclose(got, lmp["price_eur_per_mwh"].reindex(got.index))


def test_preset_baseline_is_the_default_and_the_study_overrides_it(
    shared: SharedDay, day: ModelDay
) -> None:
    assert settlement_inputs(shared, day).baseline_name == "metered_schedule"  # eu_generic
    pjm = _with(shared, "pjm")
    assert settlement_inputs(pjm, day).baseline_name == "pjm_high_4_of_5"
    ercot = _with(shared, "ercot")
    assert settlement_inputs(ercot, day).baseline_name == "meter_before_after"
    over = _with(shared, "pjm", baseline="rolling_average")
    assert settlement_inputs(over, day).baseline_name == "rolling_average"
    # the method reaches the money: against a registered baseline that reads the meter 0.05 MW
    # lower in every activated interval, every activation is measured as delivering exactly
    # 0.05 MW (at most its request), whatever it really delivered
    register_baseline(
        Baseline(
            "test_meter_minus_005", _meter_minus_005,
            "tdcoord test suite: the meter less 0.05 MW in every activated interval",
        ),
        replace=True,
    )
    base = settle_model(shared, day).delivery.per_activation
    shifted = settle_model(_with(shared, baseline="test_meter_minus_005"), day)
    assert shifted.residual_eur == pytest.approx(0.0, abs=1e-6)
    got = shifted.delivery.per_activation
    np.testing.assert_allclose(
        got["delivered_mw"], np.minimum(got["requested_mw"].abs(), 0.05), atol=1e-12
    )
    assert not np.allclose(got["delivered_mw"], base["delivered_mw"])


def _meter_minus_005(inputs: BaselineInputs) -> np.ndarray:
    """The meter, less 0.05 MW where an activation is measured (a test baseline)."""
    ev = np.asarray(inputs.event_mask, dtype=bool)
    return np.where(ev, inputs.metered_mw - 0.05, inputs.metered_mw)


def test_stacking_priority_from_the_study(shared: SharedDay, day: ModelDay) -> None:
    assert settlement_inputs(shared, day).priority == "dso_first"
    tso = _with(shared, stacking_priority=["tso", "dso", "platform"])
    assert settlement_inputs(tso, day).priority == ("tso", "dso", "platform")


def test_pricing_override_for_every_product(shared: SharedDay, day: ModelDay) -> None:
    inp = settlement_inputs(_with(shared, pricing="pay_as_clear"), day)
    assert inp.pricing and set(inp.pricing.values()) == {"pay_as_clear"}
    assert settlement_inputs(shared, day).pricing is None


def test_dlmp_pricing_pays_each_node_its_dlmp(
    shared: SharedDay, day: ModelDay, prices: pd.DataFrame
) -> None:
    sh = _with(shared, pricing="dlmp")
    acts = settlement_inputs(sh, day, prices).activations
    dist = acts[shared.offers.feeder[acts["offer_row"].to_numpy()] >= 0]
    assert len(dist)
    node, _ = offer_locations(day.case, shared.offers)
    tot = prices[prices["component"] == "total"].set_index(["stage", "interval", "node"])
    stage = priced_stages(dist["stage"].tolist(), prices)
    keys = list(zip(stage, dist["interval"], node[dist["offer_row"].to_numpy()], strict=True))
    dlmp = tot["price_eur_per_mwh"].reindex(keys).to_numpy()
    found = np.isfinite(dlmp)
    assert found.any()
    floor, cap = -500.0, 4000.0  # eu_generic's harmonised min/max clearing price
    expected = np.clip(dist["direction"].to_numpy() * dlmp, floor, cap)[found]
    np.testing.assert_allclose(dist["seller_price_eur_per_mwh"].to_numpy()[found], expected)
    # pay-as-bid would have paid the ask: the rule acts
    assert not np.allclose(dist["seller_price_eur_per_mwh"], dist["price_eur_per_mwh"])
    res = settle_model(sh, day, prices)
    assert res.residual_eur == pytest.approx(0.0, abs=1e-6)


def test_ercot_load_zone_basis_below_10_mw(
    shared: SharedDay, day: ModelDay, prices: pd.DataFrame
) -> None:
    ercot = _with(shared, "ercot", pricing="dlmp")
    acts = settlement_inputs(ercot, day, prices).activations
    dist = acts[shared.offers.feeder[acts["offer_row"].to_numpy()] >= 0]
    sizes = seller_size_mw(shared.offers)
    assert max(sizes[d] for d in dist["der_id"]) < 10.0  # every seller is small: load zone
    zones = zone_prices(day.case, prices).set_index(["stage", "interval"])["zone_eur_per_mwh"]
    stage = priced_stages(dist["stage"].tolist(), prices)
    events = dist["stage"].astype(str).str.startswith("event:")
    # events' re-clears are priced at real time (the buyers rule may leave the small study with
    # no distribution activation in an event: the TSO may not buy its congestion_dso)
    assert not events.any() or "real_time" in stage
    assert not dist["stage"][events].isin(stage).any()
    z = zones.reindex(list(zip(stage, dist["interval"], strict=True))).to_numpy()
    cap, floor = 5000.0, -250.0  # the ERCOT preset's offer cap and floor
    expected = np.clip(dist["direction"].to_numpy() * z, floor, cap)
    np.testing.assert_allclose(dist["seller_price_eur_per_mwh"], expected)
    # the same sellers under a nodal basis are paid their DLMP, which differs from the zone
    nodal = settlement_inputs(_with(shared, pricing="dlmp"), day, prices).activations
    nodal = nodal[shared.offers.feeder[nodal["offer_row"].to_numpy()] >= 0]
    assert not np.allclose(nodal["seller_price_eur_per_mwh"], dist["seller_price_eur_per_mwh"])
    assert settle_model(ercot, day, prices).residual_eur == pytest.approx(0.0, abs=1e-6)


def _study(**settlement: Any) -> dict[str, Any]:
    data = yaml.safe_load(SMALL.read_text())
    data["settlement"] = settlement
    return data


def test_settlement_section_is_checked_before_any_build() -> None:
    with pytest.raises(StudyError, match="unknown baseline method 'cbl'"):
        validate_study(_study(baseline="cbl"))
    with pytest.raises(StudyError, match="unknown buyer kind 'brp'"):
        validate_study(_study(stacking_priority=["tso", "brp"]))
    with pytest.raises(StudyError, match="listed twice"):
        validate_study(_study(stacking_priority=["tso", "tso"]))
    with pytest.raises(StudyError, match="pricing"):
        validate_study(_study(pricing="nodal"))
    ok = validate_study(_study(pricing="dlmp", baseline="x_of_y", stacking_priority=["dso"]))
    assert ok.settlement.pricing == "dlmp"
    # an absent section leaves the study's dump (and its input hash) as before
    assert "settlement" not in validate_study(_study()).model_dump()


def test_price_tables_of_two_models_concatenate_as_categories(
    shared: SharedDay, prices: pd.DataFrame
) -> None:
    # categories come from the grid and the stages, not the rows: a TSO-only model's table
    # (no DLMP rows) shares them, so the comparison's prices.csv stays compact in memory
    other = day_prices(shared, run_model_day(shared, "au.sip"))
    assert not other["node"].str.contains("/").any()
    both = pd.concat([prices, other], ignore_index=True)
    for col in ("stage", "node", "component"):
        assert isinstance(both[col].dtype, pd.CategoricalDtype), col
    assert both["node"].isna().sum() == 0 and both["stage"].isna().sum() == 0


def test_ercot_sellers_at_or_above_the_threshold_are_paid_nodal(
    shared: SharedDay, day: ModelDay, prices: pd.DataFrame
) -> None:
    # the same ERCOT preset with its 10 MW threshold lowered below every seller: nodal basis
    ercot = load_preset("ercot")
    part = ercot.participation
    below = part.der_price_basis_below
    assert below is not None
    low = below.model_copy(update={"value": 0.0})
    preset = ercot.model_copy(
        update={"participation": part.model_copy(update={"der_price_basis_below": low})}
    )
    nodal_ercot = dataclasses.replace(_with(shared, "ercot", pricing="dlmp"), preset=preset)
    zone = settlement_inputs(_with(shared, "ercot", pricing="dlmp"), day, prices).activations
    nodal = settlement_inputs(nodal_ercot, day, prices).activations
    dist = shared.offers.feeder[nodal["offer_row"].to_numpy()] >= 0
    node, _ = offer_locations(day.case, shared.offers)
    tot = prices[prices["component"] == "total"].set_index(["stage", "interval", "node"])
    stage = priced_stages(nodal["stage"].tolist(), prices)
    keys = list(zip(stage, nodal["interval"], node[nodal["offer_row"].to_numpy()], strict=True))
    dlmp = tot["price_eur_per_mwh"].reindex(keys).to_numpy()
    found = dist & np.isfinite(dlmp)
    assert found.any()
    expected = np.clip(nodal["direction"].to_numpy() * dlmp, -250.0, 5000.0)[found]
    np.testing.assert_allclose(nodal["seller_price_eur_per_mwh"].to_numpy()[found], expected)
    assert not np.allclose(
        nodal["seller_price_eur_per_mwh"][dist], zone["seller_price_eur_per_mwh"][dist]
    )
