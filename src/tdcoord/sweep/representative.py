"""Representative days of a year of profiles: k-means on daily load and PV shapes, medoids.

Source: SimBench's 2016 year of 15-minute profiles, shipped in the ``simbench`` wheel
(``networks/1-complete_data-mixed-all-0-sw``: ``LoadProfile.csv`` columns ``H0-A_pload``
household and ``G0-A_pload`` commercial, ``RESProfile.csv`` columns ``PV1`` … ``PV8``; ODbL,
Meinecke et al., *Energies* 13 (2020) 3290).

Method (the usual representative-day selection of energy-system models, e.g. Nahmmacher et al.,
"Carpe diem: A novel approach to select representative days for long-term power system
modeling", *Energy* 112 (2016) 430–442, and Poncelet et al., *IEEE Trans. Power Syst.* 32(3)
(2017)):

1. one feature vector per day: the 96 quarter hours of household load, commercial load and mean
   PV, each divided by its annual maximum (288 numbers in [0, 1]);
2. k-means (``scipy.cluster.vq.kmeans2``, k-means++ start, fixed seed 0: deterministic);
3. each cluster is represented by its **medoid**, the day of the cluster closest (Euclidean) to
   the centroid, a real day of the year rather than an average;
4. weight of a day = its cluster size · 365 / 366 (days of a 365-day year it stands for; 2016
   has 366 days), so the weights sum to 365. Clusters left empty by k-means give no day.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from tdcoord.der.simbench_year import simbench_installed, year_profiles
from tdcoord.errors import StudyError
from tdcoord.sweep.sweep_day import PROFILE_YEAR, SweepDay

FloatArray = npt.NDArray[np.float64]


@lru_cache(maxsize=1)
def daily_features() -> tuple[tuple[dt.date, ...], FloatArray]:
    """Dates of the profile year and their feature vectors ``(n_days, 288)`` (module doc)."""
    if not simbench_installed():  # the sweep's own error when SimBench is missing
        raise StudyError(
            "representative days need the SimBench profiles",
            where="sweep --days",
            fix="install the simbench extra (uv sync --all-extras) or give a list of dates",
        )
    year = year_profiles()
    parts = [year[k] / year[k].max() for k in ("residential", "commercial", "pv")]
    first = dt.date(PROFILE_YEAR, 1, 1)
    dates = tuple(first + dt.timedelta(days=d) for d in range(parts[0].shape[0]))
    return dates, np.hstack(parts)


def pick_medoids(features: FloatArray, k: int, seed: int = 0) -> list[tuple[int, int]]:
    """k-means on the rows of ``features``; (medoid row, cluster size) per non-empty cluster."""
    from scipy.cluster.vq import kmeans2

    n = features.shape[0]
    if k >= n:
        return [(i, 1) for i in range(n)]
    centroids, labels = kmeans2(
        features, k, minit="++", seed=np.random.default_rng(seed), missing="warn"
    )
    out: list[tuple[int, int]] = []
    for c in range(k):
        members = np.flatnonzero(labels == c)
        if members.size == 0:
            continue
        dist = np.linalg.norm(features[members] - centroids[c], axis=1)
        out.append((int(members[int(np.argmin(dist))]), int(members.size)))
    return out


def representative_days(k: int) -> tuple[SweepDay, ...]:
    """K representative days of SimBench's 2016 profiles with their weights (module doc)."""
    dates, features = daily_features()
    n = len(dates)
    picked = pick_medoids(features, k)
    days = [SweepDay(dates[i], size * 365.0 / n) for i, size in picked]
    return tuple(sorted(days, key=lambda d: d.date))
