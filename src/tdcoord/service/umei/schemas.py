"""Request bodies of the UMEI facade: every field optional as in the UMEI document; the handlers
check what they need and answer 400 with UMEI's error codes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["Received", "Pending", "Rejected", "Active", "Inactive", "Completed", "Deleted"]
QuantityType = Literal["ActivePower", "ReactivePower", "Energy", "Capacity"]


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class PricePointIn(_In):
    quantity: float = Field(allow_inf_nan=False, ge=-1e6, le=1e6)
    unitPrice: float = Field(allow_inf_nan=False, ge=-1e6, le=1e6)  # noqa: N815 (UMEI name)


class OrderIn(_In):
    marketId: str | None = None  # noqa: N815
    portfolioId: str | None = None  # noqa: N815
    gridNodeId: str | None = None  # noqa: N815
    regulationType: Literal["Up", "Down"] | None = None  # noqa: N815
    side: Literal["Sell", "Buy"] | None = None
    pricePoints: list[PricePointIn] | None = Field(default=None, max_length=50)  # noqa: N815
    periodFrom: str | None = None  # noqa: N815
    periodTo: str | None = None  # noqa: N815


class PortfolioIn(_In):
    name: str | None = Field(default=None, max_length=128)
    gridNodeId: str | None = None  # noqa: N815


class SeriesIn(_In):
    portfolioId: str | None = None  # noqa: N815
    periodFrom: str | None = None  # noqa: N815
    periodTo: str | None = None  # noqa: N815
    quantity: float | None = Field(default=None, allow_inf_nan=False, ge=-1e6, le=1e6)
    quantityType: QuantityType | None = None  # noqa: N815
    status: Status | None = None


class SearchQuery(BaseModel):
    """The query filters of UMEI searches (each search reads the ones its operation lists;
    ``periodFrom[.gt|.gte|.lt|.lte]`` and ``periodTo[...]`` are read from the raw query)."""

    model_config = ConfigDict(extra="ignore")
    gridNodeId: str | None = None  # noqa: N815
    flexibilityZoneId: str | None = None  # noqa: N815
    marketId: str | None = None  # noqa: N815
    portfolioId: str | None = None  # noqa: N815
    ownerOrganizationId: str | None = None  # noqa: N815
    orderId: str | None = None  # noqa: N815
    status: Status | None = None
    completionType: Literal["Filled", "Killed", "Expired", "Cancelled"] | None = None  # noqa: N815
    side: Literal["Buy", "Sell"] | None = None
    regulationType: Literal["Up", "Down"] | None = None  # noqa: N815
    take: int | None = None
    skip: int | None = None
    orderBy: list[str] | None = None  # noqa: N815

    def equal(self, *names: str) -> dict[str, str | None]:
        """The exact-match filters among ``names``."""
        return {n: getattr(self, n) for n in names}
