"""Joint transmission + distribution OPF (:func:`solve_joint`; the formulation is in
:mod:`tdcoord.opf.joint.solve`).

* :mod:`~tdcoord.opf.joint.case` — inputs (:func:`joint_case`, :class:`JointCase`);
* :mod:`~tdcoord.opf.joint.build` — the stacked program;
* :mod:`~tdcoord.opf.joint.monolithic` — one solve of the stacked program;
* :mod:`~tdcoord.opf.joint.benders` — per-period masters with feeder value-function cuts;
* :mod:`~tdcoord.opf.joint.screened` (+ ``master``, ``sensitivity``, ``screen_state``,
  ``screen_check``, ``screen_result``) — row-and-column generation in injection space;
* :mod:`~tdcoord.opf.joint.result` — :class:`JointResult`.
"""

from tdcoord.opf.joint.case import JointCase, JointInputError, joint_case
from tdcoord.opf.joint.result import JointResult
from tdcoord.opf.joint.solve import Algorithm, screened_supported, solve_joint

__all__ = [
    "Algorithm",
    "JointCase",
    "JointInputError",
    "JointResult",
    "joint_case",
    "screened_supported",
    "solve_joint",
]
