"""Inputs of the transmission DC-OPF: per-period tables (demand, generator limits, ramps) checked
and assembled into :class:`DcOpfData`, plus the default slack prices.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from tdcoord.errors import GridError, OptimizationError
from tdcoord.grid.model import Transmission
from tdcoord.types import FloatArray

#: Default value of lost load, currency per MWh.
DEFAULT_VOLL = 10_000.0
#: Default over-generation (spill) penalty, currency per MWh: LMPs are floored at its negative.


#: Default over-generation (spill) penalty, currency per MWh: LMPs are floored at its negative.
DEFAULT_SPILL_COST = 10_000.0
#: Default branch-overload penalty, currency per MWh: above VOLL, so shedding load is preferred.


#: Default branch-overload penalty, currency per MWh: above VOLL, so shedding load is preferred.
DEFAULT_OVERLOAD_PENALTY = 100_000.0
#: Above this many columns a time-coupled LP goes to the interior-point solver.


StorageEnd = Literal["initial", "free"]


@dataclasses.dataclass(frozen=True, eq=False)
class DcOpfData:
    """Per-period data of a DC-OPF after validation (arrays are periods × elements)."""

    n_periods: int
    period_hours: float
    demand_mw: FloatArray
    p_min_mw: FloatArray
    p_max_mw: FloatArray
    ramp_mw: FloatArray
    """Ramp limit per period per generator (MW between consecutive periods; inf = none)."""
    storage_end: StorageEnd


def _periods(*arrays: Any) -> int | None:
    found = {int(np.shape(a)[0]) for a in arrays if a is not None and np.ndim(a) == 2}
    if len(found) > 1:
        raise OptimizationError(
            f"per-period inputs disagree on the number of periods: {sorted(found)}",
            where="DC-OPF inputs",
            fix="give every per-period array the same first dimension",
        )
    return found.pop() if found else None


def _table(value: ArrayLike, shape: tuple[int, int], what: str) -> FloatArray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 1 and shape[0] == 1:
        arr = arr[None, :]
    if arr.shape != shape:
        raise OptimizationError(
            f"{what} has shape {arr.shape}, expected {shape} (periods × elements)",
            where=what,
            fix="pass one row per period and one column per element, in table order",
        )
    if not np.all(np.isfinite(arr)):
        raise OptimizationError(
            f"{what} contains NaN or infinite values", where=what, fix="fill the gaps"
        )
    return arr


def _withdrawal_series(withdrawal_mw: Mapping[int, ArrayLike] | ArrayLike | None) -> list[Any]:
    """The per-bus withdrawal series of a ``{bus id: series}`` mapping, as column vectors."""
    if not isinstance(withdrawal_mw, Mapping):
        return []
    return [np.atleast_1d(np.asarray(v, dtype=np.float64))[:, None] for v in withdrawal_mw.values()]


def _add_withdrawals(
    tr: Transmission,
    demand: FloatArray,
    withdrawal_mw: Mapping[int, ArrayLike] | ArrayLike | None,
    series: list[Any],
) -> None:
    """Add the extra withdrawals (mapping by bus id, or a periods × buses table) to ``demand``."""
    T, B = demand.shape
    if isinstance(withdrawal_mw, Mapping):
        ids = np.array(list(withdrawal_mw.keys()), dtype=np.int64)
        known = np.isin(ids, tr.buses.id)
        if not np.all(known):
            bad = int(ids[~known][0])
            raise GridError(
                f"withdrawal given at bus {bad}, which is not a transmission bus",
                where=f"withdrawal_mw[{bad}]",
                fix="use the id of the interface bus",
            )
        vals = np.zeros((len(ids), T))
        for k, v in enumerate(series):  # one entry per interface bus, not per element
            if len(v) not in (1, T):
                raise OptimizationError(
                    f"withdrawal at bus {int(ids[k])} has {len(v)} values for {T} periods",
                    where=f"withdrawal_mw[{int(ids[k])}]",
                    fix="give a scalar or one value per period",
                )
            vals[k] = v[:, 0]
        np.add.at(demand.T, tr.bus_rows(ids), vals)
    elif withdrawal_mw is not None:
        demand += _table(withdrawal_mw, (T, B), "withdrawal_mw")


def _demand(
    tr: Transmission,
    T: int,
    load_mw: ArrayLike | None,
    withdrawal_mw: Mapping[int, ArrayLike] | ArrayLike | None,
    series: list[Any],
) -> FloatArray:
    """Demand per period and bus: loads + shunt conductance ``Gs`` + extra withdrawals."""
    loads = tr.loads
    load = (
        np.tile(np.asarray(loads.p_mw, dtype=np.float64), (T, 1))
        if load_mw is None
        else _table(load_mw, (T, len(loads)), "load_mw")
    )
    demand = np.zeros((T, tr.n_bus))
    np.add.at(demand.T, tr.bus_rows(loads.bus), load.T)
    demand += np.asarray(tr.buses.gs_mw, dtype=np.float64)[None, :]
    _add_withdrawals(tr, demand, withdrawal_mw, series)
    return demand


def _generator_limits(
    tr: Transmission, T: int, gen_availability: ArrayLike | None
) -> tuple[FloatArray, FloatArray]:
    """Generator limits per period: availability × (p_min_mw, p_max_mw)."""
    G = len(tr.generators)
    avail = (
        np.ones((T, G))
        if gen_availability is None
        else _table(gen_availability, (T, G), "gen_availability")
    )
    if np.any((avail < 0) | (avail > 1)):
        raise OptimizationError(
            "gen_availability must lie in [0, 1]",
            where="gen_availability",
            fix="give the available fraction of each generator's p_max_mw",
        )
    gen = tr.generators
    p_min = avail * np.asarray(gen.p_min_mw, dtype=np.float64)[None, :]
    p_max = avail * np.asarray(gen.p_max_mw, dtype=np.float64)[None, :]
    inverted = np.argwhere(p_min > p_max)
    if inverted.size:
        gid = int(gen.id[inverted[0][1]])
        raise GridError(
            f"generator {gid} has p_min_mw above p_max_mw",
            where=f"generator id {gid}",
            fix="correct the limits",
        )
    return p_min, p_max


def _ramps(tr: Transmission, ramp_mw_per_h: ArrayLike | None) -> FloatArray:
    """Ramp limit per generator, MW/h (inf = none)."""
    G = len(tr.generators)
    ramp = (
        np.full(G, np.inf)
        if ramp_mw_per_h is None
        else np.broadcast_to(np.asarray(ramp_mw_per_h, dtype=np.float64), (G,)).copy()
    )
    if np.any(ramp < 0) or np.any(np.isnan(ramp)):
        raise OptimizationError(
            "ramp_mw_per_h must be non-negative (inf = no limit)", where="ramp_mw_per_h"
        )
    return ramp


def dcopf_data(
    tr: Transmission,
    *,
    n_periods: int | None = None,
    load_mw: ArrayLike | None = None,
    withdrawal_mw: Mapping[int, ArrayLike] | ArrayLike | None = None,
    gen_availability: ArrayLike | None = None,
    ramp_mw_per_h: ArrayLike | None = None,
    period_hours: float = 1.0,
    storage_end: StorageEnd = "initial",
) -> DcOpfData:
    """Validate and expand the per-period inputs (see :func:`solve_dcopf`)."""
    w_arr = None if withdrawal_mw is None or isinstance(withdrawal_mw, Mapping) else withdrawal_mw
    series = _withdrawal_series(withdrawal_mw)
    T = _periods(load_mw, w_arr, gen_availability, *[v for v in series if len(v) > 1])
    T = T or n_periods or 1
    if n_periods is not None and n_periods != T:
        raise OptimizationError(
            f"n_periods={n_periods} but the per-period inputs have {T} periods",
            where="DC-OPF inputs",
            fix="drop n_periods or make it match the arrays",
        )
    if not period_hours > 0:
        raise OptimizationError(
            f"period_hours must be positive, got {period_hours}", where="period_hours"
        )
    demand = _demand(tr, T, load_mw, withdrawal_mw, series)
    p_min, p_max = _generator_limits(tr, T, gen_availability)
    ramp = _ramps(tr, ramp_mw_per_h)
    if storage_end not in ("initial", "free"):
        raise OptimizationError(
            f"unknown storage_end {storage_end!r}",
            where="storage_end",
            fix="use 'initial' (end at least as full as at start) or 'free'",
        )
    _check_storage(tr)
    return DcOpfData(
        n_periods=T,
        period_hours=float(period_hours),
        demand_mw=demand,
        p_min_mw=p_min,
        p_max_mw=p_max,
        ramp_mw=ramp * period_hours,
        storage_end=storage_end,
    )


def _check_storage(tr: Transmission) -> None:
    st = tr.storage
    bad = np.flatnonzero(
        (st.e_init_mwh < 0)
        | (st.e_init_mwh > st.e_max_mwh)
        | (st.eta_charge <= 0)
        | (st.eta_discharge <= 0)
        | (st.eta_charge > 1)
        | (st.eta_discharge > 1)
    )
    if bad.size:
        sid = int(st.id[bad[0]])
        raise GridError(
            f"storage {sid}: initial energy outside [0, e_max_mwh] or efficiency outside (0, 1]",
            where=f"storage id {sid}",
            fix="check e_init_mwh, e_max_mwh, eta_charge and eta_discharge",
        )
