"""Generator cost curves for the DC-OPF: polynomial (≤ quadratic) and convex piecewise-linear.

Polynomial: :math:`C_g(p) = c_{0,g} + c_{1,g} p + c_{2,g} p^2` ($/h, p in MW); the quadratic term
goes to the QP Hessian (:math:`H_{gg} = 2 c_{2,g}`), :math:`c_0` to the objective offset (as in
PowerModels.jl, which PGLib's BASELINE.md uses).

Piecewise linear (MATPOWER ``gencost`` MODEL 1, breakpoints :math:`(p_k, C_k)`): epigraph form
with one auxiliary :math:`z_g` per generator and period,

.. math::  z_g \\ge C_k + s_k (p_g - p_k), \\quad s_k = (C_{k+1}-C_k)/(p_{k+1}-p_k),

minimising :math:`z_g`. Exact when the curve is convex (slopes non-decreasing), which is checked.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tdcoord.errors import GridError
from tdcoord.grid.model import Transmission
from tdcoord.types import FloatArray, IntArray


@dataclasses.dataclass(frozen=True, eq=False)
class GeneratorCosts:
    """Cost data aligned with the generator table rows."""

    c0: FloatArray
    c1: FloatArray
    c2: FloatArray
    pwl_gens: IntArray
    """Generator rows with a piecewise-linear curve (one epigraph variable each)."""
    seg_gen: IntArray
    """For each PWL segment: position in ``pwl_gens`` of its generator."""
    seg_slope: FloatArray
    seg_intercept: FloatArray
    """Segment lines ``C = intercept + slope · p``."""

    @property
    def has_quadratic(self) -> bool:
        """True when any generator has a non-zero quadratic coefficient."""
        return bool(np.any(self.c2 != 0))


def generator_costs(tr: Transmission) -> GeneratorCosts:
    """Collect and check the cost curves of every generator of ``tr`` (vectorised)."""
    g = tr.generators
    c2 = np.asarray(g.cost_c2_per_mw2h, dtype=np.float64)
    neg = np.flatnonzero(c2 < 0)
    if neg.size:
        gid = int(g.id[neg[0]])
        raise GridError(
            f"generator {gid} has a negative quadratic cost coefficient (non-convex OPF)",
            where=f"generator id {gid}",
            fix="use c2 >= 0 or a convex piecewise-linear curve",
        )
    pwl = tr.pwl_costs
    gen_order = np.argsort(g.id, kind="stable")
    if len(pwl):
        pos = np.searchsorted(g.id, pwl.generator, sorter=gen_order)
        pwl_row = gen_order[np.clip(pos, 0, len(gen_order) - 1)]
        order = np.lexsort((np.arange(len(pwl)), pwl_row))  # group by generator, keep point order
        row, p, c = pwl_row[order], pwl.p_mw[order], pwl.cost_per_h[order]
        same = row[1:] == row[:-1]
        dp = p[1:] - p[:-1]
        if np.any(same & (dp <= 0)):
            k = int(np.flatnonzero(same & (dp <= 0))[0])
            gid = int(g.id[row[k]])
            raise GridError(
                f"piecewise-linear cost of generator {gid}: breakpoints not strictly increasing",
                where=f"generator id {gid}",
                fix="sort the (p_mw, cost) breakpoints by increasing p_mw",
            )
        start = np.flatnonzero(same)  # segment k joins point k and k+1 of one generator
        slope = (c[start + 1] - c[start]) / dp[start]
        seg_row = row[start]
        nondecr = seg_row[1:] != seg_row[:-1]
        bad = np.flatnonzero(~nondecr & (slope[1:] < slope[:-1] - 1e-9))
        if bad.size:
            gid = int(g.id[seg_row[bad[0]]])
            raise GridError(
                f"piecewise-linear cost of generator {gid} is not convex (a slope decreases)",
                where=f"generator id {gid}",
                fix="use non-decreasing marginal costs, or split the unit",
            )
        pwl_gens, seg_gen = np.unique(seg_row, return_inverse=True)
        intercept = c[start] - slope * p[start]
    else:
        pwl_gens = np.zeros(0, dtype=np.int64)
        seg_gen = np.zeros(0, dtype=np.int64)
        slope = intercept = np.zeros(0)
    return GeneratorCosts(
        c0=np.asarray(g.cost_c0_per_h, dtype=np.float64),
        c1=np.asarray(g.cost_c1_per_mwh, dtype=np.float64),
        c2=c2,
        pwl_gens=pwl_gens.astype(np.int64),
        seg_gen=seg_gen.astype(np.int64),
        seg_slope=np.asarray(slope, dtype=np.float64),
        seg_intercept=np.asarray(intercept, dtype=np.float64),
    )
