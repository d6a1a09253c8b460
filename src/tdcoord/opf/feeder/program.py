"""Sparse assembly of the feeder OPF by constraint family (LinDistFlow and branch-flow SOCP).

Notation (node rows j = 0..n−1, row 0 the root; branch b = 0..m−1 feeds node b + 1 from its parent
p(b); T periods; every block is period-major: entry ``t·size + i``). Powers are in MW / Mvar,
``w`` is the squared voltage magnitude in pu², ``S_base`` the feeder's ``base_mva``.

Columns
    ``p_root, q_root`` (T): supply at the root, cost = root price · Δt (export earns it);
    ``p_flow, q_flow`` (T·m): sending-end branch flows; ``w`` (T·m): squared voltage of node b + 1;
    ``l_flow`` (T·m, SOCP only): ``L = (P² + Q²)/w_p`` in MVA² (squared current × S_base²);
    ``p_offer, q_offer`` (T·k): flexible injections; ``shed`` (T·n) at VOLL (reactive load shed at
    the node's power factor); ``curtail`` (T·n) static generation curtailed;
    ``v_up, v_dn`` (T·m) squared-voltage violations; ``s_over`` (T·r) rating violations of the r
    rated branches, ``s_over_sub`` at the substation; ``norm_cost`` (T) epigraph of a norm cost.

Rows (Baran & Wu 1989, "Network reconfiguration…", IEEE Trans. Power Delivery 4(2); Farivar &
Low 2013, "Branch flow model: relaxations and convexification", IEEE Trans. Power Systems 28(3))
    ``p_balance`` (T·n): ``Σ_in (P_b − loss_b) − Σ_out P_b + p_root[j=0] + Σ p_offer + shed
    − curtail = load − sgen`` — its dual is the active DLMP (€/MWh after division by Δt);
    ``q_balance`` (T·n): the same for Q with reactive losses ``x/r·loss``;
    ``v_drop`` (T·m): ``w_{b+1} − w_{p(b)} + 2(r P_b + x Q_b)/S_base − (r² + x²) L_b / S_base² = 0``
    (``w_root = v_root²`` moves to the right-hand side; LinDistFlow: L fixed or zero);
    ``v_limit`` (T·m): ``v_min² ≤ w − v_up + v_dn ≤ v_max²``;
    ``thermal`` (T·K'·r): ``a_p P + a_q Q − a_s s_over ≤ a_s S_max`` (polygon, see
    :class:`~tdcoord.opf.feeder.case.FacetPolygon`; the K' facets that a feasible flow can reach,
    :mod:`tdcoord.opf.feeder.facets`); ``substation`` likewise on the root supply.

Loss factors (LinDistFlow with losses): the active loss of branch b,
``loss_b = r (P² + Q²) / (S_base w_p)``, is linearised at an operating point (P̄, Q̄, w̄):
``loss ≈ −ℓ̄ + a P + β Q`` with ``a = 2 r P̄ / (S_base w̄)``, ``β = 2 r Q̄ / (S_base w̄)``,
``ℓ̄ = loss(P̄, Q̄, w̄)``; the loss is drawn at the receiving node, and the voltage-drop term uses
``L̄ = (P̄² + Q̄²)/w̄``. At a fixed point of the iteration the linearisation is exact at the solution.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from tdcoord.arrays import period_major, repeat_per_period
from tdcoord.errors import OptimizationError
from tdcoord.grid.topology import incidence
from tdcoord.opf.feeder.case import FeederCase, FeederOptions
from tdcoord.opf.feeder.facets import FlowBox, flow_box, reachable_facets
from tdcoord.opf.lp import LinearProgram, LpBuilder
from tdcoord.opf.lp.builder import SocSpec
from tdcoord.types import FloatArray, IntArray


@dataclasses.dataclass(frozen=True, eq=False)
class LossPoint:
    """Operating point of the loss linearisation: flows and sending-end squared voltage (T·m)."""

    p_mw: FloatArray
    q_mvar: FloatArray
    w_from: FloatArray

    def loss_mw(self, r_over_base: FloatArray) -> FloatArray:
        """Active loss per branch and period at the point, MW (period-major)."""
        return np.asarray(r_over_base * (self.p_mw**2 + self.q_mvar**2) / self.w_from)


@dataclasses.dataclass(frozen=True, eq=False)
class FeederLayout:
    """The named, period-major layout of a feeder program — read it, never re-derive it.

    Every column block and row block of :func:`build_program` holds ``T·s`` entries, entry
    ``t·s + i`` being element ``i`` of period ``t`` (module docstring); so no row couples two
    periods and the program splits into per-period blocks (``col_period`` / ``row_period``).
    """

    n_periods: int
    col_blocks: Mapping[str, slice]
    row_blocks: Mapping[str, slice]
    col_period: IntArray
    """Period of every column."""
    row_period: IntArray
    """Period of every row."""

    def columns(self, name: str, t: int) -> IntArray:
        """Positions of block ``name``'s columns of period ``t`` (e.g. ``"p_root"``,
        ``"p_offer"``: one per offer, in offer order)."""
        sl = self.col_blocks[name]
        size = (sl.stop - sl.start) // self.n_periods
        return np.arange(sl.start + t * size, sl.start + (t + 1) * size, dtype=np.int64)

    def rows(self, name: str, t: int) -> IntArray:
        """Positions of block ``name``'s rows of period ``t``."""
        sl = self.row_blocks[name]
        size = (sl.stop - sl.start) // self.n_periods
        return np.arange(sl.start + t * size, sl.start + (t + 1) * size, dtype=np.int64)


