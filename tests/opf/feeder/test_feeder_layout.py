"""The feeder program's public, named layout (FeederProgram.layout): period-major blocks, no row
coupling two periods, named per-period positions."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tdcoord.grid.model import GridModel
from tdcoord.opf.feeder.case import FeederCase, FeederOptions, FlexOffers
from tdcoord.opf.feeder.program import build_program


@pytest.mark.parametrize("slacks", [False, True])
def test_layout_periods_match_the_matrix(case33bw: GridModel, slacks: bool) -> None:
    feeder = case33bw.feeders[0]
    T = 3
    offers = FlexOffers(node=np.array([17, 32]), p_min_mw=-0.2, p_max_mw=0.3,
                        cost_eur_per_mwh=[40.0, 60.0])
    case = FeederCase.build(feeder, price_eur_per_mwh=[30.0, 50.0, 40.0],
                            load_scale=[1.0, 0.8, 1.1], offers=offers)
    program = build_program(case, FeederOptions(losses="none", slacks=slacks), model="lindistflow")
    layout = program.layout(T)
    coo = sp.coo_matrix(program.lp.A)
    # every matrix entry joins a row and a column of the same period
    np.testing.assert_array_equal(layout.row_period[coo.row], layout.col_period[coo.col])
    assert np.bincount(layout.col_period).tolist() == [program.lp.n_col // T] * T
    for t in range(T):
        root = layout.columns("p_root", t)
        offer = layout.columns("p_offer", t)
        assert root.size == 1 and offer.size == 2
        assert (layout.col_period[root] == t).all() and (layout.col_period[offer] == t).all()
        assert (layout.row_period[layout.rows("p_balance", t)] == t).all()
