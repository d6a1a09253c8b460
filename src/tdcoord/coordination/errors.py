"""Errors of the coordination layer."""

from __future__ import annotations

from tdcoord.errors import TdcoordError


class CoordinationError(TdcoordError, ValueError):
    """A malformed clearing case, an unknown scheme or a bad scheme parameter."""
