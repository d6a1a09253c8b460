"""Security margins of the linearised feeder model the clearings use.

LinDistFlow (Baran & Wu 1989; seed 001 §II distribution market clearing) drops the loss terms
:math:`r_{ij}(P_{ij}^2+Q_{ij}^2)/V_i^2` of the branch flow equations: it overestimates the
voltage at the end of a loaded feeder and underestimates the branch flows. A DSO clears on it
with margins so that the AC power flow of the cleared dispatch stays within limits: ratings are
used at :math:`(1 - \\texttt{rating\\_frac})\\,\\bar S`, voltage limits tightened to
:math:`[\\underline V + \\texttt{voltage\\_pu},\\ \\bar V - \\texttt{voltage\\_pu}]`. A study sets
them under ``compare.security_margins`` (docs/compare.md): they should exceed the linearisation
error of its feeders at their heaviest loading, which ``tdcoord grid check`` and the AC
validation of a run show.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Margins:
    """Security margins of the linearised feeder model (module docstring): ratings used at
    ``1 - rating_frac``, voltage limits tightened by ``voltage_pu`` (pu)."""

    rating_frac: float = 0.03
    voltage_pu: float = 0.005