@dataclasses.dataclass(frozen=True, eq=False)
class FeederProgram:
    """The assembled program plus what is needed to read the solution back."""

    lp: LinearProgram
    cones: SocSpec | None
    model: str  # "lindistflow" | "socp"
    rated: IntArray  # branch rows with a finite rating
    has_substation_limit: bool
    loss_point: LossPoint | None
    facet_box: FlowBox | None = None
    """The flow box the facets were pruned with (None: all facets kept)."""

    def layout(self, n_periods: int) -> FeederLayout:
        """The program's named column and row layout over ``n_periods`` periods."""
        lp = self.lp
        return FeederLayout(
            n_periods=n_periods,
            col_blocks=dict(lp.col_blocks),
            row_blocks=dict(lp.row_blocks),
            col_period=period_labels(lp.col_blocks, n_periods),
            row_period=period_labels(lp.row_blocks, n_periods),
        )


def period_labels(blocks: Mapping[str, slice], T: int) -> IntArray:
    """The period of every column (or row) of a program whose blocks are all period-major.

    A block of ``T·s`` entries holds entry ``t·s + i`` for period t (module docstring), so its
    label is ``position // s``. Used to split the program into per-period LPs
    (:class:`~tdcoord.opf.lp.BlockWarmLp`).
    """
    parts = []
    for name, sl in blocks.items():
        size = sl.stop - sl.start
        if size % T:
            raise OptimizationError(
                f"block {name!r} has {size} entries, not a multiple of {T} periods",
                where="feeder program",
                fix="build the program with build_program (every family is per period)",
            )
        parts.append(np.arange(size, dtype=np.int64) // max(size // T, 1))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


# -- constraint families (pure functions of the case; return sparse blocks) ----------------------


def balance_blocks(
    case: FeederCase, *, reactive: bool
) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix, FloatArray]:
    """Per-period blocks of the nodal balance: (branch incidence, root selector, offer map) + rhs.

    rhs (period-major, length T·n) is load − static generation.
    """
    f = case.feeder
    n, k = f.n_node, case.n_offers
    root = sp.csr_matrix(
        (np.ones(1), (np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64))), shape=(n, 1)
    )
    offer = sp.csr_matrix((np.ones(k), (case.offer_row, np.arange(k))), shape=(n, k))
    if reactive:
        rhs = period_major(case.load_q_mvar - case.sgen_q_mvar)
    else:
        rhs = period_major(case.load_p_mw - case.sgen_p_mw)
    return incidence(f), root, offer, rhs


def receiving_selector(n: int) -> sp.csr_matrix:
    """Node × branch matrix with a 1 at the node each branch feeds (where losses are drawn)."""
    m = n - 1
    return sp.csr_matrix((np.ones(m), (np.arange(1, n), np.arange(m))), shape=(n, m))


