"""Outcomes of consecutive windows of the day joined into one outcome of the day.

A rolling-horizon stage (:mod:`tdcoord.pipeline.rolling`) clears the day as consecutive
windows :math:`W_1, \\dots, W_m` that partition the intervals :math:`0..T-1`. Every
per-interval array of the joined outcome is the windows' arrays placed on their intervals
(:math:`x_{\\cdot t} = x^{(j)}_{\\cdot, t - \\min W_j}` for :math:`t \\in W_j`); every
per-interval row (activations, slacks, messages) has its window interval mapped to the day's.
Costs, solver times and iterations add up over the windows; the status is the least
favourable one (:func:`tdcoord.coordination.outcome.worst_status`). A price array is joined
only when every window has it (otherwise ``None``: a price the day does not have everywhere
is not invented).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.errors import CoordinationError
from tdcoord.coordination.messages import MessageLog
from tdcoord.coordination.outcome import Outcome, interface_after, worst_status
from tdcoord.coordination.prices import DlmpParts
from tdcoord.types import FloatArray, IntArray


def _joined(arrays: Sequence[FloatArray | None]) -> FloatArray | None:
    if any(a is None for a in arrays):
        return None
    return np.concatenate([a for a in arrays if a is not None], axis=-1)


def _joined_parts(parts: Sequence[DlmpParts | None]) -> DlmpParts | None:
    if any(p is None for p in parts):
        return None
    ok = [p for p in parts if p is not None]
    return DlmpParts(
        congestion_eur_per_mwh=np.concatenate([p.congestion_eur_per_mwh for p in ok], axis=1),
        voltage_eur_per_mwh=np.concatenate([p.voltage_eur_per_mwh for p in ok], axis=1),
        loss_factor=np.concatenate([p.loss_factor for p in ok], axis=1),
    )


def _on_day_rows(frame: pd.DataFrame, ts: IntArray) -> pd.DataFrame:
    out = frame.copy()
    if len(out):
        out["interval"] = ts[out["interval"].to_numpy(dtype=np.int64)]
    return out


def _check_partition(windows: Sequence[IntArray], T: int) -> None:
    order = np.concatenate([np.asarray(w, dtype=np.int64) for w in windows])
    if not np.array_equal(order, np.arange(T)):
        raise CoordinationError(
            f"the windows cover intervals {order.tolist()[:6]}..., not 0..{T - 1} in order",
            where="join_window_outcomes",
            fix="pass consecutive windows that partition the day (pipeline.rolling)",
        )


def _frames(parts: Sequence[tuple[IntArray, Outcome]], name: str) -> pd.DataFrame:
    frames = [_on_day_rows(getattr(w, name), ts) for ts, w in parts]
    filled = [f for f in frames if len(f)]
    if not filled:
        return frames[0]
    return pd.concat(filled, ignore_index=True)


def join_window_outcomes(case: ClearingCase, parts: Sequence[tuple[IntArray, Outcome]]) -> Outcome:
    """One outcome of ``case``'s day from ``(intervals, outcome)`` of consecutive windows that
    partition the day (module docstring)."""
    _check_partition([ts for ts, _ in parts], case.n_periods)
    outs = [w for _, w in parts]
    activation = np.concatenate([w.activation_mw for w in outs], axis=1)
    cost: dict[str, float] = {}
    log = MessageLog()
    for ts, w in parts:
        for buyer, value in w.cost_by_buyer_eur.items():
            cost[buyer] = cost.get(buyer, 0.0) + value
        log.extend(w.messages.on_intervals(ts.tolist()))
    n_feeder = len(outs[0].dlmp_eur_per_mwh)
    return dataclasses.replace(
        outs[0],
        status=worst_status(*(w.status for w in outs)),
        activation_mw=activation,
        activations=_frames(parts, "activations"),
        gen_redispatch_mw=np.concatenate([w.gen_redispatch_mw for w in outs], axis=1),
        interface_mw=interface_after(case, activation),
        interface_schedule_mw=np.concatenate([w.interface_schedule_mw for w in outs], axis=1),
        lmp_eur_per_mwh=_joined([w.lmp_eur_per_mwh for w in outs]),
        dlmp_eur_per_mwh=tuple(
            _joined([w.dlmp_eur_per_mwh[f] for w in outs]) for f in range(n_feeder)
        ),
        slacks=_frames(parts, "slacks"),
        cost_by_buyer_eur=cost,
        messages=log,
        compute_s=float(sum(w.compute_s for w in outs)),
        iterations=int(sum(w.iterations for w in outs)),
        transmission_redispatch_eur=float(sum(w.transmission_redispatch_eur for w in outs)),
        dlmp_parts=tuple(
            _joined_parts([w.dlmp_parts[f] if w.dlmp_parts else None for w in outs])
            for f in range(n_feeder)
        )
        if outs[0].dlmp_parts
        else (),
    )
