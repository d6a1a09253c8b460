"""The energy rows of an event's window (tdcoord.coordination.window_coupling): whatever they
allow inside the window, with nothing after it, satisfies every row of the whole day."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from tdcoord.coordination.errors import CoordinationError
from tdcoord.coordination.window_coupling import window_coupling
from tdcoord.der.heat_pump import HeatPump

from .coupling_cases import T, all_rows, book, coupling, two_batteries


def heat_pumps() -> HeatPump:
    return HeatPump(
        ids=("h0", "h1"), p_el_max_mw=np.array([0.05, 0.08]), cop=np.array([3.0, 3.5]),
        c_th_mwh_per_k=np.array([0.02, 0.03]), r_th_k_per_mw=np.array([300.0, 250.0]),
        t_min_c=np.array([20.0, 20.0]), t_max_c=np.array([22.0, 22.5]),
        t_out_c=np.full(T, -2.0),
    )


@pytest.mark.parametrize("make", [two_batteries, heat_pumps])
@pytest.mark.parametrize("window", [[0, 1], [1, 2], [2, 3], [1]])
def test_window_rows_keep_the_whole_day(make: object, window: list[int]) -> None:
    offers, members = book(T)
    plan = np.zeros((2, T))
    plan[:, T - 1] = 0.02  # committed later in the day: a window must leave its energy
    tc, flex = coupling([make()], offers, members, plan)  # type: ignore[operator]
    wtc = window_coupling(tc, np.array(window))
    A_w, cap_w = all_rows(wtc)
    A_d, cap_d = all_rows(tc)
    k = len(window)
    q = np.vstack([flex.up_mw.sum(0), flex.down_mw.sum(0)])[:, window]
    rng = np.random.default_rng(len(window) + window[0])
    for _ in range(25):
        res = linprog(-rng.uniform(-1.0, 1.0, 2 * k), A_ub=A_w.toarray(), b_ub=cap_w,
                      bounds=[(0, x) for x in q.T.ravel()], method="highs")
        assert res.status == 0
        day = np.zeros((T, 2))
        day[window] = res.x.reshape(k, 2)
        assert np.all(A_d @ day.ravel() <= cap_d + 1e-9)


def test_the_window_must_be_contiguous() -> None:
    offers, members = book(T)
    tc, _ = coupling([two_batteries()], offers, members)
    with pytest.raises(CoordinationError, match="contiguous"):
        window_coupling(tc, np.array([0, 2]))