def voltage_drop_blocks(case: FeederCase) -> tuple[sp.csr_matrix, FloatArray, FloatArray]:
    """Per-period ``w`` block of the voltage-drop rows (I − parent selector) and the per-branch
    coefficients 2r/S_base, 2x/S_base; the root voltage enters the right-hand side."""
    f = case.feeder
    m = f.n_node - 1
    par = f.parent[1:]
    inner = par > 0
    sel = sp.csr_matrix(
        (np.ones(int(inner.sum())), (np.arange(m)[inner], par[inner] - 1)), shape=(m, m)
    )
    wmat = sp.csr_matrix(sp.identity(m, format="csr") - sel)
    br = f.branches
    return wmat, 2.0 * br.r_pu / f.base_mva, 2.0 * br.x_pu / f.base_mva


def voltage_limit_bounds(case: FeederCase) -> tuple[FloatArray, FloatArray]:
    """Squared-voltage bounds of the non-root nodes (period-major)."""
    nodes = case.feeder.nodes
    T = case.n_periods
    return np.tile(nodes.v_min_pu[1:] ** 2, T), np.tile(nodes.v_max_pu[1:] ** 2, T)


def thermal_blocks(
    case: FeederCase,
    options: FeederOptions,
    rated: IntArray,
    keep: npt.NDArray[np.bool_] | None = None,
) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix, FloatArray]:
    """Per-period polygon blocks on (P, Q, s_over) of the rated branches, and their rhs.

    Rows are facet-major (facet k of rated branch i is row ``k·r + i``); ``keep`` (K × r) selects
    the facets that can bind (:func:`tdcoord.opf.feeder.facets.reachable_facets`).
    """
    poly = options.facets()
    m = case.feeder.n_node - 1
    r = len(rated)
    sel = sp.csr_matrix((np.ones(r), (np.arange(r), rated)), shape=(r, m))
    a_p = sp.kron(sp.csr_matrix(poly.a_p[:, None]), sel, format="csr")
    a_q = sp.kron(sp.csr_matrix(poly.a_q[:, None]), sel, format="csr")
    a_s = sp.kron(sp.csr_matrix(-poly.a_s[:, None]), sp.identity(r), format="csr")
    rhs = np.asarray(np.kron(poly.a_s, case.feeder.branches.rating_mva[rated]), dtype=np.float64)
    if keep is not None:
        rows = np.flatnonzero(np.asarray(keep, dtype=bool).ravel())
        a_p, a_q, a_s, rhs = a_p[rows], a_q[rows], a_s[rows], rhs[rows]
    return a_p, a_q, a_s, rhs


def norm_cost_cones(case: FeederCase, offer_cols: slice, epi_cols: slice, n_col: int) -> SocSpec:
    """Cones ``(r_t, s·w ⊙ p_offer_t) ∈ SOC(k + 1)`` for every period t."""
    T, k = case.n_periods, case.n_offers
    assert case.offer_norm_weight is not None
    per = k + 1
    t = np.arange(T)
    rows_r = t * per
    cols_r = epi_cols.start + t
    scale = case.offer_norm_scale * case.offer_norm_weight
    rows_p = (t[:, None] * per + 1 + np.arange(k)[None, :]).ravel()
    cols_p = offer_cols.start + np.arange(T * k)
    vals = np.concatenate([np.ones(T), np.tile(scale, T)])
    G = sp.csr_matrix(
        (vals, (np.concatenate([rows_r, rows_p]), np.concatenate([cols_r, cols_p]))),
        shape=(T * per, n_col),
    )
    return SocSpec(G=G, h=np.zeros(T * per), dims=(per,) * T)


