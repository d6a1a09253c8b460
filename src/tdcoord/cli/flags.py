"""Checks of command-line flags, run before anything is loaded; every problem listed in one
:class:`~tdcoord.errors.UsageError`.

=================  =====================================================================
flag               rule
=================  =====================================================================
``--periods``      whole number, 1 ≤ N ≤ ``max_periods`` (:mod:`tdcoord.limits`)
``--facets``       whole number, 3 ≤ K ≤ ``max_facets``
``--per-bus``      ``auto`` or a whole number, 1 ≤ N ≤ ``max_per_bus``
``--jobs``         whole number, 0 ≤ N ≤ ``max_jobs`` (0: one per core)
``--voll``         finite, 0 < VoLL ≤ 1e6 per MWh
``--price``        finite, |price| ≤ 1e5 per MWh
choices            ``--convention``, ``--method``, ``--model``, ``--algorithm``: listed values
=================  =====================================================================
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from tdcoord.errors import Issue, UsageError, raise_issues
from tdcoord.limits import limit_issue

#: Largest value of lost load accepted by ``--voll`` (per MWh; published VoLLs are ≤ 1e5).
MAX_VOLL_PER_MWH = 1e6
#: Largest |root price| accepted by ``--price`` (per MWh).
MAX_PRICE_PER_MWH = 1e5


class FlagCheck:
    """Collects flag problems; :meth:`done` raises one :class:`UsageError` with all of them."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def count(self, flag: str, value: int, lowest: int, bound: str | None = None) -> None:
        """A whole number >= ``lowest`` and within the safety bound ``bound``."""
        if value < lowest:
            self.issues.append(
                Issue(flag, f"{flag} {value} is below {lowest}", f"give a whole number >= {lowest}")
            )
            return
        if bound is not None:
            issue = limit_issue(bound, value, flag)
            if issue is not None:
                self.issues.append(issue)

    def number(
        self, flag: str, value: float, lo: float, hi: float, *, lo_open: bool = False
    ) -> None:
        """A finite number in [lo, hi] (``(lo, hi]`` with ``lo_open``)."""
        below = value <= lo if lo_open else value < lo
        if not math.isfinite(value) or below or value > hi:
            side = "(" if lo_open else "["
            self.issues.append(
                Issue(
                    flag,
                    f"{flag} {value!r} is not a finite number in {side}{lo:g}, {hi:g}]",
                    "give a value in that range",
                )
            )

    def choice(self, flag: str, value: str, options: Sequence[str]) -> None:
        """One of ``options``."""
        if value not in options:
            self.issues.append(
                Issue(
                    flag, f"unknown value {value!r} for {flag}", f"use one of {', '.join(options)}"
                )
            )

    def per_bus(self, flag: str, value: str) -> int | str:
        """``auto`` or a whole number within ``max_per_bus``."""
        if value == "auto":
            return value
        if not value.isdigit() or int(value) < 1:
            self.issues.append(
                Issue(
                    flag,
                    f"{flag} must be 'auto' or a whole number >= 1, got {value!r}",
                    "e.g. --per-bus 2",
                )
            )
            return "auto"
        self.count(flag, int(value), 1, "max_per_bus")
        return int(value)

    def done(self) -> None:
        """Raise every problem found (nothing when the flags are sound)."""
        raise_issues(UsageError, "invalid options", self.issues)


CONVENTIONS = ("powermodels", "matpower")
