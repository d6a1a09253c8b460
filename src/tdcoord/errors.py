"""Exception families of tdcoord.

Every error says *what* is wrong, *where* (the element and its id) and *how to fix it*, so that
bad input is rejected with one clear message before any solver is called.
"""

from __future__ import annotations


class TdcoordError(Exception):
    """Base class of every error tdcoord raises on purpose (the CLI prints these as one line)."""

    def __init__(self, what: str, *, where: str = "", fix: str = "") -> None:
        self.what = what
        self.where = where
        self.fix = fix
        parts = [what]
        if where:
            parts.append(f"(at {where})")
        message = " ".join(parts)
        if fix:
            message += f". Fix: {fix}"
        super().__init__(message)


class GridError(TdcoordError, ValueError):
    """Invalid grid data: references, topology, impedances, ratings, limits, units."""


class SourceError(TdcoordError, ValueError):
    """A grid SOURCE string that cannot be resolved (unknown file type, case or code)."""


class StudyError(TdcoordError, ValueError):
    """An invalid study file."""


class OptimizationError(TdcoordError, RuntimeError):
    """A solver failure that is not an infeasibility (infeasibility is a status, not an error)."""
