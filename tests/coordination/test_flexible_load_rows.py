"""Queue rows of shiftable loads (FlexibleLoad.energy_limits, coordination.shift_rows) in the
time-coupled clearing: whatever the lazily generated rows allow is delivered without a cut by
the DER model itself (energy neutrality per window, rebound), and they are exact for
one-direction runs and credit opposite requests (netting)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from tdcoord.coordination.deliverable import deliverable_activation, energy_violations
from tdcoord.coordination.intertemporal import TimeCoupling
from tdcoord.coordination.shift_rows import QueueRows, queue_walk
from tdcoord.coordination.window_coupling import window_coupling
from tdcoord.der.flexible_load import FlexibleLoad
from tdcoord.simulation.activation import activate
from tdcoord.simulation.timeline import der_requests

from .coupling_cases import DT, book, coupling

N = 8  # two windows of 4 intervals


def loads() -> FlexibleLoad:
    """Two shiftable loads: 1 MW and 0.6 MW demand with a dip, ±0.5 / ±0.3 MW shift."""
    demand = np.array([[1.0, 0.8, 1.2, 1.0, 0.9, 1.1, 0.7, 1.0],
                       [0.6, 0.6, 0.4, 0.5, 0.6, 0.3, 0.6, 0.5]])
    return FlexibleLoad(ids=("l0", "l1"), demand_mw=demand, shift_max_mw=np.array([0.5, 0.3]),
                        window_intervals=np.array([4, 4]), p_max_mw=np.array([1.5, 0.8]))


def solve_lazy(tc: TimeCoupling, weights: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Maximise ``weights`` · activations (offers × N, interval-major) within ``q`` under the
    queue rows, generated lazily as in the clearing."""
    n_off, T = q.shape
    rows = QueueRows(tc, tc.pair_offer.astype(np.int64))
    A: list[np.ndarray] = []
    cap: list[float] = []
    act = np.zeros((n_off, T))
    for _ in range(40):
        res = linprog(-weights, A_ub=np.vstack(A) if A else None,
                      b_ub=np.asarray(cap) if cap else None,
                      bounds=[(0, x) for x in q.T.ravel()], method="highs")
        assert res.status == 0
        act = res.x.reshape(T, n_off).T
        n_bad, cuts = rows.cuts(act, n_off)
        if not n_bad:
            return act
        assert cuts, "violated rows but nothing new to add"
        for _, m, c in cuts:
            A.append(m.toarray())
            cap.extend(c.tolist())
    raise AssertionError("row generation did not converge")


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
    q = np.vstack([flex.up_mw.sum(0), flex.down_mw.sum(0)])
    act = solve_lazy(tc, weights, q)
    assert energy_violations(tc, act) == 0
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
        q = np.vstack([flex.up_mw.sum(0), flex.down_mw.sum(0)])
        first = solve_lazy(tc, rng.uniform(-1.0, 1.0, 2 * N), q)
        plan, _, _ = der_requests(offers, members, first, flex.up_mw, flex.down_mw)
        cut, _ = max_cut(rng.uniform(-1.0, 1.0, 2 * N), plan)
        assert cut < 1e-9


def flat_loads() -> FlexibleLoad:
    """Two loads of 1 MW flat, ±0.5 MW shift, one window of 4 intervals."""
    return FlexibleLoad(ids=("f0", "f1"), demand_mw=np.ones((2, 4)),
                        shift_max_mw=np.array([0.5, 0.5]), window_intervals=np.array([4, 4]),
                        p_max_mw=np.array([1.5, 1.5]))


def rows_ok(fl: FlexibleLoad, x_mw: np.ndarray, plan: np.ndarray | None = None) -> np.ndarray:
    """Per unit: whether the requests ``x_mw`` (units × n, up = consume less) on top of
    ``plan`` satisfy the energy rows and the power rows' bound (the queues of the drop ``x``
    and of the rise ``−x``)."""
    lim = fl.energy_limits(x_mw.shape[1], DT, plan)
    fams = ((x_mw, lim.drop_credit_mwh, lim.drop_max_mwh, lim.drop_rebound_mwh, lim.dn_room_mw),
            (-x_mw, lim.rise_credit_mwh, lim.rise_max_mwh, lim.rise_rebound_mwh, lim.up_room_mw))
    ok = np.ones(fl.n_units, dtype=bool)
    for y_mw, credit, cap, rebound, room in fams:
        assert credit is not None and rebound is not None and room is not None
        y = y_mw * DT
        q, _ = queue_walk(y, credit)
        power = np.minimum(np.maximum(q[:, :-1], 0.0), rebound) - y
        ok &= np.all(q[:, 1:] <= cap + 1e-9, axis=1) & np.all(power <= room * DT + 1e-9, axis=1)
    return ok


def rows_hold(fl: FlexibleLoad, x_mw: np.ndarray, plan: np.ndarray | None = None) -> bool:
    return bool(rows_ok(fl, x_mw, plan).all())


def cut_of(fl: FlexibleLoad, x_mw: np.ndarray) -> float:
    return float(np.abs(activate([fl], x_mw, DT, start_interval=0).cut_mw).max())


def test_an_up_run_is_exact() -> None:
    """Up in intervals 0–2 of a flat load: the rebound repays 0.5 MWh per interval, so the model
    delivers the whole offer in all three (consumption 0.5, 1.0, 1.0, then 1.5); the rows allow
    exactly that (a chord of the rebound, or no credit, would cut the run short), and 1 % more
    is refused by both."""
    fl = flat_loads()
    run = np.array([[0.5, 0.5, 0.5, 0.0]] * 2)
    assert rows_hold(fl, run)
    assert cut_of(fl, run) < 1e-12
    run[:, 2] = 0.505
    assert not rows_hold(fl, run)
    assert cut_of(fl, run) > 1e-3


