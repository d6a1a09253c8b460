"""Multi-period transmission DC optimal power flow (B-θ form with explicit branch flows) and LMPs.

Formulation (periods :math:`t = 1..T` of length :math:`\\Delta t` hours; MW, rad, currency):

.. math::

    \\min \\; \\sum_t \\Delta t \\Big[\\sum_g \\big(c_{2g} p_{gt}^2 + c_{1g} p_{gt} + c_{0g}\\big)
        + \\sum_{g \\in PWL} z_{gt}
        + \\sum_b \\big(\\mathrm{VOLL}\\, s^{shed}_{bt} + \\pi^{spill} s^{spill}_{bt}\\big)
        + \\pi^{over} \\sum_l (o^+_{lt} + o^-_{lt}) \\Big]

subject to, for every period,

* nodal balance (dual → LMP), with shedding bounded by the bus demand
  :math:`0 \\le s^{shed}_{bt} \\le \\max(D_{bt}, 0)` and spill :math:`s^{spill}_{bt} \\ge 0`:
  :math:`\\sum_{g@b} p_{gt} + \\sum_{s@b}(d_{st} - c_{st}) + s^{shed}_{bt} - s^{spill}_{bt}
  - \\sum_{l: i(l)=b} F_{lt} + \\sum_{l: j(l)=b} F_{lt} = D_{bt}`
  with the physical flow :math:`F = f + o^+ - o^-` and demand
  :math:`D_{bt}` = loads + shunt conductance ``Gs`` (at |V| = 1) + extra withdrawals (feeders);
* branch flow: :math:`f_{lt} + o^+_{lt} - o^-_{lt} = S_{base} b_l(\\theta_{i,t} - \\theta_{j,t}
  - \\varphi_l)` (see :mod:`tdcoord.opf.network` for ``b`` and ``φ`` per convention);
* branch limit :math:`-R_l \\le f_{lt} \\le R_l` (column bounds: the reduced cost of :math:`f` is
  the branch's shadow price); overload slack :math:`o^\\pm \\ge 0` only when slacks are allowed;
* angle difference (powermodels convention): :math:`\\underline\\delta_l \\le \\theta_i - \\theta_j
  \\le \\overline\\delta_l`; one reference angle per island fixed at 0;
* generator limits :math:`a_{gt} \\underline P_g \\le p_{gt} \\le a_{gt} \\overline P_g`
  (availability :math:`a_{gt} \\in [0, 1]`), optional ramps
  :math:`|p_{gt} - p_{g,t-1}| \\le R^{ramp}_g \\Delta t`;
* PWL epigraph :math:`z_{gt} \\ge C_k + s_k(p_{gt} - p_k)` (:mod:`tdcoord.opf.costs`);
* storage: :math:`e_{st} = e_{s,t-1} + \\Delta t(\\eta^c_s c_{st} - d_{st}/\\eta^d_s)`,
  :math:`e_{s0}` given, :math:`0 \\le e \\le E_s`, :math:`0 \\le c \\le C_s`, :math:`0 \\le d \\le
  D_s`, and (default) :math:`e_{sT} \\ge e_{s0}`.

LMPs are the balance duals divided by :math:`\\Delta t` (currency/MWh), decomposed by
:mod:`tdcoord.opf.prices`. Slack columns (load shedding at VOLL, over-generation, overload) keep the
problem feasible; when one is non-zero the hard problem is re-checked and the status is
``infeasible`` if it has no solution, prices set by a slack are flagged.

Algorithm: periods are solved one by one on one warm ``Highs`` object when nothing couples them
(no storage, no ramp limits); otherwise as one LP — dual simplex up to
:data:`IPM_THRESHOLD_COLUMNS` columns, HiGHS IPX (with crossover, for vertex duals) above
(``performance-notes.md``). Quadratic costs make it a QP (HiGHS's QP solver).
With slacks, the slack-free program is solved first and kept when its duals certify it optimal
for the program with slacks (every slack's reduced cost ≥ 0 — LP duality, exact); only otherwise
is the program with slacks solved (:func:`solve_model`, ``slack_free_first``).

The PGLib-OPF ``BASELINE.md`` DC objectives are reproduced with ``convention="powermodels"``
(Babaeinejadsarookolaee et al., "The Power Grid Library for Benchmarking AC Optimal Power Flow
Algorithms", arXiv:1908.02788, v23.07).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from tdcoord.errors import GridError, OptimizationError
from tdcoord.grid.model import Transmission
from tdcoord.opf.costs import GeneratorCosts, generator_costs
from tdcoord.opf.lp import (
    FloatArray,
    IntArray,
    LinearProgram,
    LpBuilder,
    LpSolution,
    Method,
    WarmLp,
    solve,
)
from tdcoord.opf.network import DcNetwork, dc_network
from tdcoord.opf.prices import PriceComponents, congestion_from_duals, decompose

#: Default value of lost load, currency per MWh.
DEFAULT_VOLL = 10_000.0
#: Default over-generation (spill) penalty, currency per MWh: LMPs are floored at its negative.
DEFAULT_SPILL_COST = 10_000.0
#: Default branch-overload penalty, currency per MWh: above VOLL, so shedding load is preferred.
DEFAULT_OVERLOAD_PENALTY = 100_000.0
#: Above this many columns a time-coupled LP goes to the interior-point solver.
IPM_THRESHOLD_COLUMNS = 50_000
#: Above this many columns a QP (quadratic costs) goes to Clarabel's interior point.
QP_INTERIOR_COLUMNS = 3_000
#: A slack below this (MW) counts as zero.
SLACK_TOL_MW = 1e-6
#: Relative tolerance of the optimality certificate of a slack-free solution (see
#: :func:`_certify`): a slack column's reduced cost must be ≥ −tol · max(1, |cost|).
SLACK_DUAL_TOL = 1e-7

StorageEnd = Literal["initial", "free"]


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class DcOpfData:
    """Per-period data of a DC-OPF after validation (arrays are periods × elements)."""

    n_periods: int
    period_hours: float
    demand_mw: FloatArray
    p_min_mw: FloatArray
    p_max_mw: FloatArray
    ramp_mw: FloatArray
    """Ramp limit per period per generator (MW between consecutive periods; inf = none)."""
    storage_end: StorageEnd


def _periods(*arrays: Any) -> int | None:
    found = {int(np.shape(a)[0]) for a in arrays if a is not None and np.ndim(a) == 2}
    if len(found) > 1:
        raise OptimizationError(
            f"per-period inputs disagree on the number of periods: {sorted(found)}",
            where="DC-OPF inputs",
            fix="give every per-period array the same first dimension",
        )
    return found.pop() if found else None


def _table(value: ArrayLike, shape: tuple[int, int], what: str) -> FloatArray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 1 and shape[0] == 1:
        arr = arr[None, :]
    if arr.shape != shape:
        raise OptimizationError(
            f"{what} has shape {arr.shape}, expected {shape} (periods × elements)",
            where=what,
            fix="pass one row per period and one column per element, in table order",
        )
    if not np.all(np.isfinite(arr)):
        raise OptimizationError(
            f"{what} contains NaN or infinite values", where=what, fix="fill the gaps"
        )
    return arr


def dcopf_data(
    tr: Transmission,
    *,
    n_periods: int | None = None,
    load_mw: ArrayLike | None = None,
    withdrawal_mw: Mapping[int, ArrayLike] | ArrayLike | None = None,
    gen_availability: ArrayLike | None = None,
    ramp_mw_per_h: ArrayLike | None = None,
    period_hours: float = 1.0,
    storage_end: StorageEnd = "initial",
) -> DcOpfData:
    """Validate and expand the per-period inputs (see :func:`solve_dcopf`)."""
    w_arr = None if withdrawal_mw is None or isinstance(withdrawal_mw, Mapping) else withdrawal_mw
    series = (
        [np.atleast_1d(np.asarray(v, dtype=np.float64))[:, None] for v in withdrawal_mw.values()]
        if isinstance(withdrawal_mw, Mapping)
        else []
    )
    T = _periods(load_mw, w_arr, gen_availability, *[v for v in series if len(v) > 1])
    T = T or n_periods or 1
    if n_periods is not None and n_periods != T:
        raise OptimizationError(
            f"n_periods={n_periods} but the per-period inputs have {T} periods",
            where="DC-OPF inputs",
            fix="drop n_periods or make it match the arrays",
        )
    if not period_hours > 0:
        raise OptimizationError(
            f"period_hours must be positive, got {period_hours}", where="period_hours"
        )
    B, G = tr.n_bus, len(tr.generators)
    loads = tr.loads
    load = (
        np.tile(np.asarray(loads.p_mw, dtype=np.float64), (T, 1))
        if load_mw is None
        else _table(load_mw, (T, len(loads)), "load_mw")
    )
    demand = np.zeros((T, B))
    np.add.at(demand.T, tr.bus_rows(loads.bus), load.T)
    demand += np.asarray(tr.buses.gs_mw, dtype=np.float64)[None, :]
    if isinstance(withdrawal_mw, Mapping):
        ids = np.array(list(withdrawal_mw.keys()), dtype=np.int64)
        known = np.isin(ids, tr.buses.id)
        if not np.all(known):
            bad = int(ids[~known][0])
            raise GridError(
                f"withdrawal given at bus {bad}, which is not a transmission bus",
                where=f"withdrawal_mw[{bad}]",
                fix="use the id of the interface bus",
            )
        vals = np.zeros((len(ids), T))
        for k, v in enumerate(series):  # one entry per interface bus, not per element
            if len(v) not in (1, T):
                raise OptimizationError(
                    f"withdrawal at bus {int(ids[k])} has {len(v)} values for {T} periods",
                    where=f"withdrawal_mw[{int(ids[k])}]",
                    fix="give a scalar or one value per period",
                )
            vals[k] = v[:, 0]
        np.add.at(demand.T, tr.bus_rows(ids), vals)
    elif withdrawal_mw is not None:
        demand += _table(withdrawal_mw, (T, B), "withdrawal_mw")
    avail = (
        np.ones((T, G))
        if gen_availability is None
        else _table(gen_availability, (T, G), "gen_availability")
    )
    if np.any((avail < 0) | (avail > 1)):
        raise OptimizationError(
            "gen_availability must lie in [0, 1]",
            where="gen_availability",
            fix="give the available fraction of each generator's p_max_mw",
        )
    gen = tr.generators
    p_min = avail * np.asarray(gen.p_min_mw, dtype=np.float64)[None, :]
    p_max = avail * np.asarray(gen.p_max_mw, dtype=np.float64)[None, :]
    inverted = np.argwhere(p_min > p_max)
    if inverted.size:
        gid = int(gen.id[inverted[0][1]])
        raise GridError(
            f"generator {gid} has p_min_mw above p_max_mw",
            where=f"generator id {gid}",
            fix="correct the limits",
        )
    ramp = (
        np.full(G, np.inf)
        if ramp_mw_per_h is None
        else np.broadcast_to(np.asarray(ramp_mw_per_h, dtype=np.float64), (G,)).copy()
    )
    if np.any(ramp < 0) or np.any(np.isnan(ramp)):
        raise OptimizationError(
            "ramp_mw_per_h must be non-negative (inf = no limit)", where="ramp_mw_per_h"
        )
    if storage_end not in ("initial", "free"):
        raise OptimizationError(
            f"unknown storage_end {storage_end!r}",
            where="storage_end",
            fix="use 'initial' (end at least as full as at start) or 'free'",
        )
    _check_storage(tr)
    return DcOpfData(
        n_periods=T,
        period_hours=float(period_hours),
        demand_mw=demand,
        p_min_mw=p_min,
        p_max_mw=p_max,
        ramp_mw=ramp * period_hours,
        storage_end=storage_end,
    )


def _check_storage(tr: Transmission) -> None:
    st = tr.storage
    bad = np.flatnonzero(
        (st.e_init_mwh < 0)
        | (st.e_init_mwh > st.e_max_mwh)
        | (st.eta_charge <= 0)
        | (st.eta_discharge <= 0)
        | (st.eta_charge > 1)
        | (st.eta_discharge > 1)
    )
    if bad.size:
        sid = int(st.id[bad[0]])
        raise GridError(
            f"storage {sid}: initial energy outside [0, e_max_mwh] or efficiency outside (0, 1]",
            where=f"storage id {sid}",
            fix="check e_init_mwh, e_max_mwh, eta_charge and eta_discharge",
        )


# ---------------------------------------------------------------------------------------------
# Assembly: one function per constraint family
# ---------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class DcOpfModel:
    """An assembled DC-OPF: the program (``lp_periods`` periods) and what is needed to read it."""

    tr: Transmission
    net: DcNetwork
    costs: GeneratorCosts
    data: DcOpfData
    lp: LinearProgram
    lp_periods: int
    """Periods held by ``lp``: ``n_periods`` (coupled) or 1 (per-period template, warm updates)."""
    limited: IntArray
    """Branch rows with a finite rating (those that get overload slacks)."""
    allow_slack: bool
    voll: float
    spill_cost: float
    overload_penalty: float
    build_s: float

    @property
    def decomposed(self) -> bool:
        """True when ``lp`` holds one period (solved period by period with warm updates)."""
        return self.lp_periods == 1


def _kron(T: int, M: sp.csr_matrix | sp.spmatrix) -> sp.csr_matrix:
    return sp.csr_matrix(sp.kron(sp.identity(T, format="csr"), M, format="csr"))


def _bus_matrix(bus_rows: IntArray, n_bus: int) -> sp.csr_matrix:
    """Buses × elements, 1 where the element sits."""
    n = len(bus_rows)
    return sp.csr_matrix((np.ones(n), (bus_rows, np.arange(n))), shape=(n_bus, n))


def _add_columns(b: LpBuilder, m: DcOpfModelParts) -> dict[str, slice]:
    """All column families, in a fixed order (θ, p, z, f, o⁺, o⁻, c, d, e, shed, spill)."""
    T, dt = m.T, m.dt
    net, data, costs = m.net, m.data, m.costs
    B, G, L, S = net.n_bus, len(costs.c1), net.n_branch, m.n_storage
    theta_lo = np.full((T, B), -np.inf)
    theta_hi = np.full((T, B), np.inf)
    theta_lo[:, net.ref_rows] = 0.0
    theta_hi[:, net.ref_rows] = 0.0
    cols = {
        "theta": b.add_columns("theta", T * B, theta_lo.ravel(), theta_hi.ravel()),
        "p": b.add_columns(
            "p",
            T * G,
            data.p_min_mw[:T].ravel(),
            data.p_max_mw[:T].ravel(),
            np.tile(costs.c1 * dt, T),
        ),
        "pwl": b.add_columns("pwl", T * len(costs.pwl_gens), -np.inf, np.inf, dt),
    }
    rating = np.tile(net.rating_mw, T)
    cols["flow"] = b.add_columns("flow", T * L, -rating, rating)
    n_lim = T * len(m.limited) if m.allow_slack else 0
    cols["overload_up"] = b.add_columns("overload_up", n_lim, 0.0, np.inf, m.overload * dt)
    cols["overload_down"] = b.add_columns("overload_down", n_lim, 0.0, np.inf, m.overload * dt)
    st = m.tr.storage
    cols["charge"] = b.add_columns("charge", T * S, 0.0, np.tile(st.p_charge_max_mw, T))
    cols["discharge"] = b.add_columns("discharge", T * S, 0.0, np.tile(st.p_discharge_max_mw, T))
    cols["soc"] = b.add_columns("soc", T * S, 0.0, np.tile(st.e_max_mwh, T))
    n_slack = T * B if m.allow_slack else 0
    shed_max = np.maximum(data.demand_mw[:T], 0.0).ravel() if m.allow_slack else 0.0
    cols["shed"] = b.add_columns("shed", n_slack, 0.0, shed_max, m.voll * dt)
    cols["spill"] = b.add_columns("spill", n_slack, 0.0, np.inf, m.spill * dt)
    if costs.has_quadratic:
        b.add_quadratic(cols["p"], np.tile(2.0 * costs.c2 * dt, T))
    b.add_offset(float(np.sum(costs.c0)) * dt * T)
    return cols


def _add_balance(b: LpBuilder, m: DcOpfModelParts, c: dict[str, slice]) -> None:
    """Nodal balance per bus and period (dual = Δt · LMP)."""
    T, net, tr = m.T, m.net, m.tr
    B = net.n_bus
    Ct = sp.csr_matrix(net.incidence.T)
    gen_at = _bus_matrix(tr.bus_rows(tr.generators.bus), B)
    sto_at = _bus_matrix(tr.bus_rows(tr.storage.bus), B)
    blocks: list[tuple[slice, Any]] = [
        (c["p"], _kron(T, gen_at)),
        (c["flow"], _kron(T, -Ct)),
        (c["charge"], _kron(T, -sto_at)),
        (c["discharge"], _kron(T, sto_at)),
    ]
    if m.allow_slack:
        Ct_lim = sp.csr_matrix(Ct[:, m.limited])
        eye = sp.identity(B, format="csr")
        blocks += [
            (c["overload_up"], _kron(T, -Ct_lim)),
            (c["overload_down"], _kron(T, Ct_lim)),
            (c["shed"], _kron(T, eye)),
            (c["spill"], _kron(T, -eye)),
        ]
    demand = m.data.demand_mw[:T].ravel()
    b.add_rows("balance", blocks, demand, demand)


def _add_flow_definition(b: LpBuilder, m: DcOpfModelParts, c: dict[str, slice]) -> None:
    """F_l = b_l (θ_i − θ_j − φ_l), with F = f + o⁺ − o⁻."""
    T, net = m.T, m.net
    L = net.n_branch
    bC = sp.csr_matrix(sp.diags(net.b_mw) @ net.incidence)
    blocks: list[tuple[slice, Any]] = [
        (c["flow"], _kron(T, sp.identity(L, format="csr"))),
        (c["theta"], _kron(T, -bC)),
    ]
    if m.allow_slack:
        sel = sp.csr_matrix(
            (np.ones(len(m.limited)), (m.limited, np.arange(len(m.limited)))),
            shape=(L, len(m.limited)),
        )
        blocks += [(c["overload_up"], _kron(T, sel)), (c["overload_down"], _kron(T, -sel))]
    rhs = np.tile(-net.b_mw * net.shift_rad, T)
    b.add_rows("flow_def", blocks, rhs, rhs, n=T * L)


def _add_angle_limits(b: LpBuilder, m: DcOpfModelParts, c: dict[str, slice]) -> None:
    """δ_min ≤ θ_i − θ_j ≤ δ_max on branches with an enforced limit."""
    net, T = m.net, m.T
    Ca = sp.csr_matrix(net.incidence[net.angle_rows])
    b.add_rows(
        "angle_diff",
        [(c["theta"], _kron(T, Ca))],
        np.tile(net.angle_min_rad, T),
        np.tile(net.angle_max_rad, T),
    )


def _add_pwl_epigraph(b: LpBuilder, m: DcOpfModelParts, c: dict[str, slice]) -> None:
    """s_k p_g − z_g ≤ −C0_k for every segment k of every PWL generator."""
    costs, T = m.costs, m.T
    K, G, P = len(costs.seg_slope), len(costs.c1), len(costs.pwl_gens)
    k = np.arange(K)
    A_p = sp.csr_matrix((costs.seg_slope, (k, costs.pwl_gens[costs.seg_gen])), shape=(K, G))
    A_z = sp.csr_matrix((-np.ones(K), (k, costs.seg_gen)), shape=(K, P))
    b.add_rows(
        "pwl_epigraph",
        [(c["p"], _kron(T, A_p)), (c["pwl"], _kron(T, A_z))],
        -np.inf,
        np.tile(-costs.seg_intercept, T),
    )


def _add_storage(b: LpBuilder, m: DcOpfModelParts, c: dict[str, slice]) -> None:
    """e_t − e_{t−1} − Δt η_c c_t + Δt d_t / η_d = 0 (e_0 = e_init), and the end condition."""
    T, dt, S = m.T, m.dt, m.n_storage
    st = m.tr.storage
    eye_S = sp.identity(S, format="csr")
    shift = sp.eye(T, k=-1, format="csr")
    A_e = sp.csr_matrix(sp.kron(sp.identity(T) - shift, eye_S, format="csr"))
    A_c = _kron(T, sp.diags(-dt * np.asarray(st.eta_charge)))
    A_d = _kron(T, sp.diags(dt / np.asarray(st.eta_discharge)))
    rhs = np.zeros(T * S)
    rhs[:S] = st.e_init_mwh
    b.add_rows(
        "soc",
        [(c["soc"], A_e), (c["charge"], A_c), (c["discharge"], A_d)],
        rhs,
        rhs,
        n=T * S,
    )
    if m.data.storage_end == "initial":
        last = slice(c["soc"].start + (T - 1) * S, c["soc"].stop)
        b.add_rows("soc_end", [(last, eye_S)], np.asarray(st.e_init_mwh), np.inf, n=S)
    else:
        b.add_rows("soc_end", [], n=0)


def _add_ramps(b: LpBuilder, m: DcOpfModelParts, c: dict[str, slice]) -> None:
    """−R Δt ≤ p_t − p_{t−1} ≤ R Δt for generators with a finite ramp limit."""
    T, G = m.T, len(m.costs.c1)
    rows = np.flatnonzero(np.isfinite(m.data.ramp_mw)) if T > 1 else np.zeros(0, dtype=np.int64)
    R = len(rows)
    sel = sp.csr_matrix((np.ones(R), (np.arange(R), rows)), shape=(R, G))
    diff = (
        sp.csr_matrix(sp.eye(T - 1, T, k=1) - sp.eye(T - 1, T)) if T > 1 else sp.csr_matrix((0, T))
    )
    A = sp.csr_matrix(sp.kron(diff, sel, format="csr"))
    lim = np.tile(m.data.ramp_mw[rows], max(T - 1, 0))
    b.add_rows("ramp", [(c["p"], A)], -lim, lim, n=R * max(T - 1, 0))


@dataclasses.dataclass(frozen=True, eq=False)
class DcOpfModelParts:
    """Everything an assembly function needs (internal)."""

    tr: Transmission
    net: DcNetwork
    costs: GeneratorCosts
    data: DcOpfData
    T: int
    dt: float
    limited: IntArray
    allow_slack: bool
    voll: float
    spill: float
    overload: float

    @property
    def n_storage(self) -> int:
        """Number of storage units."""
        return len(self.tr.storage)


def build_dcopf(
    tr: Transmission,
    *,
    convention: str = "powermodels",
    n_periods: int | None = None,
    load_mw: ArrayLike | None = None,
    withdrawal_mw: Mapping[int, ArrayLike] | ArrayLike | None = None,
    gen_availability: ArrayLike | None = None,
    ramp_mw_per_h: ArrayLike | None = None,
    period_hours: float = 1.0,
    storage_end: StorageEnd = "initial",
    voll: float = DEFAULT_VOLL,
    spill_cost: float = DEFAULT_SPILL_COST,
    overload_penalty: float = DEFAULT_OVERLOAD_PENALTY,
    allow_slack: bool = True,
    decompose_periods: bool | None = None,
) -> DcOpfModel:
    """Validate the inputs and assemble the DC-OPF program (see the module docstring).

    ``decompose_periods=None`` decomposes when nothing couples the periods (no storage, no finite
    ramp limit); ``True`` with coupling is refused.
    """
    t0 = time.perf_counter()
    net = dc_network(tr, convention)
    costs = generator_costs(tr)
    data = dcopf_data(
        tr,
        n_periods=n_periods,
        load_mw=load_mw,
        withdrawal_mw=withdrawal_mw,
        gen_availability=gen_availability,
        ramp_mw_per_h=ramp_mw_per_h,
        period_hours=period_hours,
        storage_end=storage_end,
    )
    for name, value in (("voll", voll), ("spill_cost", spill_cost), ("overload", overload_penalty)):
        if not value > 0:
            raise OptimizationError(f"{name} must be positive, got {value}", where=name)
    coupled = len(tr.storage) > 0 or bool(np.any(np.isfinite(data.ramp_mw)))
    if decompose_periods and coupled and data.n_periods > 1:
        raise OptimizationError(
            "periods are coupled by storage or ramp limits and cannot be solved one by one",
            where="decompose_periods",
            fix="leave decompose_periods=None",
        )
    decomposed = decompose_periods if decompose_periods is not None else not coupled
    T = 1 if decomposed else data.n_periods
    parts = DcOpfModelParts(
        tr=tr,
        net=net,
        costs=costs,
        data=data,
        T=T,
        dt=data.period_hours,
        limited=np.flatnonzero(np.isfinite(net.rating_mw)).astype(np.int64),
        allow_slack=allow_slack,
        voll=float(voll),
        spill=float(spill_cost),
        overload=float(overload_penalty),
    )
    b = LpBuilder()
    cols = _add_columns(b, parts)
    _add_balance(b, parts, cols)
    _add_flow_definition(b, parts, cols)
    _add_angle_limits(b, parts, cols)
    _add_pwl_epigraph(b, parts, cols)
    _add_storage(b, parts, cols)
    _add_ramps(b, parts, cols)
    lp = b.build()
    return DcOpfModel(
        tr=tr,
        net=net,
        costs=costs,
        data=data,
        lp=lp,
        lp_periods=T,
        limited=parts.limited,
        allow_slack=allow_slack,
        voll=parts.voll,
        spill_cost=parts.spill,
        overload_penalty=parts.overload,
        build_s=time.perf_counter() - t0,
    )


# ---------------------------------------------------------------------------------------------
# Result
# ---------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Slack:
    """One non-zero slack: what, where, when, how much and at what penalty."""

    kind: str
    """``load_shedding``, ``over_generation`` or ``line_overload``."""
    element: str
    """``bus`` or ``branch``."""
    id: int
    period: int
    value_mw: float
    penalty_per_mwh: float


@dataclasses.dataclass(frozen=True)
class Binding:
    """A branch at its flow limit in one period; ``dual`` = cost saved per MW of extra rating."""

    id: int
    period: int
    flow_mw: float
    limit_mw: float
    dual: float


@dataclasses.dataclass(frozen=True, eq=False)
class DcOpfResult:
    """Solution of :func:`solve_dcopf`. Arrays are (periods × elements), in table order."""

    status: str
    """``optimal``, ``infeasible`` (slacks were needed; see ``slacks``), ``unbounded``,
    ``time_limit`` or ``error``."""
    objective: float
    """Total cost over the horizon, slack penalties included (currency; $/h for one 1-h period)."""
    penalty_cost: float
    convention: str
    period_hours: float
    bus_ids: IntArray
    branch_ids: IntArray
    gen_ids: IntArray
    storage_ids: IntArray
    prices: PriceComponents
    price_set_by_slack: NDArrayBool
    dispatch_mw: FloatArray
    flow_mw: FloatArray
    theta_rad: FloatArray
    charge_mw: FloatArray
    discharge_mw: FloatArray
    soc_mwh: FloatArray
    flow_dual: FloatArray
    """Sensitivity of cost (per MWh) to each branch's flow bound (≤ 0 at the upper limit)."""
    binding: tuple[Binding, ...]
    slacks: tuple[Slack, ...]
    solver: str
    solver_version: str
    method: str
    decomposed: bool
    iterations: int
    time_s: float
    timings: Mapping[str, float]

    @property
    def n_periods(self) -> int:
        """Number of periods."""
        return int(self.dispatch_mw.shape[0])

    @property
    def lmp(self) -> FloatArray:
        """LMPs, periods × buses (currency/MWh)."""
        return self.prices.total

    def to_json(self) -> dict[str, Any]:
        """The documented JSON schema (``docs/opf.md``): scalars per bus for one period, lists
        for several."""
        one = self.n_periods == 1

        def series(a: FloatArray, j: int) -> Any:
            col = [float(v) for v in a[:, j]]
            return col[0] if one else col

        prices = {
            str(int(bid)): {
                "total": series(self.prices.total, j),
                "energy": series(self.prices.energy, j),
                "congestion": series(self.prices.congestion, j),
                "loss": series(self.prices.loss, j),
                "price_set_by_slack": (
                    bool(self.price_set_by_slack[0, j])
                    if one
                    else [bool(v) for v in self.price_set_by_slack[:, j]]
                ),
            }
            for j, bid in enumerate(self.bus_ids)
        }
        out: dict[str, Any] = {
            "status": self.status,
            "objective": self.objective,
            "penalty_cost": self.penalty_cost,
            "convention": self.convention,
            "periods": self.n_periods,
            "period_hours": self.period_hours,
            "prices": prices,
            "binding": [
                {k: v for k, v in dataclasses.asdict(x).items() if not (one and k == "period")}
                for x in self.binding
            ],
            "slacks": [dataclasses.asdict(s) for s in self.slacks],
            "dispatch": {
                str(int(g)): series(self.dispatch_mw, j) for j, g in enumerate(self.gen_ids)
            },
            "storage": {
                str(int(s)): {
                    "charge_mw": series(self.charge_mw, j),
                    "discharge_mw": series(self.discharge_mw, j),
                    "soc_mwh": series(self.soc_mwh, j),
                }
                for j, s in enumerate(self.storage_ids)
            },
            "solver": self.solver,
            "solver_version": self.solver_version,
            "method": self.method,
            "decomposed_by_period": self.decomposed,
            "iterations": self.iterations,
            "time_s": self.time_s,
            "timings": dict(self.timings),
            "decomposition_residual": self.prices.residual,
        }
        return out


