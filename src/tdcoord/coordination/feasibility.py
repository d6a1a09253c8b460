"""Feasible caps of distribution offers: how much each step may be activated, in any
combination, without breaking the feeder's linearised limits (the DSO's filter of offers it
passes to the TSO, and the minimal operating envelope).

The feeder's rows (LinDistFlow voltage rows and branch polygon facets around the current state,
:mod:`tdcoord.coordination.clearing`) read :math:`G a \\le h` in the activations ``a ≥ 0``.
Caps ``c`` with :math:`G^+ c \\le \\max(h, 0)` (``G⁺`` the positive part) make *every*
``0 ≤ a ≤ c`` feasible, since :math:`G a \\le G^+ a \\le G^+ c`. Allocation rules (the
envelope fairness rules of the design doc):

* ``proportional``: ``c_k = q_k · min(1, min_{r: G_rk>0} h_r / (G^+ q)_r)``;
* ``equal``: the same MW for every step a row limits: ``c_k = min(q_k, min_r h_r / Σ_k G^+_rk)``;
* ``max_total``: the LP ``max Σ c`` s.t. ``G⁺c ≤ h``, ``0 ≤ c ≤ q``.

Steps whose every coefficient is ≤ 0 (they only relieve the feeder) keep their full quantity.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.clearing import ClearingSpec, Margins, build
from tdcoord.coordination.errors import CoordinationError
from tdcoord.coordination.injectors import Injectors, Prior
from tdcoord.coordination.program import interval_major
from tdcoord.opf.lp import LpBuilder, solve
from tdcoord.types import FloatArray

RULES = ("proportional", "equal", "max_total")


def feeder_rows(
    case: ClearingCase, f: int, inj: Injectors, prior: Prior | None, margins: Margins
) -> tuple[sp.csr_matrix, FloatArray]:
    """``(G, h)`` of feeder ``f``'s limits in the activations of ``inj`` (interval-major)."""
    spec = ClearingSpec(
        injectors=inj, feeders=(f,), prior=prior, margins=margins, aggregate_locations=False
    )
    c = build(case, spec)
    lp = c.lp()
    a = c.activation
    rows = [c.rows(name) for name in c.row_names() if name.split(":")[0] in
            ("v_lo", "v_hi", "branch")]
    if not rows:
        return sp.csr_matrix((0, inj.n * case.n_periods)), np.zeros(0)
    idx = np.concatenate([np.arange(s.start, s.stop) for s in rows])
    A = lp.A[idx][:, a]
    lo, up = lp.row_lower[idx], lp.row_upper[idx]
    fin_up, fin_lo = np.isfinite(up), np.isfinite(lo)
    G = sp.vstack([A[fin_up], -A[fin_lo]]).tocsr()
    h = np.concatenate([up[fin_up], -lo[fin_lo]])
    return G, h


def feasible_caps(
    G: sp.csr_matrix, h: FloatArray, q: FloatArray, rule: str = "proportional"
) -> FloatArray:
    """Caps (flat, like ``q``) per the allocation ``rule`` (see module docstring)."""
    if rule not in RULES:
        raise CoordinationError(
            f"unknown allocation rule {rule!r}", where="envelope_rule",
            fix=f"use one of {', '.join(RULES)}",
        )
    n = q.size
    if G.shape[0] == 0 or n == 0:
        return q.copy()
    gp = G.maximum(0).tocsr()
    gp.eliminate_zeros()
    head = np.maximum(h, 0.0)
    if rule == "max_total":
        b = LpBuilder()
        c = b.add_columns("c", n, 0.0, q, -1.0)
        b.add_rows("rows", [(c, gp)], -np.inf, head)
        sol = solve(b.build(), method="simplex")
        if not sol.ok:
            return np.zeros(n)
        return np.clip(sol.x, 0.0, q)
    if rule == "proportional":
        load = gp @ q
        alpha = np.where(load > 0, head / np.maximum(load, 1e-300), np.inf)
    else:
        count = gp @ (q > 0).astype(np.float64)
        alpha = np.where(count > 0, head / np.maximum(count, 1e-300), np.inf)
    gc = gp.tocsc()
    best = np.full(n, np.inf)
    nz_cols = np.flatnonzero(np.diff(gc.indptr))
    if gc.nnz:
        mins = np.minimum.reduceat(alpha[gc.indices], gc.indptr[nz_cols])
        best[nz_cols] = mins
    if rule == "proportional":
        return np.asarray(q * np.minimum(1.0, best), dtype=np.float64)
    return np.asarray(np.minimum(q, best), dtype=np.float64)


def filter_feeder(
    case: ClearingCase,
    f: int,
    inj: Injectors,
    prior: Prior | None = None,
    *,
    rule: str = "proportional",
    margins: Margins | None = None,
) -> Injectors:
    """``inj`` with the caps of feeder ``f``'s steps reduced to jointly feasible ones."""
    here = np.flatnonzero(inj.feeder == f)
    if not here.size:
        return inj
    sub = inj.take(here)
    G, h = feeder_rows(case, f, sub, prior, margins or case.margins)
    caps = feasible_caps(G, h, interval_major(sub.cap), rule)
    new_cap = inj.cap.copy()
    new_cap[here] = caps.reshape(case.n_periods, here.size).T
    return inj.with_cap(new_cap)
