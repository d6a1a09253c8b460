"""Voltage shortfalls inside the security-margin band are priced at a share of the penalty
(tdcoord.coordination.clearing.MARGIN_BAND_PRICE_SHARE): hand-worked on the designed feeder with
no feeder flexibility, so the slacks alone meet the voltage rows."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.clearing import MARGIN_BAND_PRICE_SHARE, ClearingSpec, Margins, clear
from tdcoord.coordination.injectors import offer_injectors
from tdcoord.coordination.network_model import feeder_model

from .cases import designed_case


def _end_voltage(case: ClearingCase) -> float:
    v2, _, _ = feeder_model(case, 0).state()
    return float(np.sqrt(v2[-1, 0]))


def _with_v_min(case: ClearingCase, v_min: float) -> ClearingCase:
    fd = case.grid.feeders[0]
    nodes = fd.nodes.replace(v_min_pu=np.full(fd.n_node, v_min))
    grid = dataclasses.replace(case.grid, feeders=(dataclasses.replace(fd, nodes=nodes),))
    return dataclasses.replace(case, grid=grid)


def _voltage_slacks(case: ClearingCase, margin_pu: float) -> tuple[float, float]:
    """(band, beyond) voltage-low slack (pu) at the feeder's end node, from the penalties."""
    inj = offer_injectors(case, [3, 4])  # transmission offers only: no feeder flexibility
    spec = ClearingSpec(injectors=inj, feeders=(0,), margins=Margins(0.0, margin_pu))
    res = clear(case, spec)
    rows = res.slacks[(res.slacks["kind"] == "voltage_low")
                      & res.slacks["where"].str.endswith("node 4")]
    full = case.penalties.voltage_eur_per_pu_h * case.dt_h
    price = rows["penalty_eur"] / rows["value"]
    band = rows.loc[np.isclose(price, MARGIN_BAND_PRICE_SHARE * full), "value"].sum()
    beyond = rows.loc[np.isclose(price, full), "value"].sum()
    return float(band), float(beyond)


def test_a_shortfall_inside_the_band_is_priced_at_the_share() -> None:
    case = designed_case((0.0,))
    v = _end_voltage(case)
    # the true limit 0.01 pu below the voltage, the margin 0.015: 0.005 pu inside the band
    band, beyond = _voltage_slacks(_with_v_min(case, v - 0.01), 0.015)
    assert band == pytest.approx(0.005, rel=2e-2)
    assert beyond == 0.0


def test_beyond_the_true_limit_the_whole_penalty() -> None:
    case = designed_case((0.0,))
    v = _end_voltage(case)
    # the true limit 0.004 pu above the voltage, the margin 0.002: the band is used whole
    band, beyond = _voltage_slacks(_with_v_min(case, v + 0.004), 0.002)
    assert band == pytest.approx(0.002, rel=2e-2)
    assert beyond == pytest.approx(0.004, rel=2e-2)