NDArrayBool = np.ndarray[Any, np.dtype[np.bool_]]


# ---------------------------------------------------------------------------------------------
# Solve
# ---------------------------------------------------------------------------------------------
#: Row families that are not one block per period.
_NOT_PER_PERIOD = frozenset({"soc_end", "ramp"})


@dataclasses.dataclass
class _Stacked:
    """Primal and dual values reshaped to (periods × family)."""

    x: dict[str, FloatArray]
    zc: dict[str, FloatArray]
    yr: dict[str, FloatArray]


def _reshape(
    lp: LinearProgram, xs: list[FloatArray], zs: list[FloatArray], ys: list[FloatArray], T: int
) -> _Stacked:
    """Split solution vectors into families; one vector (coupled) or one per period."""
    x = np.concatenate([v[None, :] for v in xs]) if len(xs) > 1 else xs[0][None, :]
    z = np.concatenate([v[None, :] for v in zs]) if len(zs) > 1 else zs[0][None, :]
    y = np.concatenate([v[None, :] for v in ys]) if len(ys) > 1 else ys[0][None, :]

    def split(arr: FloatArray, blocks: Mapping[str, slice]) -> dict[str, FloatArray]:
        out: dict[str, FloatArray] = {}
        for name, s in blocks.items():
            part = arr[:, s]
            out[name] = part.reshape(1, -1) if name in _NOT_PER_PERIOD else part.reshape(T, -1)
        return out

    return _Stacked(split(x, lp.col_blocks), split(z, lp.col_blocks), split(y, lp.row_blocks))


