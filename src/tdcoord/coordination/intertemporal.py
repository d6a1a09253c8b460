"""Time coupling of a clearing: energy rows of storage-like DERs and product minimum durations.

A stage is cleared as **one multi-period problem** over its intervals (issue 12 item 1). Besides
the per-interval families of :mod:`tdcoord.coordination.clearing`, two constraint families link
the intervals:

* **energy rows** (families ``energy_drop:<r>`` and ``energy_rise:<r>``). Every storage-like DER
  ``s`` (battery, EV; :class:`tdcoord.der.base.EnergyLimits`) is a member of offer steps ``k``;
  at activation an accepted ``a_kt`` is split to the members pro rata to their flexibility
  (:func:`tdcoord.simulation.timeline.der_requests`): member ``s`` is asked ``w_{skt} a_kt`` with
  the *known* weight ``w_{skt} = M_{ks} f_{st} / Σ_j M_{kj} f_{jt}`` (``f`` the member's up resp.
  down flexibility at that stage). The rows are therefore per member, through those weights:

  .. math::

      \\sum_{\\tau \\le t} \\sum_{k} \\Delta t\\, w_{sk\\tau}\\,
      (\\kappa^{drop}_{up,s} [k\\,\\mathrm{up}] - \\kappa^{drop}_{dn,s} [k\\,\\mathrm{down}])
      \\, a_{k\\tau} \\le D^{max}_{st}

  and alike for the rise. ``D^max`` and the coefficients come from the DER model
  (``energy_limits``: the state after the plan committed by earlier stages, efficiencies,
  energy limits), so any activation that satisfies the rows is deliverable from that state.
  Each row is a cumulative sum (a lower-triangular block in time), built as one sparse matrix
  for all selected (member, interval) pairs. Shiftable loads (``TimeCoupling.queue``) have queue
  rows instead, the exact convex bound of their backlog under the baseline's rebound, and power
  rows (:mod:`tdcoord.coordination.shift_rows`).
* **minimum duration** (family ``min_duration``): with a product minimum duration of ``m > 1``
  intervals, every offer step's activation is held constant over blocks of ``m`` intervals
  aligned to the start of the day (``a_{k,t} = a_{k,t-1}`` unless ``t ≡ 0 mod m``): the
  LP-compatible form of a minimum duration (a run that starts is at least ``m`` long; a zero
  block is allowed).

**Row generation.** Writing every energy row of a 9 000-DER fleet would make an LP of several
hundred thousand rows per stage, almost none binding. The rows are added lazily and exactly:
the program is solved (block by block while no coupling row exists), the cumulative energy of
every member is computed (vectorised) and the violated (member, interval) rows are added; the
program is re-solved as one LP until no row is violated. Rows are only ever added, so the loop
ends (finitely many rows); its optimum satisfies every row and is optimal for the LP with all
rows (it is optimal for a relaxation of it). The coupled LP is solved with HiGHS dual simplex
(it re-solves from the last optimal basis, which an interior point cannot use; see
docs/coordination.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import scipy.sparse as sp

from tdcoord.coordination.errors import CoordinationError
from tdcoord.coordination.shift_rows import QueueLimits, QueueRows
from tdcoord.der.base import EnergyLimits, Flexibility
from tdcoord.opf.lp import LinearProgram, LpSolution, WarmLp
from tdcoord.types import BoolArray, FloatArray, IntArray

if TYPE_CHECKING:
    from tdcoord.coordination.injectors import Injectors
    from tdcoord.coordination.program import ClearingProgram

#: Energy tolerance (MWh) of a row check (rounding of the LP solution).
ENERGY_TOL_MWH = 1e-7

#: A row whose left-hand side exceeds this fraction of its limit is added with the violated
#: ones (fewer rounds: a re-solve shifts activations onto near-binding members).
NEAR_FRACTION = 0.8

#: Largest number of row-generation rounds (each adds every violated row; 5–8 on the default study).
MAX_ROUNDS = 25

#: LP method of a coupled program (simplex: each round re-solves warm from the last basis).
COUPLED_METHOD: Literal["simplex", "ipm"] = "simplex"


@dataclasses.dataclass(frozen=True, eq=False)
class TimeCoupling:
    """Inter-temporal data of one stage (arrays over members ``S``, pairs ``P``, intervals ``T``).

    A pair ``p`` is (member ``pair_store[p]``, offer row ``pair_offer[p]``); ``drop_coef[p, t]``
    is the energy (MWh) member ``pair_store[p]`` loses per MW of the offer's activation in
    interval ``t`` (negative: it gains), ``rise_coef`` the energy it gains. ``drop_max_mwh`` /
    ``rise_max_mwh`` ``(S, T)`` bound the cumulative sums (``inf``: no row).
    """

    store_id: tuple[str, ...]
    pair_store: IntArray
    pair_offer: IntArray
    drop_coef: FloatArray
    rise_coef: FloatArray
    drop_max_mwh: FloatArray
    rise_max_mwh: FloatArray
    min_duration_intervals: int = 1
    #: Per member and interval ``(S, T)``: the factor ``δ_t`` by which the drop (resp. rise)
    #: carried into interval ``t`` decays there; the rows sum ``Π_{τ<j≤t} δ_j``-weighted terms
    #: (``None``: all 1, plain cumulative sums). A heat pump's deviation decays (the thermostat
    #: takes it back; 0 where the thermostat resets it fully).
    drop_decay: FloatArray | None = None
    rise_decay: FloatArray | None = None
    #: Split weight ``(P, T)`` of every pair and whether its offer is an up step ``(P,)``
    #: (``None``: no rebound rows).
    pair_weight: FloatArray | None = None
    pair_up: BoolArray | None = None
    #: Rebound ``κ`` per member and interval ``(S, T)`` (MW per MWh) and the power rooms
    #: ``(S, T)`` (MW, ``inf``: no row): ``κ_t·drop_{t−1} + down_t ≤ dn_room_t``,
    #: ``κ_t·rise_{t−1} + up_t ≤ up_room_t``.
    rebound_mw_per_mwh: FloatArray | None = None
    up_room_mw: FloatArray | None = None
    dn_room_mw: FloatArray | None = None
    #: Members whose drop and rise rows are queue rows (shiftable loads,
    #: :mod:`tdcoord.coordination.shift_rows`; ``None``: none). Their plain drop/rise and room
    #: rows are off (the queue rows replace them).
    queue: QueueLimits | None = None

    def __post_init__(self) -> None:
        S, P = len(self.store_id), len(self.pair_store)
        T = self.drop_max_mwh.shape[1] if self.drop_max_mwh.ndim == 2 else 0
        fill = {
            "drop_decay": np.ones((S, T)), "rise_decay": np.ones((S, T)),
            "pair_weight": np.zeros((P, T)), "pair_up": np.zeros(P, dtype=bool),
            "rebound_mw_per_mwh": np.zeros((S, T)), "up_room_mw": np.full((S, T), np.inf),
            "dn_room_mw": np.full((S, T), np.inf),
        }
        for name, default in fill.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, default)
        T = self.drop_max_mwh.shape[1] if self.drop_max_mwh.ndim == 2 else -1
        shapes = {
            "pair_offer": (self.pair_offer.shape, (P,)),
            "drop_coef": (self.drop_coef.shape, (P, T)),
            "rise_coef": (self.rise_coef.shape, (P, T)),
            "drop_max_mwh": (self.drop_max_mwh.shape, (S, T)),
            "rise_max_mwh": (self.rise_max_mwh.shape, (S, T)),
        }
        for name, (got, want) in shapes.items():
            if got != want:
                raise CoordinationError(
                    f"{name} has shape {got}, expected {want}",
                    where="TimeCoupling",
                    fix="build it with tdcoord.coordination.intertemporal.time_coupling",
                )
        if P and (self.pair_store.min() < 0 or self.pair_store.max() >= S):
            raise CoordinationError(
                "pair_store refers to a member outside store_id", where="TimeCoupling",
                fix="index members 0..len(store_id)-1",
            )
        if int(self.min_duration_intervals) < 1:
            raise CoordinationError(
                f"min_duration_intervals = {self.min_duration_intervals}", where="TimeCoupling",
                fix="give an integer >= 1",
            )

    @property
    def n_periods(self) -> int:
        """Number of intervals T."""
        return int(self.drop_max_mwh.shape[1])

    def energy_mwh(self, activation_mw: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Cumulative drop and rise ``(S, T)`` of every member under offer activations
        ``activation_mw`` ``(n_offer, T)`` (the left-hand sides of the energy rows)."""
        S = len(self.store_id)
        a = np.asarray(activation_mw, dtype=np.float64)[self.pair_offer]
        agg = sp.csr_matrix(
            (np.ones(len(self.pair_store)), (self.pair_store, np.arange(len(self.pair_store)))),
            shape=(S, len(self.pair_store)),
        )
        assert self.drop_decay is not None and self.rise_decay is not None
        drop = decayed_cumsum(np.asarray(agg @ (self.drop_coef * a)), self.drop_decay)
        rise = decayed_cumsum(np.asarray(agg @ (self.rise_coef * a)), self.rise_decay)
        return drop, rise


