"""TSO and DSO needs per interval, derived from the baseline (design doc, "Definitions").

* TSO need: the system imbalance (``case.tso_need_mw``, + = short) and transmission congestion:
  DC flows of the baseline with the imbalance located at the load buses
  (:mod:`tdcoord.coordination.network_model`) above the branch ratings.
* DSO need per feeder and interval: branch overloads (|S| = √(P² + Q²) above rating) and
  voltages outside limits when the baseline is run through the feeder model (LinDistFlow), and
  a signed MW estimate of the injection change that removes them (+ = more injection in the
  feeder): for an overload the excess active flow, signed by the flow direction; for a voltage
  violation ``(v_lim² − v²)/S_jj`` with ``S_jj = ∂v_j²/∂p_j``. A need given in the case
  (``dso_need_mw``) takes precedence over the estimate.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.network_model import feeder_model, transmission_model
from tdcoord.types import FloatArray


@dataclasses.dataclass(frozen=True, eq=False)
class TsoNeeds:
    """Imbalance (T,) and baseline congestion: overload MW above rating (n_branch, T)."""

    imbalance_mw: FloatArray
    overload_mw: FloatArray

    @property
    def n_congested(self) -> int:
        """Number of (branch, interval) pairs above rating."""
        return int((self.overload_mw > 1e-9).sum())


@dataclasses.dataclass(frozen=True, eq=False)
class FeederNeeds:
    """Baseline state and violations of one feeder, (elements, T)."""

    v_pu: FloatArray
    loading: FloatArray  # |S|/rating
    overload_mva: FloatArray
    undervoltage_pu: FloatArray
    overvoltage_pu: FloatArray
    need_mw: FloatArray  # (T,)

    @property
    def n_violations(self) -> int:
        """Number of (element, interval) violations."""
        return int(
            (self.overload_mva > 1e-9).sum()
            + (self.undervoltage_pu > 1e-9).sum()
            + (self.overvoltage_pu > 1e-9).sum()
        )


def tso_needs(case: ClearingCase) -> TsoNeeds:
    """The TSO's needs of a case (zero congestion without transmission)."""
    T = case.n_periods
    if case.grid.transmission is None:
        return TsoNeeds(case.tso_need_mw, np.zeros((0, T)))
    tm = transmission_model(case)
    flow = tm.flows_mw(-tm.need_share[:, None] * case.tso_need_mw[None, :])
    over = np.maximum(np.abs(flow) - tm.rating_mw[:, None], 0.0)
    return TsoNeeds(case.tso_need_mw, over)


def feeder_needs(case: ClearingCase, f: int) -> FeederNeeds:
    """Baseline violations and need estimate of feeder ``f``."""
    fm = feeder_model(case, f)
    fd = fm.feeder
    v2, p, q = fm.state()
    v = np.sqrt(np.maximum(v2, 0.0))
    rating = fd.branches.rating_mva[:, None]
    s = np.hypot(p, q)
    over = np.maximum(s - rating, 0.0)
    under = np.maximum(fd.nodes.v_min_pu[:, None] - v, 0.0)
    above = np.maximum(v - fd.nodes.v_max_pu[:, None], 0.0)
    p_allowed = np.sqrt(np.maximum(rating**2 - q**2, 0.0))
    excess = np.where(over > 0, np.sign(p) * np.maximum(np.abs(p) - p_allowed, 0.0), 0.0)
    diag = np.maximum(np.diag(fm.v_sens_p), 1e-12)[:, None]
    need_under = np.where(under > 0, (fd.nodes.v_min_pu[:, None] ** 2 - v2) / diag, 0.0)
    need_over = np.where(above > 0, (fd.nodes.v_max_pu[:, None] ** 2 - v2) / diag, 0.0)
    pos = np.maximum(np.max(np.vstack([excess, need_under, np.zeros((1, v.shape[1]))]), 0), 0)
    neg = np.minimum(np.min(np.vstack([excess, need_over, np.zeros((1, v.shape[1]))]), 0), 0)
    need = np.where(pos > 0, pos, neg)
    if case.dso_need_mw is not None:
        need = case.dso_need_mw[f]
    return FeederNeeds(v, s / rating, over, under, above, np.asarray(need, dtype=np.float64))


def dso_needs(case: ClearingCase) -> tuple[FeederNeeds, ...]:
    """Needs of every feeder."""
    return tuple(feeder_needs(case, f) for f in range(case.n_feeders))


def dso_need_mw(case: ClearingCase) -> FloatArray:
    """Signed DSO need per feeder and interval (n_feeder, T)."""
    if case.dso_need_mw is not None:
        return case.dso_need_mw
    if not case.n_feeders:
        return np.zeros((0, case.n_periods))
    return np.vstack([n.need_mw for n in dso_needs(case)])