def _choose_method(model: DcOpfModel, method: Method) -> Method:
    if method != "auto":
        return method
    if model.lp.is_qp:
        return "auto"
    if not model.decomposed and model.lp.n_col > IPM_THRESHOLD_COLUMNS:
        return "ipm"
    return "simplex"


def _slack_columns(model: DcOpfModel) -> list[slice]:
    cb = model.lp.col_blocks
    return [cb[k] for k in ("overload_up", "overload_down", "shed", "spill")]


def _hard_feasible(model: DcOpfModel, method: Method, period: int | None) -> bool:
    """Is the problem (or one period of it) feasible with every slack fixed at zero?"""
    lp = model.lp if period is None else _period_lp(model, period)
    upper = lp.col_upper.copy()
    for s in _slack_columns(model):
        upper[s] = 0.0
    check = dataclasses.replace(lp, cost=np.zeros(lp.n_col), hessian=None, col_upper=upper)
    return solve(check, method="simplex" if method == "auto" else method).status == "optimal"


def solve_dcopf(
    tr: Transmission,
    *,
    convention: str = "powermodels",
    n_periods: int | None = None,
    load_mw: ArrayLike | None = None,
    withdrawal_mw: Mapping[int, ArrayLike] | ArrayLike | None = None,
    gen_availability: ArrayLike | None = None,
    ramp_mw_per_h: ArrayLike | None = None,
    period_hours: float = 1.0,
    storage_end: StorageEnd = "initial",
    voll: float = DEFAULT_VOLL,
    spill_cost: float = DEFAULT_SPILL_COST,
    overload_penalty: float = DEFAULT_OVERLOAD_PENALTY,
    allow_slack: bool = True,
    decompose_periods: bool | None = None,
    method: Method = "auto",
    time_limit_s: float | None = None,
    slack_free_first: bool = True,
) -> DcOpfResult:
    """Solve a (multi-period) DC-OPF on ``tr`` and price it.

    Parameters (periods × elements arrays, elements in table order):
      ``load_mw`` per load (default: the static loads every period); ``withdrawal_mw`` extra net
      withdrawal per bus — a ``{bus id: series}`` mapping or a periods × buses array (feeders'
      net load at their interface bus, negative for export); ``gen_availability`` fraction of
      each generator's limits; ``ramp_mw_per_h`` per generator (inf = none); ``voll``,
      ``spill_cost``, ``overload_penalty`` slack prices (currency/MWh); ``allow_slack=False``
      drops the slacks (an infeasible case then returns status ``infeasible`` with NaN values);
      ``slack_free_first`` see :func:`solve_model` (same optimum, faster; ``False`` solves the
      program with slacks directly).
    """
    model = build_dcopf(
        tr,
        convention=convention,
        n_periods=n_periods,
        load_mw=load_mw,
        withdrawal_mw=withdrawal_mw,
        gen_availability=gen_availability,
        ramp_mw_per_h=ramp_mw_per_h,
        period_hours=period_hours,
        storage_end=storage_end,
        voll=voll,
        spill_cost=spill_cost,
        overload_penalty=overload_penalty,
        allow_slack=allow_slack,
        decompose_periods=decompose_periods,
    )
    return solve_model(
        model, method=method, time_limit_s=time_limit_s, slack_free_first=slack_free_first
    )


