"""UMEI operations this platform does not serve: flexibility zones (the platform locates orders
by grid node) and file imports. Each answers 405 ``EndpointNotSupported`` with the ``Allow``
header, as UMEI's error codes prescribe."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from tdcoord.service.auth import Caller
from tdcoord.service.problems import Problem
from tdcoord.service.umei.common import umei_caller

router = APIRouter()
CallerDep = Annotated[Caller, Depends(umei_caller)]


def _no(what: str, allow: str) -> Problem:
    return Problem(405, "EndpointNotSupported", f"{what} is not supported by this platform",
                   extra={"allow": allow})


@router.api_route("/FlexibilityZones", methods=["GET", "POST"], include_in_schema=False)
def zones(request: Request, caller: CallerDep) -> Response:
    """Flexibility zones are not supported."""
    raise _no("FlexibilityZones", "")


@router.api_route("/FlexibilityZones/{id}", methods=["GET", "PUT", "PATCH", "DELETE"],
                  include_in_schema=False)
def zone(request: Request, id: str, caller: CallerDep) -> Response:
    """Flexibility zones are not supported."""
    raise _no("FlexibilityZones", "")


@router.post("/BaselineIntervals/import", include_in_schema=False)
def import_baselines(request: Request, caller: CallerDep) -> Response:
    """File import is not supported: POST the items."""
    raise _no("file import", "GET, POST")


@router.post("/MeterReadings/import", include_in_schema=False)
def import_readings(request: Request, caller: CallerDep) -> Response:
    """File import is not supported: POST the items or create-multiple."""
    raise _no("file import", "GET, POST")
