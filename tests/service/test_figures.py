"""The operator page's price maps are the report's figure
(:func:`tdcoord.comparison.report_input.price_map_figure`) drawn from the stored prices: the
nodes of the shown model are coloured by exactly the session's DLMPs (LMPs) of the interval."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from tests.service.conftest import Env
from tests.service.test_clearing_settlement import _cleared


def _values(v: Any) -> np.ndarray:
    """A plotly JSON array (a list, or a typed array ``{"dtype", "bdata"}``)."""
    if isinstance(v, dict):
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
    return np.asarray(v, dtype=np.float64)


def test_price_maps_colour_the_nodes_by_the_session_prices(env: Env) -> None:
    sid, _ = _cleared(env)
    prices = env.ok("GET", f"/api/v1/sessions/{sid}/prices", "fsp1")
    for kind in ("dlmp", "lmp"):
        fig = env.ok("GET", f"/api/v1/sessions/{sid}/figures/prices?kind={kind}&interval=3",
                     "fsp1")
        assert "interval 3" in fig["layout"]["title"]["text"]
        traces = [t for t in fig["data"] if t.get("name") == "eu.central"]
        assert len(traces) == 1
        shown = np.sort(_values(traces[0]["marker"]["color"]).astype(np.float64))
        want = np.sort(np.array([p["price_eur_per_mwh"][3] for p in prices
                                 if p["kind"] == kind], dtype=np.float32).astype(np.float64))
        assert shown.size == want.size > 0
        assert np.array_equal(shown, want)
    r = env.client.get(f"/api/v1/sessions/{sid}/figures/prices?interval=999",
                       headers=env.h("fsp1"))
    assert r.status_code == 422
    r = env.client.get(f"/api/v1/sessions/{sid}/figures/prices?kind=x", headers=env.h("fsp1"))
    assert r.status_code == 422