def decayed_cumsum(x: FloatArray, decay: FloatArray) -> FloatArray:
    """``y_t = δ_t·y_{t−1} + x_t`` per row (``x``, ``decay`` ``(S, T)``); a plain cumulative sum
    where every ``δ`` is 1 (loop over intervals only)."""
    if np.all(decay == 1.0):
        return np.cumsum(x, axis=1)
    y = np.empty_like(x)
    acc = np.zeros(x.shape[0])
    for t in range(x.shape[1]):
        acc = decay[:, t] * acc + x[:, t]
        y[:, t] = acc
    return y


def decay_weights(
    decay: FloatArray, store: IntArray, t_row: IntArray, tau: IntArray
) -> FloatArray:
    """``Π_{τ<j≤t} δ_{s,j}`` for entries (member ``store``, row interval ``t_row``, term ``tau``):
    ``exp(Λ_t − Λ_τ)`` with ``Λ`` the cumulative log of the non-zero ``δ``, and 0 where a
    ``δ = 0`` (a full reset) lies in ``(τ, t]``."""
    if np.all(decay == 1.0):
        return np.ones(store.size)
    pos = decay > 0
    lam = np.cumsum(np.log(np.where(pos, decay, 1.0)), axis=1)
    T = decay.shape[1]
    last_zero = np.maximum.accumulate(np.where(pos, -1, np.arange(T)[None, :]), axis=1)
    live = tau >= last_zero[store, t_row]
    return np.where(live, np.exp(lam[store, t_row] - lam[store, tau]), 0.0)


