"""The canonical radial form and the model helpers."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tdcoord.grid.model import make_feeder
from tests.grid.helpers import branches, nodes


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=2, max_value=40), st.randoms(use_true_random=False))
def test_make_feeder_orders_any_random_tree(n: int, rnd: object) -> None:
    """Random trees (shuffled ids and orientations) come out root-first, branch i → node i+1."""
    import random

    assert isinstance(rnd, random.Random)
    ids = rnd.sample(range(1000), n)
    pairs = [(ids[rnd.randrange(k)], ids[k]) for k in range(1, n)]
    pairs = [(b, a) if rnd.random() < 0.5 else (a, b) for a, b in pairs]
    rnd.shuffle(pairs)
    f = make_feeder("t", base_mva=1, root=ids[0], nodes=nodes(ids), branches=branches(pairs))
    assert f.root == ids[0]
    assert np.array_equal(f.branches.to_node, f.nodes.id[1:])
    assert (f.parent[1:] < np.arange(1, n)).all()
    original = {frozenset(p) for p in pairs}
    pairs_out = zip(f.branches.from_node, f.branches.to_node, strict=True)
    assert {frozenset((int(a), int(b))) for a, b in pairs_out} == original


def test_scaled_feeder_shares_topology(case33bw) -> None:  # type: ignore[no-untyped-def]
    f = case33bw.feeders[0]
    g = f.scaled(2.0, "copy")
    assert g.id == "copy"
    assert g.branches is f.branches
    assert np.allclose(g.loads.p_mw, 2 * f.loads.p_mw)
