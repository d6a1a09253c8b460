"""Settlement: baselines, delivery, payments per preset, value stacking, statements per party.

The pipeline calls :func:`settle` with a :class:`SettlementInputs` (or :func:`settle_run` with
the same fields as keywords); the parts are usable alone (see ``docs/settlement.md``).
"""

from tdcoord.settlement.baselines import (
    Baseline,
    BaselineInputs,
    available_baselines,
    compute_baseline,
    get_baseline,
    register_baseline,
)
from tdcoord.settlement.delivery import Delivery, measure_delivery
from tdcoord.settlement.errors import SettlementError
from tdcoord.settlement.run import Settlement, SettlementInputs, settle, settle_run
from tdcoord.settlement.settle import PRICING_RULES, PenaltyRule, seller_prices
from tdcoord.settlement.statements import (
    STATEMENT_COLUMNS,
    BalanceCheck,
    balance_check,
    party_totals,
    statements,
)
from tdcoord.settlement.value_stacking import PRIORITY_RULES, StackingResult, stack_activations

__all__ = [
    "PRICING_RULES",
    "PRIORITY_RULES",
    "STATEMENT_COLUMNS",
    "BalanceCheck",
    "Baseline",
    "BaselineInputs",
    "Delivery",
    "PenaltyRule",
    "Settlement",
    "SettlementError",
    "SettlementInputs",
    "StackingResult",
    "available_baselines",
    "balance_check",
    "compute_baseline",
    "get_baseline",
    "measure_delivery",
    "party_totals",
    "register_baseline",
    "seller_prices",
    "settle",
    "settle_run",
    "stack_activations",
    "statements",
]