def _period_lp(model: DcOpfModel, t: int) -> LinearProgram:
    """The per-period template with period ``t``'s demand, generator and shedding bounds."""
    return _at_period(model.lp, model.data, t)


def _at_period(lp: LinearProgram, data: DcOpfData, t: int) -> LinearProgram:
    """A one-period program (the model's template or its slack-free part) at period ``t``."""
    lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
    row_lo, row_hi = lp.row_lower.copy(), lp.row_upper.copy()
    ps, bal = lp.col_blocks["p"], lp.row_blocks["balance"]
    lower[ps], upper[ps] = data.p_min_mw[t], data.p_max_mw[t]
    row_lo[bal] = row_hi[bal] = data.demand_mw[t]
    shed = lp.col_blocks.get("shed")
    if shed is not None and shed.stop > shed.start:
        upper[shed] = np.maximum(data.demand_mw[t], 0.0)
    return dataclasses.replace(
        lp, col_lower=lower, col_upper=upper, row_lower=row_lo, row_upper=row_hi
    )


def _set_period(warm: WarmLp, data: DcOpfData, t: int) -> None:
    """Warm update of a one-period program to period ``t`` (as :func:`_at_period`)."""
    lp = warm.lp
    warm.update_col_bounds(lp.col_blocks["p"], data.p_min_mw[t], data.p_max_mw[t])
    bal = lp.row_blocks["balance"]
    warm.update_row_bounds(bal, data.demand_mw[t], data.demand_mw[t])
    shed = lp.col_blocks.get("shed")
    if shed is not None and shed.stop > shed.start:
        warm.update_col_bounds(shed, 0.0, np.maximum(data.demand_mw[t], 0.0))


