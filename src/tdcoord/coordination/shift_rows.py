"""Queue rows of shiftable loads in a time-coupled clearing (lazily generated, exact bounds).

A shiftable load (:class:`tdcoord.der.flexible_load.FlexibleLoad`) repays its backlog at once
(the rebound), so the extra backlog ``X`` that further requests cause follows
``X_{t+1} = σ_t(X_t) + x_t Δt`` with ``σ_t`` nondecreasing, 1-Lipschitz and flat over the
interval's repayment room. The convex bound ``σ_t(X) ≤ max(X − m_t, 0)`` (exact for ``X ≥ 0``)
gives the queue (Lindley recursion)

.. math::

    Q_{t+1} = \\max(Q_t - m_t, 0) + y_t, \\qquad Q_0 = 0, \\qquad X_t \\le Q_t,

with ``y_t = Σ_p coef_{pt} a_{pt}`` the member's net inflow (MWh; up minus down: opposite
requests net). ``Q_{t+1} = \\max_{τ ≤ t} V_τ(t)`` with the *pieces*
``V_τ(t) = Σ_{k=τ}^{t} y_k − Σ_{k=τ+1}^{t} m_k``, each linear in the activations, so the energy
row ``Q_{t+1} ≤ D^{max}_t`` is exactly the set of rows ``V_τ(t) ≤ D^{max}_t`` (τ ≤ t). Row
generation adds the piece that attains the maximum (``τ`` the start of the queue's busy period)
wherever the current solution violates the row (the clearing adds no near-binding pieces: they
would only steer the simplex path); rows are only added, and the loop ends when no row is
violated, where ``Q`` itself, hence ``X``, is within its limits.

The power row ``Δρ_t(X_t) − y_t ≤ room_t`` (the rebound ``Δρ_t(X) ≤ min(max(X, 0), m̄_t)`` plus
the net down request must fit the power room) is not convex in ``X``. Each (member, interval)
keeps one of its two supporting half-planes, chosen at the first solution that violates it:

* **H1** ``max(Q_t, 0) − y_t ≤ room_t`` (as pieces ``V_τ(t − 1) − y_t ≤ room_t`` and the
  zero piece ``−y_t ≤ room_t``) where ``Q_t ≤ m̄_t`` or where ``room_t < m̄_t`` (a committed
  request already uses the rebound's room; H2 would exclude ``a = 0``);
* **H2** ``−y_t ≤ room_t − m̄_t`` elsewhere (no down request the full rebound would not leave
  room for; the backlog stays free).

Either half-plane bounds the non-convex row from the safe side, so every solution the loop ends
with is deliverable; every added row holds at ``a = 0`` (the committed plan is deliverable), so
the program stays feasible. Activations fixed outside the program (another market's prior)
enter ``y`` as a constant (their part moves to the right-hand side, clipped at 0).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from tdcoord.types import BoolArray, FloatArray, IntArray

if TYPE_CHECKING:
    from tdcoord.coordination.intertemporal import TimeCoupling

#: Energy tolerance (MWh) of a row check (as :data:`intertemporal.ENERGY_TOL_MWH`).
TOL_MWH = 1e-7


@dataclasses.dataclass(frozen=True, eq=False)
class QueueLimits:
    """Queue data of a :class:`~tdcoord.coordination.intertemporal.TimeCoupling`'s members
    (arrays over every member ``S``; only ``member[s]`` rows are queue rows). The leading axis
    of the ``(2, S, T)`` arrays is (drop, rise): the credits ``m``/``n``, the rebound rooms
    ``m̄``/``n̄`` and the power rooms ``Δt·(P_hi − c^c)``/``Δt·(c^c − P_lo)``, all MWh."""

    member: BoolArray
    credit: FloatArray
    rebound: FloatArray
    room: FloatArray

    def window(self, ts: IntArray) -> QueueLimits:
        """The limits on the intervals ``ts``."""
        return QueueLimits(self.member, self.credit[:, :, ts], self.rebound[:, :, ts],
                           self.room[:, :, ts])


@dataclasses.dataclass(frozen=True, eq=False)
class QueueKind:
    """One queue family: pair inflow ``coef`` ``(P, T)`` (MWh per MW), and per member ``(S, T)``
    the credit, the energy limit ``cap`` of ``Q_{t+1}``, the power room and rebound room of the
    power row at ``t`` (``inf`` caps and rooms off the queue members)."""

    name: str
    coef: FloatArray
    credit: FloatArray
    cap: FloatArray
    room: FloatArray
    rebound: FloatArray


def queue_kinds(tc: TimeCoupling) -> tuple[QueueKind, ...]:
    """The drop and rise queue families of ``tc`` (none without queue members)."""
    q = tc.queue
    if q is None or not q.member.any():
        return ()
    on = q.member[:, None]
    return tuple(
        QueueKind(name, coef, q.credit[i], np.where(on, cap, np.inf),
                  np.where(on, q.room[i], np.inf), q.rebound[i])
        for i, (name, coef, cap) in enumerate((
            ("shift_drop", tc.drop_coef, tc.drop_max_mwh),
            ("shift_rise", tc.rise_coef, tc.rise_max_mwh),
        ))
    )


def inflow(kind: QueueKind, tc: TimeCoupling, activation_mw: FloatArray,
           pairs: BoolArray | None = None) -> FloatArray:
    """Net inflow ``y`` ``(S, T)`` of every member under offer activations ``(n_offer, T)``
    (only the ``pairs`` selected, default all)."""
    S = len(tc.store_id)
    idx = np.arange(len(tc.pair_store)) if pairs is None else np.flatnonzero(pairs)
    a = np.asarray(activation_mw, dtype=np.float64)[tc.pair_offer[idx]]
    agg = sp.csr_matrix((np.ones(idx.size), (tc.pair_store[idx], np.arange(idx.size))),
                        shape=(S, idx.size))
    return np.asarray(agg @ (kind.coef[idx] * a))


def queue_walk(y: FloatArray, credit: FloatArray) -> tuple[FloatArray, IntArray]:
    """The queue ``Q`` ``(S, T + 1)`` (``Q[:, t]`` before interval ``t``) and the start ``τ`` of
    the piece attaining it (``V_τ(t − 1) = Q_t``; loop over intervals, vectorised over
    members)."""
    S, T = y.shape
    q = np.zeros((S, T + 1))
    start = np.zeros((S, T + 1), dtype=np.int64)
    for t in range(T):
        keep = q[:, t] - credit[:, t] > 0.0
        q[:, t + 1] = np.where(keep, q[:, t] - credit[:, t], 0.0) + y[:, t]
        start[:, t + 1] = np.where(keep, start[:, t], t)
    return q, start


def violations(kind: QueueKind, y: FloatArray) -> int:
    """Number of (member, interval) energy and power rows of ``kind`` the inflow ``y`` breaks."""
    live = np.flatnonzero(np.any(y != 0.0, axis=1))  # Q ≡ 0 meets every row
    y = y[live]
    q, _ = queue_walk(y, kind.credit[live])
    energy = q[:, 1:] > kind.cap[live] + TOL_MWH
    power = (np.minimum(np.maximum(q[:, :-1], 0.0), kind.rebound[live]) - y
             > kind.room[live] + TOL_MWH)
    return int(np.count_nonzero(energy) + np.count_nonzero(power))


def span_rows(
    tc: TimeCoupling, coef: FloatArray, col: IntArray, store: IntArray, lo: IntArray,
    hi: IntArray, neg: IntArray, n_inj: int,
) -> sp.csr_matrix:
    """Rows ``Σ_{lo ≤ k ≤ hi} y_k − [neg ≥ 0] y_neg`` of members ``store`` (``y_k`` the member's
    inflow over its pairs with a column, ``col ≥ 0``) on the interval-major activation columns
    ``k·n_inj + col`` (vectorised: pairs of each member by CSR, intervals by repetition)."""
    T, R = tc.n_periods, store.size
    ok = col >= 0
    by_store = sp.csr_matrix(
        (np.ones(int(ok.sum())), (tc.pair_store[ok], np.flatnonzero(ok))),
        shape=(len(tc.store_id), len(tc.pair_store)),
    ).tocsr()
    counts = np.diff(by_store.indptr)[store]
    r_of = np.repeat(np.arange(R), counts)
    offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    p = by_store.indices[np.repeat(by_store.indptr[store], counts) + offs]
    span = np.maximum(hi - lo + 1, 0)[r_of]
    r2, p2 = np.repeat(r_of, span), np.repeat(p, span)
    k = np.repeat(lo[r_of], span) + np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span)
    rows, cols, vals = [r2], [k * n_inj + col[p2]], [coef[p2, k]]
    has = neg[r_of] >= 0
    kn = neg[r_of][has]
    rows.append(r_of[has])
    cols.append(kn * n_inj + col[p[has]])
    vals.append(-coef[p[has], kn])
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(R, T * n_inj),
    )


class QueueRows:
    """Row-generation state of the queue families of one solve (module docstring): the pieces
    already added and the half-plane chosen per (member, interval) for the power rows."""

    def __init__(self, tc: TimeCoupling, col: IntArray,
                 fixed_mw: FloatArray | None = None) -> None:
        self.tc, self.col = tc, np.asarray(col, dtype=np.int64)
        self.kinds = queue_kinds(tc)
        S, T = len(tc.store_id), tc.n_periods
        member = np.zeros(S, dtype=bool) if tc.queue is None else tc.queue.member
        self.pairs = (self.col >= 0) & member[tc.pair_store]  # the queue pairs with a column
        self.fixed = [
            np.zeros((S, T)) if fixed_mw is None or not np.any(fixed_mw)
            else inflow(k, tc, fixed_mw, member[tc.pair_store]) for k in self.kinds
        ]
        self.cum = [(_cum(k.credit), _cum(f)) for k, f in zip(self.kinds, self.fixed, strict=True)]
        self.seen: list[set[tuple[int, int, int, int]]] = [set() for _ in self.kinds]
        self.mode = [np.zeros((S, T), dtype=np.int8) for _ in self.kinds]  # 0, 1: H1, 2: H2

    def cuts(
        self, activation_mw: FloatArray, n_inj: int, near: float = 1.0
    ) -> tuple[int, list[tuple[str, sp.csr_matrix, FloatArray]]]:
        """The rows the activations ``(n_offer, T)`` violate (energy rows also where they are
        above ``near`` of their limit): the number of violated rows and, per family, the new
        rows and their upper bounds (on the activation columns of ``col``). Only members with
        an inflow are walked (``Q ≡ 0`` meets every row: limits and rooms are ``≥ 0``)."""
        n_bad, out = 0, []
        for i, kind in enumerate(self.kinds):
            y_all = inflow(kind, self.tc, activation_mw, self.pairs) + self.fixed[i]
            live = np.flatnonzero(np.any(y_all != 0.0, axis=1))
            y = y_all[live]
            q, start = queue_walk(y, kind.credit[live])
            cap, room = kind.cap[live], kind.room[live]
            bad_e = q[:, 1:] > cap + TOL_MWH
            bad_p = np.minimum(np.maximum(q[:, :-1], 0.0), kind.rebound[live]) - y > room + TOL_MWH
            n_bad += int(np.count_nonzero(bad_e) + np.count_nonzero(bad_p))
            hit_e = q[:, 1:] > near * cap + TOL_MWH
            if not (hit_e.any() or bad_p.any()):
                continue
            rows = zip(self._energy(i, kind, live, hit_e, start),
                       self._power(i, kind, live, bad_p, q, start), strict=True)
            s_, lo, hi, neg, rhs = (np.concatenate(pair) for pair in rows)
            if s_.size:
                m = span_rows(self.tc, kind.coef, self.col, s_, lo, hi, neg, n_inj)
                out.append((kind.name, m, rhs))
        return n_bad, out

    def _energy(self, i: int, kind: QueueKind, live: IntArray, hit: BoolArray,
                start: IntArray) -> _Rows:
        """Pieces ``V_τ(t) ≤ D^max_t`` at the hit (member, interval) pairs (rows of ``live``),
        ``τ`` the current busy period's start (right-hand side
        ``cap + Σ_{τ<k≤t} m_k − (fixed part)``)."""
        s_l, t_ = np.nonzero(hit)
        s_, t_, tau = self._fresh(i, live[s_l], t_, start[s_l, t_ + 1], 0)
        cc, ff = self.cum[i]
        rhs = (kind.cap[s_, t_] + cc[s_, t_ + 1] - cc[s_, tau + 1]
               - (ff[s_, t_ + 1] - ff[s_, tau]))
        return s_, tau, t_, np.full(s_.size, -1), np.maximum(rhs, 0.0)

    def _power(self, i: int, kind: QueueKind, live: IntArray, bad: BoolArray, q: FloatArray,
               start: IntArray) -> _Rows:
        """The half-plane rows of the violated power rows (module docstring; rows of
        ``live``), its mode chosen where none is yet."""
        s_l, t_ = np.nonzero(bad)
        s_ = live[s_l]
        mode, fixed = self.mode[i], self.fixed[i]
        new = mode[s_, t_] == 0
        qt = q[s_l, t_]
        slack = kind.room[s_, t_] - kind.rebound[s_, t_] + fixed[s_, t_]
        h2 = (qt > kind.rebound[s_, t_]) & (slack >= 0.0)
        mode[s_[new], t_[new]] = np.where(h2[new], 2, 1)
        one = mode[s_, t_] == 1
        # H1: the piece attaining Q_t (τ ≤ t − 1), or the zero piece (τ = t) where Q_t ≤ 0
        tau = np.where(qt > 0.0, start[s_l, t_], t_)
        tau = np.where(one, tau, -1)  # H2 rows are keyed by τ = −1
        s_, t_, tau = self._fresh(i, s_, t_, tau, 1)
        one = tau >= 0
        cc, ff = self.cum[i]
        hist = np.where(one & (tau < t_),
                        cc[s_, t_] - cc[s_, np.minimum(tau + 1, t_)] - (ff[s_, t_] - ff[s_, tau]),
                        0.0)
        rhs = kind.room[s_, t_] + fixed[s_, t_] + np.where(one, hist, -kind.rebound[s_, t_])
        lo = np.where(one, tau, t_)
        return s_, lo, t_ - 1, t_, np.maximum(rhs, 0.0)

    def _fresh(self, i: int, s_: IntArray, t_: IntArray, tau: IntArray,
               family: int) -> tuple[IntArray, IntArray, IntArray]:
        """The (member, interval, τ) rows not yet added (``family`` 0: energy, 1: power),
        recorded as added."""
        seen = self.seen[i]
        keep = np.zeros(s_.size, dtype=bool)
        for r, key in enumerate(zip(s_.tolist(), t_.tolist(), tau.tolist(), strict=True)):
            k = (family, *key)
            if k not in seen:
                seen.add(k)
                keep[r] = True
        return s_[keep].astype(np.int64), t_[keep].astype(np.int64), tau[keep].astype(np.int64)


#: Rows of a family before they are built: member, span ``lo..hi``, the negated interval
#: (``−1``: none) and the upper bound.
_Rows = tuple[IntArray, IntArray, IntArray, IntArray, FloatArray]


def _cum(x: FloatArray) -> FloatArray:
    """Cumulative sums with a leading zero: ``out[:, k] = Σ_{j<k} x_j``."""
    return np.concatenate([np.zeros((x.shape[0], 1)), np.cumsum(x, axis=1)], axis=1)


def tail_cap(kind: QueueKind, last: int) -> FloatArray:
    """The bound on ``Q`` carried out of a window ending at ``last`` that keeps every later row
    with no further inflow: ``Q_{t'} = max(Q_{last+1} − Σ_{last<k<t'} m_k, 0)``, so
    ``Q_{last+1} ≤ min_{t' ≥ last} (cap_{t'} + Σ_{last<k≤t'} m_k)`` and, where the committed plan
    leaves less power room than the rebound may take (``room < m̄``),
    ``Q_{last+1} ≤ room_{t'} + Σ_{last<k<t'} m_k`` (``t' > last``)."""
    cc = _cum(kind.credit[:, last + 1:])  # cc[:, j] = Σ of the credits of last+1 .. last+j
    energy = np.min(kind.cap[:, last:] + cc, axis=1)
    if last + 1 >= kind.cap.shape[1]:
        return np.asarray(energy)
    tight = kind.room[:, last + 1:] < kind.rebound[:, last + 1:]
    power = np.where(tight, kind.room[:, last + 1:] + cc[:, :-1], np.inf).min(axis=1)
    return np.asarray(np.minimum(energy, power))
