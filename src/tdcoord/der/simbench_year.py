"""SimBench's year of 15-minute profiles (2016): the shapes of one calendar day.

Source: the ``simbench`` wheel, data set ``networks/1-complete_data-mixed-all-0-sw``
(``LoadProfile.csv``: ``H0-A_pload`` household, ``G0-A_pload`` commercial; ``RESProfile.csv``:
``PV1`` … ``PV8``; ODbL, Meinecke et al., *Energies* 13 (2020) 3290). Every profile is given per
unit of its annual maximum (load) or of the installed power (PV), 96 quarter hours a day, 366
days (2016 is a leap year). A day is 96 consecutive rows from 00:00 CET (UTC+1): the rows are
consecutive quarter hours of standard time (their labels follow daylight saving, so a summer
day's first label reads 01:00).

The shapes of a date (each ``(96,)``):

* **load** (``residential`` = H0-A, ``commercial`` = G0-A): the date's 96 values divided by their
  own maximum, ``shape_t = x_t / max_τ x_τ`` — peak 1 like the standard season shapes of
  :mod:`tdcoord.der.fleet_profiles`, since a grid's static loads are peak values; the date brings
  its own timing (weekday, weekend, holiday, season) but not its level;
* **pv**: the mean of ``PV1`` … ``PV8`` on the date, MW available per MW of module — the real
  level of the day (clouds included), where the standard shape is a clear sky.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from tdcoord.der.errors import DerError
from tdcoord.types import FloatArray

__all__ = ["LOAD_COLUMNS", "PROFILE_YEAR", "SIMBENCH_DATA", "date_shape", "year_profiles"]

#: Year of SimBench's profiles (a leap year: 366 days of 96 quarter hours).
PROFILE_YEAR = 2016

#: Folder of the SimBench data set with the complete year of profiles (inside the wheel).
SIMBENCH_DATA = "networks/1-complete_data-mixed-all-0-sw"

#: SimBench load-profile column of each load shape kind.
LOAD_COLUMNS: dict[str, str] = {"residential": "H0-A_pload", "commercial": "G0-A_pload"}

_PV_COLUMNS = tuple(f"PV{k}" for k in range(1, 9))


def simbench_installed() -> bool:
    """Whether the ``simbench`` package (the year of profiles) can be imported."""
    return importlib.util.find_spec("simbench") is not None


def _folder() -> Path:
    try:
        import simbench
    except ImportError as exc:
        raise DerError(
            "a dated day needs SimBench's year of profiles",
            where="fleet.date",
            fix="install the simbench extra (uv sync --all-extras) or remove the date",
        ) from exc
    return Path(simbench.__file__).resolve().parent / SIMBENCH_DATA


@lru_cache(maxsize=1)
def year_profiles() -> dict[str, FloatArray]:
    """``residential``, ``commercial`` and ``pv`` of the whole year, each ``(366, 96)``."""
    folder = _folder()
    load = pd.read_csv(folder / "LoadProfile.csv", sep=";", usecols=list(LOAD_COLUMNS.values()))
    res = pd.read_csv(folder / "RESProfile.csv", sep=";", usecols=list(_PV_COLUMNS))
    cols = {k: load[c].to_numpy(dtype=np.float64) for k, c in LOAD_COLUMNS.items()}
    cols["pv"] = res[list(_PV_COLUMNS)].to_numpy(dtype=np.float64).mean(axis=1)
    n_days = cols["pv"].size // 96
    out = {k: np.ascontiguousarray(v[: n_days * 96].reshape(n_days, 96)) for k, v in cols.items()}
    for v in out.values():
        v.setflags(write=False)
    return out


def date_shape(kind: str, date: dt.date) -> FloatArray:
    """The 96 quarter hours of ``kind`` (residential, commercial, pv) on ``date`` (module doc).

    Only the month and day are used (SimBench has one year; 29 February exists in it).
    """
    year = year_profiles()
    if kind not in year:
        raise DerError(f"no profile {kind!r}", where="fleet.date", fix=f"use one of {sorted(year)}")
    day = (dt.date(PROFILE_YEAR, date.month, date.day) - dt.date(PROFILE_YEAR, 1, 1)).days
    values = year[kind][day]
    if kind == "pv":
        return np.asarray(values.copy(), dtype=np.float64)
    peak = float(values.max())
    return np.asarray(values / peak if peak > 0 else np.ones(96), dtype=np.float64)
