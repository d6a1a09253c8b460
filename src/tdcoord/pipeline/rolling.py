"""A stage cleared over a rolling horizon: consecutive windows, each after the earlier ones.

``compare.horizon_intervals: k`` (docs/study.md) splits the day's intervals into consecutive
windows :math:`W_j = \\{jk, \\dots, \\min(jk+k, T)-1\\}` and clears them in order under the
model's own scheme, each as one multi-period problem over its intervals only. Window
:math:`W_j` sees the stage's case on its intervals and — with ``compare.time_coupling`` — the
energy rows of the DER state that the plan committed so far leads to: the earlier stages' plan
*and* the requests of windows :math:`W_1..W_{j-1}` of this stage
(:func:`tdcoord.pipeline.coupling.coupling_after`), restricted to the window with its last
limits tightened so that the rest of the committed plan stays deliverable
(:func:`tdcoord.coordination.window_coupling.window_coupling`). Every request is therefore
deliverable from the state the scheme sees, as in the day-long clearing; what the rolling
horizon gives up is look-ahead beyond the window (energy is not held back in :math:`W_j` for a
later, dearer window), so its cost is at least the day-long clearing's (a restriction of the
same LP; rolling-horizon dispatch, e.g. Palma-Behnke et al., IEEE Trans. Smart Grid 4(2), 2013).

Memory and solver work grow with the window, not the day: the national-scale study
(``scenarios/large.yaml``) clears this way, where the day-long LP of 8.7 M activation columns
does not fit in 24 GB (benchmarks/README.md). The split of a window's accepted offers to the
DERs is the stage's (pro rata to the flexibility the stage started with, as
:func:`tdcoord.pipeline.day.advance_state` splits the whole stage), so the plan the windows see
is the plan the stage commits.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.outcome import Outcome
from tdcoord.coordination.outcome_join import join_window_outcomes
from tdcoord.coordination.schemes import run_scheme
from tdcoord.coordination.window_coupling import window_coupling
from tdcoord.der.base import Flexibility
from tdcoord.pipeline.coupling import coupling_after
from tdcoord.pipeline.events import window_case
from tdcoord.simulation.timeline import der_requests
from tdcoord.types import FloatArray, IntArray

if TYPE_CHECKING:
    from tdcoord.coordination.catalogue import ModelEntry
    from tdcoord.pipeline.shared import SharedDay


def horizon_windows(n_intervals: int, window_intervals: int) -> list[IntArray]:
    """Consecutive windows of ``window_intervals`` partitioning ``0..n_intervals-1`` (the last
    one shorter when it does not divide)."""
    k = max(int(window_intervals), 1)
    return [np.arange(s, min(s + k, n_intervals), dtype=np.int64) for s in range(0, n_intervals, k)]


def clear_rolling(
    shared: SharedDay,
    entry: ModelEntry,
    case: ClearingCase,
    plan_mw: FloatArray,
    available: Flexibility,
    window_intervals: int,
) -> Outcome:
    """The stage's outcome over the day from clearing ``case`` window by window (module doc);
    ``plan_mw`` (DERs × T) is what the earlier stages committed and ``available`` the DERs'
    flexibility at the stage's start (the split of its requests)."""
    sh = shared
    plan = plan_mw.copy()
    parts: list[tuple[IntArray, Outcome]] = []
    for ts in horizon_windows(case.n_periods, window_intervals):
        wcase = dataclasses.replace(window_case(case, ts), time_coupling=None)
        if sh.spec.time_coupling:
            wcase = dataclasses.replace(
                wcase, time_coupling=window_coupling(coupling_after(sh, plan, available), ts)
            )
        w = run_scheme(entry.scheme, wcase, entry.params.as_dict())
        accepted = np.zeros((w.activation_mw.shape[0], case.n_periods))
        accepted[:, ts] = w.activation_mw
        req, _, _ = der_requests(
            sh.offers, sh.members, accepted, available.up_mw, available.down_mw
        )
        plan = plan + req
        parts.append((ts, w))
    return join_window_outcomes(case, parts)
