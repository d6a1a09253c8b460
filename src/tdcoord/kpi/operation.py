"""``operation_cost_eur``: the actors' cost of running a coordination model for the day (issue 13
item 3), from the study's ``compare.operation_costs`` and the model's message log.

.. math::

    C^{op} = \\frac{H}{24}\\big(c^{plat} N^{plat} + c^{mkt} N^{mkt}\\big) + c^{msg} N^{msg}

with :math:`H` the day's hours, :math:`N^{plat}` the dedicated platforms (actors ``platform`` or
``platform:*`` in the log), :math:`N^{mkt}` the market operators (distinct receivers of
``offers`` messages: whoever clears offers runs a market) and :math:`N^{msg}` the messages.
Seed 001 §III describes the models by who operates which market and what is exchanged, and calls
cost assessment "crucial"; it gives no cost figures, so the defaults are 0
(:class:`tdcoord.study.schema.OperationCostSpec`).

Decision: ``operation_cost_eur`` is reported **apart** from ``total_cost``. ``total_cost`` is the
cost of the dispatch and what it leaves unresolved, comparable across models with the
same penalties; operation cost is a study assumption about institutions that a reader adds
explicitly (docs/compare.md, "Operation cost").
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from tdcoord.study.schema import OperationCostSpec


def operation_counts(messages: pd.DataFrame) -> dict[str, int]:
    """Platforms, market operators and messages of a message log frame (``sender``,
    ``receiver``, ``kind``)."""
    if messages.empty:
        return {"platforms_count": 0, "market_operators_count": 0, "messages": 0}
    actors = set(messages["sender"].astype(str)) | set(messages["receiver"].astype(str))
    platforms = {a for a in actors if a == "platform" or a.startswith("platform:")}
    operators = set(messages.loc[messages["kind"] == "offers", "receiver"].astype(str))
    return {
        "platforms_count": len(platforms),
        "market_operators_count": len(operators),
        "messages": len(messages),
    }


def operation_kpis(
    messages: pd.DataFrame, spec: OperationCostSpec, hours: float
) -> dict[str, Any]:
    """``operation_cost_eur`` (€) and ``market_operators_count`` of one model (module doc)."""
    n = operation_counts(messages)
    days = hours / 24.0
    cost = (
        days * spec.platform_eur_per_day * n["platforms_count"]
        + days * spec.market_operation_eur_per_day * n["market_operators_count"]
        + spec.data_exchange_eur_per_message * n["messages"]
    )
    return {
        "operation_cost_eur": float(cost),
        "market_operators_count": n["market_operators_count"],
    }
