"""Hand-built time couplings: two batteries bundled in one up and one down offer step, the
rows of every family as one matrix, and the cut the DER models themselves make."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from tdcoord.coordination.intertemporal import (
    TimeCoupling,
    fleet_energy_limits,
    kind_rows,
    row_kinds,
    time_coupling,
)
from tdcoord.der.base import Flexibility
from tdcoord.der.battery import Battery
from tdcoord.der.heat_pump import HeatPump
from tdcoord.market.offers import OfferBook
from tdcoord.simulation.activation import activate, fleet_ids
from tdcoord.simulation.timeline import der_requests

T = 4
DT = 1.0


def two_batteries() -> Battery:
    """Two idle batteries: 1 MWh at 50 % and 2 MWh at 30 %, 1 MW each way, 95 %/90 %."""
    return Battery(
        ids=("b0", "b1"), e_max_mwh=np.array([1.0, 2.0]), p_charge_max_mw=np.array([1.0, 1.0]),
        p_discharge_max_mw=np.array([1.0, 1.0]), eta_charge=np.array([0.95, 0.9]),
        eta_discharge=np.array([0.95, 0.9]), soc_init=np.array([0.5, 0.3]),
    )


def book(n_periods: int) -> tuple[OfferBook, sp.csr_matrix]:
    """One up and one down step bundling both batteries (members b0, b1)."""
    return OfferBook(
        offer_id=["up", "dn"], der_id=["bundle", "bundle"], aggregator_id=["a", "a"],
        product_id=["mfrr", "mfrr"], der_type=["battery", "battery"], direction=[1, -1],
        feeder=[0, 0], node=[1, 1], reactive=[False, False],
        quantity_mw=np.full((2, n_periods), 2.0), price_eur_per_mwh=np.full((2, n_periods), 1.0),
    ), sp.csr_matrix(np.ones((2, 2)))


def coupling(models: list[Battery | HeatPump], offers: OfferBook, members: sp.csr_matrix,
             plan_mw: np.ndarray | None = None) -> tuple[TimeCoupling, Flexibility]:
    n = offers.n_periods
    flex = models[0].flexibility(n, DT)
    for m in models[1:]:
        f = m.flexibility(n, DT)
        flex = Flexibility(np.vstack([flex.up_mw, f.up_mw]), np.vstack([flex.down_mw, f.down_mw]),
                           None)
    n_der = sum(m.n_units for m in models)
    plan = np.zeros((n_der, n)) if plan_mw is None else plan_mw
    limits = fleet_energy_limits(models, plan, DT)
    tc = time_coupling(members, offers.direction, ~offers.reactive, flex, limits,
                       fleet_ids(models), DT)
    return tc, flex


def all_rows(tc: TimeCoupling) -> tuple[sp.csr_matrix, np.ndarray]:
    """Every row of every family, on the interval-major columns ``t·n_offer + k``."""
    S, n_off = len(tc.store_id), int(tc.pair_offer.max()) + 1
    col = np.arange(n_off)[tc.pair_offer]
    n_t = tc.n_periods
    store = np.repeat(np.arange(S), n_t)
    t_row = np.tile(np.arange(n_t), S)
    mats, caps = [], []
    for k in row_kinds(tc):
        mats.append(kind_rows(k, tc, np.asarray(col), store, t_row, n_off))
        caps.append(k.cap[store, t_row])
    cap = np.concatenate(caps)
    A = sp.vstack(mats).tocsr()
    fin = np.isfinite(cap)
    return A[fin], cap[fin]


def walk_cut(models: list[Battery], offers: OfferBook, members: sp.csr_matrix,
             flex: Flexibility, act: np.ndarray) -> float:
    """Largest cut when the activations are split to the members and run through the models."""
    req, _, _ = der_requests(offers, members, act, flex.up_mw, flex.down_mw)
    res = activate(models, req, DT, start_interval=0)
    return float(np.abs(res.cut_mw).max())
