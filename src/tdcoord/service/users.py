"""Parties and users from the command line (``tdcoord admin create-user``) and the demo."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tdcoord.service.auth import ROLES, hash_password
from tdcoord.service.models import Party, User
from tdcoord.service.problems import Problem


def ensure_party(s: Session, name: str, role: str, area: str | None = None) -> Party:
    """The party ``name`` (created with ``role`` when new; an existing party keeps its role,
    which must match)."""
    if role not in ROLES:
        raise Problem(422, "ValidationError",
                      f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    p = s.execute(select(Party).where(Party.name == name)).scalar_one_or_none()
    if p is None:
        p = Party(name=name, role=role, area=area)
        s.add(p)
        s.flush()
    elif p.role != role:
        raise Problem(409, "Conflict", f"party {name!r} exists with role {p.role!r}")
    return p


def create_user(
    s: Session, *, party: str, role: str, username: str, password: str, demo: bool = False
) -> User:
    """Create ``username`` in ``party`` (created if new); 409 when the username is taken."""
    if not password:
        raise Problem(422, "ValidationError", "empty password")
    p = ensure_party(s, party, role)
    if s.execute(select(User).where(User.username == username)).first() is not None:
        raise Problem(409, "Conflict", f"user {username!r} exists")
    u = User(username=username, password_hash=hash_password(password), party_id=p.id, demo=demo)
    s.add(u)
    s.flush()
    return u
