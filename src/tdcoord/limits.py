"""Safety bounds on sizes that drive memory and time, and how to lift them.

A study or command asking for more than a bound is rejected before anything is built, with a
:class:`~tdcoord.errors.LimitError` naming the bound and how to lift it. For a deliberate large
run, raise a bound either in the study file::

    limits: {max_intervals: 35040, max_per_bus: 200}

or in the environment (also for CLI flags such as ``--periods`` and ``--facets``)::

    TDCOORD_MAX_INTERVALS=35040 tdcoord compare big.yaml

The study file's ``limits:`` wins over the environment, which wins over the default.

==================  =======  ============================================================
bound               default  what it caps
==================  =======  ============================================================
max_intervals       2976     ``fleet.n_intervals`` (31 days of 15 min)
max_per_bus         50       ``grid.feeders[].per_bus`` and ``opf joint --per-bus``
max_feeders         5000     feeders of the coupled grid after attaching copies
max_aggregators     1000     ``fleet.n_aggregators``
max_periods         672      ``opf dc|joint --periods`` (7 days of 15 min)
max_facets          64       ``opf feeder|joint --facets`` (polygon facets)
max_jobs            64       ``--jobs`` (worker processes)
max_models          100      models of one comparison
max_events          1000     ``compare.events``
==================  =======  ============================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from tdcoord.errors import Issue, LimitError

DEFAULT_LIMITS: dict[str, int] = {
    "max_intervals": 2976,
    "max_per_bus": 50,
    "max_feeders": 5000,
    "max_aggregators": 1000,
    "max_periods": 672,
    "max_facets": 64,
    "max_jobs": 64,
    "max_models": 100,
    "max_events": 1000,
}


def limit(name: str, overrides: Mapping[str, int] | None = None) -> int:
    """The bound ``name``: the study's override, else ``TDCOORD_<NAME>``, else the default."""
    if overrides and name in overrides:
        return int(overrides[name])
    env = os.environ.get("TDCOORD_" + name.upper())
    if env is not None:
        try:
            value = int(env)
        except ValueError as exc:
            raise LimitError(
                f"TDCOORD_{name.upper()}={env!r} is not a whole number",
                where="environment",
                fix=f"set it to a count such as {DEFAULT_LIMITS[name] * 10}",
            ) from exc
        if value >= 1:
            return value
    return DEFAULT_LIMITS[name]


def limit_issue(
    name: str, value: int | float, where: str, overrides: Mapping[str, int] | None = None
) -> Issue | None:
    """An issue when ``value`` is above the bound ``name`` (None when within)."""
    bound = limit(name, overrides)
    if value <= bound:
        return None
    return Issue(
        where,
        f"{value:g} is above the safety bound {name} = {bound}",
        f"use at most {bound}; for a deliberate large run lift the bound with "
        f"`limits: {{{name}: {int(value)}}}` in the study file or "
        f"TDCOORD_{name.upper()}={int(value)} in the environment (docs/study.md, Limits)",
    )


def check_limit(
    name: str, value: int | float, where: str, overrides: Mapping[str, int] | None = None
) -> None:
    """Raise :class:`LimitError` when ``value`` is above the bound ``name``."""
    issue = limit_issue(name, value, where, overrides)
    if issue is not None:
        raise LimitError(issue.what, where=issue.where, fix=issue.fix)
