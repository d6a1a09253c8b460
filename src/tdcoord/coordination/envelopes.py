"""Dynamic operating envelopes: per-DER import/export limits that keep a feeder within its limits.

The Australian Hybrid model (seed 001 §III.A: "the DSO computes dynamic operating envelopes based
on direct access to network operation data and constraints") lets a central platform dispatch
every DER while the DSO only publishes, per DER (or connection point) and interval, an import
limit ``I_d ≥ 0`` and an export limit ``E_d ≥ 0``. Any dispatch ``p_d ∈ [−I_d, E_d]`` (MW, + =
injection, unity power factor) must keep the feeder within its voltage and thermal limits.

Model (lossless LinDistFlow, Baran & Wu 1989; node rows j, branch b feeds node b + 1, path matrix
``B`` and downstream matrix ``D = Bᵀ`` of :func:`tdcoord.grid.topology.path_matrix`): with the
passive net load ``(p, q)`` per node and DER injections ``N p_der`` (``N`` the node selector)

* branch flows ``P = D (p − N p_der)``, ``Q = D q``;
* squared voltages ``w = v_root² − B (2 r ⊙ P + 2 x ⊙ Q) / S_base = w⁰ + K p_der`` with
  ``K = B diag(2r/S_base) D N ≥ 0`` (an injection raises every voltage);
* limits ``(v_min + m)² ≤ w ≤ (v_max − m)²`` (``m = v_margin_pu``, a margin for what LinDistFlow
  neglects) and the polygon ``a_p P + a_q Q ≤ a_s S_max`` of every rated branch and of the
  substation (:class:`~tdcoord.opf.feeder.case.FacetPolygon`; for ``Q = 0`` the 12-gon gives
  exactly ``|P| ≤ S_max``), with ``Q`` the stated (passive) reactive flow.

Robustness: a row ``c·p_der ≤ μ`` holds for every ``p_der`` in the box iff
``Σ_d max(c_d·(−I_d), c_d·E_d) ≤ μ``. Every row's coefficients have one sign (voltages: ``K ≥ 0``;
flows: ``−D N ≤ 0``), so the rows split into **export rows** ``C_E E ≤ μ_E`` (over-voltage,
reverse flow) and **import rows** ``C_I I ≤ μ_I`` (under-voltage, forward flow) with
``C ≥ 0``, and the two directions are computed independently. Per branch only the tightest
polygon facet of each direction matters (``μ = min_f (a_s S − a_p P⁰ − a_q Q⁰)/|a_p|``).

Allocation rules (per interval, ``cap_d`` the DER's export or import capability):

* ``equal``: ``E_d = min(e, cap_d)`` with the largest common ``e`` (per row ``g(e) = Σ_d c_d
  min(e, cap_d)`` is piecewise linear and non-decreasing, inverted exactly by sorting the caps);
* ``proportional``: ``E_d = α·cap_d`` with the largest ``α ∈ [0, 1]``, ``α = min_r μ_r/(C cap)_r``;
* ``max_total``: ``max Σ_d E_d`` s.t. ``C E ≤ μ``, ``0 ≤ E ≤ cap`` (one HiGHS LP for all
  intervals, over node totals — DERs at one node share their node's total in proportion to
  capability).

An interval whose baseline (every DER at 0) already violates a row of a direction cannot have a
safe envelope in it: that direction's limits are 0 and ``status`` says ``"baseline_violation"``.

CSIP-AUS (IEEE 2030.5 Common Smart Inverter Profile – Australia, DERControl base): the site limits
are ``opModImpLimW`` = ``import_mw`` and ``opModExpLimW`` = ``export_mw``; the device limits
``opModLoadLimW`` = ``load_mw`` and ``opModGenLimW`` = ``generation_mw`` are set to the same values,
which is safe: gross load ``L ≤ I`` and gross generation ``G ≤ E`` imply ``−I ≤ G − L ≤ E``.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from numpy.typing import ArrayLike

from tdcoord.arrays import repeat_per_period
from tdcoord.errors import OptimizationError, TdcoordError
from tdcoord.grid.model import Feeder
from tdcoord.grid.topology import path_matrix
from tdcoord.opf import lp as lpmod
from tdcoord.opf.feeder.case import FacetPolygon
from tdcoord.opf.linear import voltage_sensitivity
from tdcoord.types import FloatArray, IntArray

__all__ = [
    "CSIP_AUS_LIMITS",
    "RULES",
    "EnvelopeError",
    "Envelopes",
    "Sensitivities",
    "operating_envelopes",
    "sensitivities",
]

Rule = Literal["equal", "proportional", "max_total"]
RULES: tuple[str, ...] = ("equal", "proportional", "max_total")

#: tdcoord array → CSIP-AUS DERControlBase element (values in W there, MW here).
CSIP_AUS_LIMITS: dict[str, str] = {
    "import_mw": "opModImpLimW",
    "export_mw": "opModExpLimW",
    "load_mw": "opModLoadLimW",
    "generation_mw": "opModGenLimW",
}


class EnvelopeError(TdcoordError, ValueError):
    """Bad input to the envelope computation (shapes, DER nodes, capabilities, rule)."""


@dataclasses.dataclass(frozen=True, eq=False)
class Envelopes:
    """Per-DER × interval limits (MW) and the status of each interval and direction."""

    rule: str
    der_node_row: IntArray
    import_mw: FloatArray
    export_mw: FloatArray
    load_mw: FloatArray
    generation_mw: FloatArray
    export_status: tuple[str, ...]  # per interval: "ok" | "baseline_violation"
    import_status: tuple[str, ...]

    @property
    def n_der(self) -> int:
        """Number of DERs (rows)."""
        return len(self.der_node_row)

    @property
    def n_periods(self) -> int:
        """Number of intervals (columns)."""
        return int(self.export_mw.shape[1])

    def csip_aus_w(self) -> dict[str, FloatArray]:
        """The four CSIP-AUS limits in W, keyed by their CSIP-AUS names."""
        return {name: getattr(self, key) * 1e6 for key, name in CSIP_AUS_LIMITS.items()}

    def contains(self, p_der_mw: ArrayLike, tol_mw: float = 1e-9) -> bool:
        """True when a dispatch (n_der, T) (+ = injection) lies inside every envelope."""
        p = np.asarray(p_der_mw, dtype=np.float64)
        return bool(((p <= self.export_mw + tol_mw) & (p >= -self.import_mw - tol_mw)).all())


@dataclasses.dataclass(frozen=True, eq=False)
class Sensitivities:
    """Linear map from DER injections to feeder quantities (lossless LinDistFlow)."""

    volt: sp.csr_matrix  # (m, n_der): ∂w_{node b+1}/∂p_d, pu²/MW, ≥ 0
    flow: sp.csr_matrix  # (m, n_der): −∂P_b/∂p_d ∈ {0, 1}
    down: sp.csr_matrix  # (m, n): downstream matrix D (P = D·net load)


def sensitivities(feeder: Feeder, der_node_row: IntArray) -> Sensitivities:
    """``K = B diag(2r/S_base) D N`` (voltages) and ``D N`` (flows) as sparse matrices."""
    B = path_matrix(feeder).tocsr()
    D = sp.csr_matrix(B.T)
    n_der = len(der_node_row)
    N = sp.csr_matrix(
        (np.ones(n_der), (der_node_row, np.arange(n_der))), shape=(feeder.n_node, n_der)
    )
    DN = sp.csr_matrix(D @ N)
    r_over = 2.0 * feeder.branches.r_pu / feeder.base_mva
    K = voltage_sensitivity(B, r_over, DN)
    return Sensitivities(volt=K, flow=DN, down=D)


def _caps(value: ArrayLike, n_der: int, T: int, what: str) -> FloatArray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full((n_der, T), float(arr))
    elif arr.shape == (n_der,):
        arr = np.repeat(arr[:, None], T, axis=1)
    if arr.shape != (n_der, T):
        raise EnvelopeError(
            f"{what} has shape {arr.shape}, expected ({n_der},) or ({n_der}, {T})",
            where=f"envelope input {what}",
            fix="give one capability per DER (and optionally per interval)",
        )
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise EnvelopeError(
            f"{what} must be finite and >= 0",
            where=f"envelope input {what}",
            fix="give each DER's rated import/export power in MW",
        )
    return arr


def _loads(value: ArrayLike, n: int, what: str) -> FloatArray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] != n or arr.shape[1] < 1:
        raise EnvelopeError(
            f"{what} has shape {np.shape(value)}, expected ({n},) or ({n}, T)",
            where=f"envelope input {what}",
            fix="give the passive net load per node row (and interval)",
        )
    if not np.isfinite(arr).all():
        raise EnvelopeError(f"{what} is not finite", where=what, fix="give finite numbers")
    return arr


def _facet_margin(
    poly: FacetPolygon, p0: FloatArray, q0: FloatArray, s_max: FloatArray, export: bool
) -> FloatArray:
    """``min_f (a_s S − a_p P⁰ − a_q Q⁰)/|a_p|`` over the facets of one direction; (r, T)."""
    use = poly.a_p < 0 if export else poly.a_p > 0
    a_p, a_q, a_s = poly.a_p[use], poly.a_q[use], poly.a_s[use]
    num = (
        a_s[:, None, None] * s_max[None, :, None]
        - a_p[:, None, None] * p0[None]
        - a_q[:, None, None] * q0[None]
    )
    return np.asarray((num / np.abs(a_p)[:, None, None]).min(axis=0))


def _rows(
    feeder: Feeder,
    sens: Sensitivities,
    load_p: FloatArray,
    load_q: FloatArray,
    poly: FacetPolygon,
    v_margin_pu: float,
    s_margin_frac: float,
    export: bool,
) -> tuple[sp.csr_matrix, FloatArray]:
    """Coefficients ``C ≥ 0`` (rows × n_der) and margins ``μ`` (rows × T) of one direction."""
    f = feeder
    br = f.branches
    P0 = sens.down @ load_p
    Q0 = sens.down @ load_q
    B = sens.down.T.tocsr()
    drop = (2.0 * br.r_pu / f.base_mva)[:, None] * P0 + (2.0 * br.x_pu / f.base_mva)[:, None] * Q0
    w0 = f.v_root_pu**2 - np.asarray(B[1:] @ drop)
    if export:
        mu_v = (f.nodes.v_max_pu[1:, None] - v_margin_pu) ** 2 - w0
    else:
        mu_v = w0 - (f.nodes.v_min_pu[1:, None] + v_margin_pu) ** 2
    blocks = [sens.volt]
    margins = [mu_v]
    rated = np.flatnonzero(np.isfinite(br.rating_mva))
    derate = 1.0 - s_margin_frac
    if len(rated):
        blocks.append(sens.flow[rated])
        margins.append(
            _facet_margin(poly, P0[rated], Q0[rated], derate * br.rating_mva[rated], export)
        )
    if np.isfinite(f.substation_rating_mva):
        n_der = sens.flow.shape[1]
        blocks.append(sp.csr_matrix(np.ones((1, n_der))))
        margins.append(
            _facet_margin(
                poly,
                load_p.sum(axis=0, keepdims=True),
                load_q.sum(axis=0, keepdims=True),
                np.array([derate * f.substation_rating_mva]),
                export,
            )
        )
    return sp.csr_matrix(sp.vstack(blocks, format="csr")), np.vstack(margins)


def _equal(C: FloatArray, mu: FloatArray, cap: FloatArray) -> FloatArray:
    """``min(e_t, cap)`` with the largest ``e_t`` (exact inversion of ``Σ c min(e, cap)``)."""
    n_der, T = cap.shape
    out = np.zeros((n_der, T))
    for t in range(T):  # per interval: the sort of the caps may change
        order = np.argsort(cap[:, t], kind="stable")
        cs = cap[order, t]
        Cs = C[:, order]
        cum_cc = np.cumsum(Cs * cs[None, :], axis=1)
        cum_c = np.cumsum(Cs, axis=1)
        total = cum_c[:, -1:]
        G = cum_cc + cs[None, :] * (total - cum_c)  # g at e = cs[k], non-decreasing in k
        m = mu[:, t]
        k = (m[:, None] >= G).sum(axis=1)
        inner = k < n_der
        rows = np.flatnonzero(inner)
        kk = k[rows]
        a = np.where(kk > 0, cum_cc[rows, np.maximum(kk - 1, 0)], 0.0)
        slope = total[rows, 0] - np.where(kk > 0, cum_c[rows, np.maximum(kk - 1, 0)], 0.0)
        e_rows = (m[rows] - a) / slope
        e = float(e_rows.min()) if len(rows) else float(cs[-1]) if n_der else 0.0
        out[:, t] = np.minimum(max(e, 0.0), cap[:, t])
    return out


def _proportional(C: sp.csr_matrix, mu: FloatArray, cap: FloatArray) -> FloatArray:
    load = np.asarray(C @ cap)
    ratio = np.divide(mu, load, out=np.full(mu.shape, np.inf), where=load > 0)
    alpha = np.clip(ratio.min(axis=0, initial=np.inf), 0.0, 1.0)
    return np.asarray(cap * alpha[None, :])


def _max_total(C: sp.csr_matrix, mu: FloatArray, cap: FloatArray, node: IntArray) -> FloatArray:
    """``max Σ E`` s.t. ``C E ≤ μ``, ``0 ≤ E ≤ cap``, solved per node: DERs at one node have
    identical columns, so the LP over node totals (capability = the node's sum) has the same
    optimum; each node total is split in proportion to the DERs' capabilities."""
    T = cap.shape[1]
    uniq, first, inv = np.unique(node, return_index=True, return_inverse=True)
    k = len(uniq)
    cap_node = np.zeros((k, T))
    np.add.at(cap_node, inv, cap)
    b = lpmod.LpBuilder()
    cols = b.add_columns("limit", k * T, 0.0, cap_node.T.ravel(), -1.0)
    big = repeat_per_period(T, C[:, first])
    b.add_rows("robust", [(cols, big)], -np.inf, mu.T.ravel())
    sol = lpmod.solve(b.build(), method="simplex")
    if not sol.ok:
        raise OptimizationError(
            f"the max_total envelope LP ended with status {sol.status}",
            where="operating_envelopes(rule='max_total')",
            fix="report the case; E = 0 is always feasible once baseline violations are removed",
        )
    total = np.clip(sol.x.reshape(T, k).T, 0.0, cap_node)
    share = np.divide(total, cap_node, out=np.zeros_like(total), where=cap_node > 0)
    return np.asarray(np.minimum(share[inv] * cap, cap))


def _safe(C: sp.csr_matrix, mu: FloatArray, limits: FloatArray) -> FloatArray:
    """Shrink an interval's limits if rounding left a row above its margin (ratio ≤ 1 + 1e-7)."""
    use = np.asarray(C @ limits)
    ratio = np.divide(use, mu, out=np.zeros(mu.shape), where=mu > 0)
    worst = np.maximum(ratio.max(axis=0, initial=0.0), 1.0)
    return np.asarray(limits / worst[None, :])


def _direction(
    C: sp.csr_matrix, mu: FloatArray, cap: FloatArray, rule: str, node: IntArray
) -> tuple[FloatArray, tuple[str, ...]]:
    active = np.asarray(abs(C).sum(axis=1)).ravel() > 0
    bad: npt.NDArray[np.bool_] = np.asarray((mu < 0).any(axis=0))  # p = 0 already violates
    C, mu = C[np.flatnonzero(active)], np.maximum(mu[active], 0.0)
    cap = np.where(bad[None, :], 0.0, cap)
    if C.shape[0] == 0:
        limits = cap.copy()
    elif rule == "equal":
        limits = _equal(C.toarray(), mu, cap)
    elif rule == "proportional":
        limits = _proportional(C, mu, cap)
    else:
        limits = _max_total(C, mu, cap, node)
    if C.shape[0]:
        limits = _safe(C, mu, limits)
    status = tuple("baseline_violation" if b else "ok" for b in bad)
    return limits, status


def _check_options(rule: str, v_margin_pu: float, s_margin_frac: float) -> None:
    """A known rule and margins in range."""
    if rule not in RULES:
        raise EnvelopeError(
            f"unknown envelope rule {rule!r}",
            where="operating_envelopes(rule=...)",
            fix=f"use one of {', '.join(RULES)}",
        )
    if not (np.isfinite(v_margin_pu) and 0.0 <= v_margin_pu < 0.5):
        raise EnvelopeError(
            f"v_margin_pu = {v_margin_pu} outside [0, 0.5)",
            where="operating_envelopes",
            fix="give a small voltage margin such as 0.005",
        )
    if not (np.isfinite(s_margin_frac) and 0.0 <= s_margin_frac < 1.0):
        raise EnvelopeError(
            f"s_margin_frac = {s_margin_frac} outside [0, 1)",
            where="operating_envelopes",
            fix="give a small rating margin such as 0.05",
        )


def _der_rows(feeder: Feeder, der_node_row: ArrayLike) -> IntArray:
    """The DERs' node rows, integers in 1..n−1 (row 0 is the supply point)."""
    n = feeder.n_node
    rows = np.asarray(der_node_row).reshape(-1)
    if rows.size and not np.issubdtype(rows.dtype, np.integer):
        raise EnvelopeError("DER node rows must be integers", where="der_node_row", fix="use rows")
    rows = rows.astype(np.int64)
    bad = (rows < 1) | (rows >= n)
    if bad.any():
        raise EnvelopeError(
            f"DER node row {int(rows[bad][0])} outside 1..{n - 1}",
            where=f"feeder {feeder.id!r} DER {int(np.flatnonzero(bad)[0])}",
            fix="give node rows of the feeder (row 0 is the supply point)",
        )
    return rows


def operating_envelopes(  # noqa: PLR0913  (the public entry point's inputs and options)
    feeder: Feeder,
    load_p_mw: ArrayLike,
    load_q_mvar: ArrayLike,
    der_node_row: ArrayLike,
    export_max_mw: ArrayLike,
    import_max_mw: ArrayLike,
    *,
    rule: str = "equal",
    polygon: FacetPolygon | int = 12,
    v_margin_pu: float = 0.0,
    s_margin_frac: float = 0.0,
) -> Envelopes:
    """Dynamic operating envelopes of the DERs of one feeder (see the module docstring).

    ``load_p_mw`` / ``load_q_mvar``: passive net load per node row, ``(n_node,)`` or
    ``(n_node, T)``. ``der_node_row``: node row (≥ 1) of each DER (one DER per node gives per-node
    envelopes). ``export_max_mw`` / ``import_max_mw``: capabilities, ``(n_der,)`` or
    ``(n_der, T)``. ``rule``: ``equal`` | ``proportional`` | ``max_total``.
    ``v_margin_pu`` tightens the voltage limits and ``s_margin_frac`` derates every rating (a
    fraction, e.g. 0.05): margins for what lossless LinDistFlow neglects (losses, the current
    rise at low voltage), see ``docs/envelopes.md`` for the AC check.
    """
    _check_options(rule, v_margin_pu, s_margin_frac)
    n = feeder.n_node
    lp = _loads(load_p_mw, n, "load_p_mw")
    lq = _loads(load_q_mvar, n, "load_q_mvar")
    if lq.shape != lp.shape:
        raise EnvelopeError(
            f"load_q_mvar {lq.shape} and load_p_mw {lp.shape} differ",
            where="operating_envelopes",
            fix="give both with the same shape",
        )
    T = lp.shape[1]
    rows = _der_rows(feeder, der_node_row)
    n_der = len(rows)
    cap_e = _caps(export_max_mw, n_der, T, "export_max_mw")
    cap_i = _caps(import_max_mw, n_der, T, "import_max_mw")
    poly = polygon if isinstance(polygon, FacetPolygon) else FacetPolygon.regular(int(polygon))
    sens = sensitivities(feeder, rows)
    C_e, mu_e = _rows(feeder, sens, lp, lq, poly, v_margin_pu, s_margin_frac, export=True)
    C_i, mu_i = _rows(feeder, sens, lp, lq, poly, v_margin_pu, s_margin_frac, export=False)
    export, e_status = _direction(C_e, mu_e, cap_e, rule, rows)
    imp, i_status = _direction(C_i, mu_i, cap_i, rule, rows)
    return Envelopes(
        rule=rule,
        der_node_row=rows,
        import_mw=imp,
        export_mw=export,
        load_mw=imp.copy(),
        generation_mw=export.copy(),
        export_status=e_status,
        import_status=i_status,
    )
