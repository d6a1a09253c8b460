"""``tdcoord serve --demo``: a fresh store filled with the study's parties, DERs and one open
day-ahead session.

Users ``admin``, ``mo`` (market operator), ``tso``, ``dso``, ``fsp1`` and ``fsp2``, password
``demo`` (accepted only on a loopback address). The study's aggregators become portfolios of
``fsp1`` (even-numbered) and ``fsp2`` (odd), each with its DERs as members, prequalified for the
study's first product and grid-approved; the market clears with the study's first compare model.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from tdcoord.service.gate import advance
from tdcoord.service.models import (
    Der,
    GridPrequalification,
    Market,
    MarketSession,
    Membership,
    Portfolio,
    ProductApplication,
    User,
)
from tdcoord.service.platform import Platform, iso
from tdcoord.service.users import create_user

DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("admin", "admin", "Platform admin"),
    ("mo", "market_operator", "Market operator"),
    ("tso", "tso", "TSO"),
    ("dso", "dso", "DSO"),
    ("fsp1", "fsp", "FSP 1"),
    ("fsp2", "fsp", "FSP 2"),
)
DEMO_PASSWORD = "demo"


def _fsp_of(aggregator: str) -> str:
    digits = "".join(c for c in aggregator if c.isdigit())
    return "fsp2" if digits and int(digits) % 2 else "fsp1"


def seed_demo(plat: Platform) -> dict[str, Any]:
    """Fill an empty store (refuses a store that has users already)."""
    engine = plat.engine()
    ders = engine.fleet_ders()
    study = engine.study
    with plat.store.tx() as s:
        if s.execute(select(User.id)).first() is not None:
            return {"seeded": False}
        party = {}
        for username, role, name in DEMO_USERS:
            u = create_user(s, party=name, role=role, username=username,
                            password=DEMO_PASSWORD, demo=True)
            party[username] = u.party_id
        portfolios: dict[str, Portfolio] = {}
        for d in ders:
            agg = d["aggregator"]
            if agg not in portfolios:
                portfolios[agg] = Portfolio(name=agg, fsp_party_id=party[_fsp_of(agg)])
                s.add(portfolios[agg])
        s.flush()
        now = plat.now()
        for d in ders:
            row = Der(name=d["name"], owner_party_id=portfolios[d["aggregator"]].fsp_party_id,
                      der_type=d["der_type"], feeder=d["feeder"], node=d["node"],
                      p_max_mw=d["p_max_mw"], p_min_mw=0.0, e_max_mwh=0.0, status="active")
            s.add(row)
            s.flush()
            s.add(Membership(portfolio_id=portfolios[d["aggregator"]].id, der_id=row.id,
                             valid_from=iso(now - timedelta(days=1)), valid_to=None))
        product = study.market.products[0]
        for p in portfolios.values():
            s.add(ProductApplication(portfolio_id=p.id, product=product,
                                     procuring_party_id=party["tso"], status="prequalified",
                                     reasons=["demo"]))
            s.add(GridPrequalification(portfolio_id=p.id, product=product,
                                       dso_party_id=party["dso"], status="approved",
                                       proposal="green", reasons=["demo"]))
        m = Market(name="Day-ahead flexibility", scheme=study.compare.models[0], product=product,
                   mtu="PT15M", gate_open_lead_min=1440.0, gate_close_lead_min=60.0,
                   operator_party_id=party["mo"])
        s.add(m)
        s.flush()
        day = (now + timedelta(days=1)).date()
        ms = MarketSession(market_id=m.id, delivery_day=day.isoformat(), stage="day_ahead",
                           gate_open=iso(now - timedelta(minutes=1)),
                           gate_close=iso(now + timedelta(hours=2)), state="scheduled",
                           version=0)
        s.add(ms)
        s.flush()
        advance(s, ms, now)
        return {"seeded": True, "market_id": m.id, "session_id": ms.id, "n_der": len(ders),
                "n_portfolio": len(portfolios)}
