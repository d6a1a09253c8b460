"""Exception family of the simulated day (stages, forecasts, activation, emergency events).

Follows :class:`tdcoord.errors.TdcoordError`: every message says what is wrong, where and how to
fix it, and bad input is rejected before anything is computed.
"""

from __future__ import annotations

from tdcoord.errors import TdcoordError


class SimulationError(TdcoordError, ValueError):
    """Invalid input to a stage, forecast, activation or emergency computation."""


class LookaheadError(SimulationError):
    """A decision used information that was not yet available at its information cut-off."""
