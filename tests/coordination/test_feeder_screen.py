"""Critical feeder elements (tdcoord.coordination.feeder_screen): the clearing writes the rows of
the elements near their limits only, and the hand-solved congestion clears the same."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import yaml

from tdcoord.coordination.clearing import ClearingSpec, Margins, build, clear
from tdcoord.coordination.feeder_screen import monitored_feeder_elements
from tdcoord.coordination.injectors import offer_injectors
from tdcoord.coordination.network_model import feeder_model
from tdcoord.errors import StudyError
from tdcoord.pipeline import build_shared_day
from tdcoord.pipeline.day import stage_case
from tdcoord.study.load import validate_study

from .cases import designed_case

SMALL = Path(__file__).resolve().parents[1] / "comparison" / "small_study.yaml"


def test_only_elements_near_their_limits_are_monitored() -> None:
    """The designed feeder: 1 MW + 0.2 Mvar at nodes 1–4; b12 (2.5 MVA) carries 3 MW, the
    others (10 MVA) at most 4 MW: only b12 reaches 90 % of its rating."""
    case = designed_case((0.0,))
    fm = feeder_model(case, 0)
    v2, p0, q0 = fm.state()
    nodes, branches = monitored_feeder_elements(fm, v2, p0, q0, 0.9)
    assert branches.tolist() == [False, True, False, False]
    all_nodes, all_branches = monitored_feeder_elements(fm, v2, p0, q0, None)
    assert all_nodes.all() and all_branches.all()
    # a node is monitored when its drop from the root reaches the share of the allowed drop
    v = np.sqrt(v2[:, 0])
    drop = (fm.feeder.v_root_pu - v) / (fm.feeder.v_root_pu - fm.feeder.nodes.v_min_pu)
    share = float(drop[1:].max()) * 0.99
    nodes, _ = monitored_feeder_elements(fm, v2, p0, q0, share)
    assert nodes[1:].tolist() == (drop[1:] >= share).tolist()
    assert nodes[1:].any() and not nodes[1:].all()


def test_screened_clearing_is_the_same_with_fewer_rows() -> None:
    case = designed_case((0.0,))
    inj = offer_injectors(case, [0, 1])
    spec = ClearingSpec(injectors=inj, feeders=(0,), margins=Margins(0.0, 0.0))
    screened = dataclasses.replace(case, monitor_feeder_loading=0.9)
    full = clear(case, spec)
    cut = clear(screened, spec)
    assert cut.objective_eur == pytest.approx(full.objective_eur, rel=1e-12)
    np.testing.assert_allclose(cut.activation_mw, full.activation_mw, atol=1e-9)
    assert build(screened, spec).lp().n_row < build(case, spec).lp().n_row


@pytest.mark.parametrize("bad", [0.0, -0.5, 1.5])
def test_the_study_refuses_a_share_outside_0_1(bad: float) -> None:
    data = yaml.safe_load(SMALL.read_text())
    data.setdefault("compare", {})["monitor_feeder_loading"] = bad
    with pytest.raises(StudyError, match="monitor_feeder_loading"):
        validate_study(data)


def test_the_study_share_reaches_the_clearing_case() -> None:
    data = yaml.safe_load(SMALL.read_text())
    data.setdefault("compare", {})["monitor_feeder_loading"] = 0.7
    shared = build_shared_day(validate_study(data))
    assert stage_case(shared, "day_ahead").monitor_feeder_loading == 0.7
