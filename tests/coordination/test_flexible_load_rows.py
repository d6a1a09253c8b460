"""Energy rows of shiftable loads (FlexibleLoad.energy_limits) in the time-coupled clearing:
whatever the rows allow is delivered without a cut by the DER model itself (energy neutrality
per window, rebound), and they are tight where the window's room binds."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from tdcoord.der.flexible_load import FlexibleLoad
from tdcoord.simulation.activation import activate
from tdcoord.simulation.timeline import der_requests

from .coupling_cases import DT, all_rows, book, coupling

N = 8  # two windows of 4 intervals


def loads() -> FlexibleLoad:
    """Two shiftable loads: 1 MW and 0.6 MW demand with a dip, ±0.5 / ±0.3 MW shift."""
    demand = np.array([[1.0, 0.8, 1.2, 1.0, 0.9, 1.1, 0.7, 1.0],
                       [0.6, 0.6, 0.4, 0.5, 0.6, 0.3, 0.6, 0.5]])
    return FlexibleLoad(ids=("l0", "l1"), demand_mw=demand, shift_max_mw=np.array([0.5, 0.3]),
                        window_intervals=np.array([4, 4]), p_max_mw=np.array([1.5, 0.8]))


def max_cut(weights: np.ndarray, plan: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Maximise ``weights`` · activations under every row; the largest cut of the split
    requests walked through the model (on top of ``plan``)."""
    fl = loads()
    offers, members = book(N)
    committed = np.zeros((2, N)) if plan is None else plan
    tc, flex = coupling([fl], offers, members, committed)
    if plan is not None:  # the committed plan itself is deliverable
        walked = activate([fl], committed, DT, start_interval=0)
        assert np.abs(walked.cut_mw).max() < 1e-12
    A, cap = all_rows(tc)
    q = np.vstack([flex.up_mw.sum(0), flex.down_mw.sum(0)])
    res = linprog(-weights, A_ub=A.toarray(), b_ub=cap,
                  bounds=[(0, x) for x in q.T.ravel()], method="highs")
    assert res.status == 0
    act = res.x.reshape(N, 2).T
    req, _, _ = der_requests(offers, members, act, flex.up_mw, flex.down_mw)
    cut = activate([fl], committed + req, DT, start_interval=0).cut_mw
    return float(np.abs(cut).max()), act


def test_whatever_the_rows_allow_is_delivered() -> None:
    rng = np.random.default_rng(3)
    for _ in range(60):
        cut, _ = max_cut(rng.uniform(-1.0, 1.0, 2 * N))
        assert cut < 1e-9


def test_up_then_down_is_delivered() -> None:
    """The pattern the rebound breaks: consume less, then more, on the same loads."""
    w = np.zeros(2 * N)
    w[0::4] = 1.0  # up in even intervals
    w[3::4] = 1.0  # down in odd intervals
    cut, act = max_cut(w)
    assert cut < 1e-9
    assert act.sum() > 0.5


def test_on_top_of_a_committed_plan() -> None:
    plan = np.zeros((2, N))
    plan[0, 0] = 0.3  # l0 consumes 0.3 MW less in the first interval (repaid by its rebound)
    plan[1, 5] = -0.2  # l1 consumes 0.2 MW more in interval 5
    rng = np.random.default_rng(4)
    for _ in range(30):
        cut, _ = max_cut(rng.uniform(-1.0, 1.0, 2 * N), plan)
        assert cut < 1e-9


def test_a_window_ends_neutral_and_an_early_shift_is_whole() -> None:
    """Up (consume less) in a window's last interval cannot be repaid: the rows allow none; up
    in its first interval may take the whole shift (0.5 + 0.3 MW), repaid later."""
    w = np.zeros(2 * N)
    w[2 * 3] = 1.0
    w[2 * 7] = 1.0
    _, act = max_cut(w)
    assert act[0, 3] < 1e-9 and act[0, 7] < 1e-9
    w = np.zeros(2 * N)
    w[0] = 1.0
    _, act = max_cut(w)
    np.testing.assert_allclose(act[0, 0], 0.8, rtol=1e-9)


def test_two_stages_chain_deliverably() -> None:
    """A first stage's accepted requests become the committed plan of a second one: whatever
    both allow is delivered."""
    rng = np.random.default_rng(5)
    offers, members = book(N)
    for _ in range(25):
        fl = loads()
        tc, flex = coupling([fl], offers, members)
        A, cap = all_rows(tc)
        q = np.vstack([flex.up_mw.sum(0), flex.down_mw.sum(0)])
        res = linprog(-rng.uniform(-1.0, 1.0, 2 * N), A_ub=A.toarray(), b_ub=cap,
                      bounds=[(0, x) for x in q.T.ravel()], method="highs")
        first = res.x.reshape(N, 2).T
        plan, _, _ = der_requests(offers, members, first, flex.up_mw, flex.down_mw)
        cut, _ = max_cut(rng.uniform(-1.0, 1.0, 2 * N), plan)
        assert cut < 1e-9
