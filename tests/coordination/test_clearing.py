"""The clearing LP against hand-solved cases, and case validation."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.clearing import ClearingSpec, Margins, clear
from tdcoord.coordination.errors import CoordinationError
from tdcoord.coordination.injectors import (
    TIE_BREAK_EUR_PER_MWH,
    offer_injectors,
    tie_break_eur_per_mwh,
)
from tdcoord.coordination.needs import dso_need_mw, feeder_needs

from .cases import designed_case


def test_balance_merit_order_hand_solved() -> None:
    # Need +4 MW, only T-connected offers: up_g2 (40 €/MWh) covers it; cost 160 €, LMP 40.
    case = designed_case((4.0,))
    inj = offer_injectors(case, [3, 4])
    res = clear(case, ClearingSpec(injectors=inj, need_mw=case.tso_need_mw, lines=True))
    assert res.status == "optimal"
    assert res.activation_mw[:, 0] == pytest.approx([4.0, 0.0])
    # the clearing prices the bid plus the canonical tie-break of up_g2 (row 3)
    eps = tie_break_eur_per_mwh(case.offers.offer_id)[3]
    assert 0.0 < eps < TIE_BREAK_EUR_PER_MWH
    assert res.objective_eur == pytest.approx(4.0 * (40.0 + eps), rel=1e-9)
    assert res.lmp_eur_per_mwh is not None
    assert res.lmp_eur_per_mwh[:, 0] == pytest.approx([40.0 + eps] * 3, rel=1e-9)


def test_feeder_congestion_hand_solved() -> None:
    # Branch b12 carries 3 MW + 0.6 Mvar; with margin 0 the polygon facet on the P axis is
    # exact: P ≤ sqrt(2.5² - 0.6²)? No — the 12-facet polygon at Q=0.6: facet (cos15, sin15):
    # cos15·P + sin15·Q ≤ cos15·2.5  →  P ≤ 2.5 − tan15·0.6. Relief needed downstream.
    case = designed_case((0.0,))
    inj = offer_injectors(case, [0, 1])
    res = clear(case, ClearingSpec(injectors=inj, feeders=(0,), margins=Margins(0.0, 0.0)))
    p_max = 2.5 - np.tan(np.pi / 12) * 0.6
    need = 3.0 - p_max
    assert res.activation_mw[:, 0] == pytest.approx([0.0, need], abs=1e-7)
    price = 30.0 + tie_break_eur_per_mwh(case.offers.offer_id)[1]  # bid + canonical tie-break
    assert res.objective_eur == pytest.approx(price * need, rel=1e-9)
    # DLMP at the downstream node is the marginal offer's price (with opposite sign: an extra
    # withdrawal there costs one more MW of relief at 30 €/MWh).
    assert res.dlmp_eur_per_mwh[0][4, 0] == pytest.approx(price, rel=1e-9)
    assert res.dlmp_eur_per_mwh[0][1, 0] == pytest.approx(0.0)


def test_dso_need_estimate_matches_overload() -> None:
    case = designed_case((0.0,))
    fn = feeder_needs(case, 0)
    assert fn.overload_mva[1, 0] == pytest.approx(np.hypot(3.0, 0.6) - 2.5)
    assert dso_need_mw(case)[0, 0] == pytest.approx(3.0 - np.sqrt(2.5**2 - 0.6**2))


def test_case_rejects_bad_shapes() -> None:
    case = designed_case((0.0,))
    with pytest.raises(CoordinationError):
        dataclasses.replace(case, tso_need_mw=np.zeros(3))
    with pytest.raises(CoordinationError):
        dataclasses.replace(case, feeder_p_mw=(np.zeros((2, 1)),))
    with pytest.raises(CoordinationError):
        ClearingCase(
            grid=case.grid, dt_h=0.0, offers=case.offers, gen_schedule_mw=case.gen_schedule_mw,
            load_mw=case.load_mw, feeder_p_mw=case.feeder_p_mw,
            feeder_q_mvar=case.feeder_q_mvar, tso_need_mw=case.tso_need_mw,
        )


def test_case_margins_apply_when_the_spec_has_none() -> None:
    # the hand-solved congestion above, with the rating used at 1 - 0.1: the case's margins
    # (study data) give the same clearing as the spec's own, and a tighter limit costs more
    case = designed_case((0.0,))
    inj = offer_injectors(case, [0, 1])
    tight = Margins(rating_frac=0.1, voltage_pu=0.0)
    by_spec = clear(case, ClearingSpec(injectors=inj, feeders=(0,), margins=tight))
    by_case = clear(
        dataclasses.replace(case, margins=tight), ClearingSpec(injectors=inj, feeders=(0,))
    )
    loose = clear(case, ClearingSpec(injectors=inj, feeders=(0,), margins=Margins(0.0, 0.0)))
    assert by_case.objective_eur == pytest.approx(by_spec.objective_eur, rel=1e-12)
    assert by_case.activation_mw == pytest.approx(by_spec.activation_mw)
    p_max = 0.9 * 2.5 - np.tan(np.pi / 12) * 0.6
    price = 30.0 + tie_break_eur_per_mwh(case.offers.offer_id)[1]  # bid + canonical tie-break
    assert by_case.objective_eur == pytest.approx(price * (3.0 - p_max), rel=1e-9)
    assert by_case.objective_eur > loose.objective_eur