def _weights(
    members: sp.csr_matrix, direction: IntArray, active: Any, flex_up: FloatArray,
    flex_dn: FloatArray,
) -> tuple[IntArray, IntArray, FloatArray, Any]:
    """Pairs (offer, DER) of active offer steps and their split weights ``(P, T)``."""
    coo = sp.coo_matrix(members)
    keep = active[coo.row]
    k, j, m = coo.row[keep], coo.col[keep], coo.data[keep]
    up = direction[k] > 0
    f = np.where(up[:, None], flex_up[j], flex_dn[j])
    tot = np.zeros((members.shape[0], f.shape[1]))
    np.add.at(tot, k, m[:, None] * f)
    den = tot[k]
    w = np.divide(m[:, None] * f, den, out=np.zeros_like(f), where=den > 1e-12)
    return k.astype(np.int64), j.astype(np.int64), w, up


def time_coupling(
    members: sp.csr_matrix,
    direction: IntArray,
    active: Any,
    flex: Flexibility,
    limits: Sequence[tuple[IntArray, EnergyLimits]],
    store_ids: Sequence[str],
    dt_h: float,
    min_duration_intervals: int = 1,
) -> TimeCoupling:
    """Build the :class:`TimeCoupling` of a stage.

    ``members`` (offers × DERs), ``direction`` and ``active`` (non-reactive) per offer step,
    the members' flexibility used for the split (DERs × T), and per storage-like DER type its
    DER rows and :class:`~tdcoord.der.base.EnergyLimits`; ``store_ids`` names every DER.
    """
    n_der = members.shape[1]
    flex_up_mw, flex_down_mw = flex.up_mw, flex.down_mw
    T = flex_up_mw.shape[1]
    store_of = np.full(n_der, -1, dtype=np.int64)
    rows = np.concatenate([np.asarray(r, dtype=np.int64) for r, _ in limits]) if limits else (
        np.zeros(0, dtype=np.int64)
    )
    store_of[rows] = np.arange(rows.size)

    def cat(name: str) -> FloatArray:
        if not limits:
            return np.zeros((0, T)) if name.endswith("mwh") else np.zeros(0)
        return np.concatenate([getattr(lim, name) for _, lim in limits], axis=0)

    k, j, w, up = _weights(members, direction, np.asarray(active, dtype=bool), flex_up_mw,
                           flex_down_mw)
    s = store_of[j]
    sel = s >= 0
    k, j, w, up, s = k[sel], j[sel], w[sel], up[sel], s[sel]
    d_up, d_dn, r_up, r_dn = (cat(n) for n in ("drop_up", "drop_dn", "rise_up", "rise_dn"))
    drop = dt_h * w * np.where(up, d_up[s], -d_dn[s])[:, None]
    rise = dt_h * w * np.where(up, -r_up[s], r_dn[s])[:, None]
    return TimeCoupling(
        store_id=tuple(store_ids[int(i)] for i in rows),
        pair_store=s,
        pair_offer=k,
        drop_coef=drop,
        rise_coef=rise,
        drop_max_mwh=cat("drop_max_mwh"),
        rise_max_mwh=cat("rise_max_mwh"),
        min_duration_intervals=int(min_duration_intervals),
        drop_decay=_decay(limits, "drop_decay", T),
        rise_decay=_decay(limits, "rise_decay", T),
        pair_weight=w,
        pair_up=up,
        rebound_mw_per_mwh=_rebound(limits, T),
        up_room_mw=_room(limits, "up_room_mw", T),
        dn_room_mw=_room(limits, "dn_room_mw", T),
        queue=_queue(limits, T, dt_h),
    )


