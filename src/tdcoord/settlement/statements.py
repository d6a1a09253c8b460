"""Statements per party and the money balance.

A statement row is one side of one transaction (:mod:`tdcoord.settlement.settle`):
``party, counterparty, item, interval, mwh, amount_eur`` with the sign convention
**+ = the party receives, − = the party pays**. Every transaction appears twice (payee +a,
payer −a), so across all parties

    Σ_parties Σ_rows amount_eur = 0,

i.e. what buyers pay (activation, utilisation, availability, congestion rent, net of penalties
they receive) equals what sellers receive plus the congestion rent collected by the market
operator, and imbalance charges are matched by the imbalance counterparty. ``mwh`` is the volume
the item refers to (delivered, undelivered, reserved or imbalance MWh; 0 for remuneration).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tdcoord.settlement.errors import SettlementError
from tdcoord.settlement.settle import TRANSACTION_COLUMNS

STATEMENT_COLUMNS: tuple[str, ...] = (
    "party",
    "counterparty",
    "item",
    "interval",
    "mwh",
    "amount_eur",
)


def statements(transactions: pd.DataFrame) -> pd.DataFrame:
    """Both sides of every transaction as statement rows, sorted by party, item, interval."""
    missing = [c for c in TRANSACTION_COLUMNS if c not in transactions.columns]
    if missing:
        raise SettlementError(
            f"transactions lack column(s) {missing}",
            where="statements()",
            fix="pass the transactions of settle_run / the settle.*_items functions",
        )
    tx = transactions.reset_index(drop=True)
    recv = pd.DataFrame(
        {
            "party": tx["payee"],
            "counterparty": tx["payer"],
            "item": tx["item"],
            "interval": tx["interval"],
            "mwh": tx["mwh"],
            "amount_eur": tx["amount_eur"],
        }
    )
    pay = recv.copy()
    pay["party"], pay["counterparty"] = tx["payer"], tx["payee"]
    pay["amount_eur"] = -tx["amount_eur"]
    out = pd.concat([recv, pay], ignore_index=True)
    out["interval"] = out["interval"].astype(np.int64)
    return out.sort_values(
        ["party", "item", "interval", "counterparty"], kind="stable"
    ).reset_index(drop=True)


def party_totals(statement_rows: pd.DataFrame) -> dict[str, float]:
    """Net amount per party (+ = net receiver), sorted by party."""
    s = statement_rows.groupby("party", sort=True)["amount_eur"].sum()
    return {str(k): float(v) for k, v in s.items()}


def party_role(party: str) -> str:
    """``tso`` / ``dso`` / ``platform`` / ``aggregator`` / ``der`` / ``mo`` from a party name."""
    return party.split(":", 1)[0]


@dataclass(frozen=True)
class BalanceCheck:
    """``residual_eur`` = Σ of all statement amounts (0 up to rounding); ``by_item`` per item the
    money received, paid and their residual; ``by_role`` net per role (buyers, aggregators,
    DERs, market operator); ``ok`` when ``|residual| <= tol_eur · max(1, Σ|amounts|)``
    (a relative tolerance: float rounding grows with the money settled)."""

    residual_eur: float
    by_item: pd.DataFrame
    by_role: dict[str, float]
    ok: bool


def balance_check(statement_rows: pd.DataFrame, tol_eur: float = 1e-6) -> BalanceCheck:
    """Check that the money balances across all parties (see the module docstring)."""
    amt = statement_rows["amount_eur"].to_numpy(dtype=np.float64)
    frame = statement_rows.assign(
        received_eur=np.where(amt > 0, amt, 0.0), paid_eur=np.where(amt < 0, -amt, 0.0)
    )
    by_item = frame.groupby("item", sort=True)[["received_eur", "paid_eur"]].sum().reset_index()
    by_item["residual_eur"] = by_item["received_eur"] - by_item["paid_eur"]
    roles = frame["party"].map({p: party_role(str(p)) for p in frame["party"].unique()})
    by_role = {str(k): float(v) for k, v in frame.groupby(roles)["amount_eur"].sum().items()}
    residual = float(amt.sum()) if len(amt) else 0.0
    scale = max(1.0, float(np.abs(amt).sum()))
    return BalanceCheck(residual, by_item, by_role, abs(residual) <= tol_eur * scale)
