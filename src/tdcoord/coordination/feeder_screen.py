"""Critical feeder elements: which LinDistFlow rows a clearing writes
(study ``compare.monitor_feeder_loading``).

A feeder's rows are two voltage rows per node and a 12-facet polygon per rated branch, in every
interval: about 19,000 rows for a CIGRE MV feeder over 96 intervals, which at a thousand feeders
exceeds the LP solver's memory (benchmarks/README.md, national-scale study). As TSOs monitor
critical branches only (flow-based market coupling; ``compare.monitor_loading`` for the
transmission grid), the clearing may write the rows of the feeder elements near their limits
only: with share :math:`m`,

* a rated branch :math:`b` when :math:`\\max_t |S^0_{bt}| \\ge m\\,\\bar S_b`;
* a node :math:`n` when :math:`\\max_t (V_{root} - V^0_{nt}) \\ge m\\,(V_{root} - \\underline V_n)`
  or :math:`\\max_t (V^0_{nt} - V_{root}) \\ge m\\,(\\bar V_n - V_{root})` (a limit on the root's
  side of the band is always monitored),

:math:`S^0, V^0` the LinDistFlow state at the clearing's baseline (after the prior). The
flexibility a clearing buys can load an unmonitored element beyond its limit; the AC validation
checks every element and reports it, never hides it.
"""

from __future__ import annotations

import numpy as np

from tdcoord.coordination.network_model import FeederModel
from tdcoord.types import BoolArray, FloatArray


def monitored_feeder_elements(
    fm: FeederModel, v2: FloatArray, p0_mw: FloatArray, q0_mvar: FloatArray, share: float | None
) -> tuple[BoolArray, BoolArray]:
    """(nodes ``(n_node,)``, branches ``(n_branch,)``) whose rows the clearing writes, from the
    baseline state ``v2`` (squared voltages, ``(n_node, T)``) and branch flows ``p0``/``q0``
    (module docstring); all when ``share`` is ``None``."""
    fd = fm.feeder
    nodes = np.ones(fd.n_node, dtype=bool)
    branches = np.ones(fd.n_node - 1, dtype=bool)
    if share is None:
        return nodes, branches
    v = np.sqrt(np.maximum(v2, 0.0))
    root = fd.v_root_pu
    drop_room = root - fd.nodes.v_min_pu
    rise_room = fd.nodes.v_max_pu - root
    low = (drop_room <= 0) | ((root - v).max(axis=1) >= share * drop_room)
    high = (rise_room <= 0) | ((v - root).max(axis=1) >= share * rise_room)
    rating = fd.branches.rating_mva
    flow = np.hypot(p0_mw, q0_mvar).max(axis=1)
    loaded = np.isfinite(rating) & (flow >= share * np.where(np.isfinite(rating), rating, 0.0))
    return low | high, loaded
