"""Settlement grouped by actor type with drill-down; messages per actor-type pair."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tdcoord.report.actors import (
    actor_type,
    message_pairs,
    messages_by_pair,
    settlement_by_type,
    type_order,
)
from tests.report.synthetic import synthetic_input


def test_actor_types() -> None:
    assert actor_type("tso") == "TSO"
    assert actor_type("dso:feeder@3") == "DSO"
    assert actor_type("der:agg/battery/f0n1") == "DER owner"
    assert actor_type("aggregator:a0") == "Aggregator / FSP"
    assert actor_type("brp:b1") == "BRP"
    assert actor_type("weird:x") == "Weird"
    assert type_order(["DER owner", "TSO", "Zeta"]) == ["TSO", "DER owner", "Zeta"]


def _settlement_input() -> object:
    ri = synthetic_input(n_models=2)
    parties = ["tso", "dso:f0", "aggregator:a0"] + [f"der:a0/pv/n{k}" for k in range(30)]
    rows = [
        {"model_id": m, "party": p, "amount_eur": float(k + 1), "party_kind": p.split(":")[0]}
        for m in ri.model_ids
        for k, p in enumerate(parties)
    ]
    return synthetic_input(n_models=2, settlement=pd.DataFrame(rows))


def test_settlement_opens_by_type_and_drills_down() -> None:
    ri = _settlement_input()
    fig = settlement_by_type(ri, max_parties=5)  # type: ignore[arg-type]
    n_models = 2
    types = ["TSO", "DSO", "Aggregator / FSP", "DER owner"]
    assert len(fig.data) == n_models * (1 + len(types))
    first = fig.data[0]
    assert list(first.x) == types and first.visible
    der_total = sum(float(k + 1) for k in range(3, 33))
    assert np.isclose(float(first.y[3]), der_total, rtol=1e-6)
    buttons = fig.layout.updatemenus[0].buttons
    assert [b.label for b in buttons] == ["by actor type", *types]
    der_view = fig.data[n_models * 4]
    assert len(der_view.x) == 6 and "other DER owner" in list(der_view.x)  # 5 + pooled
    assert np.isclose(float(np.sum(der_view.y)), der_total, rtol=1e-6)


def test_messages_counted_per_actor_type_pair() -> None:
    ri = synthetic_input(n_models=2)
    pairs = message_pairs(ri)
    assert pairs["messages"].sum() == ri.messages["messages"].sum()
    assert all("→" in p for p in pairs["pair"])
    fig = messages_by_pair(ri)
    assert len(fig.data) == 2 and all(t.orientation == "h" for t in fig.data)
