"""Who may see what (deny by default).

* operators (``admin``, ``market_operator``) and the ``tso`` see every DER and portfolio;
* a ``dso`` sees the DERs on the feeders of its area (all feeders when its area is empty) and the
  portfolios holding them;
* an ``fsp`` sees its portfolios and the DERs in them or owned by it;
* a ``der_owner`` sees its own DERs.

A resource the caller may not see is answered with 404, so existence does not leak.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tdcoord.service.auth import Caller
from tdcoord.service.models import Der, Membership, Portfolio

_SEE_ALL = frozenset({"admin", "market_operator", "tso"})


def visible_der_ids(s: Session, caller: Caller) -> set[int] | None:
    """Ids of the DERs the caller may see; None means all."""
    if caller.role in _SEE_ALL or (caller.role == "dso" and not caller.area):
        return None
    if caller.role == "dso":
        rows = s.execute(select(Der.id).where(Der.feeder.in_(caller.area))).scalars()
        return set(rows)
    owned = set(s.execute(select(Der.id).where(Der.owner_party_id == caller.party_id)).scalars())
    if caller.role == "fsp":
        owned |= set(
            s.execute(
                select(Membership.der_id)
                .join(Portfolio, Portfolio.id == Membership.portfolio_id)
                .where(Portfolio.fsp_party_id == caller.party_id)
            ).scalars()
        )
    return owned


def visible_portfolio_ids(s: Session, caller: Caller) -> set[int] | None:
    """Ids of the portfolios the caller may see; None means all."""
    if caller.role in _SEE_ALL or (caller.role == "dso" and not caller.area):
        return None
    if caller.role == "fsp":
        return set(
            s.execute(
                select(Portfolio.id).where(Portfolio.fsp_party_id == caller.party_id)
            ).scalars()
        )
    if caller.role == "dso":
        return set(
            s.execute(
                select(Membership.portfolio_id)
                .join(Der, Der.id == Membership.der_id)
                .where(Der.feeder.in_(caller.area))
            ).scalars()
        )
    return set()


def can_see(ids: set[int] | None, id_: int) -> bool:
    """True when ``id_`` is in ``ids`` (None: everything is visible)."""
    return ids is None or id_ in ids
