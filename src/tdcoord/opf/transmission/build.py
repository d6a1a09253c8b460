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
  - \\varphi_l)` (see :mod:`tdcoord.opf.transmission.network` for ``b`` and ``φ`` per convention);
* branch limit :math:`-R_l \\le f_{lt} \\le R_l` (column bounds: the reduced cost of :math:`f` is
  the branch's shadow price); overload slack :math:`o^\\pm \\ge 0` only when slacks are allowed;
* angle difference (powermodels convention): :math:`\\underline\\delta_l \\le \\theta_i - \\theta_j
  \\le \\overline\\delta_l`; one reference angle per island fixed at 0;
* generator limits :math:`a_{gt} \\underline P_g \\le p_{gt} \\le a_{gt} \\overline P_g`
  (availability :math:`a_{gt} \\in [0, 1]`), optional ramps
  :math:`|p_{gt} - p_{g,t-1}| \\le R^{ramp}_g \\Delta t`;
* PWL epigraph :math:`z_{gt} \\ge C_k + s_k(p_{gt} - p_k)` (:mod:`tdcoord.opf.transmission.costs`);
* storage: :math:`e_{st} = e_{s,t-1} + \\Delta t(\\eta^c_s c_{st} - d_{st}/\\eta^d_s)`,
  :math:`e_{s0}` given, :math:`0 \\le e \\le E_s`, :math:`0 \\le c \\le C_s`, :math:`0 \\le d \\le
  D_s`, and (default) :math:`e_{sT} \\ge e_{s0}`.

LMPs are the balance duals divided by :math:`\\Delta t` (currency/MWh), decomposed by
:mod:`tdcoord.opf.transmission.prices`. Slack columns (load shedding at VOLL, over-generation,
overload) keep the
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
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from tdcoord.arrays import repeat_per_period
from tdcoord.errors import OptimizationError
from tdcoord.grid.model import Transmission
from tdcoord.opf.lp.builder import LinearProgram, LpBuilder
from tdcoord.opf.lp.warm import WarmLp
from tdcoord.opf.transmission.costs import GeneratorCosts, generator_costs
from tdcoord.opf.transmission.data import (
    DEFAULT_OVERLOAD_PENALTY,
    DEFAULT_SPILL_COST,
    DEFAULT_VOLL,
    DcOpfData,
    StorageEnd,
    dcopf_data,
)
from tdcoord.opf.transmission.network import DcNetwork, dc_network
from tdcoord.types import IntArray


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
    voll_eur_per_mwh: float
    spill_eur_per_mwh: float
    overload_eur_per_mwh: float
    build_s: float

    @property
    def decomposed(self) -> bool:
        """True when ``lp`` holds one period (solved period by period with warm updates)."""
        return self.lp_periods == 1


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
    over = m.overload_eur_per_mwh * dt
    cols["overload_up"] = b.add_columns("overload_up", n_lim, 0.0, np.inf, over)
    cols["overload_down"] = b.add_columns("overload_down", n_lim, 0.0, np.inf, over)
    st = m.tr.storage
    cols["charge"] = b.add_columns("charge", T * S, 0.0, np.tile(st.p_charge_max_mw, T))
    cols["discharge"] = b.add_columns("discharge", T * S, 0.0, np.tile(st.p_discharge_max_mw, T))
    cols["soc"] = b.add_columns("soc", T * S, 0.0, np.tile(st.e_max_mwh, T))
    n_slack = T * B if m.allow_slack else 0
    shed_max = np.maximum(data.demand_mw[:T], 0.0).ravel() if m.allow_slack else 0.0
    cols["shed"] = b.add_columns("shed", n_slack, 0.0, shed_max, m.voll_eur_per_mwh * dt)
    cols["spill"] = b.add_columns("spill", n_slack, 0.0, np.inf, m.spill_eur_per_mwh * dt)
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
        (c["p"], repeat_per_period(T, gen_at)),
        (c["flow"], repeat_per_period(T, -Ct)),
        (c["charge"], repeat_per_period(T, -sto_at)),
        (c["discharge"], repeat_per_period(T, sto_at)),
    ]
    if m.allow_slack:
        Ct_lim = sp.csr_matrix(Ct[:, m.limited])
        eye = sp.identity(B, format="csr")
        blocks += [
            (c["overload_up"], repeat_per_period(T, -Ct_lim)),
            (c["overload_down"], repeat_per_period(T, Ct_lim)),
            (c["shed"], repeat_per_period(T, eye)),
            (c["spill"], repeat_per_period(T, -eye)),
        ]
    demand = m.data.demand_mw[:T].ravel()
    b.add_rows("balance", blocks, demand, demand)


def _add_flow_definition(b: LpBuilder, m: DcOpfModelParts, c: dict[str, slice]) -> None:
    """F_l = b_l (θ_i − θ_j − φ_l), with F = f + o⁺ − o⁻."""
    T, net = m.T, m.net
    L = net.n_branch
    bC = sp.csr_matrix(sp.diags(net.b_mw) @ net.incidence)
    blocks: list[tuple[slice, Any]] = [
        (c["flow"], repeat_per_period(T, sp.identity(L, format="csr"))),
        (c["theta"], repeat_per_period(T, -bC)),
    ]
    if m.allow_slack:
        sel = sp.csr_matrix(
            (np.ones(len(m.limited)), (m.limited, np.arange(len(m.limited)))),
            shape=(L, len(m.limited)),
        )
        blocks += [
            (c["overload_up"], repeat_per_period(T, sel)),
            (c["overload_down"], repeat_per_period(T, -sel)),
        ]
    rhs = np.tile(-net.b_mw * net.shift_rad, T)
    b.add_rows("flow_def", blocks, rhs, rhs, n=T * L)


def _add_angle_limits(b: LpBuilder, m: DcOpfModelParts, c: dict[str, slice]) -> None:
    """δ_min ≤ θ_i − θ_j ≤ δ_max on branches with an enforced limit."""
    net, T = m.net, m.T
    Ca = sp.csr_matrix(net.incidence[net.angle_rows])
    b.add_rows(
        "angle_diff",
        [(c["theta"], repeat_per_period(T, Ca))],
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
        [(c["p"], repeat_per_period(T, A_p)), (c["pwl"], repeat_per_period(T, A_z))],
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
    A_c = repeat_per_period(T, sp.diags(-dt * np.asarray(st.eta_charge)))
    A_d = repeat_per_period(T, sp.diags(dt / np.asarray(st.eta_discharge)))
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
    voll_eur_per_mwh: float
    spill_eur_per_mwh: float
    overload_eur_per_mwh: float

    @property
    def n_storage(self) -> int:
        """Number of storage units."""
        return len(self.tr.storage)


def _check_prices(*prices_eur_per_mwh: float) -> None:
    """Every slack price (shedding, spill, overload) must be positive."""
    names = ("voll_eur_per_mwh", "spill_eur_per_mwh", "overload_eur_per_mwh")
    for name, value in zip(names, prices_eur_per_mwh, strict=True):
        if not value > 0:
            raise OptimizationError(f"{name} must be positive, got {value}", where=name)


def _lp_periods(tr: Transmission, data: DcOpfData, decompose_periods: bool | None) -> int:
    """Periods the program holds: 1 (per-period template) when nothing couples them (no
    storage, no finite ramp limit) or when asked, else all; decomposing coupled periods is
    refused."""
    coupled = len(tr.storage) > 0 or bool(np.any(np.isfinite(data.ramp_mw)))
    if decompose_periods and coupled and data.n_periods > 1:
        raise OptimizationError(
            "periods are coupled by storage or ramp limits and cannot be solved one by one",
            where="decompose_periods",
            fix="leave decompose_periods=None",
        )
    decomposed = decompose_periods if decompose_periods is not None else not coupled
    return 1 if decomposed else data.n_periods


def _assemble(parts: DcOpfModelParts) -> LinearProgram:
    """The program: columns, then one function per constraint family, in a fixed order."""
    b = LpBuilder()
    cols = _add_columns(b, parts)
    _add_balance(b, parts, cols)
    _add_flow_definition(b, parts, cols)
    _add_angle_limits(b, parts, cols)
    _add_pwl_epigraph(b, parts, cols)
    _add_storage(b, parts, cols)
    _add_ramps(b, parts, cols)
    return b.build()


def build_dcopf(  # noqa: PLR0913  (keyword-only inputs of the public DC-OPF, one per study field)
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
    voll_eur_per_mwh: float = DEFAULT_VOLL,
    spill_eur_per_mwh: float = DEFAULT_SPILL_COST,
    overload_eur_per_mwh: float = DEFAULT_OVERLOAD_PENALTY,
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
    _check_prices(voll_eur_per_mwh, spill_eur_per_mwh, overload_eur_per_mwh)
    T = _lp_periods(tr, data, decompose_periods)
    parts = DcOpfModelParts(
        tr=tr,
        net=net,
        costs=costs,
        data=data,
        T=T,
        dt=data.period_hours,
        limited=np.flatnonzero(np.isfinite(net.rating_mw)).astype(np.int64),
        allow_slack=allow_slack,
        voll_eur_per_mwh=float(voll_eur_per_mwh),
        spill_eur_per_mwh=float(spill_eur_per_mwh),
        overload_eur_per_mwh=float(overload_eur_per_mwh),
    )
    lp = _assemble(parts)
    return DcOpfModel(
        tr=tr,
        net=net,
        costs=costs,
        data=data,
        lp=lp,
        lp_periods=T,
        limited=parts.limited,
        allow_slack=allow_slack,
        voll_eur_per_mwh=parts.voll_eur_per_mwh,
        spill_eur_per_mwh=parts.spill_eur_per_mwh,
        overload_eur_per_mwh=parts.overload_eur_per_mwh,
        build_s=time.perf_counter() - t0,
    )


def period_lp(model: DcOpfModel, t: int) -> LinearProgram:
    """The per-period template with period ``t``'s demand, generator and shedding bounds."""
    return at_period(model.lp, model.data, t)


def at_period(lp: LinearProgram, data: DcOpfData, t: int) -> LinearProgram:
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


def set_period(warm: WarmLp, data: DcOpfData, t: int) -> None:
    """Warm update of a one-period program to period ``t`` (as :func:`at_period`)."""
    lp = warm.lp
    warm.update_col_bounds(lp.col_blocks["p"], data.p_min_mw[t], data.p_max_mw[t])
    bal = lp.row_blocks["balance"]
    warm.update_row_bounds(bal, data.demand_mw[t], data.demand_mw[t])
    shed = lp.col_blocks.get("shed")
    if shed is not None and shed.stop > shed.start:
        warm.update_col_bounds(shed, 0.0, np.maximum(data.demand_mw[t], 0.0))
