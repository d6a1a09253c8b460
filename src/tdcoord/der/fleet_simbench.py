"""Fleets from the grid's own elements and time series (SimBench loads and static generators).

Every element of the selected feeders becomes a DER **embedded in the grid data** (its baseline
is already in the feeder's loads/sgens; only deviations change the operating point):

* sgen of kind ``PV`` → :class:`~tdcoord.der.pv.Pv`, kind ``Wind`` → :class:`~tdcoord.der.wind.Wind`
  (inverter rated at the sgen's ``p_mw``; available power ``p_mw · p_factor[t, profile]``);
* sgen whose kind names biomass or CHP → :class:`~tdcoord.der.chp.Chp` following its profile
  (``p_min = 0``, ramp = full output in 15 min, fuel cost :data:`BIOMASS_FUEL_EUR_PER_MWH`);
  other kinds (hydro, …) are not flexible and stay out of the fleet;
* load → :class:`~tdcoord.der.flexible_load.FlexibleLoad` with demand ``p_mw · p_factor`` and
  ``flexible_share_of_load`` of its peak shiftable within 4-hour windows.

Time series come from ``GridModel.profiles`` (SimBench: 15-min factors over a year), from
interval ``simbench_start_interval`` on. An element without a profile gets the standard shapes of
:mod:`~tdcoord.der.fleet_profiles` (residential load, clear-sky PV). SimBench storage units are
not kept by the feeder model (no storage table on :class:`~tdcoord.grid.model.Feeder`), so they
are not in the fleet.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tdcoord.der.chp import Chp
from tdcoord.der.errors import DerError
from tdcoord.der.fleet import Fleet
from tdcoord.der.fleet_parts import FleetParts, der_ids, feeder_indices
from tdcoord.der.fleet_profiles import load_shape, pv_shape
from tdcoord.der.flexible_load import FlexibleLoad
from tdcoord.der.pv import Pv
from tdcoord.der.wind import Wind
from tdcoord.grid.model import GridModel
from tdcoord.grid.profiles import Profiles
from tdcoord.study.schema import FleetSpec
from tdcoord.types import FloatArray, IntArray

#: Marginal cost of a small biomass CHP per MWh of electricity (fuel ≈ 25 €/MWh_th wood chips
#: at ~30 % electric efficiency; order of magnitude from IRENA, Renewable Power Generation
#: Costs 2022, bioenergy chapter).
BIOMASS_FUEL_EUR_PER_MWH = 80.0


def profile_factors(
    profiles: Profiles | None,
    names: Any,
    fallback: FloatArray,
    start: int,
    n: int,
) -> FloatArray:
    """``(len(names), n)`` p factors; ``fallback`` (n,) where a name has no profile."""
    names = np.asarray(names, dtype=object).astype(str)
    out = np.repeat(fallback[None, :], names.size, axis=0)
    if profiles is None or names.size == 0:
        return out
    if start + n > profiles.p_factor.shape[0]:
        raise DerError(
            f"profiles hold {profiles.p_factor.shape[0]} steps, "
            f"the fleet needs {start}..{start + n}",
            where="fleet.simbench_start_interval",
            fix="start earlier or use fewer intervals",
        )
    known = profiles.names.astype(str)
    order = np.argsort(known, kind="stable")
    pos = np.clip(np.searchsorted(known, names, sorter=order), 0, known.size - 1)
    cols = order[pos]
    hit = known[cols] == names
    window = profiles.p_factor[start : start + n, :]
    out[hit] = window[:, cols[hit]].T
    return np.asarray(np.maximum(out, 0.0), dtype=np.float64)


def simbench_fleet(grid: GridModel, spec: FleetSpec) -> Fleet:
    """Build a fleet from the grid's sgens and loads with their profiles (see module doc)."""
    if grid.profiles is None:
        raise DerError(
            f"builder simbench needs a grid with SimBench profiles; {grid.name!r} has none",
            where="fleet.builder",
            fix="use builder: penetration, or a simbench: grid source",
        )
    if abs(spec.dt_h - 0.25) > 1e-12 and grid.profiles is not None:
        raise DerError(
            f"SimBench profiles are 15-min, the fleet asks dt_h = {spec.dt_h}",
            where="fleet.dt_h",
            fix="use dt_h: 0.25 with the simbench builder",
        )
    groups = _groups(grid, spec)
    parts = FleetParts()
    for t, (rated_l, series_l, fl, nl) in groups.items():
        if not rated_l:
            continue
        rated_a, series = np.concatenate(rated_l), np.vstack(series_l)
        model = _model(t, der_ids(f"sb_{t}", rated_a.size), rated_a, series, spec)
        parts.add(t, model, np.concatenate(fl), np.concatenate(nl), np.ones(rated_a.size, bool))
    if not parts.models:
        raise DerError(
            "the grid's feeders hold no loads or static generators to build a fleet from",
            where=grid.name,
            fix="use builder: penetration",
        )
    rng = np.random.Generator(np.random.PCG64(spec.seed))
    return parts.assemble(spec.n_aggregators, rng, name="simbench")


