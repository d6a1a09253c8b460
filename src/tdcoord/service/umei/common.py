"""Shared pieces of the UMEI facade: caller, ids, times, grid nodes, filters, search results.

Conventions (``docs/platform.md``, "UMEI facade"): ids are strings (sell orders ``S<id>``, buy
orders ``B<id>``, trades ``<result>-<interval>``); times are UTC ``YYYY-MM-DDTHH:MM:SSZ``; a grid
node is ``<feeder id>:<node row>`` on a feeder or ``T:<bus row>`` on the transmission grid.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Query, Request

from tdcoord.service.auth import Caller
from tdcoord.service.platform import caller_of, parse_time
from tdcoord.service.problems import Problem

T = TypeVar("T")

STATUSES = ("Received", "Pending", "Rejected", "Active", "Inactive", "Completed", "Deleted")


def umei_caller(request: Request) -> Caller:
    """The caller (401 ``Unauthenticated`` without a valid bearer token)."""
    try:
        return caller_of(request)
    except Problem as exc:
        if exc.status == 401:
            raise Problem(401, "Unauthenticated", exc.detail) from exc
        raise


def zulu(text: str | datetime) -> str:
    """A time as UMEI text (UTC, seconds, ``Z``)."""
    t = parse_time(text) if isinstance(text, str) else text
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_period(value: str | None, name: str, code: str) -> datetime:
    """A posted ``periodFrom`` / ``periodTo``; 400 ``code`` when missing or malformed."""
    if not value:
        raise Problem(400, code, f"{name} is required")
    try:
        return parse_time(value)
    except (ValueError, TypeError) as exc:
        raise Problem(400, code, f"{name}: not an ISO 8601 time ({exc})") from exc


def period(values: dict[str, Any], code: str) -> tuple[datetime, datetime]:
    """``periodFrom`` < ``periodTo`` of a body, else 400 (``InconsistentPeriods``)."""
    start = parse_period(values.get("periodFrom"), "periodFrom", code)
    end = parse_period(values.get("periodTo"), "periodTo", code)
    if end <= start:
        raise Problem(400, "InconsistentPeriods", "'periodTo' must be subsequent to 'periodFrom'")
    return start, end


def grid_node(feeder: str | None, node: int) -> str:
    """The UMEI grid node id of a location."""
    return f"T:{node}" if feeder is None else f"{feeder}:{node}"


def parse_grid_node(text: str) -> tuple[str | None, int]:
    """(feeder, node) of a grid node id; 400 ``InvalidGridNode`` when malformed."""
    head, sep, tail = text.rpartition(":")
    if not sep or not tail.isdigit() or not head:
        raise Problem(400, "InvalidGridNode",
                      f"grid node {text!r}: use '<feeder id>:<node>' or 'T:<bus row>'")
    return (None if head == "T" else head), int(tail)


def int_id(text: str, prefix: str = "") -> int | None:
    """The integer behind a UMEI id (None when it is not one of ours)."""
    if prefix:
        if not text.startswith(prefix):
            return None
        text = text[len(prefix):]
    return int(text) if text.isdigit() and len(text) < 18 else None


class PeriodFilter:
    """The ``periodFrom[.gt|.gte|.lt|.lte]`` and ``periodTo[...]`` query filters."""

    def __init__(self, request: Request) -> None:
        self.bounds: list[tuple[str, str, datetime]] = []
        for key, value in request.query_params.items():
            field, _, op = key.partition(".")
            if field not in ("periodFrom", "periodTo") or op not in ("", "gt", "gte", "lt", "lte"):
                continue
            try:
                self.bounds.append((field, op or "eq", parse_time(value)))
            except (ValueError, TypeError, OverflowError):
                continue  # searches answer 200 or an auth error: unreadable filters are ignored

    def keep(self, period_from: str, period_to: str) -> bool:
        """True when the item's period passes every filter."""
        values = {"periodFrom": parse_time(period_from), "periodTo": parse_time(period_to)}
        for field, op, bound in self.bounds:
            v = values[field].replace(microsecond=0)
            ok = {"eq": v == bound, "gt": v > bound, "gte": v >= bound, "lt": v < bound,
                  "lte": v <= bound}[op]
            if not ok:
                return False
        return True


Take = Annotated[int | None, Query()]
Skip = Annotated[int | None, Query()]
OrderBy = Annotated[list[str] | None, Query()]


def search_result(items: Sequence[dict[str, Any]], take: int | None, skip: int | None,
                  order_by: list[str] | None = None) -> dict[str, Any]:
    """A UMEI ``…SearchResult``: hits, the page ``[skip, skip + take)`` and links."""
    rows = list(items)
    for key in reversed(order_by or []):
        desc = key.startswith("-")
        name = key.lstrip("-+")
        if rows and name in rows[0]:
            rows.sort(key=_sort_key(name), reverse=desc)
    start = max(skip or 0, 0)  # out-of-range paging is clamped (searches have no 400)
    page = rows[start:start + take] if take is not None and take >= 0 else rows[start:]
    return {"numberOfHits": len(rows), "items": page, "links": []}


def _sort_key(name: str) -> Callable[[dict[str, Any]], tuple[bool, str]]:
    return lambda r: (r.get(name) is None, str(r.get(name)))
