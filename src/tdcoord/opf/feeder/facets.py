"""Polygon facets that cannot bind: an outer box of every branch's (P, Q) and the facets it reaches.

A branch's flow is the sum of what its downstream nodes withdraw (plus the losses of its subtree),
``P_b = Σ_{j ↓ b} (load_j − shed_j − sgen_j + curt_j − p_offer_j) + loss``, and likewise for Q.
With every withdrawal inside its bounds (shedding ≤ load, curtailment ≤ static generation, offers
within ``[p_min, p_max]``) the flow lies in the box ``[P_lo, P_hi] × [Q_lo, Q_hi]`` computed with
the downstream matrix (:func:`tdcoord.grid.topology.path_matrix`), widened by
:data:`LOSS_MARGIN` of its largest magnitude for losses. Facet ``a_p P + a_q Q ≤ a_s S`` can bind
only if the box reaches it, i.e. ``max_box(a_p P + a_q Q) ≥ a_s S``; the others are redundant (the
row with its violation slack at zero is implied) and are left out of the program. This is the
classic bound-based redundant-constraint elimination (Brearley, Mitra & Williams 1975,
"Analysis of mathematical programming problems prior to applying the simplex algorithm", Math.
Programming 8).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from tdcoord.grid.topology import path_matrix
from tdcoord.opf.feeder.case import FacetPolygon, FeederCase
from tdcoord.types import FloatArray, IntArray

#: Relative widening of the flow box for losses (linearised or conic): losses above this share of
#: a branch's largest flow are not physical for a distribution feeder.
LOSS_MARGIN = 0.25


@dataclasses.dataclass(frozen=True, eq=False)
class FlowBox:
    """Per-branch bounds on (P, Q) over all periods, MW / Mvar."""

    p_lo: FloatArray
    p_hi: FloatArray
    q_lo: FloatArray
    q_hi: FloatArray

    def contains(self, other: FlowBox) -> bool:
        """True when ``other`` lies inside this box."""
        return bool(
            np.all(other.p_lo >= self.p_lo)
            and np.all(other.p_hi <= self.p_hi)
            and np.all(other.q_lo >= self.q_lo)
            and np.all(other.q_hi <= self.q_hi)
        )


def _at_nodes(case: FeederCase, values: FloatArray) -> FloatArray:
    """Offer values (k, T) summed per node row → (n, T)."""
    out = np.zeros((case.feeder.n_node, case.n_periods))
    np.add.at(out, case.offer_row, values)
    return out


def flow_box(case: FeederCase, *, slacks: bool, headroom: float = 0.0) -> FlowBox:
    """The outer box of every branch's (P, Q) (module docstring).

    ``headroom`` widens it further by that share of each branch's largest flow magnitude, so that
    a warm program stays valid while loads and offer bounds move (:class:`WarmDistFlow`).
    """
    lp, lq = case.load_p_mw, case.load_q_mvar
    shed_p = np.maximum(lp, 0.0) if slacks else np.zeros_like(lp)
    ratio = np.divide(lq, lp, out=np.zeros_like(lq), where=lp > 0)
    shed_q = ratio * shed_p
    curt = np.maximum(case.sgen_p_mw, 0.0) if slacks else np.zeros_like(lp)
    w_p_hi = lp - case.sgen_p_mw + curt - _at_nodes(case, case.offer_p_min_mw)
    w_p_lo = lp - shed_p - case.sgen_p_mw - _at_nodes(case, case.offer_p_max_mw)
    w_q_hi = np.maximum(lq, lq - shed_q) - case.sgen_q_mvar - _at_nodes(case, case.offer_q_min_mvar)
    w_q_lo = np.minimum(lq, lq - shed_q) - case.sgen_q_mvar - _at_nodes(case, case.offer_q_max_mvar)
    down = path_matrix(case.feeder).T.tocsr()  # branches × nodes
    p_hi = np.asarray(down @ w_p_hi).max(axis=1, initial=-np.inf)
    p_lo = np.asarray(down @ w_p_lo).min(axis=1, initial=np.inf)
    q_hi = np.asarray(down @ w_q_hi).max(axis=1, initial=-np.inf)
    q_lo = np.asarray(down @ w_q_lo).min(axis=1, initial=np.inf)
    size = np.max(np.abs(np.vstack([p_lo, p_hi, q_lo, q_hi])), axis=0, initial=0.0)
    pad = (LOSS_MARGIN + headroom) * size + 1e-6
    return FlowBox(p_lo - pad, p_hi + pad, q_lo - pad, q_hi + pad)


def reachable_facets(
    box: FlowBox, poly: FacetPolygon, rating_mva: FloatArray, rated: IntArray
) -> npt.NDArray[np.bool_]:
    """(K × r) mask: facet k of rated branch ``rated[i]`` can bind somewhere in the box."""
    a_p, a_q = poly.a_p[:, None], poly.a_q[:, None]
    P = np.where(a_p > 0, box.p_hi[rated][None, :], box.p_lo[rated][None, :])
    Q = np.where(a_q > 0, box.q_hi[rated][None, :], box.q_lo[rated][None, :])
    reach = a_p * P + a_q * Q
    limit = poly.a_s[:, None] * rating_mva[rated][None, :]
    return np.asarray(reach >= limit * (1.0 - 1e-9), dtype=bool)
