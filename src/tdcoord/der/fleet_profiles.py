"""A day of profiles that exists offline: standard load shapes, clear-sky PV, outdoor temperature.

Grid sources do not always carry time series (CIGRE MV from pandapower has none), so a fleet gets
its day from three documented shapes:

* **Load shapes** — ``data/load_shapes.csv``: 96 quarter hours, normalised to peak 1, for
  ``residential`` (SimBench H0-A, household) and ``commercial`` (SimBench G0-A) on a ``winter``
  (January weekdays) or ``summer`` (July weekdays) day; mean over those days of the SimBench
  profiles (ODbL, Meinecke et al., *Energies* 13 (2020) 3290). Regenerate with pandas from
  SimBench's ``LoadProfile.csv`` (columns ``H0-A_pload``, ``G0-A_pload``; group by quarter hour,
  mean, divide by max).
* **PV** — clear-sky global horizontal irradiance of the Haurwitz model
  (Haurwitz 1945; Reno, Hansen & Stein, Sandia SAND2012-2389 §3.1.1):
  ``GHI = 1098 · cos z · exp(−0.057 / cos z)`` W/m² for ``cos z > 0``, with the solar zenith
  ``cos z = sin φ sin δ + cos φ cos δ cos h`` (declination ``δ = 23.45° sin(360°(284+n)/365)``,
  Cooper 1969; hour angle ``h = 15°·(solar time − 12)``). Available PV power per kW of module is
  ``GHI / 1000 · performance_ratio`` (IEC 61724 performance ratio, default 0.85), evaluated at
  the middle of each interval.
* **Outdoor temperature** — ``T(h) = T_mean + A · cos(2π (h − 15) / 24)`` (daily minimum at
  03:00, maximum at 15:00), a standard sinusoidal diurnal model (e.g. Parton & Logan 1981 for
  the day-time part); defaults per season below.

The day is 24 h at ``dt_h`` resolution (96 intervals at 15 min); load shapes are resampled by
averaging (coarser) or repetition (finer).

**A dated day.** Given a ``date`` (study field ``fleet.date``; the sweep's ``--days``), the load
shapes and the PV availability are that calendar day's SimBench profiles instead
(:mod:`tdcoord.der.simbench_year`: loads peak-normalised per day, PV per unit of module as
measured, so no performance ratio is applied); the outdoor temperature stays the season's.
Without a date, nothing changes (the standard shapes above, bit for bit).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from importlib import resources
from io import StringIO
from typing import Literal

import numpy as np
import pandas as pd

from tdcoord.der.errors import DerError
from tdcoord.types import FloatArray

Season = Literal["winter", "summer"]
ShapeKind = Literal["residential", "commercial"]

#: Day of year and outdoor temperature (mean, amplitude, °C) per season; Central-European
#: climate normals (DWD 1991–2020, Germany: January mean ≈ 1 °C, July mean ≈ 19 °C).
SEASONS: dict[str, tuple[int, float, float]] = {
    "winter": (15, 1.0, 4.0),
    "summer": (196, 19.0, 6.0),
}


@lru_cache(maxsize=1)
def _shapes() -> pd.DataFrame:
    text = resources.files("tdcoord.der").joinpath("data/load_shapes.csv").read_text("utf-8")
    return pd.read_csv(StringIO(text), comment="#")


def _resample(profile_15min: FloatArray, n_intervals: int, dt_h: float) -> FloatArray:
    """Quarter-hour values → ``n_intervals`` of ``dt_h`` hours (the day repeats)."""
    per = dt_h / 0.25
    if per >= 1 and abs(per - round(per)) < 1e-9:
        k = round(per)
        day = profile_15min.reshape(-1, k).mean(axis=1) if 96 % k == 0 else None
    elif per < 1 and abs(1 / per - round(1 / per)) < 1e-9:
        day = np.repeat(profile_15min, round(1 / per))
    else:
        day = None
    if day is None:
        raise DerError(
            f"dt_h = {dt_h} does not divide a day into whole quarter hours",
            where="fleet profiles",
            fix="use a resolution that divides or is a multiple of 15 min (5, 15, 30, 60 min)",
        )
    reps = int(np.ceil(n_intervals / day.size))
    return np.asarray(np.tile(day, reps)[:n_intervals], dtype=np.float64)


def load_shape(
    kind: ShapeKind,
    season: Season,
    n_intervals: int = 96,
    dt_h: float = 0.25,
    *,
    date: dt.date | None = None,
) -> FloatArray:
    """Normalised load shape (peak of the 15-min day = 1), ``(n_intervals,)``; of ``date``'s
    SimBench profile when given (module doc)."""
    if date is not None:
        from tdcoord.der.simbench_year import date_shape

        return _resample(date_shape(kind, date), n_intervals, dt_h)
    col = f"{kind}_{season}"
    frame = _shapes()
    if col not in frame:
        raise DerError(
            f"no load shape {col!r}",
            where="tdcoord/der/data/load_shapes.csv",
            fix="use kind residential|commercial and season winter|summer",
        )
    return _resample(frame[col].to_numpy(dtype=np.float64), n_intervals, dt_h)


def clear_sky_pv(
    n_intervals: int = 96,
    dt_h: float = 0.25,
    *,
    season: Season = "summer",
    latitude_deg: float = 50.0,
    performance_ratio: float = 0.85,
) -> FloatArray:
    """Available PV power per MW of module (peak) per interval, clear sky (see module doc)."""
    if not -90.0 <= latitude_deg <= 90.0:
        raise DerError(f"latitude {latitude_deg} out of range", fix="give degrees in [-90, 90]")
    day = SEASONS[season][0]
    hours = (np.arange(n_intervals) + 0.5) * dt_h % 24.0
    decl = np.deg2rad(23.45) * np.sin(np.deg2rad(360.0 * (284 + day) / 365.0))
    lat = np.deg2rad(latitude_deg)
    hour_angle = np.deg2rad(15.0 * (hours - 12.0))
    cos_z = np.sin(lat) * np.sin(decl) + np.cos(lat) * np.cos(decl) * np.cos(hour_angle)
    safe = np.where(cos_z > 1e-6, cos_z, 1.0)
    ghi = np.where(cos_z > 1e-6, 1098.0 * cos_z * np.exp(-0.057 / safe), 0.0)
    return np.asarray(ghi / 1000.0 * performance_ratio, dtype=np.float64)


def pv_shape(
    n_intervals: int = 96,
    dt_h: float = 0.25,
    *,
    season: Season = "summer",
    latitude_deg: float = 50.0,
    date: dt.date | None = None,
) -> FloatArray:
    """Available PV power per MW of module: ``date``'s SimBench PV profile when given, else the
    season's clear sky (:func:`clear_sky_pv`) (module doc)."""
    if date is None:
        return clear_sky_pv(n_intervals, dt_h, season=season, latitude_deg=latitude_deg)
    from tdcoord.der.simbench_year import date_shape

    return _resample(date_shape("pv", date), n_intervals, dt_h)


def study_date(season: str, date: dt.date | None = None) -> dt.date:
    """The calendar day of a study day: ``date`` when given, else the season's nominal day of
    SimBench's 2016 (:data:`SEASONS`: 15 January, 14 July), the label of the standard shapes."""
    if date is not None:
        return date
    return dt.date(2016, 1, 1) + dt.timedelta(days=SEASONS[season][0] - 1)


def outdoor_temperature_c(
    n_intervals: int = 96, dt_h: float = 0.25, *, season: Season = "winter"
) -> FloatArray:
    """Outdoor temperature per interval (°C), sinusoidal day (see module doc)."""
    _, mean, amp = SEASONS[season]
    hours = (np.arange(n_intervals) + 0.5) * dt_h % 24.0
    return np.asarray(mean + amp * np.cos(2 * np.pi * (hours - 15.0) / 24.0), dtype=np.float64)
