"""Inputs of the joint transmission + distribution (T+D) OPF: one coupled system and its data.

A :class:`JointCase` holds a coupled :class:`~tdcoord.grid.model.GridModel` (transmission, feeders
and the interface table), the transmission per-period inputs of
:func:`tdcoord.opf.transmission.dcopf_data`
and one :class:`~tdcoord.opf.feeder.case.FeederCase` per feeder (loads, static generation, flexible
offers per period). The feeder cases' root prices are ignored: in the joint problem the root
import is paid at the interface bus's LMP, which is an output.

The interface transformer of feeder f is modelled as the feeder's substation apparent-power limit
(polygon, :class:`~tdcoord.opf.feeder.case.FacetPolygon`) with the rating of the interface table
(``InterfaceTable.rating_mva``); the interface bus is ``InterfaceTable.transmission_bus``.
Bad input raises :class:`JointInputError` before any solver call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

from tdcoord.errors import TdcoordError
from tdcoord.grid.model import GridModel, Transmission
from tdcoord.opf.feeder.case import FeederCase, FeederOptions, FlexOffers
from tdcoord.opf.transmission.network import check_convention
from tdcoord.types import FloatArray, IntArray


class JointInputError(TdcoordError, ValueError):
    """Invalid joint T+D input: not a coupled grid, interfaces, periods, feeder cases."""


@dataclasses.dataclass(frozen=True, eq=False)
class JointCase:
    """A coupled T+D OPF case. Feeder cases are in ``grid.feeders`` order."""

    grid: GridModel
    transmission: Transmission
    feeder_cases: tuple[FeederCase, ...]
    interface_bus: IntArray
    """Transmission bus id of each feeder's interface."""
    interface_rating_mva: FloatArray
    n_periods: int
    period_hours: float
    load_mw: FloatArray | None
    """Transmission loads (periods × loads) or None (static loads every period)."""
    convention: str = "powermodels"
    options: FeederOptions = dataclasses.field(default_factory=FeederOptions)
    voll_eur_per_mwh: float = 10_000.0

    @property
    def n_feeders(self) -> int:
        """Number of feeders."""
        return len(self.feeder_cases)

    @property
    def feeder_ids(self) -> list[str]:
        """Feeder ids, in order."""
        return [c.feeder.id for c in self.feeder_cases]


def _interfaces(grid: GridModel) -> tuple[IntArray, FloatArray]:
    itf = grid.interfaces
    ids = [f.id for f in grid.feeders]
    fe = [str(v) for v in np.asarray(itf.feeder)]
    missing = [fid for fid in ids if fid not in fe]
    if missing:
        raise JointInputError(
            f"feeders {missing[:5]} have no interface to the transmission grid",
            where=f"grid {grid.name!r} interfaces",
            fix="attach every feeder (tdcoord.grid.coupling.attach_feeders) or drop it",
        )
    twice = sorted({f for f in fe if fe.count(f) > 1})
    if twice:
        raise JointInputError(
            f"feeders {twice[:5]} have more than one interface",
            where=f"grid {grid.name!r} interfaces",
            fix="give each radial feeder exactly one interface (its substation)",
        )
    pos = {f: k for k, f in enumerate(fe)}
    rows = np.array([pos[fid] for fid in ids], dtype=np.int64)
    bus = np.asarray(itf.transmission_bus, dtype=np.int64)[rows]
    rating = np.asarray(itf.rating_mva, dtype=np.float64)[rows]
    bad = np.flatnonzero(~(rating > 0))
    if bad.size:
        raise JointInputError(
            f"interface of feeder {ids[int(bad[0])]!r} has rating {rating[bad[0]]} MVA",
            where="InterfaceTable.rating_mva",
            fix="give a positive rating (inf = unlimited)",
        )
    return bus, rating


def _check_scalars(
    grid: GridModel, convention: str, n_periods: int, period_hours: float, voll_eur_per_mwh: float
) -> None:
    """A coupled grid, a known convention, ≥ 1 period of positive length, a positive VOLL."""
    if grid.transmission is None or not grid.feeders:
        raise JointInputError(
            f"grid {grid.name!r} is {grid.kind!r}, not a coupled T+D system",
            where=grid.name,
            fix="attach feeders below transmission buses (tdcoord.grid.coupling.attach_feeders)",
        )
    check_convention(convention)
    if int(n_periods) < 1:
        raise JointInputError("n_periods must be >= 1", where="n_periods", fix="give 1 or more")
    if not (np.isfinite(period_hours) and period_hours > 0):
        raise JointInputError(
            f"period_hours must be > 0, got {period_hours}", where="period_hours", fix="e.g. 0.25"
        )
    if not voll_eur_per_mwh > 0:
        raise JointInputError(
            f"voll_eur_per_mwh must be > 0, got {voll_eur_per_mwh}",
            where="voll_eur_per_mwh",
            fix="e.g. 10000",
        )


