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

from collections.abc import Sequence
from typing import Any

import numpy as np

from tdcoord.der.battery import Battery
from tdcoord.der.errors import DerError
from tdcoord.der.ev import EvCharger
from tdcoord.der.fleet import Fleet, assign_aggregators
from tdcoord.der.fleet_profiles import clear_sky_pv, load_shape, outdoor_temperature_c
from tdcoord.der.fleet_spec import CUSTOMER_TYPES, FleetSpec
from tdcoord.der.flexible_load import FlexibleLoad
from tdcoord.der.heat_pump import HeatPump
from tdcoord.der.pv import Pv
from tdcoord.grid.model import GridModel
from tdcoord.types import FloatArray, IntArray


def customers_per_node(node_load_mw: FloatArray, customer_peak_kw: float) -> IntArray:
    """``round(P_j / p_customer)`` per node row (root row 0 excluded: 0 customers)."""
    n = np.floor(np.maximum(node_load_mw, 0.0) / (customer_peak_kw / 1000.0) + 0.5)
    n[:1] = 0
    return n.astype(np.int64)


def _ids(prefix: str, n: int) -> tuple[str, ...]:
    if n == 0:
        return ()
    nums = np.char.zfill(np.arange(n).astype(str), max(6, len(str(n))))
    return tuple(np.char.add(f"{prefix}_", nums).tolist())


def _feeder_indices(grid: GridModel, spec: FleetSpec) -> list[int]:
    if spec.feeders == "all":
        return list(range(len(grid.feeders)))
    bad = [i for i in spec.feeders if not 0 <= i < len(grid.feeders)]
    if bad:
        raise DerError(
            f"feeder index {bad[0]} out of range ({len(grid.feeders)} feeders)",
            where="fleet.feeders",
            fix="use 'all' or indices into the grid's feeders",
        )
    return list(spec.feeders)


def _customers(grid: GridModel, spec: FleetSpec) -> tuple[IntArray, IntArray]:
    """Feeder index and node row of every customer (feeder by feeder, node by node)."""
    fs: list[IntArray] = []
    ns: list[IntArray] = []
    for fi in _feeder_indices(grid, spec):  # one iteration per feeder
        counts = customers_per_node(grid.feeders[fi].node_load_mw(), spec.customer_peak_kw)
        rows = np.repeat(np.arange(counts.size), counts)
        fs.append(np.full(rows.size, fi, dtype=np.int64))
        ns.append(rows.astype(np.int64))
    if not fs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(fs), np.concatenate(ns)


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
    T, dt = spec.n_intervals, spec.dt_h
    p_cust = spec.customer_peak_kw / 1000.0
    h = spec.households_per_customer
    models: dict[str, Any] = {}
    feeder_parts: list[IntArray] = []
    node_parts: list[IntArray] = []
    emb_parts: list[Any] = []

    def add(t: str, model: Any, rows: IntArray, embedded: bool) -> None:
        models[t] = model
        feeder_parts.append(cust_feeder[rows])
        node_parts.append(cust_node[rows])
        emb_parts.append(np.full(rows.size, embedded))

    rows = owners["pv"]
    if rows.size:
        kwp = rng.uniform(3.0, 10.0, rows.size) / 1000.0 * h
        shape = clear_sky_pv(T, dt, season=spec.season, latitude_deg=spec.latitude_deg)
        add("pv", Pv(_ids("pv", rows.size), kwp, kwp[:, None] * shape[None, :]), rows, False)
    rows = owners["battery"]
    if rows.size:
        p = rng.uniform(3.0, 6.0, rows.size) / 1000.0 * h
        hours = rng.uniform(2.0, 3.0, rows.size)
        bat = Battery(
            _ids("battery", rows.size),
            e_max_mwh=p * hours,
            p_charge_max_mw=p,
            p_discharge_max_mw=p,
            soc_min=np.array(0.1),
            soc_max=np.array(0.9),
        )
        add("battery", bat, rows, False)
    rows = owners["ev"]
    if rows.size:
        charger = np.where(rng.random(rows.size) < 0.6, 3.7, 11.0) / 1000.0 * h
        arrival = np.minimum(np.floor(rng.uniform(16.0, 21.0, rows.size) / dt), T - 1)
        arrival = arrival.astype(np.int64)
        departure = np.full(rows.size, T, dtype=np.int64)
        cap = (departure - arrival) * charger * 0.92 * dt
        need = np.minimum(rng.uniform(6.0, 20.0, rows.size) / 1000.0 * h, 0.9 * cap)
        ev = EvCharger(_ids("ev", rows.size), arrival, departure, need, charger)
        add("ev", ev, rows, False)
    rows = owners["flexible_load"]
    if rows.size and spec.flexible_share_of_load > 0:
        demand = (
            spec.flexible_share_of_load * p_cust * load_shape("residential", spec.season, T, dt)
        )
        fl = FlexibleLoad(
            _ids("flexible_load", rows.size),
            demand_mw=demand,
            shift_max_mw=np.array(float(demand.max())),
            window_intervals=np.array(max(1, round(4.0 / dt))),
        )
        add("flexible_load", fl, rows, True)
    rows = owners["heat_pump"]
    if rows.size:
        hp = HeatPump(
            _ids("heat_pump", rows.size),
            p_el_max_mw=rng.uniform(2.0, 5.0, rows.size) / 1000.0 * h,
            cop=np.array(3.0),
            c_th_mwh_per_k=np.array(0.01 * h),
            r_th_k_per_mw=np.array(5000.0 / h),
            t_min_c=np.array(20.0),
            t_max_c=np.array(22.0),
            t_out_c=outdoor_temperature_c(T, dt, season=spec.season),
        )
        add("heat_pump", hp, rows, False)
    return _assemble(models, feeder_parts, node_parts, emb_parts, spec.n_aggregators, rng)


def _assemble(
    models: dict[str, Any],
    feeder_parts: Sequence[IntArray],
    node_parts: Sequence[IntArray],
    emb_parts: Sequence[Any],
    n_aggregators: int,
    rng: np.random.Generator,
    name: str = "fleet",
) -> Fleet:
    """Order the per-type parts like :data:`~tdcoord.der.fleet.TYPE_ORDER` and build the fleet."""
    from tdcoord.der.fleet import TYPE_ORDER

    order = sorted(range(len(models)), key=lambda i: TYPE_ORDER.index(list(models)[i]))
    keys = list(models)

    def cat(parts: Sequence[Any], dtype: Any) -> Any:
        if not parts:
            return np.zeros(0, dtype=dtype)
        return np.concatenate([parts[i] for i in order]).astype(dtype)

    feeder = cat(feeder_parts, np.int64)
    node = cat(node_parts, np.int64)
    emb = cat(emb_parts, bool)
    agg = assign_aggregators(feeder.size, n_aggregators, rng)
    return Fleet({keys[i]: models[keys[i]] for i in order}, feeder, node, agg, emb, name)