def branch_flow_cones(case: FeederCase, cols: dict[str, slice], n_col: int) -> SocSpec:
    """Rotated cones ``P² + Q² ≤ L·w_p`` as ``(L + w_p, 2P, 2Q, L − w_p) ∈ SOC(4)`` (Farivar–Low).

    ``w_p`` is a column for inner nodes and the constant v_root² for branches leaving the root.
    """
    f = case.feeder
    T, m = case.n_periods, f.n_node - 1
    idx = np.arange(T * m)
    t = idx // m
    b = idx % m
    par = f.parent[1:][b]
    inner = par > 0
    w_par = cols["w"].start + t * m + np.maximum(par - 1, 0)
    L = cols["l_flow"].start + idx
    P = cols["p_flow"].start + idx
    Q = cols["q_flow"].start + idx
    base = 4 * idx
    rows = [base, base + 1, base + 2, base + 3, base[inner], base[inner] + 3]
    cs = [L, P, Q, L, w_par[inner], w_par[inner]]
    vals = [
        np.ones(T * m),
        2 * np.ones(T * m),
        2 * np.ones(T * m),
        np.ones(T * m),
        np.ones(int(inner.sum())),
        -np.ones(int(inner.sum())),
    ]
    G = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cs))), shape=(4 * T * m, n_col)
    )
    h = np.zeros(4 * T * m)
    w_root = f.v_root_pu**2
    h[base[~inner]] = w_root
    h[base[~inner] + 3] = -w_root
    return SocSpec(G=G, h=h, dims=(4,) * (T * m))


# -- the program -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class _Losses:
    """Per-branch-and-period loss terms (period-major): the linearisation of the losses around a
    loss point (zeros when lossless), and r, x, |z|² over the base."""

    r_b: FloatArray
    x_b: FloatArray
    z2: FloatArray
    a: FloatArray  # ∂loss_p/∂P
    beta: FloatArray  # ∂loss_p/∂Q
    ax: FloatArray  # ∂loss_q/∂P
    bx: FloatArray  # ∂loss_q/∂Q
    lbar_p: FloatArray
    lbar_q: FloatArray
    l_sq: FloatArray


def _losses(case: FeederCase, loss_point: LossPoint | None, socp: bool) -> _Losses:
    """Loss coefficients of the LinDistFlow program with a loss point (module docstring)."""
    f, T, m = case.feeder, case.n_periods, case.feeder.n_node - 1
    br = f.branches
    r_b = np.tile(br.r_pu / f.base_mva, T)
    x_b = np.tile(br.x_pu / f.base_mva, T)
    z2 = np.tile((br.r_pu**2 + br.x_pu**2) / f.base_mva**2, T)
    if loss_point is not None and not socp:
        a = 2.0 * r_b * loss_point.p_mw / loss_point.w_from
        beta = 2.0 * r_b * loss_point.q_mvar / loss_point.w_from
        ax = 2.0 * x_b * loss_point.p_mw / loss_point.w_from
        bx = 2.0 * x_b * loss_point.q_mvar / loss_point.w_from
        lbar_p = loss_point.loss_mw(r_b)
        lbar_q = loss_point.loss_mw(x_b)
        l_sq = (loss_point.p_mw**2 + loss_point.q_mvar**2) / loss_point.w_from
    else:
        a = beta = ax = bx = lbar_p = lbar_q = l_sq = np.zeros(T * m)
    return _Losses(r_b, x_b, z2, a, beta, ax, bx, lbar_p, lbar_q, l_sq)


def _add_columns(
    b: LpBuilder, case: FeederCase, options: FeederOptions, socp: bool, n_rated: int
) -> dict[str, slice]:
    """Every column family, in the program's fixed order (``l_flow`` only for the SOCP)."""
    f = case.feeder
    n, m, T, k = f.n_node, f.n_node - 1, case.n_periods, case.n_offers
    dt = case.dt_h
    sub_limit = bool(np.isfinite(f.substation_rating_mva))
    c: dict[str, slice] = {}
    c["p_root"] = b.add_columns("p_root", T, -np.inf, np.inf, case.price_eur_per_mwh * dt)
    c["q_root"] = b.add_columns("q_root", T, -np.inf, np.inf, case.q_price_eur_per_mvarh * dt)
    c["p_flow"] = b.add_columns("p_flow", T * m, -np.inf, np.inf)
    c["q_flow"] = b.add_columns("q_flow", T * m, -np.inf, np.inf)
    c["w"] = b.add_columns("w", T * m, -np.inf, np.inf)
    if socp:
        c["l_flow"] = b.add_columns("l_flow", T * m, 0.0, np.inf)
    c["p_offer"] = b.add_columns(
        "p_offer",
        T * k,
        period_major(case.offer_p_min_mw),
        period_major(case.offer_p_max_mw),
        period_major(case.offer_cost_eur_per_mwh) * dt,
    )
    c["q_offer"] = b.add_columns(
        "q_offer", T * k, period_major(case.offer_q_min_mvar), period_major(case.offer_q_max_mvar)
    )
    load_p = period_major(case.load_p_mw)
    on = 1 if options.slacks else 0
    c["shed"] = b.add_columns("shed", on * T * n, 0.0, np.maximum(load_p, 0.0)[: on * T * n],
                              options.voll_eur_per_mwh * dt)
    c["curtail"] = b.add_columns(
        "curtail", on * T * n, 0.0, np.maximum(period_major(case.sgen_p_mw), 0.0)[: on * T * n],
        options.curtailment_eur_per_mwh * dt,
    )
    volt = options.voltage_eur_per_pu2_h * dt
    c["v_up"] = b.add_columns("v_up", on * T * m, 0.0, np.inf, volt)
    c["v_dn"] = b.add_columns("v_dn", on * T * m, 0.0, np.inf, volt)
    over = options.overload_eur_per_mvah * dt
    c["s_over"] = b.add_columns("s_over", on * T * n_rated, 0.0, np.inf, over)
    c["s_over_sub"] = b.add_columns("s_over_sub", on * T if sub_limit else 0, 0.0, np.inf, over)
    c["norm_cost"] = b.add_columns("norm_cost", T if case.has_norm_cost else 0, 0.0, np.inf, dt)
    return c


