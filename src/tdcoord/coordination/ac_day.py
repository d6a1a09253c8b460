"""AC power flow of every feeder over a day: one batched network, failing feeders set apart.

Feeders are independent below their roots, so one pandapower network holds them all (each an
island with its own external grid; :func:`tdcoord.grid.validate.batch_net`) and one
Newton–Raphson per interval solves them together, warm from the previous interval's voltages
(only the loads change: pandapower's ``recycle``). When the batched power flow of an interval
does not converge, the feeders that fail are found by bisection
(:func:`tdcoord.grid.validate.run_feeders`), and from the next interval on they are **set
apart**: the batched network is rebuilt once without them, and each is solved in its own network
(built once, reused for every later interval). One feeder that cannot be solved at the evening
peak therefore costs one small power flow per interval, not a bisection of the whole batch in
every interval (benchmarks/README.md, national-scale study). The split is a function of the
inputs only, so the result is deterministic.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from tdcoord.grid.model import Feeder
from tdcoord.grid.validate import (
    FeederFlow,
    NodeInjections,
    batch_net,
    feeder_flows_from,
    run_feeders,
)
from tdcoord.types import FloatArray

#: pandapower ``recycle`` options when only the loads change between power flows.
RECYCLE_LOADS = {"bus_pq": True, "trafo": False, "gen": False}

#: From this many feeders on, the batched power flows use pandapower's numba accelerator when it
#: is installed (extra ``numba``). Measured on the national-scale study (benchmarks/README.md,
#: "numba"): the batched Newton–Raphson is faster with it, while below a few hundred feeders the
#: JIT compilation (several seconds per process) costs more than it saves. Small studies keep
#: ``numba=False``, and their numbers stay bit for bit those of the pure-Python path.
NUMBA_MIN_FEEDERS = 200


def use_numba(n_feeders: int) -> bool:
    """Whether the AC validation of ``n_feeders`` feeders runs with numba: at least
    :data:`NUMBA_MIN_FEEDERS` feeders and numba importable."""
    if n_feeders < NUMBA_MIN_FEEDERS:
        return False
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


@dataclasses.dataclass
class FeederBatch:
    """One pandapower network of the feeders ``members`` (indices into the day's feeders), kept
    across intervals; ``warm`` when its last power flow converged (Newton starts from it)."""

    feeders: list[Feeder]
    members: list[int]
    p: Sequence[FloatArray]
    q: Sequence[FloatArray]
    net: Any = None
    spans: Any = None
    warm: bool = False
    #: pandapower's ``numba`` option for this batch's power flows (:func:`use_numba`).
    numba: bool = False

    def __post_init__(self) -> None:
        self.build()

    def build(self) -> None:
        """(Re)build the network at the first interval's loads (flat start, nothing recycled)."""
        self.warm = False
        if not self.members:
            return
        first = [NodeInjections(p_mw=self.p[f][:, 0].copy(), q_mvar=self.q[f][:, 0].copy())
                 for f in self.members]
        self.net, self.spans = batch_net([self.feeders[f] for f in self.members], first)

    def solve(self, t: int) -> list[FeederFlow] | None:
        """Flows of the members in interval ``t`` (``None``: the batch did not converge)."""
        import pandapower as pp

        self.net.load["p_mw"] = np.concatenate([self.p[f][:, t] for f in self.members])
        self.net.load["q_mvar"] = np.concatenate([self.q[f][:, t] for f in self.members])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if self.warm:
                    pp.runpp(self.net, recycle=RECYCLE_LOADS, numba=self.numba)
                else:
                    pp.runpp(self.net, init="flat", calculate_voltage_angles=False,
                             numba=self.numba, recycle=RECYCLE_LOADS)
            if not self.net.converged:
                raise pp.LoadflowNotConverged(f"interval {t}")
        except pp.LoadflowNotConverged:
            self.build()  # pandapower's recycled matrices of a failed run are not reused
            return None
        self.warm = True
        return feeder_flows_from(self.net, [self.feeders[f] for f in self.members],
                                 self.spans, True)


def feeder_ac_flows(
    feeders: Sequence[Feeder], p: Sequence[FloatArray], q: Sequence[FloatArray]
) -> list[tuple[int, int, FeederFlow]]:
    """AC power flow of every (feeder, interval) with net withdrawals ``p[f]`` / ``q[f]``
    ``(n_node, T)`` (module docstring), as ``(feeder index, interval, flow)`` in that order."""
    feeders = list(feeders)
    T = p[0].shape[1] if feeders else 0
    accel = use_numba(len(feeders))
    batch = FeederBatch(feeders, list(range(len(feeders))), p, q, numba=accel)
    apart: dict[int, FeederBatch] = {}
    out: list[tuple[int, int, FeederFlow]] = []
    for t in range(T):
        flows: dict[int, FeederFlow] = {}
        if batch.members:
            solved = batch.solve(t)
            if solved is None:
                solved = bisect_interval(feeders, batch.members, p, q, t)
                failed = [f for f, fl in zip(batch.members, solved, strict=True)
                          if not fl.converged]
                if failed:
                    apart.update({f: FeederBatch(feeders, [f], p, q) for f in failed})
                    keep = [f for f in batch.members if f not in set(failed)]
                    flows.update(zip(batch.members, solved, strict=True))
                    batch = FeederBatch(feeders, keep, p, q, numba=accel)
                    solved = None
            if solved is not None:
                flows.update(zip(batch.members, solved, strict=True))
        for f, alone in apart.items():
            if f not in flows:
                flows[f] = _alone(alone, t)
        out.extend((f, t, flows[f]) for f in range(len(feeders)))
    return out


def bisect_interval(
    feeders: list[Feeder], members: list[int], p: Sequence[FloatArray],
    q: Sequence[FloatArray], t: int,
) -> list[FeederFlow]:
    """The members' flows in interval ``t`` by bisection (failing ones marked)."""
    one = {feeders[f].id: NodeInjections(p_mw=p[f][:, t].copy(), q_mvar=q[f][:, t].copy())
           for f in members}
    return run_feeders([feeders[f] for f in members], one,
                       batch_size=max(1, (len(members) + 1) // 2))


def _alone(batch: FeederBatch, t: int) -> FeederFlow:
    """One set-apart feeder in interval ``t``: its flows, or marked not converged."""
    solved = batch.solve(t)
    if solved is not None:
        return solved[0]
    feeder = batch.feeders[batch.members[0]]
    return feeder_flows_from(batch.net, [feeder], batch.spans, False)[0]
