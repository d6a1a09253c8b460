"""Transmission DC optimal power flow (B-θ form, multi-period, LMPs and their decomposition).

* :mod:`~tdcoord.opf.transmission.network` — the DC network (susceptances, PTDF conventions);
* :mod:`~tdcoord.opf.transmission.costs` — generator costs (polynomial and piecewise linear);
* :mod:`~tdcoord.opf.transmission.data` — inputs checked per period (:func:`dcopf_data`);
* :mod:`~tdcoord.opf.transmission.build` — the program (:func:`build_dcopf`, the formulation);
* :mod:`~tdcoord.opf.transmission.slacks` — slack certification (slack-free first, LP duality);
* :mod:`~tdcoord.opf.transmission.solve` — :func:`solve_dcopf`, :func:`solve_model`;
* :mod:`~tdcoord.opf.transmission.extract` / :mod:`~tdcoord.opf.transmission.result` — the
  :class:`DcOpfResult`;
* :mod:`~tdcoord.opf.transmission.prices` — LMP = energy + congestion.
"""

from tdcoord.opf.transmission.build import DcOpfModel, build_dcopf
from tdcoord.opf.transmission.data import (
    DEFAULT_OVERLOAD_PENALTY,
    DEFAULT_SPILL_COST,
    DEFAULT_VOLL,
    DcOpfData,
    StorageEnd,
    dcopf_data,
)
from tdcoord.opf.transmission.network import DcNetwork, dc_network
from tdcoord.opf.transmission.prices import PriceComponents
from tdcoord.opf.transmission.result import Binding, DcOpfResult, Slack
from tdcoord.opf.transmission.slacks import slack_free_lp
from tdcoord.opf.transmission.solve import (
    IPM_THRESHOLD_COLUMNS,
    QP_INTERIOR_COLUMNS,
    solve_dcopf,
    solve_model,
)

__all__ = [
    "DEFAULT_OVERLOAD_PENALTY",
    "DEFAULT_SPILL_COST",
    "DEFAULT_VOLL",
    "IPM_THRESHOLD_COLUMNS",
    "QP_INTERIOR_COLUMNS",
    "Binding",
    "DcNetwork",
    "DcOpfData",
    "DcOpfModel",
    "DcOpfResult",
    "PriceComponents",
    "Slack",
    "StorageEnd",
    "build_dcopf",
    "dc_network",
    "dcopf_data",
    "slack_free_lp",
    "solve_dcopf",
    "solve_model",
]
