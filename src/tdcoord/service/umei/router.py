"""``/umei/v1``: the UMEI subset (Markets, Portfolios, Orders, PublicOrders, Trades,
BaselineIntervals, MeterReadings) over the platform's store."""

from __future__ import annotations

from fastapi import APIRouter

from tdcoord.service.umei import markets, orders, series, unsupported

router = APIRouter(prefix="/umei/v1", tags=["umei"])
router.include_router(markets.router)
router.include_router(orders.router)
router.include_router(unsupported.router)
router.include_router(series.router)
