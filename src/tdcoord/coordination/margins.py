"""Security margins of the linearised feeder model the clearings use.

LinDistFlow (Baran & Wu 1989; seed 001 §II distribution market clearing) drops the loss terms
:math:`r_{ij}(P_{ij}^2+Q_{ij}^2)/V_i^2` of the branch flow equations: it overestimates the
voltage at the end of a loaded feeder and underestimates the branch flows. A DSO clears on it
with margins so that the AC power flow of the cleared dispatch stays within limits: ratings are
used at :math:`(1 - \\texttt{rating\\_frac})\\,\\bar S`, voltage limits tightened to
:math:`[\\underline V_n + \\texttt{voltage\\_pu} + e^{lo}_n,\\ \\bar V_n - \\texttt{voltage\\_pu}
- e^{hi}_n]`. A study sets them under ``compare.security_margins`` (docs/compare.md).

The per-node extras :math:`e^{lo}, e^{hi}` are 0 unless the margins are **calibrated**
(:mod:`tdcoord.coordination.margin_calibration`): then they are the linearisation error that an
AC power flow of the day-ahead forecast finds at each node,
:math:`e^{lo}_n = \\max(0, \\max_t (V^{lin}_{nt} - V^{AC}_{nt}))` and
:math:`e^{hi}_n = \\max(0, \\max_t (V^{AC}_{nt} - V^{lin}_{nt}))`, so a heavily loaded feeder
end gets the margin its error needs and a lightly loaded node is not over-tightened;
``voltage_pu`` then only covers the error's change with the dispatch.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tdcoord.types import FloatArray


@dataclasses.dataclass(frozen=True)
class Margins:
    """Security margins of the linearised feeder model (module docstring): ratings used at
    ``1 - rating_frac``, voltage limits tightened by ``voltage_pu`` (pu) plus, per feeder and
    node, the calibrated extras ``extra_low_pu[f][n]`` / ``extra_high_pu[f][n]`` (empty: 0)."""

    rating_frac: float = 0.03
    voltage_pu: float = 0.005
    extra_low_pu: tuple[tuple[float, ...], ...] = ()
    extra_high_pu: tuple[tuple[float, ...], ...] = ()

    def low_pu(self, f: int, n_node: int) -> FloatArray:
        """The margin above every node's lower voltage limit of feeder ``f`` (pu, ``(n_node,)``)."""
        return self.voltage_pu + _extra(self.extra_low_pu, f, n_node)

    def high_pu(self, f: int, n_node: int) -> FloatArray:
        """The margin below every node's upper voltage limit of feeder ``f`` (pu, ``(n_node,)``)."""
        return self.voltage_pu + _extra(self.extra_high_pu, f, n_node)

    @property
    def calibrated(self) -> bool:
        """True when per-node extras are set."""
        return bool(self.extra_low_pu or self.extra_high_pu)


def _extra(extras: tuple[tuple[float, ...], ...], f: int, n_node: int) -> FloatArray:
    if 0 <= f < len(extras) and len(extras[f]) == n_node:
        return np.asarray(extras[f], dtype=np.float64)
    return np.zeros(n_node)
