"""One day of a sweep and its weight in the year (``Σ_d weight_days(d) · KPI_d`` is the annual
KPI, :mod:`tdcoord.sweep.summary`); kept apart from :mod:`tdcoord.sweep.days` (parsing) and
:mod:`tdcoord.sweep.representative` (picking), which both use it."""

from __future__ import annotations

import dataclasses
import datetime as dt

from tdcoord.der.simbench_year import PROFILE_YEAR

__all__ = ["PROFILE_YEAR", "SweepDay"]



@dataclasses.dataclass(frozen=True)
class SweepDay:
    """One day of a sweep and the number of days of a year it stands for."""

    date: dt.date
    weight_days: float
    profiled: bool = True
    """Whether the day is built from the date's own SimBench profiles (``fleet.date``): true for
    the days of ``--days``; false for the study's own day (no ``--days``), whose date is only a
    label and which keeps the study's standard season shapes."""

    @property
    def season(self) -> str:
        """``summer`` for April–September, else ``winter`` (the study day's two seasons)."""
        return "summer" if 4 <= self.date.month <= 9 else "winter"

    @property
    def timestamp(self) -> dt.datetime:
        """Start of the day, tz-aware UTC."""
        return dt.datetime(self.date.year, self.date.month, self.date.day, tzinfo=dt.UTC)
