"""Request bodies of the platform API (pydantic; bad input is a 422 problem before any work)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tdcoord.service.auth import ROLES
from tdcoord.service.params import BodyId

Finite = float


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PartyIn(_In):
    name: str = Field(min_length=1, max_length=128)
    role: str
    area: list[str] = []

    @field_validator("role")
    @classmethod
    def _role(cls, v: str) -> str:
        if v not in ROLES:
            raise ValueError(f"unknown role {v!r}; use one of {', '.join(ROLES)}")
        return v


class UserIn(_In):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=4, max_length=256)
    party_id: BodyId


class DerIn(_In):
    name: str = Field(min_length=1, max_length=128)
    der_type: str = Field(min_length=1, max_length=32)
    feeder: str | None = Field(default=None, max_length=128)
    """Feeder id of the grid; None for a transmission-connected unit."""
    node: int = Field(ge=0, le=1_000_000)
    p_max_mw: float = Field(ge=0, le=1e5, allow_inf_nan=False)
    p_min_mw: float = Field(default=0.0, ge=-1e5, le=1e5, allow_inf_nan=False)
    e_max_mwh: float = Field(default=0.0, ge=0, le=1e6, allow_inf_nan=False)
    owner_party_id: BodyId | None = None


class StatusIn(_In):
    to: Literal["prequalified", "active", "suspended", "withdrawn"]
    reason: str = Field(default="", max_length=500)


class PortfolioIn(_In):
    name: str = Field(min_length=1, max_length=128)
    fsp_party_id: BodyId | None = None


class MembershipIn(_In):
    der_id: BodyId
    valid_from: str | None = None
    valid_to: str | None = None


class ProductApplicationIn(_In):
    portfolio_id: BodyId
    product: str = Field(min_length=1, max_length=64)
    procuring_party_id: BodyId


class GridPrequalificationIn(_In):
    portfolio_id: BodyId
    product: str = Field(min_length=1, max_length=64)
    dso_party_id: BodyId


class DecisionIn(_In):
    status: str
    cap_mw: float | None = Field(default=None, ge=0, le=1e5, allow_inf_nan=False)
    reason: str = Field(default="", max_length=500)


class MarketIn(_In):
    name: str = Field(min_length=1, max_length=128)
    scheme: str = Field(min_length=1, max_length=64, description="catalogue model id")
    product: str = Field(min_length=1, max_length=64)
    mtu: str = "PT15M"
    gate_open_lead_min: float = Field(default=1440.0, ge=0, le=1e6, allow_inf_nan=False)
    gate_close_lead_min: float = Field(default=60.0, ge=0, le=1e6, allow_inf_nan=False)


class SessionIn(_In):
    delivery_day: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    stage: Literal["day_ahead", "intraday", "real_time"] = "day_ahead"
    gate_open: str | None = None
    gate_close: str | None = None


class NeedIn(_In):
    mw: list[float] = Field(min_length=1, max_length=10_000)
    feeder: str | None = Field(default=None, max_length=128)
    price_eur_per_mwh: float | None = Field(default=None, allow_inf_nan=False)

    @field_validator("mw")
    @classmethod
    def _finite(cls, v: list[float]) -> list[float]:
        if any(x != x or abs(x) == float("inf") for x in v):
            raise ValueError("needs must be finite numbers")
        return v


class StepIn(_In):
    quantity_mw: list[float] = Field(min_length=1, max_length=10_000)
    price_eur_per_mwh: list[float] = Field(min_length=1, max_length=10_000)


class OrderIn(_In):
    portfolio_id: BodyId
    direction: Literal["up", "down"]
    feeder: str | None = Field(default=None, max_length=128)
    node: int = Field(ge=0, le=1_000_000)
    der_type: str = Field(default="mixed", min_length=1, max_length=32)
    resource: str | None = Field(default=None, max_length=256)
    steps: list[StepIn] = Field(min_length=1, max_length=50)


class MeterReadingIn(_In):
    der_id: BodyId
    interval_start: str
    p_mw: float = Field(allow_inf_nan=False, ge=-1e5, le=1e5)


class MeterReadingsIn(_In):
    readings: list[MeterReadingIn] = Field(min_length=1, max_length=100_000)
