"""Exception family of the DER layer (physical models, registry, prequalification).

Both classes follow the project convention of :class:`tdcoord.errors.TdcoordError`: the message
says what is wrong, where (the unit or DER id) and how to fix it.
"""

from __future__ import annotations

from tdcoord.errors import TdcoordError


class DerError(TdcoordError, ValueError):
    """Invalid DER data or an activation a DER cannot deliver (outside its reported flexibility)."""


class RegistryError(TdcoordError, ValueError):
    """An illegal registry operation: unknown DER, illegal lifecycle transition, naive timestamp,
    second aggregator for the same DER and product."""