def _add_balances(
    b: LpBuilder, case: FeederCase, c: dict[str, slice], loss: _Losses, on: bool
) -> None:
    """The active and reactive nodal balances (module docstring)."""
    T, n = case.n_periods, case.feeder.n_node
    R = repeat_per_period(T, receiving_selector(n))
    for reactive in (False, True):
        inc, root, offer, rhs = balance_blocks(case, reactive=reactive)
        flows = (c["q_flow"], c["p_flow"]) if reactive else (c["p_flow"], c["q_flow"])
        flows_own, flows_other = flows
        own_loss, other_loss = (loss.bx, loss.ax) if reactive else (loss.a, loss.beta)
        lbar = loss.lbar_q if reactive else loss.lbar_p
        blocks = [
            (c["q_root"] if reactive else c["p_root"], repeat_per_period(T, root)),
            (flows_own, repeat_per_period(T, inc) - R @ sp.diags(own_loss)),
            (flows_other, -(R @ sp.diags(other_loss))),
            (c["q_offer"] if reactive else c["p_offer"], repeat_per_period(T, offer)),
        ]
        if reactive:
            lp_ = period_major(case.load_p_mw)
            ratio = np.divide(
                period_major(case.load_q_mvar), lp_, out=np.zeros_like(lp_), where=lp_ > 0
            )
            if on:
                blocks.append((c["shed"], sp.diags(ratio)))
        elif on:
            blocks += [(c["shed"], sp.identity(T * n)), (c["curtail"], -sp.identity(T * n))]
        if "l_flow" in c:
            blocks.append((c["l_flow"], -(R @ sp.diags(loss.x_b if reactive else loss.r_b))))
        rhs = rhs - R @ lbar
        name = "q_balance" if reactive else "p_balance"
        b.add_rows(name, blocks, rhs, rhs)


def _add_voltages(
    b: LpBuilder, case: FeederCase, c: dict[str, slice], loss: _Losses, on: bool
) -> None:
    """Voltage drop along every branch and voltage limits with violation slacks."""
    f, T, m = case.feeder, case.n_periods, case.feeder.n_node - 1
    wmat, _, _ = voltage_drop_blocks(case)
    rhs_v = np.where(np.tile(f.parent[1:], T) == 0, f.v_root_pu**2, 0.0) + loss.z2 * loss.l_sq
    vblocks: list[tuple[slice, Any]] = [
        (c["w"], repeat_per_period(T, wmat)),
        (c["p_flow"], sp.diags(2.0 * loss.r_b)),
        (c["q_flow"], sp.diags(2.0 * loss.x_b)),
    ]
    if "l_flow" in c:
        vblocks.append((c["l_flow"], -sp.diags(loss.z2)))
    b.add_rows("v_drop", vblocks, rhs_v, rhs_v)
    vlo, vhi = voltage_limit_bounds(case)
    eye = sp.identity(T * m, format="csr")
    vl_blocks = [(c["w"], eye), (c["v_up"], -eye), (c["v_dn"], eye)] if on else [(c["w"], eye)]
    b.add_rows("v_limit", vl_blocks, vlo, vhi)