def _queue(
    limits: Sequence[tuple[IntArray, EnergyLimits]], T: int, dt_h: float
) -> QueueLimits | None:
    """The members' queue data (:class:`~tdcoord.coordination.shift_rows.QueueLimits`) from the
    types whose limits are in queue form (``drop_credit_mwh`` set); ``None`` when no type is."""
    if not any(lim.drop_credit_mwh is not None for _, lim in limits):
        return None
    member, credit, rebound, room = [], [], [], []
    for _, lim in limits:
        n = lim.drop_up.shape[0]
        on = lim.drop_credit_mwh is not None
        member.append(np.full(n, on))
        zero = np.zeros((2, n, T))
        if not on:
            credit.append(zero)
            rebound.append(zero)
            room.append(zero)
            continue
        parts = (lim.drop_credit_mwh, lim.rise_credit_mwh, lim.drop_rebound_mwh,
                 lim.rise_rebound_mwh, lim.dn_room_mw, lim.up_room_mw)
        if any(x is None for x in parts):
            raise CoordinationError(
                "queue-form energy limits without their credits, rebounds or rooms",
                where="time_coupling", fix="give every queue field of EnergyLimits",
            )
        c = [np.asarray(x, dtype=np.float64) for x in parts if x is not None]
        credit.append(np.stack(c[0:2]))
        rebound.append(np.stack(c[2:4]))
        room.append(np.stack(c[4:6]) * dt_h)
    return QueueLimits(np.concatenate(member), np.concatenate(credit, axis=1),
                       np.concatenate(rebound, axis=1), np.concatenate(room, axis=1))


def _rebound(limits: Sequence[tuple[IntArray, EnergyLimits]], T: int) -> FloatArray:
    """Every member's rebound ``κ`` ``(S, T)``: per unit ``(units,)`` or per unit and interval
    ``(units, T)`` in the DER model's limits (``None``: 0)."""
    if not limits:
        return np.zeros((0, T))
    parts = []
    for _, lim in limits:
        n = lim.drop_up.shape[0]
        k = np.zeros(n) if lim.rebound_mw_per_mwh is None else np.asarray(lim.rebound_mw_per_mwh)
        parts.append(np.broadcast_to(k[:, None] if k.ndim == 1 else k, (n, T)))
    return np.concatenate(parts, axis=0).astype(np.float64)


