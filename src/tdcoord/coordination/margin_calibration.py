"""Calibrate the security margins by an AC power flow (``compare.security_margins.calibrate``).

LinDistFlow's voltage error is largest at the end of a heavily loaded feeder and near zero at a
lightly loaded one, so one margin for every node is either too small where the load is heavy (the
AC validation finds the optimum a few thousandths of a pu below its limit) or too large where it
is light (the clearing buys relief for violations that do not exist). Calibration measures the
error where it matters: one batched AC power flow of every feeder at the day-ahead forecast
(:func:`tdcoord.coordination.validation.feeder_ac_flows`, pandapower Newton–Raphson), against
the LinDistFlow voltages of the same withdrawals
(:meth:`tdcoord.coordination.network_model.FeederModel.state`):

.. math::

    e^{lo}_n = \\max\\big(0, \\max_t (V^{lin}_{nt} - V^{AC}_{nt})\\big), \\qquad
    e^{hi}_n = \\max\\big(0, \\max_t (V^{AC}_{nt} - V^{lin}_{nt})\\big)

per feeder node, added to the study's ``voltage_pu``
(:class:`tdcoord.coordination.margins.Margins`).
The largest error falls in the intervals where the voltage is near its limit (the peak), which
are the ones where a margin binds. The calibration point is the day-ahead forecast every model
sees, so the margins are the same for every model. A feeder whose power flow does not converge
keeps no extra (its nodes get ``voltage_pu`` only).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from tdcoord.coordination.ac_day import feeder_ac_flows
from tdcoord.coordination.margins import Margins
from tdcoord.coordination.network_model import linear_feeder_model
from tdcoord.grid.model import Feeder
from tdcoord.types import FloatArray


def linearisation_error_pu(
    feeders: Sequence[Feeder], p_mw: Sequence[FloatArray], q_mvar: Sequence[FloatArray]
) -> list[FloatArray]:
    """Per feeder, ``V^AC − V^lin`` ``(n_node, T)`` (pu) at net withdrawals ``p_mw[f]`` /
    ``q_mvar[f]``; NaN where the power flow did not converge."""
    feeders = list(feeders)
    T = p_mw[0].shape[1] if feeders else 0
    v_ac = [np.full((fd.n_node, T), np.nan) for fd in feeders]
    for f, t, flow in feeder_ac_flows(feeders, p_mw, q_mvar):
        if flow.converged:
            v_ac[f][:, t] = flow.v_pu
    out = []
    for f, fd in enumerate(feeders):
        v2, _, _ = linear_feeder_model(fd, p_mw[f], q_mvar[f]).state()
        out.append(v_ac[f] - np.sqrt(np.maximum(v2, 0.0)))
    return out


def calibrated_margins(
    base: Margins,
    feeders: Sequence[Feeder],
    p_mw: Sequence[FloatArray],
    q_mvar: Sequence[FloatArray],
) -> Margins:
    """``base`` with the per-node extras of the linearisation error at the given withdrawals
    (module docstring)."""
    if not len(feeders):
        return base
    low, high = [], []
    for err in linearisation_error_pu(feeders, p_mw, q_mvar):
        ok = np.isfinite(err)
        worst_low = np.where(ok, -err, 0.0).max(axis=1, initial=0.0)
        worst_high = np.where(ok, err, 0.0).max(axis=1, initial=0.0)
        low.append(tuple(float(round(x, 9)) for x in np.maximum(worst_low, 0.0)))
        high.append(tuple(float(round(x, 9)) for x in np.maximum(worst_high, 0.0)))
    return dataclasses.replace(base, extra_low_pu=tuple(low), extra_high_pu=tuple(high))
