"""Exception family of the settlement layer (baselines, delivery, payments, value stacking).

Follows :class:`tdcoord.errors.TdcoordError`: what is wrong, where (the DER, row or argument) and
how to fix it. Bad input is rejected before any money is computed.
"""

from __future__ import annotations

from tdcoord.errors import TdcoordError


class SettlementError(TdcoordError, ValueError):
    """Invalid settlement input: unknown baseline or pricing rule, bad meter data or prices."""
