"""Operation cost: counts from the message log times the study's unit costs."""

from __future__ import annotations

import pandas as pd
import pytest

from tdcoord.kpi.operation import operation_counts, operation_kpis
from tdcoord.study.schema import OperationCostSpec


def _log() -> pd.DataFrame:
    rows = [
        ("aggregator:a", "platform", "offers"),
        ("aggregator:b", "platform", "offers"),
        ("aggregator:a", "dso:f1", "offers"),
        ("platform", "aggregator:a", "activation"),
        ("tso", "platform", "needs"),
    ]
    return pd.DataFrame(rows, columns=["sender", "receiver", "kind"])


def test_counts_by_hand() -> None:
    assert operation_counts(_log()) == {
        "platforms_count": 1, "market_operators_count": 2, "messages": 5
    }
    empty = pd.DataFrame(columns=["sender", "receiver", "kind"])
    assert operation_counts(empty)["messages"] == 0


def test_cost_by_hand_and_zero_by_default() -> None:
    spec = OperationCostSpec(
        platform_eur_per_day=240.0, market_operation_eur_per_day=48.0,
        data_exchange_eur_per_message=0.5,
    )
    k = operation_kpis(_log(), spec, hours=12.0)
    # half a day: 240/2·1 platform + 48/2·2 operators + 0.5·5 messages
    assert k["operation_cost_eur"] == pytest.approx(120.0 + 48.0 + 2.5)
    assert k["market_operators_count"] == 2
    assert operation_kpis(_log(), OperationCostSpec(), hours=24.0)["operation_cost_eur"] == 0.0


def test_negative_unit_cost_is_refused() -> None:
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        OperationCostSpec(data_exchange_eur_per_message=-1.0)