_Group = tuple[list[FloatArray], list[FloatArray], list[IntArray], list[IntArray]]


def _groups(grid: GridModel, spec: FleetSpec) -> dict[str, _Group]:
    """Rated MW, series, feeder and node of every sgen/load per DER type (feeder by feeder)."""
    T, dt, start = spec.n_intervals, spec.dt_h, spec.simbench_start_interval
    pv = pv_shape(T, dt, season=spec.season, latitude_deg=spec.latitude_deg, date=spec.date)
    res_shape = load_shape("residential", spec.season, T, dt, date=spec.date)
    groups: dict[str, _Group] = {
        t: ([], [], [], []) for t in ("pv", "wind", "chp", "flexible_load")
    }
    for fi in feeder_indices(grid, spec):  # one iteration per feeder
        f = grid.feeders[fi]
        kind = np.char.lower(f.sgens.kind.astype(str))
        node = f.node_rows(f.sgens.bus)
        rated = np.asarray(f.sgens.p_mw, dtype=np.float64)
        masks = {
            "pv": kind == "pv",
            "wind": np.char.find(kind, "wind") >= 0,
            "chp": (np.char.find(kind, "bio") >= 0) | (np.char.find(kind, "chp") >= 0),
        }
        for t, m in masks.items():
            m = m & (rated > 0) & (node >= 1)
            if m.any():
                fac = profile_factors(grid.profiles, f.sgens.profile[m], pv, start, T)
                groups[t][0].append(rated[m])
                groups[t][1].append(np.minimum(fac, 1.0) * rated[m][:, None])
                groups[t][2].append(np.full(int(m.sum()), fi, dtype=np.int64))
                groups[t][3].append(node[m])
        lnode = f.node_rows(f.loads.bus)
        lm = (f.loads.p_mw > 0) & (lnode >= 1)
        if lm.any():
            fac = profile_factors(grid.profiles, f.loads.profile[lm], res_shape, start, T)
            groups["flexible_load"][0].append(np.asarray(f.loads.p_mw[lm], dtype=np.float64))
            groups["flexible_load"][1].append(fac * f.loads.p_mw[lm][:, None])
            groups["flexible_load"][2].append(np.full(int(lm.sum()), fi, dtype=np.int64))
            groups["flexible_load"][3].append(lnode[lm])
    return groups


def _model(
    t: str, ids: tuple[str, ...], rated: FloatArray, series: FloatArray, spec: FleetSpec
) -> Any:
    """The DER model of type ``t`` (see module doc)."""
    if t == "pv":
        return Pv(ids, rated, series)
    if t == "wind":
        return Wind(ids, rated, series)
    if t == "chp":
        return Chp(
            ids,
            p_min_mw=np.zeros(rated.size),
            p_max_mw=rated,
            ramp_mw_per_h=rated / 0.25,
            fuel_cost_eur_per_mwh=np.full(rated.size, BIOMASS_FUEL_EUR_PER_MWH),
            schedule_p_mw=series,
            p_prev_mw=series[:, 0],
        )
    peak = series.max(axis=1)
    return FlexibleLoad(
        ids,
        demand_mw=series,
        shift_max_mw=spec.flexible_share_of_load * peak,
        window_intervals=np.array(max(1, round(4.0 / spec.dt_h))),
    )