def _room(limits: Sequence[tuple[IntArray, EnergyLimits]], name: str, T: int) -> FloatArray:
    """The types' power rooms stacked ``(S, T)`` (``inf`` where a type gives none)."""
    parts = [
        np.full((lim.drop_up.shape[0], T), np.inf) if getattr(lim, name) is None
        else np.asarray(getattr(lim, name), dtype=np.float64)
        for _, lim in limits
    ]
    return np.concatenate(parts, axis=0) if parts else np.zeros((0, T))


def _decay(limits: Sequence[tuple[IntArray, EnergyLimits]], name: str, T: int) -> FloatArray:
    """The types' decays stacked ``(S, T)`` (1 where a type gives none)."""
    parts = [
        np.ones((lim.drop_up.shape[0], T)) if getattr(lim, name) is None
        else np.asarray(getattr(lim, name), dtype=np.float64)
        for _, lim in limits
    ]
    return np.concatenate(parts, axis=0) if parts else np.ones((0, T))


# --------------------------------------------------------------------------- rows


def _offer_columns(tc: TimeCoupling, inj: Injectors) -> IntArray:
    """Injector column of every pair's offer (−1 when the offer is not in this program)."""
    pos = np.full(int(max(tc.pair_offer.max(initial=-1), inj.offer_row.max(initial=-1))) + 1, -1)
    real = inj.offer_row >= 0
    pos[inj.offer_row[real]] = np.flatnonzero(real)
    return np.asarray(pos[tc.pair_offer], dtype=np.int64)


def cumulative_rows(
    tc: TimeCoupling, coef: FloatArray, decay: FloatArray, col: IntArray, store: IntArray,
    t_row: IntArray, n_inj: int,
) -> sp.csr_matrix:
    """Rows ``Σ_{τ≤t} Σ_{p∈s} w_s(τ, t) coef[p, τ] a[col[p], τ]`` (``w`` of ``decay``,
    :func:`decay_weights`) for the (member, interval) pairs
    ``(store[r], t_row[r])``, as a sparse matrix on the interval-major activation columns
    ``τ·n_inj + k`` (vectorised: pairs of each member by CSR, intervals by repetition)."""
    T = tc.n_periods
    ok = col >= 0
    by_store = sp.csr_matrix(
        (np.ones(int(ok.sum())), (tc.pair_store[ok], np.flatnonzero(ok))),
        shape=(len(tc.store_id), len(tc.pair_store)),
    )
    counts = np.diff(by_store.indptr)[store]
    r_of = np.repeat(np.arange(store.size), counts)
    starts = by_store.indptr[store]
    offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    p = by_store.indices[np.repeat(starts, counts) + offs]
    n_tau = t_row[r_of] + 1
    r2 = np.repeat(r_of, n_tau)
    p2 = np.repeat(p, n_tau)
    tau = np.arange(n_tau.sum()) - np.repeat(np.cumsum(n_tau) - n_tau, n_tau)
    vals = coef[p2, tau] * decay_weights(decay, store[r2], t_row[r2], tau)
    cols = tau * n_inj + col[p2]
    return sp.csr_matrix((vals, (r2, cols)), shape=(store.size, T * n_inj))


def min_duration_rows(columns: IntArray, n_per_interval: int, T: int, m: int) -> sp.csr_matrix:
    """Rows ``a_{k,t} − a_{k,t−1} = 0`` for the activation ``columns`` ``k`` inside every block of
    ``m`` intervals (aligned to the start of the day), on interval-major columns
    ``t·n_per_interval + k``; no rows when ``m ≤ 1``."""
    ks = np.asarray(columns, dtype=np.int64)
    ts = np.array([t for t in range(1, T) if t % m] if m > 1 else [], dtype=np.int64)
    rk = np.tile(ks, ts.size)
    rt = np.repeat(ts, ks.size)
    n = rk.size
    rows = np.concatenate([np.arange(n), np.arange(n)])
    cols = np.concatenate([rt * n_per_interval + rk, (rt - 1) * n_per_interval + rk])
    vals = np.concatenate([np.ones(n), -np.ones(n)])
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, T * n_per_interval))


