"""The LP/QP layer: assemble sparse programs with named blocks, solve them with HiGHS (once or
warm), or with Clarabel when second-order cones or a large QP need an interior point.

* :mod:`~tdcoord.opf.lp.builder` — :class:`LinearProgram`, :class:`LpBuilder` (the problem form
  and the dual sign convention);
* :mod:`~tdcoord.opf.lp.highs` — one HiGHS solve (:func:`solve`, :class:`LpSolution`);
* :mod:`~tdcoord.opf.lp.warm` — warm re-solves (:class:`WarmLp`, :class:`BlockWarmLp`);
* :mod:`~tdcoord.opf.lp.conic` — Clarabel (``solve_conic``, ``solve_qp_interior``; imported on
  demand, not from this package, so that an LP run never loads Clarabel).
"""

from tdcoord.opf.lp.builder import INF, LinearProgram, LpBuilder, SocSpec
from tdcoord.opf.lp.highs import LpSolution, Method, Status, solve, solver_version
from tdcoord.opf.lp.warm import BlockWarmLp, WarmLp

__all__ = [
    "INF",
    "BlockWarmLp",
    "LinearProgram",
    "LpBuilder",
    "LpSolution",
    "Method",
    "SocSpec",
    "Status",
    "WarmLp",
    "solve",
    "solver_version",
]
