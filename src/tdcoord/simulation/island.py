"""An energy-limited microgrid island: a faulted feeder section run on its own DERs.

Seed 000 §3.3: with more DERs, "neighborhoods and communities ... can effectively operate as a
microgrid" when a fault cuts them off. An island holds only as long as its DERs' stored energy
and generation allow. For the section (node set ``S``) and the fault intervals ``t``:

* the island must change its DERs' injection (around their baseline) by the section's net
  withdrawal :math:`n_t = \\sum_{j\\in S} w_{jt}` (+: the DERs must inject more; −: surplus
  generation must be curtailed or stored); the section's market commitments are void while it
  is cut off;
* :func:`island_requests` splits :math:`n_t` over the section's DERs pro rata to the
  flexibility each still has in that direction (:math:`r_{it} = u_{it}\\,n_t/\\sum_S u` for
  :math:`n_t > 0`, :math:`-d_{it}\\,|n_t|/\\sum_S d` for :math:`n_t<0`, capped at the
  flexibility);
* the requests run through the DER models from the state the model's plan leaves them in at the
  fault, interval by interval with the flexibility each DER reports from its current state
  (:func:`walk_island`, :func:`tdcoord.simulation.activation.activate` with full delivery): a
  battery stops at its minimum state of charge, an EV at its energy need;
* :func:`hold_island`: the island holds while the DERs deliver :math:`n_t`
  (:math:`|\\delta_t - n_t| \\le \\varepsilon(1+|n_t|)`); at the first interval they cannot, it
  collapses (frequency cannot be held) and the section's whole gross load is shed from then to
  the end of the fault, reported as the event's energy not served:
  :math:`\\mathrm{ENS} = \\sum_{t \\ge t_c} L_t\\,\\Delta t`.

Exact accounting per interval: ``load = served + shed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tdcoord.der.base import DerModel
from tdcoord.simulation.activation import ResponseModel, activate
from tdcoord.simulation.errors import SimulationError
from tdcoord.types import FloatArray, IntArray

HOLD_TOL = 1e-6


@dataclass(frozen=True, eq=False)
class IslandResult:
    """One island over the fault intervals (arrays ``(k,)``)."""

    formed: bool
    reason: str
    need_mw: FloatArray
    """Injection change the island's DERs must make (+ = more injection)."""
    delivered_mw: FloatArray
    """What they delivered from their state (0 when not formed)."""
    load_mw: FloatArray
    """Gross load of the section."""
    served_mw: FloatArray
    shed_mw: FloatArray
    held_intervals: int
    """Intervals the island held (``k``: to the end of the fault)."""

    def shed_mwh(self, dt_h: float) -> float:
        """Energy not served of the section, ``Σ shed·dt``."""
        return float(self.shed_mw.sum() * dt_h)


def island_requests(need_mw: npt.ArrayLike, up_mw: FloatArray, down_mw: FloatArray) -> FloatArray:
    """Signed requests (section DER × k) covering ``need_mw`` pro rata to flexibility (doc)."""
    need = np.asarray(need_mw, dtype=np.float64)
    up = np.maximum(np.asarray(up_mw, dtype=np.float64), 0.0)
    down = np.maximum(np.asarray(down_mw, dtype=np.float64), 0.0)
    if up.shape != down.shape or up.ndim != 2 or up.shape[1] != need.shape[0]:
        raise SimulationError(
            f"flexibility {up.shape}/{down.shape} does not match the need {need.shape}",
            where="island_requests",
            fix="give (section DERs × k) up and down flexibility and a (k,) need",
        )
    tot_up, tot_dn = up.sum(axis=0), down.sum(axis=0)
    f_up = np.divide(np.maximum(need, 0.0), tot_up, out=np.zeros_like(need), where=tot_up > 0)
    f_dn = np.divide(np.maximum(-need, 0.0), tot_dn, out=np.zeros_like(need), where=tot_dn > 0)
    return np.asarray(
        up * np.minimum(f_up, 1.0)[None, :] - down * np.minimum(f_dn, 1.0)[None, :],
        dtype=np.float64,
    )


