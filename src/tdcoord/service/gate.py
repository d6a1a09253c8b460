"""Session states and the gate rules, driven by the server clock.

    scheduled ──gate_open──▶ open ──gate_close──▶ closed ──clearing job──▶ clearing
    clearing ──▶ cleared | failed;   cleared ──publish──▶ published ──settle──▶ settled

``advance`` moves a session along the clock-driven part (scheduled → open → closed) whenever the
session is touched, inside the caller's transaction and under the session's write lock
(:func:`lock_session`): an order is accepted only if its own transaction saw the session open,
and closing freezes the book — the SHA-256 of the canonical JSON of every accepted order, in
acceptance order — so that no order can slip in after the hash.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tdcoord.service.models import MarketSession, Order
from tdcoord.service.platform import parse_time
from tdcoord.service.problems import Problem, not_found

STATES: tuple[str, ...] = (
    "scheduled", "open", "closed", "clearing", "cleared", "failed", "published", "settled",
)


def order_record(o: Order) -> dict[str, Any]:
    """What the book hash covers of an order."""
    return {
        "id": o.id, "portfolio_id": o.portfolio_id, "party_id": o.party_id,
        "resource": o.resource, "der_type": o.der_type, "direction": o.direction,
        "feeder": o.feeder, "node": o.node, "steps": o.steps,
    }


def book_orders(s: Session, session_id: int) -> list[Order]:
    """The accepted orders of a session in acceptance order (the book)."""
    return list(
        s.execute(
            select(Order)
            .where(Order.session_id == session_id, Order.status == "accepted")
            .order_by(Order.id)
        ).scalars()
    )


def book_hash(orders: list[Order]) -> str:
    """SHA-256 of the canonical JSON of the book."""
    text = json.dumps([order_record(o) for o in orders], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def lock_session(s: Session, session_id: int) -> MarketSession:
    """The session row, locked for writing (``FOR UPDATE`` on PostgreSQL; SQLite's
    ``BEGIN IMMEDIATE`` already holds the database's write lock)."""
    q = select(MarketSession).where(MarketSession.id == session_id)
    if s.get_bind().dialect.name != "sqlite":
        q = q.with_for_update()
    row = s.execute(q).scalar_one_or_none()
    if row is None:
        raise not_found(f"session {session_id}")
    return row


def advance(s: Session, ms: MarketSession, now: datetime) -> bool:
    """Move ``ms`` along the clock (scheduled → open → closed, freezing the book on close);
    True when it changed. The caller must hold the session's lock."""
    changed = False
    if ms.state == "scheduled" and now >= parse_time(ms.gate_open):
        ms.state = "open"
        changed = True
    if ms.state in ("scheduled", "open") and now >= parse_time(ms.gate_close):
        orders = book_orders(s, ms.id)
        ms.book_hash = book_hash(orders)
        ms.n_frozen_orders = len(orders)
        ms.state = "closed"
        changed = True
    if changed:
        ms.version += 1
    return changed


def check_open(ms: MarketSession, status: int = 409) -> None:
    """Refuse unless the session is open: ``MarketNotYetOpen`` before ``gate_open``,
    ``MarketClosed`` after ``gate_close``."""
    if ms.state == "scheduled":
        raise Problem(
            status, "MarketNotYetOpen",
            f"session {ms.id} opens at {ms.gate_open} (server clock)",
        )
    if ms.state != "open":
        raise Problem(
            status, "MarketClosed",
            f"session {ms.id} closed at {ms.gate_close} (server clock); state {ms.state}",
        )
