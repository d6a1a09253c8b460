"""Delivered flexibility and non-delivery, per DER × interval and per activation.

Sign convention of :mod:`tdcoord.der.base`: ``m`` metered net injection, ``b`` baseline, both MW
(U × T). An up activation raises injection, so in injection terms delivered = ``m − b``; in the
load convention of DR rule books (consumption ``c = −m``) this is the familiar ``b_c − c``.

Per DER u and interval t, with the activations of that DER (any buyer, product, direction):

* requested (signed)  ``R = Σ direction · mw``
* deviation           ``D = m − b``
* delivery ratio      ``ρ = clip(D / R, 0, 1)`` if ``R ≠ 0``, else 1 (up and down requests cancel:
  nothing net to deliver; a deviation there is imbalance, not non-delivery)
* credited (signed)   ``ρ · R`` — capped: over-delivery and delivery in the wrong direction earn
  nothing (seed 000 §2.3: remuneration and penalties for non-delivery are design variables)
* per activation      ``delivered_mw = ρ · mw``, ``undelivered_mw = (1 − ρ) · mw``
  (pro rata: every buyer of the DER in that interval sees the same delivery ratio)
* imbalance           ``I = m − (ref + R)`` with ``ref`` the declared schedule if given, else
  the baseline: the BRP's position corrected for activations (EB GL Reg. (EU) 2017/2195 Art. 49,
  imbalance adjustment). ``I > 0``: long (more injection than due).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from tdcoord.settlement._common import (
    as_grid,
    check_activations,
    check_dt,
    check_intervals,
    der_index,
)
from tdcoord.types import FloatArray


@dataclass(frozen=True)
class Delivery:
    """Measured delivery (arrays U × T in ``der_ids`` order, MW; frame per activation row)."""

    per_activation: pd.DataFrame
    requested_mw: FloatArray
    deviation_mw: FloatArray
    credited_mw: FloatArray
    ratio: FloatArray
    imbalance_mw: FloatArray


def measure_delivery(
    activations: pd.DataFrame,
    der_ids: Sequence[str],
    metered_mw: npt.ArrayLike,
    baseline_mw: npt.ArrayLike,
    dt_h: float,
    schedule_mw: npt.ArrayLike | None = None,
) -> Delivery:
    """Delivery per DER × interval and per activation row (see the module docstring).

    The returned frame is ``activations`` plus ``delivery_ratio``, ``delivered_mw``,
    ``undelivered_mw``, ``delivered_mwh`` and ``undelivered_mwh`` (× ``dt_h``).
    """
    dt = check_dt(dt_h)
    m = as_grid(metered_mw, "metered_mw")
    n_u, t_n = m.shape
    if n_u != len(der_ids):
        m = as_grid(m, "metered_mw", (len(der_ids), t_n))
    b = as_grid(baseline_mw, "baseline_mw", m.shape)
    ref = b if schedule_mw is None else as_grid(schedule_mw, "schedule_mw", m.shape)
    frame = check_activations(activations)
    u_idx = der_index(der_ids, frame["der_id"], "activations.der_id")
    check_intervals(frame, t_n, "activations")
    t_idx = frame["interval"].to_numpy(dtype=np.int64)
    signed = frame["direction"].to_numpy(dtype=np.float64) * frame["mw"].to_numpy(np.float64)
    flat = u_idx * t_n + t_idx
    req: FloatArray = np.asarray(
        np.bincount(flat, weights=signed, minlength=n_u * t_n), dtype=np.float64
    ).reshape(n_u, t_n)
    dev = m - b
    nz = np.abs(req) > 1e-12
    raw = np.ones_like(req)
    np.divide(dev, req, out=raw, where=nz)
    ratio: FloatArray = np.where(nz, np.clip(raw, 0.0, 1.0), 1.0).astype(np.float64)
    out = frame.copy()
    rho = ratio[u_idx, t_idx] if len(frame) else np.zeros(0)
    mw = frame["mw"].to_numpy(dtype=np.float64)
    out["delivery_ratio"] = rho
    out["delivered_mw"] = rho * mw
    out["undelivered_mw"] = mw - rho * mw
    out["delivered_mwh"] = out["delivered_mw"] * dt
    out["undelivered_mwh"] = out["undelivered_mw"] * dt
    return Delivery(
        per_activation=out,
        requested_mw=req,
        deviation_mw=dev,
        credited_mw=ratio * req,
        ratio=ratio,
        imbalance_mw=m - (ref + req),
    )
