"""System operating states and the rules of each (seed 000 §3.3; ENTSO-E SO GL Art. 18).

Seed 000 §3.3 asks for "new actions and procedures in emergency situations" and the communication
protocols between operators (Network Code on Emergency and Restoration). The states and their
criteria follow Commission Regulation (EU) 2017/1485 (SO GL) Art. 18 and (EU) 2017/2196 (NC ER):

``normal``
    Flows and voltages within operational security limits, reserves sufficient, and the N−1
    contingencies of the list do not violate the limits (SO GL Art. 18(1)).
``alert``
    Limits respected now, but a contingency would violate them, or the reserve is reduced by more
    than 20 % of its requirement (SO GL Art. 18(2)(b), (d)).
``emergency``
    At least one limit violated (line loading > 100 %, voltage outside its band) or a measure of
    the system defence plan is active — load shedding (SO GL Art. 18(3)(a), (c); NC ER Art. 15, 22).
``blackout``
    More than 50 % of the demand lost (SO GL Art. 18(4)(a)).
``restorative``
    After an emergency or blackout, limits are back but disconnected demand is being reconnected
    (SO GL Art. 18(5); NC ER Art. 23–27). Ends in ``normal`` once nothing is left disconnected.

:data:`STATE_RULES` says what the operators may do in each state; :func:`check_action` enforces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import numpy as np

from tdcoord.simulation.errors import SimulationError

State = Literal["normal", "alert", "emergency", "blackout", "restorative"]
STATES: tuple[State, ...] = ("normal", "alert", "emergency", "blackout", "restorative")

Action = Literal[
    "market_flexibility",  # buy flexibility on the markets of the coordination scheme
    "dso_support_request",  # TSO asks the DSO to curtail / reduce through its DERs
    "load_shedding",  # TSO orders the DSO to disconnect demand (defence plan)
    "microgrid_island",  # DSO runs an isolated section on local DER
    "market_suspension",  # markets suspended, operators dispatch directly (NC ER Art. 35)
    "reconnection",  # reconnection of disconnected demand and islands in steps
]


@dataclass(frozen=True)
class StateRule:
    """What the operators may do in a state, and the source of the rule."""

    allowed: frozenset[str]
    source: str


STATE_RULES: Mapping[State, StateRule] = MappingProxyType(
    {
        "normal": StateRule(
            frozenset({"market_flexibility"}),
            "SO GL Art. 18(1), Art. 20-23 (market-based remedial actions prepared in advance)",
        ),
        "alert": StateRule(
            frozenset({"market_flexibility", "dso_support_request"}),
            "SO GL Art. 18(2), Art. 21-22 (remedial actions incl. DSO-connected resources, "
            "coordinated with the DSO); seed 000 §3.3",
        ),
        "emergency": StateRule(
            frozenset(
                {
                    "market_flexibility",
                    "dso_support_request",
                    "load_shedding",
                    "microgrid_island",
                    "market_suspension",
                }
            ),
            "NC ER (EU) 2017/2196 Art. 11-22 (system defence plan: manual demand disconnection "
            "through DSOs, Art. 22), Art. 35 (market suspension)",
        ),
        "blackout": StateRule(
            frozenset({"load_shedding", "microgrid_island", "market_suspension", "reconnection"}),
            "SO GL Art. 18(4); NC ER Art. 23-27 (restoration plan)",
        ),
        "restorative": StateRule(
            frozenset({"dso_support_request", "microgrid_island", "reconnection"}),
            "SO GL Art. 18(5); NC ER Art. 23-27 (reconnection coordinated with DSOs)",
        ),
    }
)


def check_action(state: State, action: str) -> None:
    """Raise :class:`SimulationError` if ``action`` is not allowed in ``state``."""
    if state not in STATE_RULES:
        raise SimulationError(
            f"unknown operating state {state!r}", where="check_action", fix=f"use one of {STATES}"
        )
    if action not in STATE_RULES[state].allowed:
        raise SimulationError(
            f"action {action!r} is not allowed in state {state!r}",
            where="emergency rules",
            fix=f"allowed in {state}: {sorted(STATE_RULES[state].allowed)} "
            f"({STATE_RULES[state].source})",
        )


@dataclass(frozen=True)
class Margins:
    """What the operator observes in one interval (all optional except line loading)."""

    max_loading: float = 0.0
    """Largest branch loading |flow| / rating (1.0 = at the limit)."""
    max_n1_loading: float | None = None
    """Largest post-contingency loading over the contingency list (None = not assessed)."""
    reserve_mw: float | None = None
    reserve_required_mw: float | None = None
    v_min_pu: float | None = None
    v_max_pu: float | None = None
    v_band_pu: tuple[float, float] = (0.95, 1.05)
    shed_mw: float = 0.0
    """Demand disconnected by defence-plan measures (shedding, un-islanded faulted sections)."""
    demand_mw: float | None = None
    reconnecting: bool = False
    """Disconnected demand is being reconnected (restoration plan under way)."""


LOADING_TOL = 1e-6
RESERVE_ALERT_FRACTION = 0.8  # SO GL Art. 18(2)(b): reserve reduced by more than 20 %


def classify(margins: Margins, previous: State = "normal") -> State:
    """Operating state of one interval from the observed margins and the previous state."""
    m = margins
    if m.demand_mw is not None and m.demand_mw > 0 and m.shed_mw > 0.5 * m.demand_mw:
        return "blackout"
    lo, hi = m.v_band_pu
    voltage_bad = (m.v_min_pu is not None and m.v_min_pu < lo - 1e-9) or (
        m.v_max_pu is not None and m.v_max_pu > hi + 1e-9
    )
    violated = m.max_loading > 1.0 + LOADING_TOL or voltage_bad
    if violated:
        return "emergency"
    if m.shed_mw > 1e-9:
        # limits are back but demand is still disconnected: restoration once the operators
        # reconnect it (coming from an emergency or blackout), else the disconnection is an
        # active defence-plan measure
        if m.reconnecting and previous in ("emergency", "blackout", "restorative"):
            return "restorative"
        return "emergency"
    n1_bad = m.max_n1_loading is not None and m.max_n1_loading > 1.0 + LOADING_TOL
    reserve_low = (
        m.reserve_mw is not None
        and m.reserve_required_mw is not None
        and m.reserve_mw < RESERVE_ALERT_FRACTION * m.reserve_required_mw
    )
    if n1_bad or reserve_low:
        return "alert"
    return "normal"


def classify_series(margins: list[Margins], initial: State = "normal") -> list[State]:
    """States of consecutive intervals (each depends on the previous one)."""
    out: list[State] = []
    prev = initial
    for m in margins:
        prev = classify(m, prev)
        out.append(prev)
    return out


def worst(states: list[State]) -> State:
    """The most severe of several states (e.g. over feeders of one interval)."""
    order = {"normal": 0, "alert": 1, "restorative": 2, "emergency": 3, "blackout": 4}
    if not states:
        return "normal"
    return max(states, key=lambda s: order[s])


def energy_balance_gap_mwh(
    demand_mwh: float, served_mwh: float, shed_mwh: float, islanded_served_mwh: float
) -> float:
    """``demand − (served + shed + islanded-served)``: zero when nothing is lost."""
    return float(np.asarray(demand_mwh - (served_mwh + shed_mwh + islanded_served_mwh)))
