"""The platform equals the study: the day-ahead stage of the small comparison study
(``tests/comparison/small_study.yaml``), played through the HTTP API — DERs and portfolios
registered, prequalified, the TSO's need posted, the study's offers posted as orders, the gate
closed, the clearing run as a job — gives the same dispatch (activation per offer step and
interval) and the same LMPs and DLMPs as ``compare`` for model ``eu.central``, bit for bit (with
transmission generators offering no redispatch: they are no session participants)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from tdcoord.pipeline import run_model_day
from tdcoord.pipeline.prices import day_prices
from tdcoord.service.engine import StudyEngine
from tests.service.conftest import SMALL_STUDY, Env, make_env, small_engine
from tests.service.flow import play_stage

MODEL = "eu.central"


@pytest.fixture
def open_env(tmp_path: Path) -> Iterator[Env]:
    e = make_env(f"sqlite:///{tmp_path / 'p.db'}", area=None)
    yield e
    e.plat.store.dispose()


def test_platform_equals_compare(open_env: Env) -> None:
    check_platform_equals(open_env, small_engine())


def test_platform_clears_with_the_study_margins(tmp_path: Path) -> None:
    """A study with its own security margins: the platform's clearing uses them, as compare."""
    data = yaml.safe_load(SMALL_STUDY.read_text())
    data.setdefault("compare", {})["security_margins"] = {"rating_frac": 0.2, "voltage_pu": 0.02}
    path = tmp_path / "margins.yaml"
    path.write_text(yaml.safe_dump(data))
    engine = StudyEngine.load(str(path))
    assert engine.shared.margins.voltage_pu == 0.02
    e = make_env(f"sqlite:///{tmp_path / 'm.db'}", engine=engine, area=None)
    try:
        check_platform_equals(e, engine)
    finally:
        e.plat.store.dispose()


def check_platform_equals(env: Env, engine: StudyEngine) -> None:
    """The day-ahead session of ``engine``'s study, played through the API, clears as compare
    (module docstring)."""
    sid = play_stage(env, MODEL)
    r = env.client.post(f"/api/v1/sessions/{sid}/clearing", headers=env.h("mo"))
    assert r.status_code == 202
    job = r.json()["job_id"]
    assert env.run_jobs() == 1
    assert env.ok("GET", f"/api/v1/jobs/{job}", "mo")["state"] == "done"
    summary = env.ok("GET", f"/api/v1/sessions/{sid}/summary", "mo")
    prices = env.ok("GET", f"/api/v1/sessions/{sid}/prices", "fsp1")

    # a platform session clears the orders posted to it: transmission generators are no
    # session participants, so the reference is compare's day-ahead stage with generators
    # offering no redispatch (SharedDay.redispatch_markup_eur_per_mwh None)
    quiet = dataclasses.replace(engine.shared, redispatch_markup_eur_per_mwh=None)
    day = run_model_day(quiet, MODEL)
    ref = day.stages["day_ahead"]
    got = np.array(summary["activation_mw"], dtype=np.float64)
    assert got.shape == ref.activation_mw.shape
    assert np.array_equal(got, ref.activation_mw)
    lmp = np.array([p["price_eur_per_mwh"] for p in prices if p["kind"] == "lmp"])
    assert ref.lmp_eur_per_mwh is not None
    assert np.array_equal(lmp, ref.lmp_eur_per_mwh)
    for f, fid in enumerate(engine.feeder_ids()):
        d = np.array([p["price_eur_per_mwh"] for p in prices
                      if p["kind"] == "dlmp" and p["feeder"] == fid])
        ref_d = ref.dlmp_eur_per_mwh[f]
        if ref_d is None:
            assert d.size == 0
        else:  # the scheme's DLMP, plus the marginal losses priced at the operating point
            loss = np.array([p["components"]["loss"] for p in prices
                             if p["kind"] == "dlmp" and p["feeder"] == fid])
            assert np.allclose(d - loss, ref_d, rtol=0, atol=1e-9)
    check_components(prices)
    check_equals_compare(prices, day_prices(quiet, day), "day_ahead")
    dispatch = env.ok("GET", f"/api/v1/sessions/{sid}/dispatch", "mo")
    total = np.sum([d["mw"] for d in dispatch], axis=0)
    signed = (ref.activation_mw * np.array(
        [1 if x > 0 else -1 for x in run_comparison_direction()])[:, None]).sum(axis=0)
    assert np.allclose(total, signed, atol=1e-6)


def run_comparison_direction() -> list[int]:
    """Directions of the study's offer steps."""
    return small_engine().shared.offers.direction.tolist()  # type: ignore[no-any-return]


def check_equals_compare(prices: list[dict[str, Any]], table: Any, stage: str) -> None:
    """Every price and component of ``/prices`` equals compare's price table (``prices.csv``
    rows of ``stage``) bit for bit, and the platform prices every location compare prices."""
    rows = table.loc[table["stage"] == stage].astype({"node": str, "component": str})
    want = {key: g.sort_values("interval")["price_eur_per_mwh"].to_numpy(np.float64)
            for key, g in rows.groupby(["node", "component"], sort=False)}
    got = {}
    for p in prices:
        got[(p["label"], "total")] = np.asarray(p["price_eur_per_mwh"], dtype=np.float64)
        for c, v in p["components"].items():
            got[(p["label"], c)] = np.asarray(v, dtype=np.float64)
    assert set(got) == set(want)
    assert want
    for key, v in want.items():
        assert np.array_equal(got[key], v), key


def check_components(prices: list[dict[str, Any]]) -> None:
    """Every price's components add up to its total (1e-9); an LMP's energy part is the same at
    every bus (the balance dual) and its congestion part is zero at the PTDF reference bus."""
    assert prices
    kinds = {"lmp": {"energy", "congestion"}, "dlmp": {"energy", "loss", "congestion", "voltage"}}
    for p in prices:
        assert set(p["components"]) == kinds[p["kind"]], p["label"]
        parts = np.sum([p["components"][c] for c in p["components"]], axis=0)
        assert np.allclose(parts, p["price_eur_per_mwh"], rtol=0, atol=1e-9), p["label"]
    lmps = [p for p in prices if p["kind"] == "lmp"]
    if lmps:
        energy = np.array([p["components"]["energy"] for p in lmps])
        assert np.array_equal(energy, np.repeat(energy[:1], len(lmps), axis=0))
        cong = np.array([p["components"]["congestion"] for p in lmps])
        assert (np.abs(cong).max(axis=1) == 0).any()  # the reference bus
