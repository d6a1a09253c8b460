"""Convergence control of the loss-factor iterations: converged, cycling or not converged.

The loss-factor LinDistFlow (:func:`tdcoord.opf.feeder.distflow.solve_distflow`, and the joint
T+D OPF, :func:`tdcoord.opf.joint.solve.iterate_losses`) is a fixed-point iteration
``x_{k+1} = LP(loss point of x_k)``. Each LP answer is a vertex, so when a flexible offer is
marginal only through its loss factor the iteration can jump between two vertices for ever
(offer on → smaller flows → smaller loss factor → offer off → larger loss factor → on …): a
2-cycle whose answer depends on the parity of ``loss_max_iter``. No LP vertex is the optimum
there — the optimum dispatches the offer partly — so damping the loss point does not make the
dispatch converge; the remedy is the branch-flow SOCP, which carries the losses exactly
(Farivar & Low 2013).

With ``ℓ_k`` the vector of all branch losses computed from iterate k (MW), the tracker reports

* ``"converged"`` when ``max |ℓ_k − ℓ_{k−1}| ≤ tol`` (the test of the original iteration);
* ``"cycling"`` when, not converged, ``max |ℓ_k − ℓ_j| ≤ tol`` for an earlier ``j ≤ k − 2``
  (the iterates repeat: a cycle of length ``k − j``);
* ``"continue"`` otherwise; the caller stops at ``loss_max_iter`` with ``"not_converged"``.

Statuses given to a result that did not converge (``docs/opf_feeder.md``):
:data:`LOSS_NOT_CONVERGED` (the last LP iterate, ``ok`` false) and, for the feeder OPF,
:data:`LOSS_FALLBACK_SOCP` / :data:`LOSS_FALLBACK_SOCP_SLACKS` (the SOCP answer, ``ok`` true).
The joint OPF first damps a cycle (midpoint loss points) and only then gives up.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from tdcoord.types import FloatArray

__all__ = [
    "LOSS_FALLBACK_SOCP",
    "LOSS_FALLBACK_SOCP_SLACKS",
    "LOSS_NOT_CONVERGED",
    "LossHistory",
    "LossVerdict",
]

LOSS_NOT_CONVERGED = "not_converged"
LOSS_FALLBACK_SOCP = "loss_fallback_socp"
LOSS_FALLBACK_SOCP_SLACKS = "loss_fallback_socp_with_slacks"

LossVerdict = Literal["converged", "cycling", "continue"]

#: Earlier iterates compared with the newest one when looking for a cycle.
CYCLE_WINDOW = 6


class LossHistory:
    """The branch losses of the iterates so far, and the verdict on the newest one.

    The first entry is the lossless start (all zeros), as in the original iteration.
    """

    def __init__(self, first: FloatArray, tol_mw: float) -> None:
        self.tol_mw = float(tol_mw)
        self._losses: list[FloatArray] = [np.zeros_like(np.asarray(first, dtype=np.float64))]
        #: max |ℓ_k − ℓ_{k−1}| at the newest iterate, MW (inf before any comparison).
        self.last_delta_mw = float("inf")

    def add(self, losses_mw: FloatArray) -> LossVerdict:
        """Record the losses of the newest iterate; say whether it converged or cycles."""
        new = np.asarray(losses_mw, dtype=np.float64)
        self.last_delta_mw = float(np.max(np.abs(new - self._losses[-1]))) if new.size else 0.0
        # iterates j <= k - 2, the lossless start excluded (it is no LP answer)
        earlier = self._losses[1:-1][-CYCLE_WINDOW:]
        self._losses.append(new)
        if self.last_delta_mw <= self.tol_mw:
            return "converged"
        if any(float(np.max(np.abs(new - old))) <= self.tol_mw for old in earlier):
            return "cycling"
        return "continue"
