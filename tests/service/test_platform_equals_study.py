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

import numpy as np
import pytest

from tdcoord.pipeline import clear_stage
from tests.service.conftest import Env, make_env, small_engine
from tests.service.flow import play_stage

MODEL = "eu.central"


@pytest.fixture
def open_env(tmp_path: Path) -> Iterator[Env]:
    e = make_env(f"sqlite:///{tmp_path / 'p.db'}", area=None)
    yield e
    e.plat.store.dispose()


def test_platform_equals_compare(open_env: Env) -> None:
    env = open_env
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
    quiet = dataclasses.replace(small_engine().shared, redispatch_markup_eur_per_mwh=None)
    ref = clear_stage(quiet, MODEL, "day_ahead").outcome
    got = np.array(summary["activation_mw"], dtype=np.float64)
    assert got.shape == ref.activation_mw.shape
    assert np.array_equal(got, ref.activation_mw)
    lmp = np.array([p["price_eur_per_mwh"] for p in prices if p["kind"] == "lmp"])
    assert ref.lmp_eur_per_mwh is not None
    assert np.array_equal(lmp, ref.lmp_eur_per_mwh)
    for f, fid in enumerate(small_engine().feeder_ids()):
        d = np.array([p["price_eur_per_mwh"] for p in prices
                      if p["kind"] == "dlmp" and p["feeder"] == fid])
        ref_d = ref.dlmp_eur_per_mwh[f]
        if ref_d is None:
            assert d.size == 0
        else:
            assert np.array_equal(d, ref_d)
    dispatch = env.ok("GET", f"/api/v1/sessions/{sid}/dispatch", "mo")
    total = np.sum([d["mw"] for d in dispatch], axis=0)
    signed = (ref.activation_mw * np.array(
        [1 if x > 0 else -1 for x in run_comparison_direction()])[:, None]).sum(axis=0)
    assert np.allclose(total, signed, atol=1e-6)


def run_comparison_direction() -> list[int]:
    """Directions of the study's offer steps."""
    return small_engine().shared.offers.direction.tolist()  # type: ignore[no-any-return]
