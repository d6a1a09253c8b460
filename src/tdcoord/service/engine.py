"""The platform's only door to the study engine (grid, fleet, day, clearing).

A market session clears with the same ``run_scheme(scheme, case, params)`` as ``tdcoord compare``:

* :meth:`StudyEngine.load` reads the study; :attr:`StudyEngine.shared` builds its shared day (grid,
  fleet, forecasts, offer template, generator schedule, penalties) with
  :func:`tdcoord.pipeline.build_shared_day`, the function ``compare`` builds it with;
* :meth:`StudyEngine.clear` turns a frozen order book (one offer step per order step, in book
  order) and the session's needs into a :class:`~tdcoord.coordination.case.ClearingCase` with
  the pipeline's own pieces (the stage's forecast point with nothing committed,
  :func:`~tdcoord.simulation.timeline.clearing_case`) and runs the market's catalogue model on it;
* the outcome's dispatch (activation per step and interval), LMPs at transmission buses and
  DLMPs at feeder nodes and its message log are read back as plain lists.

With no earlier stage committed, the case equals the first (day-ahead) stage of
:func:`tdcoord.pipeline.clear_stage` for the same offers and needs, which is what makes the
platform's clearing equal the study's. A later stage (intraday, real time) of the same delivery
day clears on top of what the earlier stages' sessions cleared (``commitments``): their
activations leave the stage's forecast point as the pipeline's prior commitments
(:func:`tdcoord.coordination.injectors.prior_from_activation` through
:func:`~tdcoord.simulation.timeline.committed_point`), so the TSO need derived for the stage is
the mismatch left after them — seed 000 §3 (sequential markets, each on top of the last).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.catalogue import get_model
from tdcoord.coordination.outcome import Outcome
from tdcoord.coordination.schemes import run_scheme
from tdcoord.der.fleet import Fleet
from tdcoord.market.offers import OfferBook
from tdcoord.market.rules import Preset, load_preset
from tdcoord.pipeline import SharedDay, build_shared_day, day_case
from tdcoord.pipeline.day import DayState, advance_state, stage_coupling, start_state
from tdcoord.service.problems import Problem
from tdcoord.simulation.day import OperatingPoint
from tdcoord.simulation.timeline import (
    GivenNeeds,
    clearing_case,
    committed_point,
    der_requests,
    tso_need_mw,
)
from tdcoord.study import Study, load_study
from tdcoord.types import FloatArray

STAGES: tuple[str, ...] = ("day_ahead", "intraday", "real_time")
_DIRECTION = {"up": 1, "down": -1}


@dataclasses.dataclass(frozen=True)
class BookRow:
    """One step of one order of a frozen book (one row of the clearing's offer book)."""

    order_id: int
    step: int
    portfolio: str
    party: str
    resource: str
    der_type: str
    product: str
    direction: str
    feeder: str | None
    node: int
    quantity_mw: Sequence[float]
    price_eur_per_mwh: Sequence[float]


@dataclasses.dataclass(frozen=True, eq=False)
class Commitment:
    """What an earlier-stage session of the same delivery day cleared: its frozen book and the
    activation ``(n_steps, T)`` per book step (MW, magnitude in the step's direction)."""

    session_id: int
    rows: tuple[BookRow, ...]
    activation_mw: Sequence[Sequence[float]]


@dataclasses.dataclass(frozen=True, eq=False)
class Cleared:
    """A session's clearing: the book it cleared and the scheme's outcome."""

    rows: tuple[BookRow, ...]
    book: OfferBook
    case: ClearingCase
    outcome: Outcome


class StudyEngine:
    """The study a platform serves: cheap metadata now, the shared day on first use."""

    def __init__(self, study: Study) -> None:
        self.study = study
        self._lights: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {}

    @classmethod
    def load(cls, path: str | None) -> StudyEngine:
        """The engine of a study file (the bundled default when ``path`` is None)."""
        return cls(load_study(path))

    @functools.cached_property
    def preset(self) -> Preset:
        """The study's jurisdiction preset."""
        return load_preset(self.study.market.preset)

    @functools.cached_property
    def shared(self) -> SharedDay:
        """Grid, fleet, day, offer template and schedule of the study (as ``compare``)."""
        return build_shared_day(self.study)

    @property
    def fleet(self) -> Fleet:
        """The study's fleet."""
        fleet = self.shared.fleet
        assert fleet is not None, "build_shared_day keeps the fleet"
        return fleet

    @property
    def n_intervals(self) -> int:
        """Intervals of the delivery day."""
        return int(self.study.fleet.n_intervals)

    @property
    def dt_h(self) -> float:
        """Interval length (hours)."""
        return float(self.study.fleet.dt_h)

    def feeder_ids(self) -> list[str]:
        """Feeder ids of the grid, in grid order."""
        return [f.id for f in self.shared.day.grid.feeders]

    def tso_need_mw(self, stage: str) -> list[float]:
        """The need the study derives for ``stage``: net demand above the schedule."""
        sh = self.shared
        return tso_need_mw(sh.day.points[stage], sh.market.schedule_mw).tolist()  # type: ignore[no-any-return]

    def build_book(self, rows: Sequence[BookRow]) -> OfferBook:
        """The offer book of a frozen order book (row order = book order)."""
        T = self.n_intervals
        if not rows:
            return OfferBook.empty(T)
        fids = {f: i for i, f in enumerate(self.feeder_ids())}
        for r in rows:
            if r.feeder is not None and r.feeder not in fids:
                raise Problem(422, "UnknownFeeder", f"order {r.order_id}: no feeder {r.feeder!r}")
            if len(r.quantity_mw) != T or len(r.price_eur_per_mwh) != T:
                raise Problem(422, "WrongLength", f"order {r.order_id}: {T} intervals expected")
        ids = [f"{r.product}:{r.resource}:{r.direction}:{r.step}" for r in rows]
        seen: dict[str, int] = {}
        for i in ids:
            seen[i] = seen.get(i, 0) + 1
        # the study's ids when unique; orders that share a resource name get their order id
        ids = [i if seen[i] == 1 else f"{i}#order{r.order_id}" for i, r in zip(ids, rows,
                                                                                 strict=True)]
        return OfferBook(
            offer_id=tuple(ids),
            der_id=tuple(r.resource for r in rows),
            aggregator_id=tuple(r.portfolio for r in rows),
            product_id=tuple(r.product for r in rows),
            der_type=tuple(r.der_type for r in rows),
            direction=np.array([_DIRECTION[r.direction] for r in rows], dtype=np.int64),
            feeder=np.array(
                [-1 if r.feeder is None else fids[r.feeder] for r in rows], dtype=np.int64
            ),
            node=np.array([r.node for r in rows], dtype=np.int64),
            reactive=np.zeros(len(rows), dtype=bool),
            quantity_mw=np.array([r.quantity_mw for r in rows], dtype=np.float64),
            price_eur_per_mwh=np.array([r.price_eur_per_mwh for r in rows], dtype=np.float64),
        )

    def case(
        self,
        stage: str,
        book: OfferBook,
        tso_mw: Sequence[float] | None,
        dso_mw: Mapping[str, Sequence[float]],
        commitments: Sequence[Commitment] = (),
    ) -> ClearingCase:
        """The clearing case of a session: the stage's forecast point with the earlier stages'
        ``commitments`` in its baseline, the day-ahead schedule, the posted needs (TSO: derived
        as in ``compare`` when none was posted; DSO: derived by the scheme from the feeder limits
        when none was posted)."""
        sh = self.shared
        point = self.committed(stage, commitments)
        tso = None if tso_mw is None else np.asarray(tso_mw, dtype=np.float64)
        dso = None
        if dso_mw:
            fids = self.feeder_ids()
            dso = np.zeros((len(fids), self.n_intervals))
            for fid, values in dso_mw.items():
                dso[fids.index(fid)] = values
        # the study's security margins and critical elements, as ``compare`` clears with them
        case = clearing_case(sh.day, point, book, sh.market.schedule_mw, sh.penalties,
                             GivenNeeds(tso, dso), monitor_loading=sh.spec.monitor_loading,
                             margins=sh.margins,
                             monitor_feeder_loading=sh.spec.monitor_feeder_loading)
        if tuple(book.offer_id) == tuple(sh.offers.offer_id) and sh.spec.time_coupling:
            # the study's own offers: the stage clears time-coupled, as in ``compare``, from the
            # DER state the earlier sessions' commitments lead to
            state = self.committed_state(commitments)
            case = dataclasses.replace(case, time_coupling=stage_coupling(sh, state))
        return case

    def committed_state(self, commitments: Sequence[Commitment] = ()) -> DayState:
        """The pipeline's day state after the earlier sessions' ``commitments`` (each split to
        the DERs as :func:`tdcoord.pipeline.day.advance_state` does); a commitment on another
        book than the study's own offers moves no DER state the engine can see."""
        sh = self.shared
        state = start_state(sh)
        for c in commitments:
            book = self.build_book(c.rows)
            if tuple(book.offer_id) != tuple(sh.offers.offer_id):
                continue
            act = np.asarray(c.activation_mw, dtype=np.float64)
            state = advance_state(sh, state, "", act)
        return state

    def committed(self, stage: str, commitments: Sequence[Commitment] = ()) -> OperatingPoint:
        """The forecast point of ``stage`` with each earlier session's activation in its
        baseline, applied in the given order: :math:`p' = p - \\Delta p(\\text{book}, a)` per
        feeder node (and as negative load at a transmission bus), the pipeline's
        :func:`~tdcoord.simulation.timeline.committed_point` (seed 000 §3)."""
        sh = self.shared
        base = day_case(sh)
        point = sh.day.points[stage]
        if not commitments:
            return committed_point(point, base, np.zeros_like(base.offers.quantity_mw))
        for c in commitments:
            book = self.build_book(c.rows)
            act = np.asarray(c.activation_mw, dtype=np.float64)
            if act.shape != book.quantity_mw.shape:
                raise Problem(409, "InvalidCommitment",
                              f"session {c.session_id}: activation {act.shape} does not match "
                              f"its book {book.quantity_mw.shape}; re-clear that session")
            point = committed_point(point, dataclasses.replace(base, offers=book), act)
        return point

    def clear(
        self,
        model_id: str,
        stage: str,
        rows: Sequence[BookRow],
        tso_mw: Sequence[float] | None,
        dso_mw: Mapping[str, Sequence[float]],
        commitments: Sequence[Commitment] = (),
    ) -> Cleared:
        """Run the catalogue model ``model_id`` on the session's book and needs, on top of the
        earlier stages' ``commitments``."""
        entry = get_model(model_id)
        book = self.build_book(rows)
        case = self.case(stage, book, tso_mw, dso_mw, commitments)
        outcome = run_scheme(entry.scheme, case, entry.params.as_dict())
        return Cleared(tuple(rows), book, case, outcome)

    def der_split(
        self, cleared: Cleared, members: Sequence[Sequence[str]], der_names: Sequence[str]
    ) -> FloatArray:
        """Dispatch per DER ``(n_der, T)``: each step's activation split to its member DERs pro
        rata to their flexibility (:func:`tdcoord.simulation.timeline.der_requests`; the study
        fleet's flexibility for DERs of the study, ``p_max`` otherwise — the caller passes it as
        a DER not in the fleet gets zero flexibility here and no share)."""
        sh = self.shared
        fleet_pos = {str(d): i for i, d in enumerate(self.fleet.der_id)}
        flex = sh.day.flexibility
        T = self.n_intervals
        up = np.zeros((len(der_names), T))
        dn = np.zeros((len(der_names), T))
        for j, name in enumerate(der_names):
            if name in fleet_pos:
                up[j] = flex.up_mw[fleet_pos[name]]
                dn[j] = flex.down_mw[fleet_pos[name]]
        pos = {n: j for j, n in enumerate(der_names)}
        r, c = [], []
        for i, names in enumerate(members):
            for n in names:
                r.append(i)
                c.append(pos[n])
        m = sp.csr_matrix(
            (np.ones(len(r)), (r, c)), shape=(cleared.book.n_offers, len(der_names))
        )
        req, _, _ = der_requests(cleared.book, m, cleared.outcome.activation_mw, up, dn)
        return req

    def template(self, offers: OfferBook | None = None) -> list[dict[str, Any]]:
        """The study's offers (or ``offers``, e.g. a later stage's offers left) as orders: one
        per (seller, direction) run of consecutive steps of the offer book, in book order (what
        the study's aggregators would post)."""
        o = self.shared.offers if offers is None else offers
        fids = self.feeder_ids()
        out: list[dict[str, Any]] = []
        for k in range(o.n_offers):
            key = (o.der_id[k], int(o.direction[k]), o.product_id[k])
            if not out or out[-1]["_key"] != key:
                out.append({
                    "_key": key, "resource": o.der_id[k], "aggregator": o.aggregator_id[k],
                    "der_type": o.der_type[k], "product": o.product_id[k],
                    "direction": "up" if o.direction[k] > 0 else "down",
                    "feeder": None if o.feeder[k] < 0 else fids[int(o.feeder[k])],
                    "node": int(o.node[k]), "steps": [],
                })
            out[-1]["steps"].append({
                "quantity_mw": o.quantity_mw[k].tolist(),
                "price_eur_per_mwh": o.price_eur_per_mwh[k].tolist(),
            })
        for d in out:
            d.pop("_key")
        return out

    def grid_lights(self, product_id: str) -> dict[str, tuple[str, tuple[str, ...]]]:
        """The DSO's traffic light (and its reasons when not green) per DER of the study fleet
        for ``product_id`` (:func:`tdcoord.der.grid_prequalification.grid_prequalify` on the
        study's grid and day), computed once per product."""
        if product_id not in self._lights:
            from tdcoord.der.grid_prequalification import grid_prequalify
            from tdcoord.der.prequalification import TrafficLight
            from tdcoord.market.products import get_product

            product = get_product(product_id)
            gp = grid_prequalify(
                self.shared.day.grid, self.fleet, [product], n_intervals=self.n_intervals,
                dt_h=self.dt_h, season=self.study.fleet.season,
            )
            out: dict[str, tuple[str, tuple[str, ...]]] = {}
            for j, light in enumerate(gp.lights(product)):
                why = () if light is TrafficLight.GREEN else gp.reasons(j, product)
                out[str(self.fleet.der_id[j])] = (str(light), tuple(why))
            self._lights[product_id] = out
        return self._lights[product_id]

    def fleet_ders(self) -> list[dict[str, Any]]:
        """The study fleet's DERs (name, type, feeder, node, capacity, aggregator, bundle)."""
        sh = self.shared
        fl = self.fleet
        fids = self.feeder_ids()
        bundle: dict[int, str] = {}
        rows, cols = sh.members.nonzero()
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            bundle.setdefault(c, sh.offers.der_id[r])
        return [
            {
                "name": str(fl.der_id[j]), "der_type": str(fl.der_type[j]),
                "feeder": None if fl.feeder[j] < 0 else fids[int(fl.feeder[j])],
                "node": int(fl.node[j]), "p_max_mw": float(fl.p_max_mw[j]),
                "aggregator": str(fl.aggregator_id[j]), "bundle": bundle.get(j),
            }
            for j in range(fl.n_der)
        ]


def settle_session(
    engine: StudyEngine,
    activations: list[dict[str, Any]],
    resources: Sequence[str],
    members: Mapping[str, Sequence[str]],
    metered: Mapping[str, Mapping[int, float]],
    requested: Mapping[str, Sequence[float]],
) -> Any:
    """Settle a cleared session with :func:`tdcoord.settlement.run.settle_run` (baseline
    ``metered_schedule``: each seller's schedule is the sum of its DERs' study baselines — zero
    for DERs outside the study fleet).

    A seller's (order resource's) metered power is the sum over its DERs of schedule plus
    dispatch, with every posted meter reading (DER, interval) replacing that DER's value: a DER
    without readings is taken as delivering its dispatch.
    """
    import pandas as pd

    from tdcoord.settlement.run import settle_run

    sh = engine.shared
    T = engine.n_intervals
    pos = {str(d): i for i, d in enumerate(engine.fleet.der_id)}
    base_der = sh.day.der_baseline_mw
    sched = np.zeros((len(resources), T))
    meter = np.zeros((len(resources), T))
    for u, res in enumerate(resources):
        for der in members.get(res, ()):
            b = base_der[pos[der]] if der in pos else np.zeros(T)
            sched[u] += b
            value = b + np.asarray(requested.get(der, np.zeros(T)), dtype=np.float64)
            for t, mw in metered.get(der, {}).items():
                if 0 <= t < T:
                    value[t] = mw
            meter[u] += value
    acts = pd.DataFrame(activations)
    if len(acts):
        acts = acts[acts["der_id"].isin(set(resources))]
    return settle_run(
        acts, meter, "metered_schedule", sh.preset, der_ids=list(resources),
        dt_h=engine.dt_h, schedule_mw=sched,
    )


def node_envelopes(
    cleared: Cleared, scheme: str, params: Mapping[str, Any]
) -> dict[tuple[int, int], tuple[FloatArray, FloatArray]]:
    """Import and export limits ``(T,)`` per offer location (feeder index, node row) of an
    envelope-based clearing (scheme ``envelope``; empty for the others), recomputed as the
    scheme computes them: around the operating point after the DSO-stage activations (rows the
    DSOs bought), capability = the node's residual up / down quantity
    (:func:`tdcoord.coordination.envelopes.operating_envelopes`, the scheme's rule and margins).
    """
    if scheme != "envelope":
        return {}
    from tdcoord.coordination.envelopes import operating_envelopes
    from tdcoord.coordination.injectors import prior_from_activation
    from tdcoord.coordination.schemes.envelope import DEFAULTS, S_MARGIN_FRAC, V_MARGIN_PU

    case, book, acts = cleared.case, cleared.book, cleared.outcome.activations
    d_act = np.zeros_like(book.quantity_mw)
    if len(acts):
        dso = acts[acts["buyer"].astype(str).str.startswith("dso")]
        np.add.at(d_act, (dso["offer_row"].to_numpy(np.int64), dso["interval"].to_numpy(np.int64)),
                  dso["mw"].to_numpy(np.float64))
    prior = prior_from_activation(case, d_act)
    left = np.maximum(book.quantity_mw - d_act, 0.0)
    rule = str(params.get("envelope_rule", DEFAULTS["envelope_rule"]))
    out: dict[tuple[int, int], tuple[FloatArray, FloatArray]] = {}
    for f, fd in enumerate(case.grid.feeders):
        here = (book.feeder == f) & ~book.reactive
        nodes = np.unique(book.node[here])
        if not nodes.size:
            continue
        cap_e = np.zeros((fd.n_node, case.n_periods))
        cap_i = np.zeros((fd.n_node, case.n_periods))
        up, dn = here & (book.direction > 0), here & (book.direction < 0)
        np.add.at(cap_e, book.node[up], left[up])
        np.add.at(cap_i, book.node[dn], left[dn])
        env = operating_envelopes(
            fd, case.feeder_p_mw[f] - prior.feeder_p_mw[f],
            case.feeder_q_mvar[f] - prior.feeder_q_mvar[f], nodes, cap_e[nodes], cap_i[nodes],
            rule=rule, v_margin_pu=V_MARGIN_PU, s_margin_frac=S_MARGIN_FRAC,
        )
        for k, n in enumerate(nodes.tolist()):
            out[(f, int(n))] = (np.asarray(env.import_mw[k]), np.asarray(env.export_mw[k]))
    return out
