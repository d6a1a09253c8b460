"""Small shared helpers of the settlement layer: array checks and the activation-frame schema."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from tdcoord.settlement.errors import SettlementError
from tdcoord.types import FloatArray, IntArray

#: Columns of ``Outcome.activations`` (docs/contracts): one row per (offer step, interval, buyer).
ACTIVATION_COLUMNS: tuple[str, ...] = (
    "offer_row",
    "offer_id",
    "der_id",
    "aggregator_id",
    "der_type",
    "product_id",
    "interval",
    "buyer",
    "direction",
    "mw",
    "price_eur_per_mwh",
    "cost_eur",
)


def as_grid(
    values: npt.ArrayLike, name: str, shape: tuple[int, ...] | None = None, ndim: int = 2
) -> FloatArray:
    """``values`` as a finite float array with ``ndim`` dimensions (and ``shape`` if given)."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != ndim:
        raise SettlementError(
            f"{name} must be {ndim}-D, got shape {arr.shape}",
            where=name,
            fix="units × intervals for 2-D inputs, days × units × intervals for history",
        )
    if shape is not None and arr.shape != shape:
        raise SettlementError(
            f"{name} has shape {arr.shape}, expected {shape}",
            where=name,
            fix="give one row per DER (in der_ids order) and one column per interval",
        )
    if not np.isfinite(arr).all():
        idx = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise SettlementError(
            f"{name} has a non-finite value at index {idx}",
            where=name,
            fix="fill missing meter readings (estimation/validation) before settling",
        )
    return arr


def check_dt(dt_h: float) -> float:
    """A positive interval length in hours."""
    if not np.isfinite(dt_h) or dt_h <= 0:
        raise SettlementError(
            f"interval length dt_h={dt_h!r} is not positive",
            where="dt_h",
            fix="give the market time unit in hours (0.25 for 15 min)",
        )
    return float(dt_h)


def check_activations(frame: pd.DataFrame, name: str = "activations") -> pd.DataFrame:
    """Validate an activation table (``Outcome.activations`` format) and return a clean copy."""
    missing = [c for c in ACTIVATION_COLUMNS if c not in frame.columns]
    if missing:
        raise SettlementError(
            f"{name} lacks column(s) {missing}",
            where=name,
            fix=f"give the Outcome.activations columns {list(ACTIVATION_COLUMNS)}",
        )
    out = frame.reset_index(drop=True).copy()
    for col in ("mw", "price_eur_per_mwh", "cost_eur"):
        out[col] = out[col].astype(np.float64)
        bad = ~np.isfinite(out[col].to_numpy())
        if bad.any():
            raise SettlementError(
                f"{name}.{col} is not finite",
                where=f"{name} row {int(np.flatnonzero(bad)[0])}",
                fix="give finite numbers",
            )
    neg = out["mw"].to_numpy() < 0
    if neg.any():
        i = int(np.flatnonzero(neg)[0])
        raise SettlementError(
            f"negative activated quantity {out['mw'].iat[i]:g} MW",
            where=f"{name} row {i} (offer {out['offer_id'].iat[i]})",
            fix="mw is a magnitude (>= 0); the direction column gives the sign",
        )
    out["direction"] = out["direction"].astype(np.int64)
    bad_dir = ~np.isin(out["direction"].to_numpy(), (-1, 1))
    if bad_dir.any():
        i = int(np.flatnonzero(bad_dir)[0])
        raise SettlementError(
            f"direction {out['direction'].iat[i]} is neither +1 nor -1",
            where=f"{name} row {i}",
            fix="use +1 for up (more injection) and -1 for down",
        )
    out["interval"] = out["interval"].astype(np.int64)
    for col in ("offer_id", "der_id", "aggregator_id", "der_type", "product_id", "buyer"):
        out[col] = out[col].astype(str)
    return out


def der_index(der_ids: Sequence[str], needed: pd.Series, where: str) -> IntArray:
    """Row of each entry of ``needed`` in ``der_ids``; unknown DERs raise."""
    lookup = {d: i for i, d in enumerate(der_ids)}
    if len(lookup) != len(der_ids):
        raise SettlementError(
            "der_ids repeat an id", where="der_ids", fix="give every DER one row of meter data"
        )
    idx = needed.map(lookup)
    if idx.isna().any():
        bad = needed[idx.isna()].iloc[0]
        raise SettlementError(
            f"DER {bad!r} has no meter data",
            where=where,
            fix="add the DER to der_ids and its row to metered_mw",
        )
    return np.asarray(idx.to_numpy(dtype=np.int64), dtype=np.int64)


def check_intervals(frame: pd.DataFrame, n_periods: int, where: str) -> None:
    """Every interval index of ``frame`` lies in ``[0, n_periods)``."""
    t = frame["interval"].to_numpy()
    bad = (t < 0) | (t >= n_periods)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise SettlementError(
            f"interval {int(t[i])} outside the metered horizon 0..{n_periods - 1}",
            where=f"{where} row {i}",
            fix="meter data must cover every activated interval",
        )
