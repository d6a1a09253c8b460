"""Every price one stage's clearing computed, as one long table: transmission LMPs and the
hierarchical DLMPs below each T–D interface (seed 000 §1.4, :mod:`tdcoord.coordination.prices`).

Columns (:data:`PRICE_COLUMNS`): ``interval``, ``node``, ``component``, ``price_eur_per_mwh``
(``tdcoord compare`` adds ``model`` and ``stage`` for ``prices.csv``; the platform's
``/prices`` reuses :func:`stage_prices`).

* **Transmission** (``node`` = ``bus:<bus id>``): the LMP of the stage's transmission clearing,
  :math:`\\mathrm{LMP} = (\\lambda_t + \\Phi^\\top\\mu_t)/\\Delta t`, as ``energy`` (the balance
  dual λ, read as the LMP of the PTDF reference bus, whose PTDF column is zero), ``congestion``
  (:math:`\\Phi^\\top\\mu/\\Delta t` = LMP − energy) and ``total``.
* **Distribution** (``node`` = ``<feeder id>/<node id>``): every feeder a clearing of the stage
  modelled. The root price π handed down is the stage's LMP at the feeder's interface bus; a
  stage without a transmission price (no TSO balance row) uses ``root_lmp_eur_per_mwh`` (the
  day-ahead energy market's LMPs in the pipeline), else 0. Components ``total``, ``energy``,
  ``loss``, ``congestion``, ``voltage`` with total = the sum of the other four.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.outcome import Outcome
from tdcoord.coordination.prices import DLMP_COMPONENTS
from tdcoord.opf.transmission.network import dc_network
from tdcoord.types import FloatArray

PRICE_COLUMNS: tuple[str, ...] = ("interval", "node", "component", "price_eur_per_mwh")

#: Components of a transmission LMP.
LMP_COMPONENTS: tuple[str, ...] = ("total", "energy", "congestion")


def _long(labels: list[str], comps: dict[str, FloatArray]) -> pd.DataFrame:
    """``{component: (n, T)}`` → long rows (component-major, then node, then interval)."""
    first = next(iter(comps.values()))
    n, T = first.shape
    k = len(comps)
    return pd.DataFrame(
        {
            "interval": np.tile(np.arange(T, dtype=np.int64), n * k),
            "node": np.tile(np.repeat(np.asarray(labels, dtype=object), T), k),
            "component": np.repeat(np.asarray(list(comps), dtype=object), n * T),
            "price_eur_per_mwh": np.concatenate([np.ravel(v) for v in comps.values()]),
        }
    )


def node_labels(case: ClearingCase) -> list[str]:
    """Every price location of ``case``: ``bus:<id>`` per transmission bus, then
    ``<feeder id>/<node id>`` per feeder node (the ``node`` values of :func:`stage_prices`)."""
    tr = case.grid.transmission
    buses = [] if tr is None else [f"bus:{int(b)}" for b in tr.buses.id]
    nodes = [f"{fd.id}/{int(n)}" for fd in case.grid.feeders for n in fd.nodes.id]
    return buses + nodes


def lmp_components(case: ClearingCase, lmp_eur_per_mwh: FloatArray) -> dict[str, FloatArray]:
    """``total``, ``energy``, ``congestion`` of transmission LMPs ``(n_bus, T)`` (module doc)."""
    tr = case.grid.transmission
    assert tr is not None
    ref = int(dc_network(tr, "matpower").ref_rows[0])
    lmp = np.asarray(lmp_eur_per_mwh, dtype=np.float64)
    energy = np.repeat(lmp[ref][None, :], lmp.shape[0], axis=0)
    return {"total": lmp, "energy": energy, "congestion": lmp - energy}


def lmp_prices(case: ClearingCase, lmp_eur_per_mwh: FloatArray) -> pd.DataFrame:
    """Transmission LMPs ``(n_bus, T)`` as rows of :data:`PRICE_COLUMNS` (``node`` =
    ``bus:<id>``; components :data:`LMP_COMPONENTS`); empty without a transmission grid."""
    tr = case.grid.transmission
    if tr is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PRICE_COLUMNS})
    labels = [f"bus:{int(b)}" for b in tr.buses.id]
    return _long(labels, lmp_components(case, lmp_eur_per_mwh))


def root_prices(
    case: ClearingCase, outcome: Outcome, root_lmp_eur_per_mwh: FloatArray | None = None
) -> FloatArray:
    """π ``(n_feeder, T)``: the LMP at every feeder's interface bus handed to its DSO (the
    stage's own LMP, else ``root_lmp_eur_per_mwh`` ``(n_bus, T)``, else 0)."""
    lmp = outcome.lmp_eur_per_mwh if outcome.lmp_eur_per_mwh is not None else root_lmp_eur_per_mwh
    if lmp is None or not case.n_feeders:
        return np.zeros((case.n_feeders, case.n_periods))
    return np.asarray(np.asarray(lmp)[case.interface_bus_row], dtype=np.float64)


def stage_dlmps(
    case: ClearingCase, outcome: Outcome, root_lmp_eur_per_mwh: FloatArray | None = None
) -> dict[int, dict[str, FloatArray]]:
    """Per modelled feeder, the DLMP components ``{component: (n_node, T)}`` of one stage's
    outcome with the handed-down root price (:func:`root_prices`)."""
    roots = root_prices(case, outcome, root_lmp_eur_per_mwh)
    return {
        f: parts.components(roots[f])
        for f, parts in enumerate(outcome.dlmp_parts)
        if parts is not None
    }


def stage_prices(
    case: ClearingCase, outcome: Outcome, root_lmp_eur_per_mwh: FloatArray | None = None
) -> pd.DataFrame:
    """Every price of one stage's clearing (``outcome`` of ``case``) as rows of
    :data:`PRICE_COLUMNS`: transmission LMPs, then each modelled feeder's DLMPs (module doc)."""
    frames: list[pd.DataFrame] = []
    if outcome.lmp_eur_per_mwh is not None:
        frames.append(lmp_prices(case, outcome.lmp_eur_per_mwh))
    for f, comps in stage_dlmps(case, outcome, root_lmp_eur_per_mwh).items():
        fd = case.grid.feeders[f]
        labels = [f"{fd.id}/{int(n)}" for n in fd.nodes.id]
        frames.append(_long(labels, {c: comps[c] for c in DLMP_COMPONENTS}))
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PRICE_COLUMNS})
    return pd.concat(frames, ignore_index=True)[list(PRICE_COLUMNS)]
