"""Penetration-scenario fleets on any feeder(s): customers per node, DER shares, seeded draws.

Customers per node
------------------
A feeder node with peak load ``P_j`` (the grid's nominal load, MW) serves
``n_j = round(P_j / p_customer)`` customers, with ``p_customer = customer_peak_kw / 1000`` the
after-diversity maximum demand (ADMD) of one customer. Default 2 kW: UK residential ADMD values
are about 1–2.5 kW (Customer-Led Network Revolution, "After Diversity Maximum Demand" report
CLNR-L177, 2015; ENA ACE 49). The root (row 0, supply point) gets no customers.

Owners
------
For each type in :data:`~tdcoord.der.fleet_spec.CUSTOMER_TYPES` order, exactly
``round(share · C)`` of the ``C`` customers are drawn without replacement (so shares are met to
one customer); a customer may own several types. Everything comes from one
``numpy.random.Generator(PCG64(seed))`` in a fixed order: the same seed gives identical arrays.

Unit parameters (uniform draws, per unit; MW, MWh)
---------------------------------------------------
Sizes below are per household; a customer that stands for ``h = households_per_customer``
households (coarse studies: one "customer" per MV/LV substation share) gets DERs ``h`` times as
large (power, energy, thermal capacity; thermal resistance ``/ h``), so that the fleet's total
capacity does not depend on how finely customers are resolved.

* PV: ``3–10 kWp`` (rooftop), inverter rated at the peak; available power = peak ×
  clear-sky shape (:func:`~tdcoord.der.fleet_profiles.clear_sky_pv`).
* Battery: ``3–6 kW``, ``2–3 h`` of energy, η 0.95/0.95, SoC limits 0.1–0.9, starts at 0.5,
  idle baseline (home batteries; e.g. Tesla Powerwall 2: 5 kW / 13.5 kWh).
* EV: charger 3.7 kW (60 %) or 11 kW (40 %) (IEC 61851 mode 3 single-/three-phase),
  arrival uniform in 16:00–21:00, plugged in to the end of the horizon, need 6–20 kWh capped at
  90 % of what the window allows; baseline "asap" (uncontrolled charging).
* Heat pump: ``2–5 kW`` electric, COP 3, 1R1C house with ``C = 0.01 MWh/K`` and
  ``R = 5000 K/MW`` (≈ 4 kW heat loss at 20 K), comfort 20–22 °C, set point 21 °C, outdoor
  temperature of the season (:func:`~tdcoord.der.fleet_profiles.outdoor_temperature_c`).
* Flexible load: ``flexible_share_of_load`` of the customer's demand
  (``p_customer`` × residential shape), fully shiftable within 4-hour windows;
  **embedded in the grid's load** (its baseline is not added again to the operating point).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tdcoord.der.battery import Battery
from tdcoord.der.errors import DerError
from tdcoord.der.ev import EvCharger
from tdcoord.der.fleet import Fleet
from tdcoord.der.fleet_parts import FleetParts, der_ids, feeder_indices
from tdcoord.der.fleet_profiles import load_shape, outdoor_temperature_c, pv_shape
from tdcoord.der.flexible_load import FlexibleLoad
from tdcoord.der.heat_pump import HeatPump
from tdcoord.der.pv import Pv
from tdcoord.grid.model import GridModel
from tdcoord.study.schema import CUSTOMER_TYPES, FleetSpec
from tdcoord.types import FloatArray, IntArray


def customers_per_node(node_load_mw: FloatArray, customer_peak_kw: float) -> IntArray:
    """``round(P_j / p_customer)`` per node row (root row 0 excluded: 0 customers)."""
    n = np.floor(np.maximum(node_load_mw, 0.0) / (customer_peak_kw / 1000.0) + 0.5)
    n[:1] = 0
    return n.astype(np.int64)


def _customers(grid: GridModel, spec: FleetSpec) -> tuple[IntArray, IntArray]:
    """Feeder index and node row of every customer (feeder by feeder, node by node)."""
    fs: list[IntArray] = []
    ns: list[IntArray] = []
    for fi in feeder_indices(grid, spec):  # one iteration per feeder
        counts = customers_per_node(grid.feeders[fi].node_load_mw(), spec.customer_peak_kw)
        rows = np.repeat(np.arange(counts.size), counts)
        fs.append(np.full(rows.size, fi, dtype=np.int64))
        ns.append(rows.astype(np.int64))
    if not fs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(fs), np.concatenate(ns)


def _pv(spec: FleetSpec, n: int, rng: np.random.Generator) -> Pv:
    kwp = rng.uniform(3.0, 10.0, n) / 1000.0 * spec.households_per_customer
    shape = pv_shape(
        spec.n_intervals,
        spec.dt_h,
        season=spec.season,
        latitude_deg=spec.latitude_deg,
        date=spec.date,
    )
    return Pv(der_ids("pv", n), kwp, kwp[:, None] * shape[None, :])


def _battery(spec: FleetSpec, n: int, rng: np.random.Generator) -> Battery:
    p = rng.uniform(3.0, 6.0, n) / 1000.0 * spec.households_per_customer
    hours = rng.uniform(2.0, 3.0, n)
    return Battery(
        der_ids("battery", n),
        e_max_mwh=p * hours,
        p_charge_max_mw=p,
        p_discharge_max_mw=p,
        soc_min=np.array(0.1),
        soc_max=np.array(0.9),
    )


def _ev(spec: FleetSpec, n: int, rng: np.random.Generator) -> EvCharger:
    T, dt, h = spec.n_intervals, spec.dt_h, spec.households_per_customer
    charger = np.where(rng.random(n) < 0.6, 3.7, 11.0) / 1000.0 * h
    arrival = np.minimum(np.floor(rng.uniform(16.0, 21.0, n) / dt), T - 1)
    arrival = arrival.astype(np.int64)
    departure = np.full(n, T, dtype=np.int64)
    cap = (departure - arrival) * charger * 0.92 * dt
    need = np.minimum(rng.uniform(6.0, 20.0, n) / 1000.0 * h, 0.9 * cap)
    return EvCharger(der_ids("ev", n), arrival, departure, need, charger)


def _flexible_load(spec: FleetSpec, n: int) -> FlexibleLoad:
    T, dt = spec.n_intervals, spec.dt_h
    p_cust = spec.customer_peak_kw / 1000.0
    demand = spec.flexible_share_of_load * p_cust * load_shape(
        "residential", spec.season, T, dt, date=spec.date
    )
    return FlexibleLoad(
        der_ids("flexible_load", n),
        demand_mw=demand,
        shift_max_mw=np.array(float(demand.max())),
        window_intervals=np.array(max(1, round(4.0 / dt))),
    )


def _heat_pump(spec: FleetSpec, n: int, rng: np.random.Generator) -> HeatPump:
    h = spec.households_per_customer
    return HeatPump(
        der_ids("heat_pump", n),
        p_el_max_mw=rng.uniform(2.0, 5.0, n) / 1000.0 * h,
        cop=np.array(3.0),
        c_th_mwh_per_k=np.array(0.01 * h),
        r_th_k_per_mw=np.array(5000.0 / h),
        t_min_c=np.array(20.0),
        t_max_c=np.array(22.0),
        t_out_c=outdoor_temperature_c(spec.n_intervals, spec.dt_h, season=spec.season),
    )


def penetration_fleet(grid: GridModel, spec: FleetSpec) -> Fleet:
    """Build a fleet from penetration shares on the grid's feeders (see module doc)."""
    if not grid.feeders:
        raise DerError(
            "the grid has no feeders for a penetration fleet",
            where=grid.name,
            fix="attach feeders (study grid.feeders) or use a distribution source",
        )
    rng = np.random.Generator(np.random.PCG64(spec.seed))
    cust_feeder, cust_node = _customers(grid, spec)
    n_cust = cust_feeder.size
    shares = spec.effective_shares()
    owners: dict[str, IntArray] = {}
    for t in CUSTOMER_TYPES:  # fixed order: determinism
        k = round(shares.get(t, 0.0) * n_cust)
        owners[t] = np.sort(rng.choice(n_cust, size=k, replace=False)) if k else np.zeros(0, int)
    parts = FleetParts()

    def add(t: str, model: Any, embedded: bool) -> None:
        rows = owners[t]
        parts.add(t, model, cust_feeder[rows], cust_node[rows], np.full(rows.size, embedded))

    # draw order fixed (pv, battery, ev, flexible load, heat pump): determinism
    if owners["pv"].size:
        add("pv", _pv(spec, owners["pv"].size, rng), False)
    if owners["battery"].size:
        add("battery", _battery(spec, owners["battery"].size, rng), False)
    if owners["ev"].size:
        add("ev", _ev(spec, owners["ev"].size, rng), False)
    if owners["flexible_load"].size and spec.flexible_share_of_load > 0:
        add("flexible_load", _flexible_load(spec, owners["flexible_load"].size), True)
    if owners["heat_pump"].size:
        add("heat_pump", _heat_pump(spec, owners["heat_pump"].size, rng), False)
    return parts.assemble(spec.n_aggregators, rng)
