"""The branch-flow second-order-cone relaxation of the feeder OPF, solved by Clarabel (native API).

Model (Farivar & Low 2013, "Branch flow model: relaxations and convexification — Part I",
IEEE Trans. Power Systems 28(3); Baran & Wu 1989 DistFlow), per period, branch b from i to j:

.. math::

    P_b - r_b \\ell_b - \\sum_{b' \\in out(j)} P_{b'} + p^{inj}_j = p^{load}_j, \\qquad
    Q_b - x_b \\ell_b - \\sum_{b' \\in out(j)} Q_{b'} + q^{inj}_j = q^{load}_j,

    w_j = w_i - 2 (r_b P_b + x_b Q_b) + (r_b^2 + x_b^2) \\ell_b, \\qquad
    P_b^2 + Q_b^2 \\le \\ell_b w_i \\;\\; (\\text{relaxed from } =),

in per unit (the implementation keeps MW and ``L = S_base² ℓ``; see
:mod:`tdcoord.opf.feeder.program`). The rotated cone is passed as ``(L + w_i, 2P, 2Q, L − w_i) ∈
SOC(4)``. Everything else — root price, offers, slacks, voltage limits, polygonal ratings, the
optional norm cost — is the LinDistFlow program's, so prices are comparable. The relaxation is
exact on radial feeders when no upper voltage bound binds and loads are not over-satisfied (Farivar
& Low, Part II; Gan, Li, Topcu & Low 2015); :attr:`FeederResult.relaxation_gap` reports
``max (L w_i − P² − Q²)/max(1, L w_i)`` so that inexactness is visible. Line charging (``b_pu``)
is neglected.

The DLMP (dual of the active balance) is decomposed exactly by
:func:`tdcoord.opf.feeder.dlmp.decompose`;
the loss component there comes from the cone duals.
"""

from __future__ import annotations

from tdcoord.opf.feeder.case import FeederCase, FeederOptions
from tdcoord.opf.feeder.program import build_program
from tdcoord.opf.feeder.result import FeederResult, SolverAnswer, read_result
from tdcoord.opf.lp.conic import solve_conic

__all__ = ["FeederCase", "FeederOptions", "FeederResult", "solve_socp"]


def solve_socp(
    case: FeederCase, options: FeederOptions | None = None, *, tol: float = 1e-9
) -> FeederResult:
    """Solve the branch-flow SOCP with Clarabel; losses, voltages, DLMPs as in LinDistFlow."""
    options = options if options is not None else FeederOptions()
    program = build_program(case, options, model="socp")
    sol = solve_conic(program.lp, program.cones, tol=tol)
    answer = SolverAnswer(
        sol.status, sol.x, sol.row_duals, sol.solver, sol.solver_version, sol.time_s,
        sol.iterations, cone_term=sol.cone_term,
    )
    result = read_result(program, case, options, answer)
    return result
