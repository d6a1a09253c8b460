"""Exception families of tdcoord, and validation problems as data.

Every error says *what* is wrong, *where* (the element and its id) and *how to fix it*, so that
bad input is rejected with one clear message before any solver is called.

A validation pass collects **every** problem it finds as :class:`Issue` records (field / where,
what, how to fix; the power-grid-model style of "validation errors as data") and raises one
error that carries them all in :attr:`TdcoordError.issues`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence


@dataclasses.dataclass(frozen=True)
class Issue:
    """One problem found in an input: where (field path or element), what, how to fix."""

    where: str
    what: str
    fix: str = ""

    def text(self) -> str:
        """One line: ``what (at where). Fix: fix``."""
        line = self.what + (f" (at {self.where})" if self.where else "")
        return line + (f". Fix: {self.fix}" if self.fix else "")

    def to_dict(self) -> dict[str, str]:
        """The record as plain data (``where``, ``what``, ``fix``)."""
        return dataclasses.asdict(self)


class TdcoordError(Exception):
    """Base class of every error tdcoord raises on purpose (the CLI prints these as one line).

    ``issues`` holds every problem found (one record per problem); the message lists them all.
    """

    def __init__(
        self, what: str, *, where: str = "", fix: str = "", issues: Sequence[Issue] = ()
    ) -> None:
        self.what = what
        self.where = where
        self.fix = fix
        self.issues: tuple[Issue, ...] = tuple(issues) or (Issue(where, what, fix),)
        if issues and len(self.issues) > 1:
            lines = [f"{what}: {len(self.issues)} problems"]
            lines += [f"  - {i.text()}" for i in self.issues]
            message = "\n".join(lines)
        else:
            message = Issue(where, what, fix).text()
        super().__init__(message)

    @classmethod
    def from_issues(cls, context: str, issues: Sequence[Issue]) -> TdcoordError:
        """One error holding every issue (the first issue's where/fix as the headline's)."""
        if len(issues) == 1:
            one = issues[0]
            return cls(
                f"{context}: {one.what}" if context else one.what,
                where=one.where,
                fix=one.fix,
                issues=issues,
            )
        first = issues[0]
        return cls(context or "invalid input", where=first.where, fix=first.fix, issues=issues)


def raise_issues(cls: type[TdcoordError], context: str, issues: Sequence[Issue]) -> None:
    """Raise ``cls`` with every issue when there is at least one; else return."""
    if issues:
        raise cls.from_issues(context, issues)


class GridError(TdcoordError, ValueError):
    """Invalid grid data: references, topology, impedances, ratings, limits, units."""


class SourceError(TdcoordError, ValueError):
    """A grid SOURCE string that cannot be resolved (unknown file type, case or code)."""


class StudyError(TdcoordError, ValueError):
    """An invalid study file."""


class UsageError(TdcoordError, ValueError):
    """An invalid command-line flag or flag combination."""


class LimitError(TdcoordError, ValueError):
    """A size (intervals, copies, periods, facets, samples) above its safety bound; the message
    says how to lift the bound for a deliberate large run."""


class OutputError(TdcoordError, OSError):
    """An output folder that cannot be written (checked before any work starts)."""


class InterruptedRunError(TdcoordError, RuntimeError):
    """A run stopped by SIGINT or SIGTERM (workers stopped, temporary output removed)."""


class OptimizationError(TdcoordError, RuntimeError):
    """A solver failure that is not an infeasibility (infeasibility is a status, not an error)."""
