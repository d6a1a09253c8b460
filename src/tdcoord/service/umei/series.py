"""UMEI ``/BaselineIntervals`` and ``/MeterReadings``: a portfolio's quantity over a period
(table ``portfolio_series``, ``kind`` baseline | meter). The FSP of the portfolio writes them
(the market operator and the admin too, as metering operators); whoever may see the portfolio
reads them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from tdcoord.service.access import can_see, visible_portfolio_ids
from tdcoord.service.auth import Caller
from tdcoord.service.models import Portfolio, PortfolioSeries
from tdcoord.service.platform import audit, iso, platform_of
from tdcoord.service.problems import Problem
from tdcoord.service.umei.common import (
    OrderBy,
    PeriodFilter,
    Skip,
    Take,
    int_id,
    parse_period,
    period,
    search_result,
    umei_caller,
    zulu,
)
from tdcoord.service.umei.schemas import SeriesIn, Status

router = APIRouter()
CallerDep = Annotated[Caller, Depends(umei_caller)]
_KINDS = {"BaselineIntervals": ("baseline", "InvalidBaseline"),
          "MeterReadings": ("meter", "InvalidMeterReading")}


def series_item(x: PortfolioSeries) -> dict[str, Any]:
    """A UMEI BaseLineInterval or MeterReading."""
    return {"id": str(x.id), "status": x.status, "links": [], "portfolioId": str(x.portfolio_id),
            "periodFrom": zulu(x.period_from), "periodTo": zulu(x.period_to),
            "quantity": round(x.quantity, 3), "quantityType": x.quantity_type}


def _writable_portfolio(s: Session, caller: Caller, id_: str | None, code: str) -> Portfolio:
    pid = int_id(id_ or "")
    p = s.get(Portfolio, pid) if pid is not None else None
    if p is None or not can_see(visible_portfolio_ids(s, caller), p.id):
        raise Problem(400, "InvalidPortfolio", f"no portfolio {id_!r}")
    if not (caller.is_operator or p.fsp_party_id == caller.party_id):
        raise Problem(403, "Forbidden", f"portfolio {id_} is not yours")
    return p


def _check_role(caller: Caller) -> None:
    if not (caller.is_operator or caller.role == "fsp"):
        raise Problem(403, "Forbidden", f"role {caller.role!r} may not write these")


def _new(s: Session, caller: Caller, kind: str, code: str, body: SeriesIn) -> PortfolioSeries:
    _check_role(caller)
    start, end = period(body.model_dump(), code)
    if body.quantity is None:
        raise Problem(400, code, "quantity is required")
    p = _writable_portfolio(s, caller, body.portfolioId, code)
    x = PortfolioSeries(kind=kind, portfolio_id=p.id, period_from=iso(start),
                        period_to=iso(end), quantity=body.quantity,
                        quantity_type=body.quantityType or "ActivePower",
                        status=body.status or "Active")
    s.add(x)
    s.flush()
    return x


def _visible(s: Session, caller: Caller, kind: str, id_: str) -> PortfolioSeries:
    xid = int_id(id_)
    x = s.get(PortfolioSeries, xid) if xid is not None else None
    if x is None or x.kind != kind or not can_see(visible_portfolio_ids(s, caller),
                                                   x.portfolio_id):
        raise Problem(404, "ResourceNotFound", f"no item {id_!r}")
    return x


def _search(request: Request, caller: Caller, kind: str, portfolio: str | None,
            status: str | None) -> list[dict[str, Any]]:
    periods = PeriodFilter(request)
    with platform_of(request).store.read() as s:
        ids = visible_portfolio_ids(s, caller)
        q = select(PortfolioSeries).where(PortfolioSeries.kind == kind).order_by(
            PortfolioSeries.id)
        if ids is not None:
            q = q.where(PortfolioSeries.portfolio_id.in_(ids))
        rows = list(s.execute(q).scalars())
    return [series_item(x) for x in rows
            if (portfolio is None or str(x.portfolio_id) == portfolio)
            and (status is None or x.status == status)
            and periods.keep(x.period_from, x.period_to)]


def _update(request: Request, caller: Caller, kind: str, code: str, id_: str, body: SeriesIn,
            ) -> dict[str, Any]:
    _check_role(caller)
    plat = platform_of(request)
    with plat.store.tx() as s:
        x = _visible(s, caller, kind, id_)
        _writable_portfolio(s, caller, str(x.portfolio_id), code)
        if body.portfolioId is not None:
            x.portfolio_id = _writable_portfolio(s, caller, body.portfolioId, code).id
        if body.periodFrom is not None:
            x.period_from = iso(parse_period(body.periodFrom, "periodFrom", code))
        if body.periodTo is not None:
            x.period_to = iso(parse_period(body.periodTo, "periodTo", code))
        if x.period_to <= x.period_from:
            raise Problem(400, "InconsistentPeriods",
                          "'periodTo' must be subsequent to 'periodFrom'")
        if body.quantity is not None:
            x.quantity = body.quantity
        if body.quantityType is not None:
            x.quantity_type = body.quantityType
        if body.status is not None:
            x.status = body.status
        audit(s, plat, caller, "update", f"{kind}/{x.id}", via="umei")
        return series_item(x)


def _delete(request: Request, caller: Caller, kind: str, code: str, id_: str) -> Response:
    _check_role(caller)
    plat = platform_of(request)
    with plat.store.tx() as s:
        x = _visible(s, caller, kind, id_)
        _writable_portfolio(s, caller, str(x.portfolio_id), code)
        s.delete(x)
        audit(s, plat, caller, "delete", f"{kind}/{x.id}", via="umei")
    return Response(status_code=204)


def _routes(name: str) -> None:
    kind, code = _KINDS[name]

    @router.get(f"/{name}", name=f"search_{kind}")
    def search(request: Request, caller: CallerDep, portfolioId: str | None = None,
               gridNodeId: str | None = None, status: Status | None = None,
               take: Take = None, skip: Skip = None, orderBy: OrderBy = None,
               ) -> dict[str, Any]:
        items = _search(request, caller, kind, portfolioId, status)
        return search_result(items, take, skip, orderBy)

    @router.post(f"/{name}", status_code=201, name=f"create_{kind}")
    def create(request: Request, body: SeriesIn, caller: CallerDep) -> dict[str, Any]:
        plat = platform_of(request)
        with plat.store.tx() as s:
            x = _new(s, caller, kind, code, body)
            audit(s, plat, caller, "create", f"{kind}/{x.id}", via="umei")
            return series_item(x)

    @router.get(f"/{name}/{{id}}", name=f"get_{kind}")
    def get(request: Request, id: str, caller: CallerDep) -> dict[str, Any]:
        with platform_of(request).store.read() as s:
            return series_item(_visible(s, caller, kind, id))

    @router.put(f"/{name}/{{id}}", name=f"put_{kind}")
    def put(request: Request, id: str, body: SeriesIn,
            caller: CallerDep) -> dict[str, Any]:
        return _update(request, caller, kind, code, id, body)

    @router.patch(f"/{name}/{{id}}", name=f"patch_{kind}")
    def patch(request: Request, id: str, body: SeriesIn,
              caller: CallerDep) -> dict[str, Any]:
        return _update(request, caller, kind, code, id, body)

    @router.delete(f"/{name}/{{id}}", status_code=204, name=f"delete_{kind}")
    def delete(request: Request, id: str, caller: CallerDep) -> Response:
        return _delete(request, caller, kind, code, id)


_routes("BaselineIntervals")
_routes("MeterReadings")


@router.post("/MeterReadings/create-multiple", status_code=204)
def create_many(request: Request, caller: CallerDep,
                body: Annotated[list[SeriesIn] | None, Body()] = None) -> Response:
    """Store many meter readings in one transaction (all or none)."""
    plat = platform_of(request)
    with plat.store.tx() as s:
        for item in body or []:
            _new(s, caller, "meter", "InvalidMeterReading", item)
        audit(s, plat, caller, "create", "meter-readings", n=len(body or []), via="umei")
    return Response(status_code=204)


@router.delete("/MeterReadings", status_code=204)
def delete_many(request: Request, caller: CallerDep, portfolioId: str | None = None,
                gridNodeId: str | None = None, status: Status | None = None,
                ) -> Response:
    """Delete the caller's meter readings matching the filters."""
    _check_role(caller)
    items = _search(request, caller, "meter", portfolioId, status)
    plat = platform_of(request)
    with plat.store.tx() as s:
        n = 0
        for item in items:
            x = s.get(PortfolioSeries, int(item["id"]))
            p = s.get(Portfolio, x.portfolio_id) if x else None
            if x is not None and p is not None and (
                    caller.is_operator or p.fsp_party_id == caller.party_id):
                s.delete(x)
                n += 1
        audit(s, plat, caller, "delete", "meter-readings", n=n, via="umei")
    return Response(status_code=204)
