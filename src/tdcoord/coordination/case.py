"""The clearing case: everything a coordination scheme clears on (one stage, T intervals).

A :class:`ClearingCase` is the common input of the ten schemes (seed 001, §III; design doc
"Definitions that every scheme shares"): the grid, the interval length, the offer book, the
baseline schedule (transmission generation and loads, feeders' net withdrawal per node), the TSO
need and the penalties that price unresolved violations — the same for every scheme, which is
what makes total costs comparable.

Conventions:

* arrays are element × interval: ``gen_schedule_mw (n_gen, T)``, ``load_mw (n_load, T)``,
  ``feeder_p_mw[f] (n_node, T)`` (net withdrawal = load − DER baseline; row 0, the root, is 0
  normally);
* ``tso_need_mw[t] > 0``: the system is short, the TSO needs *upward* flexibility (more
  injection). The imbalance is located at the transmission load buses in proportion to their
  baseline load (or at the interface buses when transmission carries no load);
* ``dso_need_mw`` (optional, ``(n_feeder, T)``): a DSO need given by the study (+ = more
  injection needed in the feeder); when ``None`` it is derived from the baseline
  (:mod:`tdcoord.coordination.needs`).
"""

from __future__ import annotations

import dataclasses
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from tdcoord.arrays import frozen_copy
from tdcoord.coordination.errors import CoordinationError
from tdcoord.coordination.margins import Margins
from tdcoord.grid.model import GridModel
from tdcoord.market.offers import OfferBook
from tdcoord.types import FloatArray, IntArray

if TYPE_CHECKING:
    from tdcoord.coordination.intertemporal import TimeCoupling


@dataclasses.dataclass(frozen=True)
class Penalties:
    """Prices of unresolved violations, identical for every scheme (design doc, "Total cost").

    ``voll_eur_per_mwh`` prices energy not served (upward need left uncovered);
    ``curtailment_eur_per_mwh`` prices surplus energy that must be curtailed (downward need left
    uncovered); ``overload_eur_per_mwh`` prices branch overload (MVA·h above rating, counted as
    MWh); ``voltage_eur_per_pu_h`` prices voltage outside limits (pu deviation × hours).
    """

    voll_eur_per_mwh: float = 10_000.0
    curtailment_eur_per_mwh: float = 1_000.0
    overload_eur_per_mwh: float = 20_000.0
    voltage_eur_per_pu_h: float = 1_000_000.0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if not (np.isfinite(v) and v > 0):
                raise CoordinationError(
                    f"penalty {f.name} must be a positive finite number, got {v}",
                    where=f"Penalties.{f.name}",
                    fix="give a price (e.g. the defaults)",
                )

    def to_dict(self) -> dict[str, float]:
        """JSON-able form."""
        return {f.name: float(getattr(self, f.name)) for f in dataclasses.fields(self)}


