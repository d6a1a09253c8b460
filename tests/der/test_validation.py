"""Every DER validation error, each triggered by a realistic mistake."""

from __future__ import annotations

from typing import Any

import pytest

from tdcoord.der import Battery, Chp, DerError, EvCharger, FlexibleLoad, HeatPump, Pv

BAT: dict[str, Any] = {"e_max_mwh": 0.01, "p_charge_max_mw": 0.005, "p_discharge_max_mw": 0.005}
HP: dict[str, Any] = {
    "p_el_max_mw": 0.005,
    "cop": 3.0,
    "c_th_mwh_per_k": 0.01,
    "r_th_k_per_mw": 4000.0,
    "t_min_c": 20.0,
    "t_max_c": 22.0,
    "t_out_c": [0.0],
}
EV: dict[str, Any] = {
    "arrival_interval": 2,
    "departure_interval": 10,
    "e_need_mwh": 0.02,
    "p_charger_max_mw": 0.011,
}


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Battery.create(["b1"], **{**BAT, "e_max_mwh": -0.01}), "e_max_mwh is negative"),
        (lambda: Battery.create(["b1"], **{**BAT, "soc_min": 0.9, "soc_max": 0.2}), "upside down"),
        (lambda: Battery.create(["b1"], **{**BAT, "eta_charge": 95}), r"outside \(0, 1\]"),
        (lambda: Battery.create(["b1"], **{**BAT, "soc_init": 50}), "soc_init outside"),
        (lambda: Battery.create(["b1"], **{**BAT, "p_charge_max_mw": 5000}), "divide by 1000"),
        (lambda: Battery.create(["b1", "b1"], **BAT), "duplicate unit id"),
        (lambda: Battery.create(["b1", "b2"], **{**BAT, "e_max_mwh": [1, 2, 3]}), "shape"),
        (lambda: EvCharger.create(["ev7"], **{**EV, "departure_interval": 1}), "departure before"),
        (lambda: EvCharger.create(["ev7"], **{**EV, "eta_charge": 0}), r"outside \(0, 1\]"),
        (lambda: Pv.create(["pv3"], s_inverter_mva=5.0, available_p_mw=[[4000.0]]), "exceeds 2×"),
        (lambda: Pv.create(["pv3"], s_inverter_mva=5000.0, available_p_mw=[[1.0]]), "kW"),
        (lambda: HeatPump.create(["hp1"], **{**HP, "t_min_c": 23.0}), "comfort band upside down"),
        (lambda: HeatPump.create(["hp1"], **{**HP, "cop": 350.0}), "COP as a ratio"),
        (
            lambda: FlexibleLoad.create(
                ["l1"], demand_mw=[[-1.0]], shift_max_mw=0.1, window_intervals=4
            ),
            "demand_mw is negative",
        ),
        (
            lambda: Chp.create(
                ["c1"], p_min_mw=1.0, p_max_mw=0.5, ramp_mw_per_h=1.0, fuel_cost_eur_per_mwh=60.0
            ),
            "p_min_mw > p_max_mw",
        ),
    ],
)
def test_bad_input_raises_der_error_naming_unit_and_fix(build: Any, match: str) -> None:
    with pytest.raises(DerError, match=match) as info:
        build()
    msg = str(info.value)
    assert "Fix:" in msg
    assert isinstance(info.value, ValueError)


def test_error_names_the_offending_unit() -> None:
    with pytest.raises(DerError, match="'b2'"):
        Battery.create(["b1", "b2"], **{**BAT, "e_max_mwh": [0.01, -0.01]})


def test_bad_dt_is_rejected() -> None:
    b = Battery.create(["b1"], **BAT)
    with pytest.raises(DerError, match="dt_h"):
        b.flexibility(4, 0.0)
