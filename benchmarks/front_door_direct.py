"""The minimal direct solver process for a PGLib DC-OPF: parse, build, Clarabel QP, print.

The yardstick of ``bench_front_door.py``: the same model as ``tdcoord opf dc`` on a PGLib case
(PowerModels DC convention, as PGLib's ``BASELINE.md``: b = x/(r² + x²), no taps or shifts,
angle-difference limits, bus shunt conductance Gs as load at |V| = 1, quadratic costs; one period;
no slacks — tdcoord solves the slack-free program first and certifies it), with nothing but
matpowercaseframes (parse), numpy/scipy (build) and Clarabel's native API (solve), with the same
tolerances as :mod:`tdcoord.opf.lp.conic`. Prints the objective, to check the two processes solve
the same problem.

Usage: ``python benchmarks/front_door_direct.py path/to/pglib_opf_case10000_goc.m``
"""

from __future__ import annotations

import sys

import clarabel
import numpy as np
import scipy.sparse as sp
from matpowercaseframes import CaseFrames

TOL = 1e-9


def model(path: str) -> tuple[sp.csc_matrix, np.ndarray, float, sp.csc_matrix, np.ndarray, list]:
    """(P, q, constant, A, b, cones) of Clarabel's ``min ½xᵀPx + qᵀx s.t. Ax + s = b, s ∈ K``
    for x = (p, θ, f)."""
    cf = CaseFrames(path)
    base = float(cf.baseMVA)
    bus, gen, br = (cf.bus.to_numpy(float), cf.gen.to_numpy(float), cf.branch.to_numpy(float))
    cost = cf.gencost.to_numpy(float)
    gen_on, br_on = gen[:, 7] > 0, br[:, 10] > 0
    gen, cost, br = gen[gen_on], cost[gen_on], br[br_on]
    row = {int(b): k for k, b in enumerate(bus[:, 0])}
    n, g, m = len(bus), len(gen), len(br)
    fr = np.array([row[int(b)] for b in br[:, 0]])
    to = np.array([row[int(b)] for b in br[:, 1]])
    gb = np.array([row[int(b)] for b in gen[:, 0]])
    b = br[:, 3] / (br[:, 2] ** 2 + br[:, 3] ** 2)
    k = np.arange(m)
    C = sp.csr_matrix((np.r_[np.ones(m), -np.ones(m)], (np.r_[k, k], np.r_[fr, to])), (m, n))
    # rows: balance (n, =), flow definition (m, =), then ≤ rows
    G = sp.csr_matrix((np.ones(g), (gb, np.arange(g))), (n, g))
    bal = sp.hstack([G, sp.csr_matrix((n, n)), -C.T])
    flow = sp.hstack([sp.csr_matrix((m, g)), -base * sp.diags(b) @ C, sp.identity(m)])
    demand = bus[:, 2] + bus[:, 4]  # Pd + Gs (MW at |V| = 1)
    limited = (np.abs(br[:, 11]) < 360) & (np.abs(br[:, 12]) < 360)  # ±360: no limit
    lo_ang = np.where(limited, np.deg2rad(br[:, 11]), -np.inf)
    hi_ang = np.where(limited, np.deg2rad(br[:, 12]), np.inf)
    ang = sp.hstack([sp.csr_matrix((m, g)), C, sp.csr_matrix((m, m))])
    rate = np.where(br[:, 5] > 0, br[:, 5], np.inf)
    ref = np.flatnonzero(bus[:, 1] == 3)
    eye = sp.identity(g + n + m, format="csr")
    x_lo = np.r_[gen[:, 9], np.full(n, -np.inf), -rate]
    x_hi = np.r_[gen[:, 8], np.full(n, np.inf), rate]
    x_lo[g + ref] = x_hi[g + ref] = 0.0
    up, lo = np.flatnonzero(np.isfinite(x_hi)), np.flatnonzero(np.isfinite(x_lo))
    fa, fb = np.flatnonzero(np.isfinite(hi_ang)), np.flatnonzero(np.isfinite(lo_ang))
    A = sp.vstack([bal, flow, ang[fa], -ang[fb], eye[up], -eye[lo]], format="csc")
    rhs = np.r_[demand, np.zeros(m), hi_ang[fa], -lo_ang[fb], x_hi[up], -x_lo[lo]]
    cones = [clarabel.ZeroConeT(n + m), clarabel.NonnegativeConeT(len(rhs) - n - m)]
    c2, c1, c0 = cost[:, 4], cost[:, 5], cost[:, 6]  # model 2, three coefficients (PGLib)
    P = sp.diags(np.r_[2.0 * c2, np.zeros(n + m)], format="csc")
    q = np.r_[c1, np.zeros(n + m)]
    return P, q, float(c0.sum()), A, rhs, cones


def main(path: str) -> None:
    P, q, const, A, rhs, cones = model(path)
    s = clarabel.DefaultSettings()
    s.verbose = False
    s.tol_gap_abs = s.tol_gap_rel = s.tol_feas = s.tol_ktratio = TOL
    sol = clarabel.DefaultSolver(P, q, A, rhs, cones, s).solve()
    x = np.asarray(sol.x)
    print(sol.status, 0.5 * x @ (P @ x) + q @ x + const)


if __name__ == "__main__":
    main(sys.argv[1])