def add_min_duration(program: ClearingProgram, m: int) -> None:
    """The minimum-duration rows (:func:`min_duration_rows`) of the program's offer steps."""
    T, inj = program.n_periods, program.spec.injectors
    mat = min_duration_rows(np.flatnonzero(inj.offer_row >= 0), inj.n, T, m)
    if mat.shape[0]:
        program.add_rows("min_duration", [(program.activation, mat)], 0.0, 0.0)


def _activation(program: ClearingProgram, x: FloatArray, n_offer: int) -> FloatArray:
    """Activations per offer row ``(n_offer, T)`` from a solution (virtual injectors dropped)."""
    inj, T = program.spec.injectors, program.n_periods
    a = x[program.activation].reshape(T, inj.n).T
    out = np.zeros((n_offer, T))
    real = inj.offer_row >= 0
    np.add.at(out, inj.offer_row[real], a[real])
    return out


@dataclasses.dataclass(frozen=True, eq=False)
class RowKind:
    """One family of coupling rows over (member ``s``, interval ``t``):
    ``scale[s, t] · C_s(t − lag) + Σ_{p∈s} inst[p, t] a_{p,t} ≤ cap[s, t]`` with ``C_s`` the decayed
    cumulative sum of ``coef`` (:func:`cumulative_rows`; 0 before the first interval)."""

    name: str
    coef: FloatArray
    decay: FloatArray
    cap: FloatArray
    scale: FloatArray
    lag: int = 0
    inst: FloatArray | None = None


def row_kinds(tc: TimeCoupling) -> tuple[RowKind, ...]:
    """The energy rows (``drop``, ``rise``) and, where a member has a rebound, the power-room
    rows (``room_dn``: the deficit raises the baseline, ``room_up``: the excess lowers it)."""
    assert tc.drop_decay is not None and tc.rise_decay is not None
    assert tc.pair_weight is not None and tc.pair_up is not None
    assert tc.rebound_mw_per_mwh is not None
    assert tc.up_room_mw is not None and tc.dn_room_mw is not None
    ones = np.ones(tc.drop_max_mwh.shape)
    off = np.zeros(len(tc.store_id), dtype=bool) if tc.queue is None else tc.queue.member

    def cap(x: FloatArray) -> FloatArray:
        return np.where(off[:, None], np.inf, x)  # queue members have queue rows instead

    kinds = [
        RowKind("drop", tc.drop_coef, tc.drop_decay, cap(tc.drop_max_mwh), ones),
        RowKind("rise", tc.rise_coef, tc.rise_decay, cap(tc.rise_max_mwh), ones),
    ]
    if np.any(tc.rebound_mw_per_mwh > 0):
        k = tc.rebound_mw_per_mwh
        dn = np.where(tc.pair_up[:, None], 0.0, tc.pair_weight)
        up = np.where(tc.pair_up[:, None], tc.pair_weight, 0.0)
        kinds += [
            RowKind("room_dn", tc.drop_coef, tc.drop_decay, cap(tc.dn_room_mw), k, 1, dn),
            RowKind("room_up", tc.rise_coef, tc.rise_decay, cap(tc.up_room_mw), k, 1, up),
        ]
    return tuple(kinds)


def kind_lhs(kind: RowKind, tc: TimeCoupling, activation_mw: FloatArray) -> FloatArray:
    """Left-hand sides ``(S, T)`` of a row family under offer activations ``(n_offer, T)``."""
    S, P = len(tc.store_id), len(tc.pair_store)
    a = np.asarray(activation_mw, dtype=np.float64)[tc.pair_offer]
    agg = sp.csr_matrix((np.ones(P), (tc.pair_store, np.arange(P))), shape=(S, P))
    cum = decayed_cumsum(np.asarray(agg @ (kind.coef * a)), kind.decay)
    if kind.lag:
        cum = np.concatenate([np.zeros((S, kind.lag)), cum[:, : -kind.lag]], axis=1)
    lhs = kind.scale * cum
    if kind.inst is not None:
        lhs = lhs + np.asarray(agg @ (kind.inst * a))
    return np.asarray(lhs)


