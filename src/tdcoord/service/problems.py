"""Errors as RFC 7807 problem details (``application/problem+json``).

Every refusal carries ``type``, ``title``, ``status``, ``detail`` and a machine-readable ``code``
(e.g. ``MarketNotYetOpen``, ``MarketClosed``, ``Unauthorized``, ``NotFound``), like UMEI's error
codes (``shared/reference/umei/error-codes.md``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    422: "Unprocessable Entity",
    500: "Internal Server Error",
}


class Problem(Exception):  # noqa: N818  (RFC 7807 term)
    """A refusal sent to the client as an RFC 7807 problem."""

    def __init__(
        self, status: int, code: str, detail: str, *, extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.extra = extra or {}


def problem_body(status: int, code: str, detail: str, instance: str = "") -> dict[str, Any]:
    """The JSON body of a problem."""
    return {
        "type": f"https://tdcoord.invalid/problems/{code}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        "instance": instance,
    }


#: UMEI's error codes for the generic statuses (``shared/reference/umei/error-codes.md``).
_UMEI_CODES = {401: "Unauthenticated", 403: "Forbidden", 404: "ResourceNotFound",
               405: "EndpointNotSupported"}
#: The statuses the UMEI document lists; other client errors are answered as 400.
_UMEI_STATUSES = frozenset({400, 401, 403, 404, 405})


def umei_body(status: int, code: str, detail: str, instance: str,
              errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A problem as UMEI's ``ProblemDetails``: ``status`` as text, the code in ``type``
    (``https://umei.org/error-codes/<code>``) and ``code``, ``validation-errors``."""
    body: dict[str, Any] = {
        "type": f"https://umei.org/error-codes/{code}",
        "title": _TITLES.get(status, "Error"),
        "status": str(status),
        "detail": detail,
        "instance": instance,
        "code": code,
    }
    if errors is not None:
        body["validation-errors"] = errors
    return body


def problem_response(
    status: int, code: str, detail: str, instance: str = "", **extra: Any
) -> JSONResponse:
    """A problem as a response (``WWW-Authenticate: Bearer`` on 401). Under ``/umei/`` it takes
    UMEI's form (:func:`umei_body`) and UMEI's statuses."""
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if instance.startswith("/umei/"):
        if status not in _UMEI_STATUSES and status < 500:
            status = 400
        code = _UMEI_CODES.get(status, code) if code in (
            "Unauthorized", "NotFound", "MethodNotAllowed", "HttpError") else code
        errors = extra.pop("errors", None)
        umei_errors = None if errors is None else [
            {"property": ".".join(e["loc"][1:]) or "body", "message": e["msg"], "value": None}
            for e in errors
        ]
        if status == 405:
            headers = {"Allow": str(extra.pop("allow", "GET"))}
        return JSONResponse(umei_body(status, code, detail, instance, umei_errors),
                            status_code=status, media_type=PROBLEM_JSON, headers=headers)
    body = problem_body(status, code, detail, instance) | extra
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def not_found(what: str) -> Problem:
    """404: missing, or not visible to the caller (existence does not leak)."""
    return Problem(404, "NotFound", f"no {what}")


def forbidden(what: str) -> Problem:
    """403: visible to the caller, but not changeable by it."""
    return Problem(403, "Forbidden", what)


def install_handlers(app: FastAPI) -> None:
    """Turn :class:`Problem`, HTTP and validation errors into problem responses."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.code, exc.detail, request.url.path, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {401: "Unauthorized", 404: "NotFound", 405: "MethodNotAllowed"}.get(
            exc.status_code, "HttpError"
        )
        allow = (exc.headers or {}).get("allow") or (exc.headers or {}).get("Allow")
        extra = {"allow": allow} if allow else {}
        return problem_response(exc.status_code, code, str(exc.detail), request.url.path,
                                **extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        detail = f"{'.'.join(first['loc'])}: {first['msg']}"
        code = "ValidationError"
        if request.url.path.startswith("/umei/"):
            code = _umei_invalid_code(request.url.path)
        return problem_response(422, code, detail, request.url.path, errors=errors)


def _umei_invalid_code(path: str) -> str:
    for part, code in (("/Orders", "InvalidOrder"), ("/Portfolios", "InvalidPortfolio"),
                       ("/BaselineIntervals", "InvalidBaseline"),
                       ("/MeterReadings", "InvalidMeterReading")):
        if part in path:
            return code
    return "ValidationError"
