"""One day of a sweep and its weight in the year (``Σ_d weight_days(d) · KPI_d`` is the annual
KPI, :mod:`tdcoord.sweep.summary`); kept apart from :mod:`tdcoord.sweep.days` (parsing) and
:mod:`tdcoord.sweep.representative` (picking), which both use it."""

from __future__ import annotations

import dataclasses
import datetime as dt

__all__ = ["PROFILE_YEAR", "SweepDay"]

#: Year of SimBench's profiles (a leap year: 366 days of 96 quarter hours).
PROFILE_YEAR = 2016


@dataclasses.dataclass(frozen=True)
class SweepDay:
    """One day of a sweep and the number of days of a year it stands for."""

    date: dt.date
    weight_days: float

    @property
    def season(self) -> str:
        """``summer`` for April–September, else ``winter`` (the study day's two seasons)."""
        return "summer" if 4 <= self.date.month <= 9 else "winter"

    @property
    def timestamp(self) -> dt.datetime:
        """Start of the day, tz-aware UTC."""
        return dt.datetime(self.date.year, self.date.month, self.date.day, tzinfo=dt.UTC)