def test_down_after_an_up_is_a_power_row() -> None:
    """Up 0.5 MW in interval 0, then down 0.5 MW: in interval 1 the rebound takes the whole
    down room (cut by the model, refused by the rows); in interval 2, once it is repaid, it is
    delivered, and the rows allow it with every row binding."""
    fl = flat_loads()
    early = np.array([[0.5, -0.5, 0.0, 0.0]] * 2)
    assert not rows_hold(fl, early)
    assert cut_of(fl, early) > 0.4
    late = np.array([[0.5, 0.0, -0.5, 0.0]] * 2)
    assert rows_hold(fl, late)
    assert cut_of(fl, late) < 1e-12
    assert not rows_hold(fl, late * 1.01)


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), window=st.integers(1, 6))
def test_random_requests_within_the_rows_are_delivered(seed: int, window: int) -> None:
    """Random profiles, windows, committed plans (random requests as the model delivers them)
    and further requests, each interval's scaled down (per unit, in time order) until the rows
    hold: the model delivers them uncut, and most of them are kept."""
    rng = np.random.default_rng(seed)
    T = 10
    fl = FlexibleLoad(ids=("a", "b", "c"), demand_mw=rng.uniform(0.0, 1.0, (3, T)),
                      shift_max_mw=rng.uniform(0.05, 0.8, 3),
                      window_intervals=np.array([window, window + 1, 2 * window]))
    asked = rng.normal(0.0, 0.3, (3, T)) * (rng.uniform(size=(3, T)) < 0.4)
    plan = activate([fl], asked, DT, start_interval=0).delivered_mw
    raw = rng.normal(0.0, 0.4, (3, T)) * (rng.uniform(size=(3, T)) < 0.6)
    x = np.zeros_like(raw)
    assert rows_hold(fl, x, plan)
    for t in range(T):
        todo = np.ones(3, dtype=bool)
        for lam in (1.0, 0.5, 0.25, 0.1, 0.0):
            trial = x.copy()
            trial[todo, t] = lam * raw[todo, t]
            fits = todo & rows_ok(fl, trial, plan)
            x[fits, t] = trial[fits, t]
            todo &= ~fits
        assert not todo.any()  # λ = 0 keeps the rows (they held before this interval)
    cut = activate([fl], plan + x, DT, start_interval=0).cut_mw
    assert np.abs(cut).max() < 1e-7


def test_the_event_window_protects_the_rest_of_the_day() -> None:
    """Requests in a window of intervals 0–1 that the window's rows allow leave the committed
    plan after it deliverable."""
    rng = np.random.default_rng(6)
    offers, members = book(N)
    for _ in range(20):
        fl = loads()
        plan = np.zeros((2, N))
        plan[0, 2] = 0.4 * rng.uniform()  # a committed up later in the first window
        plan[1, 2] = -0.2 * rng.uniform()  # and a committed down, repaid in interval 3
        assert np.abs(activate([fl], plan, DT, start_interval=0).cut_mw).max() < 1e-12
        tc, flex = coupling([fl], offers, members, plan)
        wtc = window_coupling(tc, np.array([0, 1]))
        q = np.vstack([flex.up_mw.sum(0), flex.down_mw.sum(0)])[:, :2]
        act = solve_lazy(wtc, rng.uniform(-1.0, 1.0, 4), q)
        full = np.zeros((2, N))
        full[:, :2] = act
        req, _, _ = der_requests(offers, members, full, flex.up_mw, flex.down_mw)
        cut = activate([fl], plan + req, DT, start_interval=0).cut_mw
        assert np.abs(cut).max() < 1e-9


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    window=st.integers(1, 6),
    scale=st.floats(0.05, 3.0),
)
def test_random_activations_projected_onto_the_rows_are_delivered(
    seed: int, window: int, scale: float
) -> None:
    """Random profiles, windows, committed plans and activations: the deliverable projection
    onto the rows (:func:`deliverable_activation`) is delivered by the model without a cut."""
    rng = np.random.default_rng(seed)
    T = 10
    demand = rng.uniform(0.0, 1.0, (2, T))
    fl = FlexibleLoad(ids=("a", "b"), demand_mw=demand, shift_max_mw=rng.uniform(0.05, 0.8, 2),
                      window_intervals=np.array([window, 2 * window + 1]))
    # a committed plan: random requests as the model delivers them (two members of one bundle)
    asked = rng.normal(0.0, 0.3, (2, T)) * (rng.uniform(size=(2, T)) < 0.4)
    walked = activate([fl], asked, DT, start_interval=0)
    plan = walked.delivered_mw
    offers, members = book(T)
    tc, flex = coupling([fl], offers, members, plan)
    q = np.vstack([flex.up_mw.sum(0), flex.down_mw.sum(0)])
    raw = np.minimum(rng.uniform(0.0, scale, (2, T)), q)
    act = deliverable_activation(tc, raw)
    assert energy_violations(tc, act) == 0
    assert np.all(act <= raw + 1e-12)
    req, _, _ = der_requests(offers, members, act, flex.up_mw, flex.down_mw)
    cut = activate([fl], plan + req, DT, start_interval=0).cut_mw
    assert np.abs(cut).max() < 1e-7