def _add_ratings(
    b: LpBuilder,
    case: FeederCase,
    options: FeederOptions,
    c: dict[str, slice],
    rated: IntArray,
    facet_headroom: float,
) -> FlowBox | None:
    """Branch and substation ratings (polygons) with violation slacks; facets no feasible flow
    reaches are left out when ``options.prune_facets`` (returns the flow box used)."""
    f, T, on = case.feeder, case.n_periods, options.slacks
    poly = options.facets()
    box = (
        flow_box(case, slacks=options.slacks, headroom=facet_headroom)
        if options.prune_facets
        else None
    )
    keep = reachable_facets(box, poly, f.branches.rating_mva, rated) if box is not None else None
    a_p, a_q, a_s, rhs_t = thermal_blocks(case, options, rated, keep)
    th_blocks = [(c["p_flow"], repeat_per_period(T, a_p)), (c["q_flow"], repeat_per_period(T, a_q))]
    if on:
        th_blocks.append((c["s_over"], repeat_per_period(T, a_s)))
    b.add_rows("thermal", th_blocks, -np.inf, np.tile(rhs_t, T), n=T * len(rhs_t))
    if not np.isfinite(f.substation_rating_mva):
        b.add_rows("substation", [], n=0)
        return box
    one = sp.csr_matrix(np.ones((1, 1)))
    sub_blocks = [
        (c["p_root"], repeat_per_period(T, sp.csr_matrix(poly.a_p[:, None]) @ one)),
        (c["q_root"], repeat_per_period(T, sp.csr_matrix(poly.a_q[:, None]) @ one)),
    ]
    if on:
        over = repeat_per_period(T, sp.csr_matrix(-poly.a_s[:, None]))
        sub_blocks.append((c["s_over_sub"], over))
    b.add_rows("substation", sub_blocks, -np.inf, np.tile(poly.a_s * f.substation_rating_mva, T))
    return box


def _cones(case: FeederCase, lp: LinearProgram, c: dict[str, slice], socp: bool) -> SocSpec | None:
    """The program's second-order cones: branch flows (SOCP) and norm costs of offers."""
    cones: list[SocSpec] = []
    if socp:
        cones.append(branch_flow_cones(case, dict(lp.col_blocks), lp.n_col))
    if case.has_norm_cost:
        cones.append(norm_cost_cones(case, c["p_offer"], c["norm_cost"], lp.n_col))
    if not cones:
        return None
    return SocSpec(
        G=sp.csr_matrix(sp.vstack([k.G for k in cones], format="csr")),
        h=np.concatenate([k.h for k in cones]),
        dims=tuple(d for k in cones for d in k.dims),
    )


def build_program(
    case: FeederCase,
    options: FeederOptions,
    *,
    model: str = "lindistflow",
    loss_point: LossPoint | None = None,
    facet_headroom: float = 0.0,
) -> FeederProgram:
    """Assemble the feeder program (LinDistFlow LP, lossless or with a loss point, or the SOCP).

    Column families, then rows: nodal balances, voltage drop and limits, ratings (one function
    each). ``facet_headroom`` keeps the facets reachable from a flow box widened by that share
    (for programs that are re-solved warm with new loads or offer bounds).
    """
    options.check()
    socp = model == "socp"
    rated = np.flatnonzero(np.isfinite(case.feeder.branches.rating_mva)).astype(np.int64)
    b = LpBuilder()
    c = _add_columns(b, case, options, socp, len(rated))
    loss = _losses(case, loss_point, socp)
    _add_balances(b, case, c, loss, options.slacks)
    _add_voltages(b, case, c, loss, options.slacks)
    box = _add_ratings(b, case, options, c, rated, facet_headroom)
    lp = b.build()
    return FeederProgram(
        lp=lp,
        cones=_cones(case, lp, c, socp),
        model="socp" if socp else "lindistflow",
        rated=rated,
        has_substation_limit=bool(np.isfinite(case.feeder.substation_rating_mva)),
        loss_point=loss_point if not socp else None,
        facet_box=box,
    )