def _solve_qp_interior(lp: LinearProgram) -> LpSolution:
    """A QP by Clarabel's interior point (HiGHS's active-set QP solver stalls on large grids:
    >60 s on case2000_goc against ~1 s here). Duals in the :mod:`tdcoord.opf.lp` convention."""
    from tdcoord.opf.feeder_conic import solve_conic

    sol = solve_conic(lp, None, tol=1e-9)
    ok = sol.status == "optimal"
    return LpSolution(
        status=sol.status,  # type: ignore[arg-type]
        objective=lp.objective_value(sol.x) if ok else float("nan"),
        x=sol.x,
        row_duals=sol.row_duals,
        col_duals=sol.col_duals,
        row_activity=np.asarray(lp.A @ sol.x, dtype=np.float64),
        solver=sol.solver,
        solver_version=sol.solver_version,
        time_s=sol.time_s,
        iterations=sol.iterations,
        model_status=sol.status,
    )


def _slack_index(model: DcOpfModel) -> IntArray:
    """Positions of every slack column (overload, shedding, spill) in ``model.lp``."""
    parts = [np.arange(s.start, s.stop, dtype=np.int64) for s in _slack_columns(model)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _without_columns(lp: LinearProgram, drop: IntArray) -> tuple[LinearProgram, IntArray]:
    """``lp`` with the columns ``drop`` removed (i.e. fixed at zero) and the kept positions.

    Column blocks are renumbered; blocks made only of dropped columns disappear. Rows and row
    blocks are unchanged, so row duals of both programs live in the same space.
    """
    mask = np.ones(lp.n_col, dtype=bool)
    mask[drop] = False
    keep = np.flatnonzero(mask).astype(np.int64)
    blocks: dict[str, slice] = {}
    pos = 0
    for name, s in lp.col_blocks.items():
        n = int(np.count_nonzero(mask[s]))
        if n == s.stop - s.start:
            blocks[name] = slice(pos, pos + n)
            pos += n
        elif n:  # a partly dropped block cannot be addressed by name any more
            pos += n
    hess = lp.hessian
    if hess is not None:
        hess = sp.csc_matrix(sp.csc_matrix(hess)[:, keep][keep, :])
    A = sp.csr_matrix(sp.csc_matrix(lp.A)[:, keep])
    hard = dataclasses.replace(
        lp,
        cost=lp.cost[keep],
        A=A,
        col_lower=lp.col_lower[keep],
        col_upper=lp.col_upper[keep],
        hessian=hess,
        col_blocks=blocks,
    )
    return hard, keep


def slack_free_lp(model: DcOpfModel) -> LinearProgram:
    """The program :func:`solve_model` solves first: ``model.lp`` without its slack columns
    (same rows; ``model.lp`` itself when the model has no slacks)."""
    drop = _slack_index(model) if model.allow_slack else np.zeros(0, dtype=np.int64)
    return _without_columns(model.lp, drop)[0] if drop.size else model.lp


@dataclasses.dataclass(frozen=True, eq=False)
class _SlackCheck:
    """What :func:`_certify` needs about the slack columns ``drop`` of the full program."""

    keep: IntArray
    drop: IntArray
    cost: FloatArray
    At: sp.csr_matrix
    """``A[:, drop]ᵀ`` (slacks × rows)."""
    n_col: int

    @classmethod
    def of(cls, full: LinearProgram, keep: IntArray, drop: IntArray) -> _SlackCheck:
        """Precompute once per model (the matrix and costs do not change between periods)."""
        At = sp.csr_matrix(sp.csc_matrix(full.A)[:, drop].T)
        return cls(keep, drop, full.cost[drop], At, full.n_col)


def _certify(check: _SlackCheck, slack_upper: FloatArray, sol: LpSolution) -> LpSolution | None:
    """Lift an optimal slack-free solution to the full program, or ``None`` when it is not
    optimal there (``slack_upper``: the slack columns' upper bounds in this period).

    With the slacks at zero the point is feasible for the full program, and the row duals ``y``
    of the slack-free program stay dual feasible for it iff every slack column ``s`` that can
    move (upper bound > 0; all slacks have lower bound 0) has a reduced cost
    ``d_s = c_s − A_sᵀ y ≥ 0`` (slacks have no quadratic term). Then KKT holds for the full
    program (complementary slackness: ``x_s = 0``), so ``(x, y)`` is an exact optimum of the
    program with slacks — same objective, and the same LMPs as a valid optimal dual. For
    shedding the test reads LMP ≤ VOLL, for spill LMP ≥ −spill cost, for an overload: the
    congestion price it would relieve is below the overload penalty.
    """
    if sol.status != "optimal":
        return None
    d = check.cost - np.asarray(check.At @ sol.row_duals, dtype=np.float64)
    tol = SLACK_DUAL_TOL * np.maximum(1.0, np.abs(check.cost))
    if np.any((slack_upper > 0.0) & (d < -tol)) or not np.all(np.isfinite(d)):
        return None
    x = np.zeros(check.n_col)
    x[check.keep] = sol.x
    z = np.zeros(check.n_col)
    z[check.keep] = sol.col_duals
    z[check.drop] = d
    return dataclasses.replace(sol, x=x, col_duals=z)


def solve_model(
    model: DcOpfModel,
    *,
    method: Method = "auto",
    time_limit_s: float | None = None,
    slack_free_first: bool = True,
) -> DcOpfResult:
    """Solve an assembled :class:`DcOpfModel` and extract dispatch, flows, prices and slacks.

    Large QPs (quadratic costs, more than :data:`QP_INTERIOR_COLUMNS` columns) with
    ``method="auto"`` go to Clarabel's interior point; everything else to HiGHS.

    ``slack_free_first`` (default; only with slacks): first solve the program without its slack
    columns (1/3 of the columns on PGLib cases; the 10⁴–10⁵ penalty costs and the extra
    degenerate columns make HiGHS's dual simplex 3–6× slower) and keep that solution when its
    duals certify it optimal for the program with slacks (:func:`_certify`, exact). Otherwise —
    the slack-free program is infeasible, or a slack is cheaper (e.g. an LMP above VOLL) — the
    program with slacks is solved as before, and the slack-free status found on the way replaces
    the re-check of :func:`_hard_feasible`.
    """
    chosen = _choose_method(model, method)
    data, lp = model.data, model.lp
    T = data.n_periods
    t0 = time.perf_counter()
    drop = _slack_index(model) if model.allow_slack and slack_free_first else None
    if drop is not None and drop.size == 0:
        drop = None
    hard: LinearProgram | None = None
    check: _SlackCheck | None = None
    if drop is not None:
        hard, keep = _without_columns(lp, drop)
        check = _SlackCheck.of(lp, keep, drop)
    periods = [None] if model.lp_periods == T else list(range(T))

    def slack_upper(t: int | None) -> FloatArray:
        assert drop is not None
        upper = lp.col_upper.copy()
        if t is not None and t > 0:  # the template holds period 0
            upper[lp.col_blocks["shed"]] = np.maximum(data.demand_mw[t], 0.0)
        return upper[drop]

    interior = method == "auto" and lp.is_qp and lp.n_col > QP_INTERIOR_COLUMNS
    if interior:
        chosen = "ipm"
    warm: dict[str, WarmLp] = {}

    def run(which: LinearProgram, key: str, t: int | None) -> LpSolution:
        if interior:
            return _solve_qp_interior(which if t is None else _at_period(which, data, t))
        if t is None:
            return solve(which, method=chosen, time_limit_s=time_limit_s)
        fresh = key not in warm
        if fresh:  # the template holds period 0
            warm[key] = WarmLp(which, method=chosen, time_limit_s=time_limit_s)
        if not fresh or t > 0:
            _set_period(warm[key], data, t)
        return warm[key].solve()

    sols: list[LpSolution] = []
    known: dict[int | None, bool] = {}
    for t in periods:
        if hard is not None and check is not None:
            first = run(hard, "hard", t)
            lifted = _certify(check, slack_upper(t), first)
            if lifted is not None:
                sols.append(lifted)
                continue
            if first.status in ("optimal", "infeasible"):  # keys as in _extract
                known[(t or 0) if model.decomposed else None] = first.status == "optimal"
            sol = run(lp, "full", t)
            sols.append(dataclasses.replace(sol, iterations=sol.iterations + first.iterations))
        else:
            sols.append(run(lp, "full", t))
    solve_s = time.perf_counter() - t0
    return _extract(model, sols, chosen, model.build_s, solve_s, hard_feasible=known)


def _worst_status(sols: list[LpSolution]) -> str:
    for status in ("error", "unbounded", "infeasible", "time_limit"):
        if any(s.status == status for s in sols):
            return status
    return "optimal"


def _extract(
    model: DcOpfModel,
    sols: list[LpSolution],
    method: Method,
    build_s: float,
    solve_s: float,
    *,
    check_hard: bool = True,
    hard_feasible: Mapping[int | None, bool] | None = None,
) -> DcOpfResult:
    """Read dispatch, flows, prices and slacks from the solutions (one, or one per period).

    ``check_hard=False`` skips the re-check of the slack-free problem (the joint T+D OPF, whose
    transmission rows alone are not the whole problem, decides its status itself).
    ``hard_feasible`` gives the slack-free status already known per period (key ``None`` for a
    coupled program); those periods are not re-checked.
    """
    t0 = time.perf_counter()
    tr, net, data, lp = model.tr, model.net, model.data, model.lp
    T, dt = data.n_periods, data.period_hours
    status = _worst_status(sols)
    st = _reshape(
        lp,
        [s.x for s in sols],
        [s.col_duals for s in sols],
        [s.row_duals for s in sols],
        T,
    )
    x, zc, yr = st.x, st.zc, st.yr
    flow = x["flow"].copy()
    if model.allow_slack and model.limited.size:
        flow[:, model.limited] += x["overload_up"] - x["overload_down"]
    lmp = yr["balance"] / dt
    mu = zc["flow"] / dt
    alpha = yr["angle_diff"] / dt if net.angle_rows.size else None
    prices = decompose(net, lmp, mu, alpha)
    objective = float(sum(s.objective for s in sols))
    slacks: list[Slack] = []
    flagged = np.zeros((T, net.n_bus), dtype=bool)
    penalty = 0.0
    if model.allow_slack and status == "optimal":
        slacks, penalty, flagged = _slacks(model, x, mu, lmp)
        if slacks and check_hard:
            periods: list[int | None] = [None]
            if model.decomposed:
                periods = [*sorted({s.period for s in slacks})]
            known = hard_feasible or {}
            feasible = all(
                known[p] if p in known else _hard_feasible(model, method, p) for p in periods
            )
            status = "optimal" if feasible else "infeasible"
    rows_sto = len(tr.storage)
    binding = _binding(model, flow, mu) if status in ("optimal", "infeasible") else ()
    prices_s = time.perf_counter() - t0
    return DcOpfResult(
        status=status,
        objective=objective if status in ("optimal", "infeasible") else float("nan"),
        penalty_cost=penalty,
        convention=net.convention,
        period_hours=dt,
        bus_ids=np.asarray(tr.buses.id),
        branch_ids=np.asarray(tr.branches.id),
        gen_ids=np.asarray(tr.generators.id),
        storage_ids=np.asarray(tr.storage.id),
        prices=prices,
        price_set_by_slack=flagged,
        dispatch_mw=x["p"],
        flow_mw=flow,
        theta_rad=x["theta"],
        charge_mw=x["charge"] if rows_sto else np.zeros((T, 0)),
        discharge_mw=x["discharge"] if rows_sto else np.zeros((T, 0)),
        soc_mwh=x["soc"] if rows_sto else np.zeros((T, 0)),
        flow_dual=mu,
        binding=binding,
        slacks=tuple(slacks),
        solver=sols[0].solver,
        solver_version=sols[0].solver_version,
        method=method,
        decomposed=model.lp_periods != T,
        iterations=int(sum(s.iterations for s in sols)),
        time_s=build_s + solve_s + prices_s,
        timings={"build_s": build_s, "solve_s": solve_s, "prices_s": prices_s},
    )


def _slacks(
    model: DcOpfModel, x: Mapping[str, FloatArray], mu: FloatArray, lmp: FloatArray
) -> tuple[list[Slack], float, NDArrayBool]:
    """Non-zero slacks (sorted by period, kind, id), their penalty cost and the flagged prices."""
    tr, dt = model.tr, model.data.period_hours
    bus_ids, br_ids = np.asarray(tr.buses.id), np.asarray(tr.branches.id)
    lim_ids = br_ids[model.limited]
    entries: list[tuple[str, str, IntArray, FloatArray, float]] = [
        ("load_shedding", "bus", bus_ids, x["shed"], model.voll),
        ("over_generation", "bus", bus_ids, x["spill"], model.spill_cost),
        ("line_overload", "branch", lim_ids, x["overload_up"], model.overload_penalty),
        ("line_overload", "branch", lim_ids, -x["overload_down"], model.overload_penalty),
    ]
    slacks: list[Slack] = []
    penalty = 0.0
    for kind, element, ids, values, price in entries:
        penalty += float(np.sum(np.abs(values))) * price * dt
        for t, j in np.argwhere(np.abs(values) > SLACK_TOL_MW):  # only the non-zero ones
            slacks.append(Slack(kind, element, int(ids[j]), int(t), float(values[t, j]), price))
    slacks.sort(key=lambda s: (s.period, s.kind, s.id))
    tol = 1e-6 * max(model.voll, model.spill_cost)
    flagged = (
        (x["shed"] > SLACK_TOL_MW)
        | (x["spill"] > SLACK_TOL_MW)
        | (lmp >= model.voll - tol)
        | (lmp <= -model.spill_cost + tol)
    )
    over = (np.abs(x["overload_up"]) + np.abs(x["overload_down"])) > SLACK_TOL_MW
    if np.any(over):
        mu_over = np.zeros_like(mu)
        mu_over[:, model.limited] = np.where(over, mu[:, model.limited], 0.0)
        part = congestion_from_duals(model.net, mu_over)
        flagged |= np.abs(part) > 1e-6 * np.maximum(1.0, np.abs(lmp))
    return slacks, penalty, flagged


def _binding(model: DcOpfModel, flow: FloatArray, mu: FloatArray) -> tuple[Binding, ...]:
    """Branches whose |flow| reaches the rating (relative tolerance 1e-6)."""
    rating = model.net.rating_mw[None, :]
    finite = np.isfinite(rating)
    limit = np.where(finite, rating, 0.0)
    at = finite & (np.abs(flow) >= limit - 1e-6 * np.maximum(1.0, limit))
    ids = model.tr.branches.id
    return tuple(
        Binding(
            id=int(ids[j]),
            period=int(t),
            flow_mw=float(flow[t, j]),
            limit_mw=float(model.net.rating_mw[j]),
            dual=float(abs(mu[t, j])),
        )
        for t, j in np.argwhere(at)
    )