def kind_rows(
    kind: RowKind, tc: TimeCoupling, col: IntArray, store: IntArray, t_row: IntArray, n_inj: int
) -> sp.csr_matrix:
    """The rows of ``kind`` for (member, interval) pairs, on the activation columns."""
    m = cumulative_rows(tc, kind.coef, kind.decay, col, store, t_row - kind.lag, n_inj)
    m = sp.csr_matrix(sp.diags(kind.scale[store, t_row]) @ m)
    if kind.inst is None:
        return m
    ok = col >= 0
    by_store = sp.csr_matrix(
        (np.ones(int(ok.sum())), (tc.pair_store[ok], np.flatnonzero(ok))),
        shape=(len(tc.store_id), len(tc.pair_store)),
    )
    sel = by_store[store].tocoo()  # (row r, pair p)
    t_of = t_row[sel.row]
    vals = kind.inst[sel.col, t_of]
    inst = sp.csr_matrix(
        (vals, (sel.row, t_of * n_inj + col[sel.col])), shape=(store.size, m.shape[1])
    )
    return sp.csr_matrix(m + inst)


def enforce_energy(
    program: ClearingProgram, tc: TimeCoupling, sol: LpSolution, basis: Any | None,
    n_offer: int,
) -> tuple[LinearProgram, LpSolution]:
    """Row generation (module docstring): add the violated coupling rows and re-solve the one
    coupled LP warm (dual simplex from the last optimal basis; the new rows enter as basic
    slacks) until no row is violated. Activations the program's prior carries (another market
    of the same stage this party sees) use up energy first: the limits are reduced by theirs
    (the queue rows of shiftable loads count them in their inflow,
    :mod:`tdcoord.coordination.shift_rows`)."""
    inj = program.spec.injectors
    col = _offer_columns(tc, inj)
    plain = _PlainRows(tc, col, program.prior.activation_mw)
    queue = QueueRows(tc, col, program.prior.activation_mw)
    lp = program.lp()
    warm: WarmLp | None = None
    for r in range(MAX_ROUNDS):
        if not sol.ok:
            break
        act = _activation(program, sol.x, n_offer)
        n_violated, blocks = plain.cuts(act, inj.n)
        n_queue, more = queue.cuts(act, inj.n)
        blocks += more
        if not n_violated + n_queue or not blocks:
            break
        if warm is None:
            warm = WarmLp(lp, method=COUPLED_METHOD)
            warm.set_presolve(False)
            if basis is not None:
                warm.set_basis(basis)
        for name, m, cap in blocks:
            program.add_rows(f"energy_{name}:{r}", [(program.activation, m)], -np.inf, cap)
            full = sp.csr_matrix((m.data, m.indices + program.activation.start, m.indptr),
                                 shape=(m.shape[0], lp.n_col))
            warm.add_rows(full, np.full(cap.size, -np.inf), cap)
        sol = warm.solve(lean=True)
    return program.lp(), sol


