"""The baseline schedule: the dispatch after the day-ahead energy market (design doc,
"Definitions that every scheme shares").

Transmission generation comes from a multi-period DC-OPF
(:func:`tdcoord.opf.transmission.solve_dcopf`,
MATPOWER convention, the same PTDF as the clearing) with the transmission loads and each feeder's
baseline net load withdrawn at its interface bus. Feeders' baseline net withdrawal per node is
load − static generation (DER baseline), from the grid tables unless given.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from tdcoord.coordination.case import ClearingCase, Penalties
from tdcoord.coordination.errors import CoordinationError
from tdcoord.grid.model import GridModel
from tdcoord.market.offers import OfferBook
from tdcoord.opf.transmission import solve_dcopf
from tdcoord.types import FloatArray


def baseline_schedule(
    grid: GridModel,
    load_mw: FloatArray,
    feeder_import_mw: FloatArray,
    dt_h: float,
) -> FloatArray:
    """Day-ahead generator schedule (n_gen, T) for transmission loads (n_load, T) and feeder
    imports (n_feeder, T) withdrawn at the interface buses."""
    tr = grid.transmission
    if tr is None:
        raise CoordinationError(
            "a baseline schedule needs a transmission network",
            where=grid.name,
            fix="give a coupled grid, or the schedule itself",
        )
    T = load_mw.shape[1]
    with_w = np.zeros((T, tr.n_bus))
    if len(grid.feeders):
        by_f = dict(
            zip(
                grid.interfaces.feeder.tolist(),
                grid.interfaces.transmission_bus.tolist(),
                strict=True,
            )
        )
        rows = tr.bus_rows(np.array([by_f[f.id] for f in grid.feeders], dtype=np.int64))
        np.add.at(with_w.T, rows, feeder_import_mw)
    res = solve_dcopf(
        tr, convention="matpower", load_mw=load_mw.T, withdrawal_mw=with_w, period_hours=dt_h
    )
    if not np.isfinite(res.dispatch_mw).all():
        raise CoordinationError(
            f"the day-ahead DC-OPF has no solution (status {res.status})",
            where=grid.name,
            fix="check loads against generation capacity",
        )
    return np.asarray(res.dispatch_mw.T, dtype=np.float64)


#: The fields of :class:`ClearingCase` :func:`build_case` takes by keyword.
CASE_FIELDS: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(ClearingCase) if f.name not in ("grid", "offers")
)


def _defaults(grid: GridModel, T: int) -> dict[str, Any]:
    """Loads and feeder net loads (load − static generation) from the grid tables, constant
    over ``T`` intervals."""
    tr = grid.transmission
    return {
        "load_mw": np.repeat(tr.loads.p_mw[:, None], T, 1) if tr is not None else np.zeros((0, T)),
        "feeder_p_mw": [
            np.repeat((f.node_load_mw() - f.node_sgen_mw())[:, None], T, 1) for f in grid.feeders
        ],
        "feeder_q_mvar": [
            np.repeat((f.node_load_mvar() - f.node_sgen_mvar())[:, None], T, 1)
            for f in grid.feeders
        ],
    }


def build_case(grid: GridModel, offers: OfferBook, **fields: Any) -> ClearingCase:
    """A :class:`ClearingCase` with defaults: ``fields`` are any of :data:`CASE_FIELDS`
    (``dt_h`` 1 h, ``load_mw``, ``feeder_p_mw``, ``feeder_q_mvar``, ``tso_need_mw``,
    ``gen_schedule_mw``, ``penalties``, ``dso_need_mw``, ``brp_need_mw``,
    ``redispatch_premium_eur_per_mwh``); a field left out or ``None`` takes its default: loads
    and feeder net loads from the grid tables (constant over the ``offers.n_periods``
    intervals), zero TSO need, schedule by DC-OPF."""
    unknown = sorted(set(fields) - set(CASE_FIELDS))
    if unknown:
        raise CoordinationError(
            f"unknown ClearingCase field(s) {unknown}",
            where="build_case",
            fix=f"use {', '.join(CASE_FIELDS)}",
        )
    T = offers.n_periods
    f = {k: v for k, v in fields.items() if v is not None}
    dt_h = float(f.pop("dt_h", 1.0))
    for key, value in _defaults(grid, T).items():
        f.setdefault(key, value)
    if "gen_schedule_mw" not in f:
        if grid.transmission is None:
            f["gen_schedule_mw"] = np.zeros((0, T))
        else:
            imports = (
                np.vstack([p.sum(axis=0) for p in f["feeder_p_mw"]])
                if grid.feeders
                else np.zeros((0, T))
            )
            f["gen_schedule_mw"] = baseline_schedule(grid, np.asarray(f["load_mw"]), imports, dt_h)
    f["load_mw"] = np.asarray(f["load_mw"], dtype=np.float64)
    f["feeder_p_mw"] = tuple(f["feeder_p_mw"])
    f["feeder_q_mvar"] = tuple(f["feeder_q_mvar"])
    f.setdefault("tso_need_mw", np.zeros(T))
    f.setdefault("penalties", Penalties())
    return ClearingCase(grid=grid, offers=offers, dt_h=dt_h, **f)
