"""The baseline schedule: the dispatch after the day-ahead energy market (design doc,
"Definitions that every scheme shares").

Transmission generation comes from a multi-period DC-OPF
(:func:`tdcoord.opf.transmission.solve_dcopf`,
MATPOWER convention, the same PTDF as the clearing) with the transmission loads and each feeder's
baseline net load withdrawn at its interface bus. Feeders' baseline net withdrawal per node is
load − static generation (DER baseline), from the grid tables unless given.
"""

from __future__ import annotations

from collections.abc import Sequence

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
            "a baseline schedule needs a transmission network", where=grid.name,
            fix="give a coupled grid, or the schedule itself",
        )
    T = load_mw.shape[1]
    with_w = np.zeros((T, tr.n_bus))
    if len(grid.feeders):
        by_f = dict(
            zip(grid.interfaces.feeder.tolist(), grid.interfaces.transmission_bus.tolist(),
                strict=True)
        )
        rows = tr.bus_rows(np.array([by_f[f.id] for f in grid.feeders], dtype=np.int64))
        np.add.at(with_w.T, rows, feeder_import_mw)
    res = solve_dcopf(
        tr, convention="matpower", load_mw=load_mw.T, withdrawal_mw=with_w, period_hours=dt_h
    )
    if not np.isfinite(res.dispatch_mw).all():
        raise CoordinationError(
            f"the day-ahead DC-OPF has no solution (status {res.status})", where=grid.name,
            fix="check loads against generation capacity",
        )
    return np.asarray(res.dispatch_mw.T, dtype=np.float64)


def build_case(
    grid: GridModel,
    offers: OfferBook,
    *,
    dt_h: float = 1.0,
    load_mw: FloatArray | None = None,
    feeder_p_mw: Sequence[FloatArray] | None = None,
    feeder_q_mvar: Sequence[FloatArray] | None = None,
    tso_need_mw: FloatArray | None = None,
    gen_schedule_mw: FloatArray | None = None,
    penalties: Penalties | None = None,
    dso_need_mw: FloatArray | None = None,
    brp_need_mw: FloatArray | None = None,
    redispatch_premium_eur_per_mwh: float | None = None,
) -> ClearingCase:
    """A :class:`ClearingCase` with defaults: loads and feeder net loads from the grid tables
    (constant over the ``offers.n_periods`` intervals), zero TSO need, schedule by DC-OPF."""
    T = offers.n_periods
    tr = grid.transmission
    if load_mw is None:
        load_mw = (
            np.repeat(tr.loads.p_mw[:, None], T, 1) if tr is not None else np.zeros((0, T))
        )
    if feeder_p_mw is None:
        feeder_p_mw = [
            np.repeat((f.node_load_mw() - f.node_sgen_mw())[:, None], T, 1) for f in grid.feeders
        ]
    if feeder_q_mvar is None:
        feeder_q_mvar = [
            np.repeat((f.node_load_mvar() - f.node_sgen_mvar())[:, None], T, 1)
            for f in grid.feeders
        ]
    if gen_schedule_mw is None:
        if tr is None:
            gen_schedule_mw = np.zeros((0, T))
        else:
            imports = (
                np.vstack([p.sum(axis=0) for p in feeder_p_mw]) if grid.feeders
                else np.zeros((0, T))
            )
            gen_schedule_mw = baseline_schedule(grid, np.asarray(load_mw), imports, dt_h)
    return ClearingCase(
        grid=grid,
        dt_h=dt_h,
        offers=offers,
        gen_schedule_mw=gen_schedule_mw,
        load_mw=np.asarray(load_mw, dtype=np.float64),
        feeder_p_mw=tuple(feeder_p_mw),
        feeder_q_mvar=tuple(feeder_q_mvar),
        tso_need_mw=np.zeros(T) if tso_need_mw is None else tso_need_mw,
        penalties=penalties or Penalties(),
        dso_need_mw=dso_need_mw,
        brp_need_mw=brp_need_mw,
        redispatch_premium_eur_per_mwh=redispatch_premium_eur_per_mwh,
    )
