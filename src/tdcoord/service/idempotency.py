"""``Idempotency-Key`` on every POST (IETF draft "The Idempotency-Key HTTP Header Field").

The first request with a key reserves it (a row with status 0) before it runs, so a concurrent
retry cannot run twice (it gets 409 ``IdempotencyKeyInProgress``). When the request finishes its
response is stored under the key; a later request with the same key and the same method, path
and body replays it (header ``Idempotent-Replayed: true``); the same key with a different request
gets 422 ``IdempotencyKeyReused``. Keys are scoped to the caller's credentials; server errors
(5xx) release the key so that a retry runs again. Token requests are not kept.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

from tdcoord.service.db import Store
from tdcoord.service.models import IdempotencyRecord
from tdcoord.service.problems import problem_response

HEADER = "idempotency-key"
#: POSTs whose answers are not kept (a token is a credential, not a resource).
UNKEYED = frozenset({"/api/v1/auth/token"})


def _reserve(store: Store, caller: str, key: str, request_hash: str) -> IdempotencyRecord | None:
    """Reserve ``key``; the existing record when it was taken already."""
    try:
        with store.tx() as s:
            s.add(
                IdempotencyRecord(
                    caller=caller, key=key, request_hash=request_hash, status_code=0, body="",
                    content_type="",
                )
            )
        return None
    except IntegrityError:
        with store.read() as s:
            return s.execute(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.caller == caller, IdempotencyRecord.key == key
                )
            ).scalar_one()


def _finish(store: Store, caller: str, key: str, status: int, body: bytes, ctype: str) -> None:
    with store.tx() as s:
        rec = s.execute(
            select(IdempotencyRecord).where(
                IdempotencyRecord.caller == caller, IdempotencyRecord.key == key
            )
        ).scalar_one()
        if status >= 500:
            s.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == rec.id))
            return
        rec.status_code = status
        rec.body = body.decode("utf-8", errors="replace")
        rec.content_type = ctype


class IdempotencyMiddleware(BaseHTTPMiddleware):
    """Replays the first response of a POST for a repeated ``Idempotency-Key``."""

    def __init__(self, app: Any, store: Store) -> None:
        super().__init__(app)
        self.store = store

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        key = request.headers.get(HEADER)
        if request.method != "POST" or not key or request.url.path in UNKEYED:
            return await call_next(request)
        path = request.url.path
        if len(key) > 255:
            return problem_response(400, "InvalidIdempotencyKey", "key over 255 characters", path)
        body = await request.body()
        digest = hashlib.sha256(b"POST " + path.encode() + b"\n" + body).hexdigest()
        caller = hashlib.sha256(request.headers.get("authorization", "").encode()).hexdigest()
        found = await run_in_threadpool(_reserve, self.store, caller, key, digest)
        if found is not None:
            if found.request_hash != digest:
                return problem_response(
                    422, "IdempotencyKeyReused",
                    "this Idempotency-Key was used for a different request", path,
                )
            if found.status_code == 0:
                return problem_response(
                    409, "IdempotencyKeyInProgress", "a request with this key is running", path
                )
            return Response(
                found.body.encode(), status_code=found.status_code,
                media_type=found.content_type or None, headers={"Idempotent-Replayed": "true"},
            )
        try:
            response = await call_next(request)
            chunks = [c async for c in response.body_iterator]  # type: ignore[attr-defined]
        except Exception:
            await run_in_threadpool(_finish, self.store, caller, key, 500, b"", "")
            raise
        raw = b"".join(c if isinstance(c, bytes) else str(c).encode() for c in chunks)
        ctype = response.headers.get("content-type", "")
        await run_in_threadpool(_finish, self.store, caller, key, response.status_code, raw, ctype)
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return Response(raw, status_code=response.status_code, headers=headers)