def walk_island(
    models: Sequence[DerModel],
    plan_mw: FloatArray,
    section_rows: IntArray,
    intervals: IntArray,
    need_mw: FloatArray,
    dt_h: float,
) -> FloatArray:
    """What the section's DERs deliver towards the island's need ``need_mw`` (k,) at the
    consecutive ``intervals``, from the state the model's ``plan_mw`` (fleet DER × T, signed)
    leaves them in (module doc).

    The fleet is walked with full delivery through the plan up to the fault; during the fault
    the section's market commitments are void (the section is cut off) and, interval by
    interval, the need is split over the section's DERs pro rata to the flexibility each reports
    from its current state (:func:`island_requests`) and applied
    (:func:`tdcoord.simulation.activation.activate`): a battery stops at its minimum state of
    charge. Returns the section's delivered injection change per fault interval."""
    ts = np.asarray(intervals, dtype=np.int64)
    plan = np.asarray(plan_mw, dtype=np.float64)
    perfect = ResponseModel()
    current: Sequence[DerModel] = list(models)
    t0 = int(ts[0])
    if t0 > 0:
        current = list(activate(current, plan[:, :t0], dt_h, start_interval=0,
                                response=perfect).models)
    got = np.zeros(ts.size)
    for i, t in enumerate(ts.tolist()):
        col = plan[:, t : t + 1].copy()
        col[section_rows] = 0.0
        probe = activate(current, col, dt_h, start_interval=t, response=perfect)
        up = probe.available_up_mw[section_rows]
        down = probe.available_down_mw[section_rows]
        col[section_rows] = island_requests(np.asarray(need_mw)[i : i + 1], up, down)
        step = activate(current, col, dt_h, start_interval=t, response=perfect)
        got[i] = float(step.delivered_mw[section_rows].sum())
        current = list(step.models)
    return got


def hold_island(
    need_mw: FloatArray,
    delivered_mw: FloatArray,
    load_mw: FloatArray,
    *,
    formed: bool,
    reason: str,
) -> IslandResult:
    """Served and shed load of the section: the island holds until its DERs first fall short of
    the need, then the section is shed to the end of the fault (module doc)."""
    need = np.asarray(need_mw, dtype=np.float64)
    got = np.asarray(delivered_mw, dtype=np.float64) if formed else np.zeros_like(need)
    load = np.maximum(np.asarray(load_mw, dtype=np.float64), 0.0)
    k = need.shape[0]
    if got.shape != (k,) or load.shape != (k,):
        raise SimulationError(
            f"need {need.shape}, delivered {got.shape} and load {load.shape} differ",
            where="hold_island",
            fix="give one value per fault interval in each",
        )
    short = np.abs(got - need) > HOLD_TOL * (1.0 + np.abs(need))
    held = 0 if not formed else (int(np.argmax(short)) if short.any() else k)
    if formed and held < k:
        reason = f"{reason}; the island's DERs ran out after {held} of {k} intervals"
    served = np.where(np.arange(k) < held, load, 0.0)
    return IslandResult(
        formed=formed,
        reason=reason,
        need_mw=need,
        delivered_mw=np.where(np.arange(k) < held, got, 0.0),
        load_mw=load,
        served_mw=served,
        shed_mw=load - served,
        held_intervals=held,
    )


def unavoidable_shed_mw(
    need_mw: FloatArray,
    up_mw: FloatArray,
    down_mw: FloatArray,
    load_mw: FloatArray,
    *,
    grid_forming: bool,
) -> FloatArray:
    """Section load no model could serve (k,): with the DERs' full flexibility before any market
    used it (``up_mw``, ``down_mw``: section totals, k) and unlimited energy, an island without a
    grid-forming unit never forms, and one falls at the first interval where even that power
    cannot follow the need (``n_t > U_t`` or ``−n_t > D_t``); from then on its whole load is lost
    whatever was dispatched before."""
    need = np.asarray(need_mw, dtype=np.float64)
    load = np.maximum(np.asarray(load_mw, dtype=np.float64), 0.0)
    if not grid_forming:
        return load.copy()
    tol = HOLD_TOL * (1.0 + np.abs(need))
    short = (need > np.asarray(up_mw) + tol) | (-need > np.asarray(down_mw) + tol)
    if not short.any():
        return np.zeros_like(load)
    return np.where(np.arange(need.size) >= int(np.argmax(short)), load, 0.0)
