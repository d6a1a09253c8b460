"""``tdcoord compare`` and the comparison pipeline on a small study (tests/comparison/small_study.yaml)
and every catalogue model on the bundled default study."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tdcoord.cli import app
from tdcoord.comparison.run import Comparison, run_comparison
from tdcoord.coordination.catalogue import list_models
from tdcoord.study import load_study

SMALL = Path(__file__).with_name("small_study.yaml")
runner = CliRunner()

#: The keys kpis.json promises for every model (docs/compare.md).
REQUIRED_KPIS = (
    "total_cost", "procurement_cost", "unresolved_violations", "curtailment_mwh",
    "double_activations", "counter_activations", "messages", "bytes", "compute_s", "status",
    "settlement_residual_eur",
)
TIMING_KEYS = ("compute_s", "wall_s")


@pytest.fixture(scope="module")
def small() -> Comparison:
    return run_comparison(load_study(SMALL))


def test_compare_cli_writes_every_output(tmp_path: Path) -> None:
    result = runner.invoke(app, ["compare", str(SMALL), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "kpis.json").read_text())
    models = data["_meta"]["models"]
    assert models == ["au.sip", "eu.central", "eu.local", "eu.fragmented"]
    for m in models:
        assert all(k in data[m] for k in REQUIRED_KPIS), m
        assert abs(data[m]["settlement_residual_eur"]) < 1e-6  # money balances
    html = (tmp_path / "report.html").read_text()
    assert all(m in html for m in models)
    for stem in ("kpis", "activations", "interface_flows", "violations", "messages",
                 "settlement", "prices"):
        assert (tmp_path / f"{stem}.parquet").exists(), stem
        assert not (tmp_path / f"{stem}.csv").exists(), stem  # CSV only with --csv
    assert data["_meta"]["resolution"] == "PT1H"  # 24 hourly intervals
    assert data["_meta"]["start_utc"] == "2016-01-15T00:00:00Z"  # winter: nominal 15 January


def test_compare_tables_parquet_and_csv_carry_the_same_numbers(
    tmp_path: Path, small: Comparison
) -> None:
    import pandas as pd
    import pyarrow.parquet as pq

    result = runner.invoke(app, ["compare", str(SMALL), "--out", str(tmp_path), "--csv",
                                 "--no-report"])
    assert result.exit_code == 0, result.output
    table = pq.read_table(tmp_path / "interface_flows.parquet")
    meta = json.loads(table.schema.metadata[b"tdcoord"])
    assert meta["resolution"] == "PT1H" and meta["significant_digits"] == 12
    flows = table.to_pandas()
    assert list(flows.columns[2:4]) == ["interval", "timestamp"]
    assert str(flows["timestamp"].dt.tz) == "UTC"
    start = pd.Timestamp("2016-01-15", tz="UTC")
    assert (flows["timestamp"] == start + pd.to_timedelta(flows["interval"], unit="h")).all()
    # the numbers of the run, written to 12 significant digits (independent: numpy's rounding)
    run = small.runs[0]
    f0 = flows[(flows.model_id == run.entry.id) & (flows.feeder_id == small.grid.feeders[0].id)]
    np.testing.assert_allclose(f0["scheduled_mw"], run.day.outcome.interface_schedule_mw[0],
                               rtol=1e-11, atol=0)
    text = (tmp_path / "interface_flows.csv").read_text().splitlines()
    assert text[0].split(",")[3] == "timestamp" and "2016-01-15T00:00:00Z" in text[1]
    as_csv = pd.read_csv(tmp_path / "interface_flows.csv")
    np.testing.assert_array_equal(as_csv["actual_mw"], flows["actual_mw"])  # same rounded text
    for stem in ("kpis", "activations", "violations", "messages", "settlement"):
        back = pd.read_parquet(tmp_path / f"{stem}.parquet")
        text = (tmp_path / f"{stem}.csv").read_text()
        assert len(back) == (len(pd.read_csv(tmp_path / f"{stem}.csv")) if text.strip() else 0)
        assert ("interval" in back.columns) == ("timestamp" in back.columns), stem


def test_compare_json_and_model_selection(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["compare", str(SMALL), "--models", "eu.local", "--json", "--no-report",
              "--out", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [k for k in data if k != "_meta"] == ["eu.local"]
    assert not (tmp_path / "report.html").exists()


def test_unknown_model_is_a_one_line_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["compare", str(SMALL), "--models", "eu.comon", "--out",
                                 str(tmp_path)])
    assert result.exit_code == 2  # bad input
    assert "eu.comon" in result.output and "did you mean" in result.output


def test_same_study_same_numbers(small: Comparison) -> None:
    again = run_comparison(load_study(SMALL))
    a, b = small.kpis(), again.kpis()
    for m in a:
        for k, v in a[m].items():
            if k not in TIMING_KEYS:
                assert b[m][k] == v, (m, k)


def test_delivered_never_exceeds_bought(small: Comparison) -> None:
    for r in small.runs:
        bought = r.day.outcome.activation_mw
        delivered = r.day.delivered_outcome.activation_mw
        assert (delivered <= bought + 1e-9).all()
        assert (bought <= small.offers.quantity_mw + 1e-9).all()


def test_events_end_in_a_declared_state(small: Comparison) -> None:
    """Issue 6: every emergency of the study ends in a declared state with nothing lost."""
    states = {"normal", "alert", "emergency", "blackout", "restorative"}
    for r in small.runs:
        assert r.events is not None
        rows = r.events.rows
        assert list(rows["event"]) == ["line_trip", "feeder_fault", "dso_support", "load_shedding"]
        assert set(rows["state"]) <= states
        assert r.events.energy_not_served_mwh == pytest.approx(rows["shed_mwh"].sum())
        # the ordered 0.2 MW for 2 hourly intervals: what the scheme covers with the feeder's
        # flexibility is not shed, the DSO sheds the rest (issue 12 item 5)
        shed = rows.loc[rows["event"] == "load_shedding"].iloc[0]
        assert shed["shed_mwh"] + (0.4 - shed["unmet_mwh"]) == pytest.approx(0.4)
        assert 0.0 <= shed["exogenous_shed_mwh"] <= shed["shed_mwh"] + 1e-12
        assert r.events.exogenous_energy_not_served_mwh <= r.events.energy_not_served_mwh
        k = small.kpis()[r.entry.id]
        assert k["worst_state"] in states and k["emergency_cost"] >= 0.0


def test_demo_runs_the_study(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--study", str(SMALL), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "grid_check.json").read_text())["kind"] == "coupled"
    assert (tmp_path / "kpis.json").exists() and (tmp_path / "report.html").exists()


def test_every_catalogue_model_runs_on_the_default_study() -> None:
    """Issue 5: every catalogue id runs on the default study (its grid, fleet and market; the
    day at 4-hour resolution and DC validation keep the test fast)."""
    study = load_study()
    study = study.model_copy(
        update={
            "fleet": study.fleet.model_copy(update={"n_intervals": 6, "dt_h": 4.0}),
            "compare": study.compare.model_copy(update={"validation": "dc", "events": []}),
        }
    )
    c = run_comparison(study, "all")
    assert [r.entry.id for r in c.runs] == [m.id for m in list_models()]
    for r in c.runs:
        assert r.day.kpis["status"] in ("optimal", "optimal_with_slacks"), r.entry.id
        assert abs(r.settlement.residual_eur) < 1e-6


def test_needs_given_in_the_study_replace_the_derived_ones() -> None:
    """Issue 5 item 5: needs may be given in the study instead of derived."""
    from tdcoord.comparison.spec import NeedsSpec

    study = load_study(SMALL)
    T = study.fleet.n_intervals
    given = study.compare.model_copy(
        update={"models": ["eu.central"], "events": [],
                "needs": NeedsSpec(tso_mw=[0.0] * T, dso_mw={})}
    )
    c = run_comparison(study.model_copy(update={"compare": given}))
    case = c.runs[0].day.case
    np.testing.assert_array_equal(case.tso_need_mw, np.zeros(T))
    assert case.dso_need_mw is not None and not case.dso_need_mw.any()


def test_given_needs_of_the_wrong_length_are_rejected() -> None:
    from tdcoord.comparison.spec import NeedsSpec
    from tdcoord.errors import StudyError

    study = load_study(SMALL)
    bad = study.compare.model_copy(update={"needs": NeedsSpec(tso_mw=[1.0, 2.0])})
    with pytest.raises(StudyError, match="tso_mw"):
        run_comparison(study.model_copy(update={"compare": bad}))


def test_imbalance_is_settled_against_the_intraday_position(small: Comparison) -> None:
    """Issue 6: imbalance = metered − (intraday position + requested), at the single price."""
    from tdcoord.pipeline import bundle_matrix
    from tdcoord.settlement.imbalance_price import single_imbalance_price

    assert small.day_ahead_price_eur_per_mwh is not None
    _, bundles = bundle_matrix(small.offers, small.members)
    dt = small.day.dt_h
    for r in small.runs:
        s = r.settlement
        assert s.imbalance_mw is not None
        metered = bundles @ (small.day.der_baseline_mw + r.day.response.delivered_mw)
        position = bundles @ small.day.der_forecast_mw["intraday"]
        expected = metered - (position + s.delivery.requested_mw)
        np.testing.assert_allclose(s.imbalance_mw, expected, atol=1e-9)
        price = single_imbalance_price(small.day_ahead_price_eur_per_mwh, r.day.outcome.activations)
        paid = s.transactions.loc[s.transactions["item"] == "imbalance", "amount_eur"].sum()
        assert paid == pytest.approx(float((price * expected.sum(axis=0)).sum() * dt), abs=1e-6)
        k = small.kpis()[r.entry.id]
        assert k["imbalance_mwh"] == pytest.approx(float(np.abs(expected).sum() * dt))
        assert abs(k["settlement_residual_eur"]) < 1e-6


def test_worker_processes_give_the_same_numbers(small: Comparison) -> None:
    """``--jobs 2`` runs the models in two forked workers: the same KPIs, bit for bit."""
    two = run_comparison(load_study(SMALL), jobs=2)
    a, b = small.kpis(), two.kpis()
    assert list(a) == list(b)
    for m in a:
        for k, v in a[m].items():
            if k not in TIMING_KEYS:
                assert b[m][k] == v, (m, k)


def test_bad_jobs_is_rejected() -> None:
    result = runner.invoke(app, ["compare", str(SMALL), "--jobs", "-1", "--no-report"])
    assert result.exit_code == 2 and "jobs" in result.output


def test_capacity_products_are_paid_for_what_the_day_ahead_market_reserved() -> None:
    """Issue 6: availability + utilisation payments for capacity products."""
    study = load_study(SMALL)
    market = study.market.model_copy(
        update={
            "products": ["capacity_nwa"],
            "availability_price_eur_per_mw_h": {"capacity_nwa": 5.0},
        }
    )
    c = run_comparison(
        study.model_copy(
            update={"market": market, "compare": study.compare.model_copy(update={"events": []})}
        ),
        ["eu.central"],
    )
    (r,) = c.runs
    da = r.day.stages["day_ahead"].activations
    reserved_mwh = float(da.loc[da["product_id"] == "capacity_nwa", "mw"].sum()) * c.day.dt_h
    assert reserved_mwh > 0
    k = c.kpis()["eu.central"]
    assert k["availability_paid_eur"] == pytest.approx(5.0 * reserved_mwh)
    items = set(r.settlement.transactions["item"])
    assert {"availability", "utilisation"} <= items
    assert abs(k["settlement_residual_eur"]) < 1e-6
