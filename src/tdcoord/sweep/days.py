"""The days of a sweep: ``--days 2016-01-15,2016-07-14`` or ``--days representative:K``.

Each day stands for ``weight_days`` days of a year; an annual KPI is the weighted sum
``Σ_d weight_days(d) · KPI_d`` (:mod:`tdcoord.sweep.summary`).

* Without ``--days``, the sweep runs the study's own day (its ``fleet.season``), dated on the
  season's nominal day of 2016 (:data:`tdcoord.der.fleet_profiles.SEASONS`: 15 January, 14 July),
  with weight 1: the summary is then per day, not per year.
* A list of dates: each date stands for an equal share of the year, ``365 / n`` days.
* ``representative:K``: K days of SimBench's 2016 year picked by k-means with medoids
  (:func:`tdcoord.sweep.representative.representative_days`), weight = cluster size · 365/366.

**How a date reaches the simulation.** A day of ``--days`` is built from that date's own
SimBench 15-minute profiles: the sample study gets ``fleet.date`` (household and commercial load
shapes, PV availability of that calendar day, :mod:`tdcoord.der.simbench_year`), its season
(April–September: summer, else winter; the outdoor temperature of the heat pumps) and its own
simulation seed (:func:`tdcoord.sweep.uncertainty.simulation_seed`). The study's own day
(no ``--days``) keeps the study's standard season shapes (no ``fleet.date``), bit for bit.
"""

from __future__ import annotations

import datetime as dt

from tdcoord.der.fleet_profiles import SEASONS
from tdcoord.errors import StudyError
from tdcoord.sweep.sweep_day import PROFILE_YEAR, SweepDay

#: Upper bound of K in ``representative:K`` and of the number of listed dates.
MAX_DAYS = 366


def study_day(season: str) -> SweepDay:
    """The study's own day: the season's nominal date of :data:`PROFILE_YEAR`, weight 1."""
    doy = SEASONS[season][0]
    return SweepDay(dt.date(PROFILE_YEAR, 1, 1) + dt.timedelta(days=doy - 1), 1.0, profiled=False)


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise StudyError(
            f"{text!r} is not a date",
            where="sweep --days",
            fix="give ISO dates (2016-01-15,2016-07-14) or representative:K",
        ) from exc


def _representative_count(text: str) -> int:
    try:
        k = int(text)
    except ValueError:
        k = 0
    if not 1 <= k <= MAX_DAYS:
        raise StudyError(
            f"representative:{text}",
            where="sweep --days",
            fix=f"give a whole number of days K in 1..{MAX_DAYS}, e.g. representative:12",
        )
    return k


def parse_days(text: str | None, season: str) -> tuple[SweepDay, ...]:
    """The days of ``--days`` (see module doc); ``season`` is the study's, used without it."""
    if text is None or not text.strip():
        return (study_day(season),)
    text = text.strip()
    if text.startswith("representative:"):
        from tdcoord.sweep.representative import representative_days

        return representative_days(_representative_count(text.split(":", 1)[1]))
    dates = [_parse_date(t.strip()) for t in text.split(",") if t.strip()]
    if len(set(dates)) != len(dates):
        raise StudyError("a date is listed twice", where="sweep --days", fix="list each once")
    if len(dates) > MAX_DAYS:
        raise StudyError(f"{len(dates)} dates", where="sweep --days", fix=f"give <= {MAX_DAYS}")
    return tuple(SweepDay(d, 365.0 / len(dates)) for d in sorted(dates))