class _PlainRows:
    """Row-generation state of the plain (cumulative-sum) families of one solve: the rows of
    the pairs the program holds, limits less the prior's use, the rows already added."""

    def __init__(self, tc: TimeCoupling, col: IntArray, prior_mw: FloatArray | None) -> None:
        self.tc, self.col = tc, col
        self.kinds = _less_prior(row_kinds(tc), tc, prior_mw)
        queue = np.zeros(len(tc.pair_store), dtype=bool) if tc.queue is None else (
            tc.queue.member[tc.pair_store]
        )
        self.tc_seen = _visible(tc, np.where(queue, -1, col))  # queue members: no plain rows
        self.seen = tuple(  # the rows' left-hand sides over the pairs this program holds
            dataclasses.replace(k, cap=full.cap)
            for k, full in zip(row_kinds(self.tc_seen), self.kinds, strict=True)
        )
        self.added = {k.name: np.zeros(k.cap.shape, dtype=bool) for k in self.kinds}

    def cuts(
        self, act: FloatArray, n_inj: int
    ) -> tuple[int, list[tuple[str, sp.csr_matrix, FloatArray]]]:
        """The number of violated rows and the new rows (violated or near-binding ones; a
        violated member gets its rows from the first violation on: fewer rounds)."""
        n_violated, out = 0, []
        for kind, ks in zip(self.kinds, self.seen, strict=True):
            lhs = kind_lhs(ks, self.tc_seen, act)
            n_violated += int(np.count_nonzero(lhs > ks.cap + ENERGY_TOL_MWH))
            # near-binding rows join the violated ones: the next solution moves there
            s_, t_ = np.nonzero(lhs > NEAR_FRACTION * ks.cap + ENERGY_TOL_MWH)
            s_, t_ = _from_first(s_.astype(np.int64), t_.astype(np.int64), kind.cap,
                                 self.added[kind.name])
            if s_.size:
                m = kind_rows(kind, self.tc, self.col, s_, t_, n_inj)
                out.append((kind.name, m, kind.cap[s_, t_]))
        return n_violated, out


def _less_prior(
    kinds: tuple[RowKind, ...], tc: TimeCoupling, prior_mw: FloatArray | None
) -> tuple[RowKind, ...]:
    """The row families with their limits reduced by the prior activations' left-hand sides
    (clipped at 0, so that no further activation stays feasible)."""
    if prior_mw is None or not np.any(prior_mw):
        return kinds
    return tuple(
        dataclasses.replace(k, cap=np.maximum(k.cap - kind_lhs(k, tc, prior_mw), 0.0))
        for k in kinds
    )


def _from_first(
    s_: IntArray, t_: IntArray, cap: FloatArray, added: Any
) -> tuple[IntArray, IntArray]:
    """Rows ``(s, t)`` for every violated member ``s`` and every ``t`` from its first violation
    on where a limit exists, less the rows already added (``added`` is updated)."""
    if not s_.size:
        return s_, t_
    T = cap.shape[1]
    first = np.full(cap.shape[0], T, dtype=np.int64)
    np.minimum.at(first, s_, t_)
    want = (np.arange(T)[None, :] >= first[:, None]) & np.isfinite(cap) & ~added
    ns, nt = np.nonzero(want)
    added[ns, nt] = True
    return ns.astype(np.int64), nt.astype(np.int64)


def _visible(tc: TimeCoupling, col: IntArray) -> TimeCoupling:
    """The coupling restricted to the pairs whose offers this program holds."""
    ok = col >= 0
    assert tc.pair_weight is not None and tc.pair_up is not None
    return dataclasses.replace(
        tc, pair_store=tc.pair_store[ok], pair_offer=tc.pair_offer[ok],
        drop_coef=tc.drop_coef[ok], rise_coef=tc.rise_coef[ok],
        pair_weight=tc.pair_weight[ok], pair_up=tc.pair_up[ok],
    )


def fleet_energy_limits(
    models: Sequence[Any], plan_mw: FloatArray, dt_h: float
) -> list[tuple[IntArray, EnergyLimits]]:
    """Per DER model that has an ``energy_limits`` method (storage-like types): its rows in the
    fleet order (models stacked) and its limits after the committed ``plan_mw`` (DERs × T)."""
    plan = np.asarray(plan_mw, dtype=np.float64)
    out: list[tuple[IntArray, EnergyLimits]] = []
    start = 0
    for m in models:
        n = int(m.n_units)
        rows = np.arange(start, start + n, dtype=np.int64)
        start += n
        method = getattr(m, "energy_limits", None)
        if method is not None and n:
            out.append((rows, method(plan.shape[1], dt_h, plan[rows])))
    if start != plan.shape[0]:
        raise CoordinationError(
            f"plan has {plan.shape[0]} DER rows, the models {start} units",
            where="fleet_energy_limits", fix="pass the plan in fleet order",
        )
    return out
