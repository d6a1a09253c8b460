"""The platform's tables (SQLAlchemy 2 declarative models).

Names follow the network-code terms of the Elhub flexibility information system: a *party* has
*users*; a *controllable unit* (here ``der``) belongs to an owner party and may sit in an FSP's
*portfolio* for a validity period; a *product application* is an FSP's request to provide a product
to a procuring system operator; a *grid prequalification* is the connecting DSO's decision.
Curves and per-interval series are stored as JSON lists of floats (exact: JSON round-trips a
Python float bit for bit). Times are tz-aware UTC, stored as ISO 8601 text for portability.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of every platform table."""


class Setting(Base):
    """Key–value settings of one store (e.g. the token signing secret)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Party(Base):
    """A market party: admin organisation, market operator, TSO, DSO, FSP or DER owner."""

    __tablename__ = "parties"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    area: Mapped[str | None] = mapped_column(String(256), nullable=True)
    """DSO only: comma-separated feeder ids of its area (empty: every feeder)."""


class User(Base):
    """A login of a party; the password is stored as an argon2 hash."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    demo: Mapped[bool] = mapped_column(default=False)


class Der(Base):
    """A controllable unit: location (feeder id + node row, or transmission bus), type,
    capacities, owner, and its registry status (``der.registry.Status`` values)."""

    __tablename__ = "ders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    owner_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    der_type: Mapped[str] = mapped_column(String(32))
    feeder: Mapped[str | None] = mapped_column(String(128), nullable=True)
    node: Mapped[int] = mapped_column(Integer)
    p_max_mw: Mapped[float] = mapped_column(Float)
    p_min_mw: Mapped[float] = mapped_column(Float, default=0.0)
    e_max_mwh: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(32), default="registered")


class Portfolio(Base):
    """An FSP's group of DERs."""

    __tablename__ = "portfolios"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    fsp_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))


class Membership(Base):
    """A DER in a portfolio, valid from ``valid_from`` up to (excluding) ``valid_to``."""

    __tablename__ = "memberships"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("portfolios.id", ondelete="CASCADE"))
    der_id: Mapped[int] = mapped_column(ForeignKey("ders.id"))
    valid_from: Mapped[str] = mapped_column(String(40))
    valid_to: Mapped[str | None] = mapped_column(String(40), nullable=True)


class ProductApplication(Base):
    """An FSP's application to deliver a product to a procuring system operator.

    States: requested → prequalified | rejected."""

    __tablename__ = "product_applications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("portfolios.id", ondelete="CASCADE"))
    product: Mapped[str] = mapped_column(String(64))
    procuring_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    status: Mapped[str] = mapped_column(String(32), default="requested")
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)


class GridPrequalification(Base):
    """The connecting DSO's decision on a portfolio for a product.

    States: requested → approved | conditionally_approved (capped at ``cap_mw``) | not_approved.
    ``proposal`` is tdcoord's traffic light for it."""

    __tablename__ = "grid_prequalifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("portfolios.id", ondelete="CASCADE"))
    product: Mapped[str] = mapped_column(String(64))
    dso_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    status: Mapped[str] = mapped_column(String(32), default="requested")
    proposal: Mapped[str | None] = mapped_column(String(32), nullable=True)
    cap_mw: Mapped[float | None] = mapped_column(Float, nullable=True)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)


class Market(Base):
    """A market: a coordination model of the catalogue (``scheme``), a product, an MTU and its
    gate rules (gate open/close lead times before delivery start, minutes)."""

    __tablename__ = "markets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    scheme: Mapped[str] = mapped_column(String(64))
    product: Mapped[str] = mapped_column(String(64))
    mtu: Mapped[str] = mapped_column(String(16), default="PT15M")
    gate_open_lead_min: Mapped[float] = mapped_column(Float, default=1440.0)
    gate_close_lead_min: Mapped[float] = mapped_column(Float, default=60.0)
    operator_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))


class MarketSession(Base):
    """One auction of a market for a delivery day and stage.

    States: scheduled → open → closed → clearing → cleared | failed → published → settled.
    The server clock moves scheduled → open → closed (at ``gate_open`` / ``gate_close``);
    closing freezes the order book and stores its SHA-256 in ``book_hash``."""

    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    market_id: Mapped[int] = mapped_column(ForeignKey("markets.id"))
    delivery_day: Mapped[str] = mapped_column(String(10))
    stage: Mapped[str] = mapped_column(String(16))
    gate_open: Mapped[str] = mapped_column(String(40))
    gate_close: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(16), default="scheduled")
    book_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    n_frozen_orders: Mapped[int | None] = mapped_column(Integer, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class Need(Base):
    """A system operator's buy side for a session: MW per interval (+ up, − down), for the
    whole system (TSO, ``feeder`` None) or one feeder (DSO)."""

    __tablename__ = "needs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    feeder: Mapped[str | None] = mapped_column(String(128), nullable=True)
    mw: Mapped[list[float]] = mapped_column(JSON)
    price_eur_per_mwh: Mapped[float | None] = mapped_column(Float, nullable=True)


class Order(Base):
    """An FSP's sell order: a piecewise price–quantity curve per interval for one portfolio,
    product, direction and location. ``steps`` is a list of ``{"quantity_mw": [T],
    "price_eur_per_mwh": [T]}``: each step is one row of the clearing's offer book."""

    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("portfolios.id"))
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    resource: Mapped[str] = mapped_column(String(256))
    der_type: Mapped[str] = mapped_column(String(32))
    direction: Mapped[str] = mapped_column(String(8))
    feeder: Mapped[str | None] = mapped_column(String(128), nullable=True)
    node: Mapped[int] = mapped_column(Integer)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="accepted")
    created_at: Mapped[str] = mapped_column(String(40))


class Job(Base):
    """A background job (clearing): queued → running → done | failed."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[str] = mapped_column(String(40))
    finished_at: Mapped[str | None] = mapped_column(String(40), nullable=True)


class Result(Base):
    """One result record of a cleared session: ``kind`` trade | dispatch | price | envelope |
    message, the party allowed to read it (None: every party of the session), and the payload."""

    __tablename__ = "results"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), index=True)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class MeterReading(Base):
    """A metered value of one DER for one interval (MW average over the interval)."""

    __tablename__ = "meter_readings"
    __table_args__ = (UniqueConstraint("der_id", "interval_start"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    der_id: Mapped[int] = mapped_column(ForeignKey("ders.id"))
    interval_start: Mapped[str] = mapped_column(String(40))
    p_mw: Mapped[float] = mapped_column(Float)


class Statement(Base):
    """A party's settlement statement for one session."""

    __tablename__ = "statements"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    total_eur: Mapped[float] = mapped_column(Float)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class Event(Base):
    """Audit trail: who changed what and when."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    party_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action: Mapped[str] = mapped_column(String(64))
    resource: Mapped[str] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class IdempotencyRecord(Base):
    """A POST's first response, kept under (caller, ``Idempotency-Key``)."""

    __tablename__ = "idempotency"
    __table_args__ = (UniqueConstraint("caller", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    caller: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(256))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(128))


class PortfolioSeries(Base):
    """A UMEI baseline interval (``kind`` baseline) or meter reading (``kind`` meter) of a
    portfolio: an average quantity (MW, + production) over ``[period_from, period_to)``."""

    __tablename__ = "portfolio_series"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("portfolios.id", ondelete="CASCADE"))
    period_from: Mapped[str] = mapped_column(String(40))
    period_to: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[float] = mapped_column(Float)
    quantity_type: Mapped[str] = mapped_column(String(32), default="ActivePower")
    status: Mapped[str] = mapped_column(String(16), default="Active")