@dataclasses.dataclass(frozen=True, eq=False)
class ClearingCase:
    """Input of every scheme (immutable; validated on construction)."""

    grid: GridModel
    dt_h: float
    offers: OfferBook
    gen_schedule_mw: FloatArray
    load_mw: FloatArray
    feeder_p_mw: tuple[FloatArray, ...]
    feeder_q_mvar: tuple[FloatArray, ...]
    tso_need_mw: FloatArray
    penalties: Penalties = dataclasses.field(default_factory=Penalties)
    dso_need_mw: FloatArray | None = None
    brp_need_mw: FloatArray | None = None
    #: Redispatch premium of transmission generators (€/MWh over/under their marginal cost);
    #: ``None``: generators offer no redispatch (T flexibility comes from the offer book).
    redispatch_premium_eur_per_mwh: float | None = None
    #: Inter-temporal data of the stage (energy rows of storage-like DERs after the earlier
    #: stages' commitments, product minimum duration; :mod:`tdcoord.coordination.intertemporal`);
    #: ``None``: the intervals are independent.
    time_coupling: TimeCoupling | None = None
    #: Transmission branches in the clearing: those whose baseline flow reaches this share of
    #: their rating (:attr:`tdcoord.coordination.network_model.TransmissionModel.line_rows`);
    #: ``None``: every rated branch (study ``compare.monitor_loading``).
    monitor_loading: float | None = None
    #: Feeder elements in the clearings' LinDistFlow rows: those whose baseline loading (branch)
    #: or voltage deviation from the root (node) reaches this share of its limit
    #: (:func:`tdcoord.coordination.feeder_screen.monitored_feeder_elements`); ``None``: all
    #: (study ``compare.monitor_feeder_loading``).
    monitor_feeder_loading: float | None = None
    #: Security margins of the linearised feeder model (:mod:`tdcoord.coordination.margins`).
    margins: Margins = dataclasses.field(default_factory=Margins)

    def __post_init__(self) -> None:
        T = self.offers.n_periods
        set_ = object.__setattr__
        set_(self, "gen_schedule_mw", frozen_copy(self.gen_schedule_mw))
        set_(self, "load_mw", frozen_copy(self.load_mw))
        set_(self, "tso_need_mw", frozen_copy(np.atleast_1d(self.tso_need_mw)))
        set_(self, "feeder_p_mw", tuple(frozen_copy(a) for a in self.feeder_p_mw))
        set_(self, "feeder_q_mvar", tuple(frozen_copy(a) for a in self.feeder_q_mvar))
        if self.dso_need_mw is not None:
            set_(self, "dso_need_mw", frozen_copy(self.dso_need_mw))
        if self.brp_need_mw is not None:
            set_(self, "brp_need_mw", frozen_copy(np.atleast_1d(self.brp_need_mw)))
        self._check(T)

    # ------------------------------------------------------------------ validation
    def _shape(self, name: str, arr: FloatArray, shape: tuple[int, ...], fix: str) -> None:
        if arr.shape != shape:
            raise CoordinationError(
                f"{name} has shape {arr.shape}, expected {shape}", where=f"ClearingCase.{name}",
                fix=fix,
            )
        if not np.isfinite(arr).all():
            raise CoordinationError(
                f"{name} contains NaN or infinite values", where=f"ClearingCase.{name}",
                fix="give finite numbers",
            )

    def _check(self, T: int) -> None:
        g = self.grid
        if not (np.isfinite(self.dt_h) and self.dt_h > 0):
            raise CoordinationError(
                f"dt_h must be > 0, got {self.dt_h}", where="ClearingCase.dt_h",
                fix="e.g. 0.25 for 15-minute intervals",
            )
        if T < 1:
            raise CoordinationError(
                "the offer book has no intervals", where="ClearingCase.offers",
                fix="give offers with one column per interval (OfferBook.empty(T) for none)",
            )
        n_gen = len(g.transmission.generators) if g.transmission is not None else 0
        n_load = len(g.transmission.loads) if g.transmission is not None else 0
        per = "one row per element and one column per interval"
        self._shape("gen_schedule_mw", self.gen_schedule_mw, (n_gen, T), per)
        self._shape("load_mw", self.load_mw, (n_load, T), per)
        self._shape("tso_need_mw", self.tso_need_mw, (T,), "one value per interval")
        nf = len(g.feeders)
        pairs = (("feeder_p_mw", self.feeder_p_mw), ("feeder_q_mvar", self.feeder_q_mvar))
        for name, arrs in pairs:
            if len(arrs) != nf:
                raise CoordinationError(
                    f"{name} has {len(arrs)} entries for {nf} feeders",
                    where=f"ClearingCase.{name}", fix="give one (n_node, T) array per feeder",
                )
            for f, a in zip(g.feeders, arrs, strict=True):
                self._shape(f"{name}[{f.id}]", a, (f.n_node, T), "node rows × intervals")
        if self.dso_need_mw is not None:
            self._shape("dso_need_mw", self.dso_need_mw, (nf, T), "feeders × intervals")
        if self.brp_need_mw is not None:
            self._shape("brp_need_mw", self.brp_need_mw, (T,), "one value per interval")
        if g.transmission is not None and nf:
            attached = set(g.interfaces.feeder.tolist())
            loose = [f.id for f in g.feeders if f.id not in attached]
            if loose:
                raise CoordinationError(
                    f"feeders {loose[:5]} have no T–D interface",
                    where="ClearingCase.grid",
                    fix="attach every feeder below a transmission bus (grid.coupling)",
                )
        self._check_offers()

    def _check_offers(self) -> None:
        o = self.offers
        if o.n_offers == 0:
            return
        g = self.grid
        t_rows = o.feeder == -1
        n_bus = g.transmission.n_bus if g.transmission is not None else 0
        bad_f = np.flatnonzero(o.feeder >= len(g.feeders))
        if bad_f.size:
            k = int(bad_f[0])
            raise CoordinationError(
                f"offer refers to feeder index {int(o.feeder[k])}, the grid has "
                f"{len(g.feeders)} feeders", where=f"offer {o.offer_id[k]}",
                fix="use an index into GridModel.feeders (or -1 for transmission)",
            )
        bad_t = np.flatnonzero(t_rows & (o.node >= n_bus))
        if bad_t.size:
            k = int(bad_t[0])
            raise CoordinationError(
                f"transmission offer at bus row {int(o.node[k])}, the grid has {n_bus} buses",
                where=f"offer {o.offer_id[k]}", fix="use a transmission bus row",
            )
        n_node = np.array([f.n_node for f in g.feeders] + [0], dtype=np.int64)
        bad_n = np.flatnonzero(~t_rows & (o.node >= n_node[np.where(t_rows, -1, o.feeder)]))
        if bad_n.size:
            k = int(bad_n[0])
            raise CoordinationError(
                f"offer at node row {int(o.node[k])} of feeder "
                f"{g.feeders[int(o.feeder[k])].id!r}, which has "
                f"{g.feeders[int(o.feeder[k])].n_node} nodes",
                where=f"offer {o.offer_id[k]}", fix="use a node row of the feeder (>= 1)",
            )

    # ------------------------------------------------------------------ derived
    @property
    def n_periods(self) -> int:
        """Number of intervals T."""
        return self.offers.n_periods

    @property
    def n_feeders(self) -> int:
        """Number of feeders."""
        return len(self.grid.feeders)

    @cached_property
    def interface_bus_row(self) -> IntArray:
        """Transmission bus row of each feeder's interface (−1 without transmission)."""
        g = self.grid
        out = np.full(self.n_feeders, -1, dtype=np.int64)
        if g.transmission is None or not self.n_feeders:
            return out
        by_feeder = dict(
            zip(g.interfaces.feeder.tolist(), g.interfaces.transmission_bus.tolist(), strict=True)
        )
        ids = np.array([by_feeder[f.id] for f in g.feeders], dtype=np.int64)
        return g.transmission.bus_rows(ids)

    @cached_property
    def interface_rating_mva(self) -> FloatArray:
        """Interface transformer rating per feeder (min of interface and substation), MVA."""
        g = self.grid
        by_feeder = dict(
            zip(g.interfaces.feeder.tolist(), g.interfaces.rating_mva.tolist(), strict=True)
        )
        return np.array(
            [min(by_feeder.get(f.id, np.inf), f.substation_rating_mva) for f in g.feeders],
            dtype=np.float64,
        )

    @cached_property
    def baseline_import_mw(self) -> FloatArray:
        """Baseline import of each feeder (lossless: sum of net withdrawals), (n_feeder, T)."""
        T = self.n_periods
        if not self.n_feeders:
            return np.zeros((0, T))
        return np.vstack([p.sum(axis=0) for p in self.feeder_p_mw])

    def feeder_label(self, f: int) -> str:
        """Actor name of the DSO of feeder ``f``: ``dso:<feeder id>``."""
        return f"dso:{self.grid.feeders[f].id}"
