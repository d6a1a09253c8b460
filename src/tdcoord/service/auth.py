"""Authentication: argon2 password hashes, expiring JWT bearer tokens, the caller of a request.

Roles (``ROLES``): ``admin``, ``market_operator``, ``tso``, ``dso``, ``fsp`` (aggregator /
flexibility service provider), ``der_owner``. A token (``POST /api/v1/auth/token``, OAuth2
password form) is an HS256 JWT with the user, party and role and an expiry (``exp``); the signing
secret is generated once per store and kept in its ``settings`` table.
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from tdcoord.service.models import Party, Setting, User
from tdcoord.service.problems import Problem

ROLES: tuple[str, ...] = ("admin", "market_operator", "tso", "dso", "fsp", "der_owner")
#: Roles that operate the system or the market (see every party's data read-only or fully).
OPERATORS: frozenset[str] = frozenset({"admin", "market_operator"})
TOKEN_TTL_S = 8 * 3600

_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """argon2id hash of ``password``."""
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches the stored argon2 hash."""
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def signing_secret(s: Session) -> str:
    """The store's token secret (created on first use)."""
    row = s.get(Setting, "jwt_secret")
    if row is None:
        row = Setting(key="jwt_secret", value=secrets.token_hex(32))
        s.add(row)
        s.flush()
    return row.value


@dataclasses.dataclass(frozen=True)
class Caller:
    """The authenticated user of a request."""

    user_id: int
    username: str
    party_id: int
    party: str
    role: str
    area: tuple[str, ...] = ()

    @property
    def is_operator(self) -> bool:
        """Admin or market operator."""
        return self.role in OPERATORS


def issue_token(user: User, party: Party, secret: str, ttl_s: int = TOKEN_TTL_S) -> str:
    """A signed JWT for ``user`` expiring after ``ttl_s`` seconds."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": str(user.id),
        "usr": user.username,
        "pty": party.id,
        "role": party.role,
        "iat": now,
        "exp": now + ttl_s,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def caller_from_token(token: str, secret: str, s: Session) -> Caller:
    """The caller a bearer token names; 401 when invalid, expired or the user is gone."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp"]})
    except jwt.PyJWTError as exc:
        raise Problem(401, "Unauthorized", f"invalid or expired token: {exc}") from exc
    row = s.execute(
        select(User, Party).join(Party, User.party_id == Party.id).where(
            User.id == int(claims["sub"])
        )
    ).first()
    if row is None:
        raise Problem(401, "Unauthorized", "the token's user no longer exists")
    user, party = row
    area = tuple(a for a in (party.area or "").split(",") if a)
    return Caller(user.id, user.username, party.id, party.name, party.role, area)


def bearer(request: Request) -> str:
    """The bearer token of a request; 401 when there is none."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "Unauthorized", "no bearer token: POST /api/v1/auth/token first")
    return token.strip()


def require_role(caller: Caller, *roles: str, what: str = "this") -> None:
    """403 unless the caller has one of ``roles`` (admin always passes)."""
    if caller.role != "admin" and caller.role not in roles:
        raise Problem(403, "Forbidden", f"role {caller.role!r} may not change {what}")
