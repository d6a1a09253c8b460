"""Coupled systems: scaling, interfaces, speed-relevant sharing, and the file round trip."""

from __future__ import annotations

import numpy as np
import pytest

from tdcoord.errors import GridError
from tdcoord.grid.coupling import attach_feeders, load_buses
from tdcoord.grid.io.native import read_grid, write_grid
from tdcoord.grid.io.source import load_grid


def test_feeders_replace_bus_load_exactly(case5, case33bw) -> None:  # type: ignore[no-untyped-def]
    t = case5.transmission
    g = attach_feeders(t, case33bw.feeders[0], feeders_per_bus=3)
    assert len(g.feeders) == 3 * len(load_buses(t)) == len(g.interfaces)
    p_before = t.bus_load_mw()
    for bus in load_buses(t):
        fed = [f for f in g.feeders if f.id.split("@")[1].split("#")[0] == str(bus)]
        assert sum(f.loads.p_mw.sum() for f in fed) == pytest.approx(p_before[t.bus_index[bus]])
    assert g.transmission is not None and g.transmission.loads.p_mw.sum() == 0.0


def test_auto_copies_keep_feeders_near_their_size(case5, cigre_mv) -> None:  # type: ignore[no-untyped-def]
    g = attach_feeders(case5, cigre_mv.feeders[0], feeders_per_bus="auto")
    template = cigre_mv.feeders[0].loads.p_mw.sum()
    ratios = [f.loads.p_mw.sum() / template for f in g.feeders]
    assert all(0.5 <= r <= 1.0 + 1e-12 for r in ratios)


def test_overscaled_copies_warn(case5, cigre_mv) -> None:  # type: ignore[no-untyped-def]
    with pytest.warns(UserWarning, match="template's load"):
        attach_feeders(case5, cigre_mv.feeders[0], feeders_per_bus=1)


def test_attach_rejects_bus_without_load(case5, case33bw) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(GridError, match="no positive load"):
        attach_feeders(case5, case33bw.feeders[0], [0])


def test_coupled_grid_round_trips_unchanged(tmp_path, case5, cigre_mv) -> None:  # type: ignore[no-untyped-def]
    g = attach_feeders(case5, cigre_mv.feeders[0], feeders_per_bus=2)
    path = write_grid(g, tmp_path / "coupled.json")
    back = load_grid(str(path))
    assert back.equals(g)
    assert back.fingerprint() == g.fingerprint()
    assert read_grid(path).equals(g)
    # and a change is detected
    assert not back.equals(attach_feeders(case5, cigre_mv.feeders[0], feeders_per_bus=1))


def test_thousand_feeders_share_arrays() -> None:
    t = load_grid("pglib:case2000_goc").transmission
    f = load_grid("pandapower:case33bw").feeders[0]
    g = attach_feeders(t, f)
    assert len(g.feeders) >= 1000
    assert all(x.branches is f.branches for x in g.feeders)
    assert np.isfinite(g.interfaces.rating_mva).all()
