"""The prices of a cleared session with their components, as stored and served by ``/prices``.

One record per location: ``kind`` ``lmp`` (transmission ``bus``) or ``dlmp`` (``feeder`` and
``node`` row), ``label`` (the location as in ``prices.csv``: ``bus:<id>``, ``<feeder>/<node id>``),
the total ``price_eur_per_mwh`` per interval and ``components`` — for an LMP
``energy`` and ``congestion`` (the DC network is lossless and has no voltage rows), for a DLMP
``energy``, ``loss``, ``congestion`` and ``voltage`` (seed 000 §1.4: the transmission LMP at the
T–D interface is the DSO's root price, the energy component). In every record the components
add up to the total.

The records are read from the long price table of one stage's clearing
(:func:`price_table`: columns ``interval``, ``node``, ``component``, ``price_eur_per_mwh``, node
labels ``bus:<id>`` and ``<feeder id>/<node id>``), the table ``compare`` writes to
``prices.csv`` for the same model and stage.

LMP: :math:`\\mathrm{LMP}_{bt} = (\\lambda_t + \\Phi_{\\cdot b}^\\top \\mu_t)/\\Delta t`;
``energy`` = λ/Δt, read as the LMP of the PTDF reference bus (its PTDF column is zero) and
``congestion`` = LMP − energy. DLMP: ``energy`` = the root price π (the stage's LMP at the
feeder's interface bus), the network part DLMP − π in ``congestion``; ``loss`` and ``voltage``
are 0 here, where the outcome does not separate them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.outcome import Outcome
from tdcoord.opf.transmission.network import dc_network
from tdcoord.types import FloatArray

#: Components of a transmission LMP and of a feeder DLMP (``total`` is ``price_eur_per_mwh``).
LMP_PARTS: tuple[str, ...] = ("energy", "congestion")
DLMP_PARTS: tuple[str, ...] = ("energy", "loss", "congestion", "voltage")


def _long(labels: list[str], comps: dict[str, FloatArray]) -> pd.DataFrame:
    n, T = next(iter(comps.values())).shape
    k = len(comps)
    return pd.DataFrame({
        "interval": np.tile(np.arange(T, dtype=np.int64), n * k),
        "node": np.tile(np.repeat(np.asarray(labels, dtype=object), T), k),
        "component": np.repeat(np.asarray(list(comps), dtype=object), n * T),
        "price_eur_per_mwh": np.concatenate([np.ravel(v) for v in comps.values()]),
    })


def price_table(
    case: ClearingCase, outcome: Outcome, root_lmp_eur_per_mwh: FloatArray | None = None
) -> pd.DataFrame:
    """Every price of one stage's clearing as long rows (module doc), ``total`` first per
    location; ``root_lmp_eur_per_mwh`` ``(n_bus, T)`` is the root price handed down when the
    stage has no LMP of its own."""
    frames: list[pd.DataFrame] = []
    tr = case.grid.transmission
    lmp = outcome.lmp_eur_per_mwh
    if lmp is not None and tr is not None:
        ref = int(dc_network(tr, "matpower").ref_rows[0])
        energy = np.repeat(lmp[ref][None, :], lmp.shape[0], axis=0)
        frames.append(_long([f"bus:{int(b)}" for b in tr.buses.id],
                            {"total": lmp, "energy": energy, "congestion": lmp - energy}))
    root_lmp = lmp if lmp is not None else root_lmp_eur_per_mwh
    for f, d in enumerate(outcome.dlmp_eur_per_mwh):
        if d is None:
            continue
        fd = case.grid.feeders[f]
        root = (np.zeros(case.n_periods) if root_lmp is None
                else np.asarray(root_lmp)[case.interface_bus_row[f]])
        energy = np.repeat(root[None, :], d.shape[0], axis=0)
        zero = np.zeros_like(d)
        frames.append(_long([f"{fd.id}/{int(n)}" for n in fd.nodes.id], {
            "total": d, "energy": energy, "loss": zero,
            "congestion": d - energy, "voltage": zero}))
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object)
                             for c in ("interval", "node", "component", "price_eur_per_mwh")})
    return pd.concat(frames, ignore_index=True)


def price_records(
    table: pd.DataFrame, bus_ids: list[int], feeders: list[tuple[str, list[int]]]
) -> list[dict[str, Any]]:
    """The ``/prices`` records (module doc) of a long price table: transmission buses in grid
    order (``bus_ids``), then each feeder's nodes (``feeders``: feeder id and node ids, in grid
    order); a location the table does not price is left out."""
    if len(table) == 0:
        return []
    series = {
        key: g.sort_values("interval")["price_eur_per_mwh"].to_numpy(np.float64)
        for key, g in table.groupby(["node", "component"], sort=False)
    }
    out: list[dict[str, Any]] = []

    def add(label: str, parts: tuple[str, ...], where: dict[str, Any]) -> None:
        if (label, "total") not in series:
            return
        comps = {c: series[(label, c)].tolist() for c in parts if (label, c) in series}
        out.append(where | {"label": label, "price_eur_per_mwh": series[(label, "total")].tolist(),
                            "components": comps})

    for b in bus_ids:
        add(f"bus:{b}", LMP_PARTS, {"kind": "lmp", "bus": b, "feeder": None, "node": None})
    for fid, nodes in feeders:
        for row, n in enumerate(nodes):
            add(f"{fid}/{n}", DLMP_PARTS,
                {"kind": "dlmp", "bus": None, "feeder": fid, "node": row})
    return out
