"""``POST /api/v1/auth/token`` (OAuth2 password form), ``GET /api/v1/me``, parties and users."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tdcoord.service.auth import Caller, hash_password, issue_token, require_role, verify_password
from tdcoord.service.models import Party, User
from tdcoord.service.platform import audit, caller_of, platform_of
from tdcoord.service.problems import Problem
from tdcoord.service.schemas import PartyIn, UserIn

router = APIRouter(prefix="/api/v1", tags=["auth"])
CallerDep = Annotated[Caller, Depends(caller_of)]


@router.post("/auth/token")
def token(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> dict[str, Any]:
    """Exchange a username and password for a bearer token (a JWT that expires)."""
    plat = platform_of(request)
    with plat.store.read() as s:
        row = s.execute(
            select(User, Party).join(Party, Party.id == User.party_id).where(
                User.username == username
            )
        ).first()
        if row is None or not verify_password(row[0].password_hash, password):
            raise Problem(401, "InvalidCredentials", "unknown user or wrong password")
        user, party = row
        if user.demo and not plat.loopback:
            raise Problem(
                401, "DemoUserOffLoopback",
                "demo users are accepted only while the server listens on a loopback address",
            )
    return {
        "access_token": issue_token(user, party, plat.secret()),
        "token_type": "bearer",
    }


@router.get("/me")
def me(caller: CallerDep) -> dict[str, Any]:
    """The caller: user, party, role and area."""
    return {
        "user_id": caller.user_id, "username": caller.username, "party_id": caller.party_id,
        "party": caller.party, "role": caller.role, "area": list(caller.area),
    }


def party_out(p: Party) -> dict[str, Any]:
    """A party as JSON."""
    return {"id": p.id, "name": p.name, "role": p.role,
            "area": [a for a in (p.area or "").split(",") if a]}


@router.get("/parties")
def list_parties(request: Request, caller: CallerDep) -> list[dict[str, Any]]:
    """Every party (names and roles are public to logged-in users: orders name their buyer)."""
    with platform_of(request).store.read() as s:
        return [party_out(p) for p in s.execute(select(Party).order_by(Party.id)).scalars()]


@router.post("/parties", status_code=201)
def create_party(request: Request, body: PartyIn, caller: CallerDep) -> dict[str, Any]:
    """Create a party (admin)."""
    require_role(caller, what="parties")
    plat = platform_of(request)
    try:
        with plat.store.tx() as s:
            p = Party(name=body.name, role=body.role, area=",".join(body.area) or None)
            s.add(p)
            s.flush()
            audit(s, plat, caller, "create", f"party/{p.id}", name=p.name, role=p.role)
            return party_out(p)
    except IntegrityError as exc:
        raise Problem(409, "Conflict", f"a party named {body.name!r} exists") from exc


@router.post("/users", status_code=201)
def create_user(request: Request, body: UserIn, caller: CallerDep) -> dict[str, Any]:
    """Create a user of a party (admin)."""
    require_role(caller, what="users")
    plat = platform_of(request)
    try:
        with plat.store.tx() as s:
            if s.get(Party, body.party_id) is None:
                raise Problem(404, "NotFound", f"no party {body.party_id}")
            u = User(username=body.username, password_hash=hash_password(body.password),
                     party_id=body.party_id)
            s.add(u)
            s.flush()
            audit(s, plat, caller, "create", f"user/{u.id}", username=u.username)
            return {"id": u.id, "username": u.username, "party_id": u.party_id}
    except IntegrityError as exc:
        raise Problem(409, "Conflict", f"a user named {body.username!r} exists") from exc