def _feeder_cases(
    grid: GridModel,
    rating: FloatArray,
    offers: dict[str, FlexOffers],
    T: int,
    period_hours: float,
    load_scale: ArrayLike,
    sgen_scale: ArrayLike,
) -> tuple[FeederCase, ...]:
    """One :class:`FeederCase` per feeder, rated at its interface, root price 0."""
    unknown = sorted(set(offers) - {f.id for f in grid.feeders})
    if unknown:
        raise JointInputError(
            f"offers given for unknown feeders {unknown[:5]}",
            where="offers",
            fix="key offers by the feeder ids of the grid",
        )
    return tuple(
        FeederCase.build(
            # (re-validating a feeder costs ~1 ms: replace only when the rating differs)
            f if f.substation_rating_mva == float(rating[k])
            else dataclasses.replace(f, substation_rating_mva=float(rating[k])),
            price_eur_per_mwh=0.0,
            n_periods=T,
            load_scale=load_scale,
            sgen_scale=sgen_scale,
            offers=offers.get(f.id),
            dt_h=period_hours,
        )
        for k, f in enumerate(grid.feeders)  # one object per feeder (not a hot loop)
    )


def joint_case(  # noqa: PLR0913  (keyword-only inputs of the public constructor)
    grid: GridModel,
    *,
    n_periods: int = 1,
    period_hours: float = 1.0,
    load_scale: ArrayLike = 1.0,
    feeder_load_scale: ArrayLike | None = None,
    sgen_scale: ArrayLike = 1.0,
    offers: Mapping[str, FlexOffers] | None = None,
    convention: str = "powermodels",
    options: FeederOptions | None = None,
    voll_eur_per_mwh: float = 10_000.0,
) -> JointCase:
    """Assemble and validate a joint case from a coupled grid.

    ``load_scale`` (scalar or per period) scales the transmission loads; ``feeder_load_scale``
    (default: ``load_scale``) the feeder loads; ``sgen_scale`` the feeders' static generation;
    ``offers`` maps feeder id → :class:`FlexOffers` (node ids of that feeder).
    """
    _check_scalars(grid, convention, n_periods, period_hours, voll_eur_per_mwh)
    T = int(n_periods)
    tr = grid.transmission
    assert tr is not None
    if np.ndim(load_scale) > 1 or np.size(load_scale) not in (1, T):
        raise JointInputError(
            f"load_scale has {np.size(load_scale)} values for {T} periods",
            where="load_scale",
            fix="give a scalar or one factor per period",
        )
    scale = np.broadcast_to(np.asarray(load_scale, dtype=np.float64).reshape(-1), (T,))
    load = scale[:, None] * np.asarray(tr.loads.p_mw, dtype=np.float64)[None, :]
    f_scale = load_scale if feeder_load_scale is None else feeder_load_scale
    bus, rating = _interfaces(grid)
    opts = options if options is not None else FeederOptions()
    opts.check()
    cases = _feeder_cases(grid, rating, dict(offers or {}), T, period_hours, f_scale, sgen_scale)
    return JointCase(
        grid=grid,
        transmission=tr,
        feeder_cases=cases,
        interface_bus=bus,
        interface_rating_mva=rating,
        n_periods=T,
        period_hours=float(period_hours),
        load_mw=load,
        convention=convention,
        options=opts,
        voll_eur_per_mwh=float(voll_eur_per_mwh),
    )


def with_feeder_cases(case: JointCase, cases: Sequence[FeederCase]) -> JointCase:
    """A copy with other feeder cases (same feeders, periods and Δt; root prices ignored)."""
    if len(cases) != case.n_feeders:
        raise JointInputError(
            f"{len(cases)} feeder cases for {case.n_feeders} feeders",
            where="with_feeder_cases",
            fix="give one case per feeder, in grid order",
        )
    for old, new in zip(case.feeder_cases, cases, strict=True):
        if new.feeder.id != old.feeder.id or new.n_periods != case.n_periods:
            raise JointInputError(
                f"feeder case {new.feeder.id!r} does not match feeder {old.feeder.id!r} "
                f"with {case.n_periods} periods",
                where="with_feeder_cases",
                fix="keep the grid order and the number of periods",
            )
        if new.dt_h != case.period_hours:
            raise JointInputError(
                f"feeder case {new.feeder.id!r} has dt_h={new.dt_h}, the joint case "
                f"{case.period_hours}",
                where="with_feeder_cases",
                fix="use the same period length everywhere",
            )
    fixed = tuple(
        dataclasses.replace(
            c,
            feeder=dataclasses.replace(c.feeder, substation_rating_mva=float(r)),
            price_eur_per_mwh=np.zeros(case.n_periods),
        )
        for c, r in zip(cases, case.interface_rating_mva, strict=True)
    )
    return dataclasses.replace(case, feeder_cases=fixed)
