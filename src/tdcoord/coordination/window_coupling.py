"""The time coupling of a window of the day: the energy rows of an event's re-clear.

An emergency is answered by re-clearing real time over the event's intervals only
(:mod:`tdcoord.pipeline.events`). The energy rows of the whole day
(:mod:`tdcoord.coordination.intertemporal`, after the plan committed so far) restricted to the
window's columns keep every request deliverable *inside* the window; what the window takes must
also leave the rest of the day's plan deliverable. With no further activation after the window,
the drop carried out of it only decays, :math:`C_{t'} = \\Pi_{t_1<j\\le t'}\\delta_j\\,C_{t_1}`
with :math:`0 \\le \\delta \\le 1`, so

.. math::

    C_{t_1} \\le \\min_{t' \\ge t_1} \\frac{D^{max}_{t'}}{\\Pi_{t'}}, \\qquad
    C_{t_1} \\le \\min_{t' > t_1} \\frac{P^{dn\\,room}_{t'}}{\\kappa\\,\\Pi_{t'-1}},
    \\qquad \\Pi_{t'} = \\prod_{t_1<j\\le t'}\\delta_j

at the window's last interval :math:`t_1` is sufficient for every later energy row and
power-room row (for :math:`C_{t_1} \\ge 0` the decayed value is no larger, for
:math:`C_{t_1} < 0` every such row holds anyway); alike for the rise. The window's last limits
are those minima; the earlier ones are the day's. The queue rows of shiftable loads
(:mod:`tdcoord.coordination.shift_rows`) carry their queue out of the window the same way, less
the credits of the later intervals (:func:`~tdcoord.coordination.shift_rows.tail_cap`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tdcoord.coordination.errors import CoordinationError
from tdcoord.coordination.intertemporal import TimeCoupling
from tdcoord.coordination.shift_rows import queue_kinds, tail_cap
from tdcoord.types import FloatArray, IntArray


def window_coupling(tc: TimeCoupling, intervals: IntArray) -> TimeCoupling:
    """``tc`` (the whole day) restricted to the contiguous ``intervals`` of a window, its last
    limits tightened for the rest of the day (module docstring)."""
    ts = np.asarray(intervals, dtype=np.int64)
    T = tc.n_periods
    if not ts.size or np.any(np.diff(ts) != 1) or ts[0] < 0 or ts[-1] >= T:
        raise CoordinationError(
            f"window intervals {ts.tolist()[:5]}... are not a contiguous range of 0..{T - 1}",
            where="window_coupling", fix="pass the event's consecutive intervals",
        )
    assert tc.rebound_mw_per_mwh is not None and tc.pair_weight is not None
    assert tc.dn_room_mw is not None and tc.up_room_mw is not None
    assert tc.drop_decay is not None and tc.rise_decay is not None
    last = int(ts[-1])
    kappa = tc.rebound_mw_per_mwh
    drop_max = tc.drop_max_mwh[:, ts].copy()
    rise_max = tc.rise_max_mwh[:, ts].copy()
    drop_max[:, -1] = _tail_limit(tc.drop_max_mwh, tc.dn_room_mw, tc.drop_decay, kappa, last)
    rise_max[:, -1] = _tail_limit(tc.rise_max_mwh, tc.up_room_mw, tc.rise_decay, kappa, last)
    for kind, limit in zip(queue_kinds(tc), (drop_max, rise_max), strict=False):
        assert tc.queue is not None
        on = tc.queue.member  # the queue members' own tail (shift_rows.tail_cap)
        limit[on, -1] = tail_cap(kind, last)[on]
    return dataclasses.replace(
        tc,
        drop_coef=tc.drop_coef[:, ts], rise_coef=tc.rise_coef[:, ts],
        drop_max_mwh=drop_max, rise_max_mwh=rise_max,
        drop_decay=tc.drop_decay[:, ts], rise_decay=tc.rise_decay[:, ts],
        pair_weight=tc.pair_weight[:, ts],
        up_room_mw=tc.up_room_mw[:, ts], dn_room_mw=tc.dn_room_mw[:, ts],
        rebound_mw_per_mwh=kappa[:, ts],
        queue=None if tc.queue is None else tc.queue.window(ts),
    )


def _tail_limit(
    limit_mwh: FloatArray, room_mw: FloatArray, decay: FloatArray, kappa: FloatArray, last: int
) -> FloatArray:
    """The module docstring's bound on ``C_{t_1}`` per member (``inf``: none): every later
    limit over the decay carried to it (a full reset, ``Π = 0``, ends the constraint)."""
    carried = np.cumprod(decay[:, last + 1:], axis=1)  # Π_{t'} for t' > last
    share = np.concatenate([np.ones((decay.shape[0], 1)), carried], axis=1)  # t' ≥ last
    with np.errstate(divide="ignore", invalid="ignore"):
        energy = np.where(share > 0, limit_mwh[:, last:] / share, np.inf)
        out = energy.min(axis=1)
        if last + 1 < limit_mwh.shape[1]:
            # the room row of t' sees the drop carried to t' − 1 (share[:, :-1])
            lhs = kappa[:, last + 1:] * share[:, :-1]
            rooms = np.where(lhs > 0, room_mw[:, last + 1:] / lhs, np.inf)
            out = np.minimum(out, rooms.min(axis=1))
    return np.asarray(out, dtype=np.float64)
