"""Distribution feeder OPF: LinDistFlow (lossless or with iterated loss factors) and the SOCP
branch-flow relaxation, with DLMPs and their decomposition.

* :mod:`~tdcoord.opf.feeder.case` — inputs (:class:`FeederCase`, :class:`FeederOptions`,
  :class:`FlexOffers`, :class:`FacetPolygon`);
* :mod:`~tdcoord.opf.feeder.facets` — flow boxes and reachable polygon facets;
* :mod:`~tdcoord.opf.feeder.program` — the program and its named column layout;
* :mod:`~tdcoord.opf.feeder.result` — :class:`FeederResult`;
* :mod:`~tdcoord.opf.feeder.dlmp` — DLMP decomposition (:class:`DlmpKkt`);
* :mod:`~tdcoord.opf.feeder.distflow` — :func:`solve_distflow`, warm :class:`WarmDistFlow`;
* :mod:`~tdcoord.opf.feeder.socp` — :func:`solve_socp` (Clarabel).
"""

from tdcoord.opf.feeder.case import (
    FacetPolygon,
    FeederCase,
    FeederInputError,
    FeederOptions,
    FlexOffers,
)
from tdcoord.opf.feeder.distflow import WarmDistFlow, solve_distflow, solve_distflow_at
from tdcoord.opf.feeder.dlmp import DlmpComponents, DlmpKkt
from tdcoord.opf.feeder.program import FeederProgram, LossPoint, build_program
from tdcoord.opf.feeder.result import FeederResult
from tdcoord.opf.feeder.socp import solve_socp

__all__ = [
    "DlmpComponents",
    "DlmpKkt",
    "FacetPolygon",
    "FeederCase",
    "FeederInputError",
    "FeederOptions",
    "FeederProgram",
    "FeederResult",
    "FlexOffers",
    "LossPoint",
    "WarmDistFlow",
    "build_program",
    "solve_distflow",
    "solve_distflow_at",
    "solve_socp",
]
