"""SOURCE syntax and counts of standard grids."""

from __future__ import annotations

import numpy as np
import pytest

from tdcoord.errors import SourceError
from tdcoord.grid.io.source import load_grid


def test_case5_counts(case5) -> None:  # type: ignore[no-untyped-def]
    t = case5.transmission
    assert case5.kind == "transmission"
    assert (t.n_bus, len(t.branches), len(t.generators)) == (5, 6, 5)
    assert t.loads.p_mw.sum() == pytest.approx(1000.0)
    finite = sorted(t.branches.rating_mva[np.isfinite(t.branches.rating_mva)].tolist())
    assert finite == pytest.approx([240.0, 400.0])


def test_case33bw_is_one_feeder(case33bw) -> None:  # type: ignore[no-untyped-def]
    assert case33bw.kind == "distribution"
    f = case33bw.feeders[0]
    assert (f.n_node, len(f.branches)) == (33, 32)  # the 5 tie lines are open
    assert f.root == 0
    assert f.loads.p_mw.sum() == pytest.approx(3.715)


def test_cigre_mv_counts(cigre_mv) -> None:  # type: ignore[no-untyped-def]
    f = cigre_mv.feeders[0]
    assert (f.n_node, len(f.branches), int(f.branches.is_transformer.sum())) == (15, 14, 2)
    assert f.branches.rating_mva[f.branches.is_transformer].tolist() == [25.0, 25.0]


def test_pglib_case118_counts() -> None:
    t = load_grid("pglib:case118_ieee").transmission
    assert t is not None
    assert (t.n_bus, len(t.branches), len(t.generators)) == (118, 186, 54)
    assert t.loads.p_mw.sum() == pytest.approx(4242.0)


def test_pglib_path_and_scheme_agree() -> None:
    from tdcoord.grid.io.source import pglib_dir

    a = load_grid("pglib:case5_pjm")
    b = load_grid(pglib_dir() / "pglib_opf_case5_pjm.m")
    assert a.equals(b)


@pytest.mark.slow
def test_every_pglib_case_loads() -> None:
    from tdcoord.grid.io.source import pglib_dir

    files = sorted(pglib_dir().glob("*.m"))
    assert len(files) >= 60
    for path in files:
        model = load_grid(path)
        assert model.transmission is not None, path.name


def test_simbench_mvlv_split() -> None:
    g = load_grid("simbench:1-MVLV-rural-all-0-sw")
    assert g.kind == "coupled"
    assert g.transmission is not None and g.transmission.n_bus == 1
    assert len(g.feeders) == 1 and len(g.interfaces) == 1
    f = g.feeders[0]
    assert f.n_node == 5483  # 5476 MV/LV buses + the HV root + 6 ends of lines open at one end
    assert len(f.loads) == 5373 and len(f.sgens) == 581
    assert g.profiles is not None and g.profiles.p_factor.shape[0] == 35136
    assert set(f.loads.profile.tolist()) <= set(g.profiles.names.tolist())


@pytest.mark.parametrize(
    "source, message",
    [
        ("simbench:1-MVLV-nowhere-0-sw", "not a SimBench code"),
        ("pandapower:case33", "did you mean"),
        ("pglib:case6_nope", "no case"),
        ("grid.xlsx", "no such file"),
        ("pandapower:", "needs a name"),
    ],
)
def test_bad_sources(source: str, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        load_grid(source)
