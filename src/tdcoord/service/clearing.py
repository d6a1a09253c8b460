"""Clearing a session: read the frozen book and needs, run the engine, write every result in one
transaction.

The job reads inputs in one transaction, clears outside any transaction (the solver may take
seconds), then writes trades, dispatch per DER, prices, envelopes and messages, the session state
and the job state together in one transaction: a crash in between leaves no partial clearing.
"""

from __future__ import annotations

import json
import traceback
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from tdcoord.coordination.catalogue import get_model
from tdcoord.service.engine import (
    STAGES,
    BookRow,
    Cleared,
    Commitment,
    StudyEngine,
    node_envelopes,
)
from tdcoord.service.gate import book_hash, book_orders
from tdcoord.service.models import (
    Der,
    Job,
    Market,
    MarketSession,
    Membership,
    Need,
    Party,
    Portfolio,
    Result,
)
from tdcoord.service.platform import Platform, iso
from tdcoord.service.prices import price_records, session_price_table

#: Session states that have results.
RESULT_STATES = ("cleared", "published", "settled")


def _book_rows(s: Session, ms: MarketSession, product: str) -> list[BookRow]:
    """The frozen book of a closed session as clearing rows (one per order step, book order);
    refuses a book whose hash changed after gate closure."""
    orders = book_orders(s, ms.id)
    if book_hash(orders) != ms.book_hash:
        raise RuntimeError(f"session {ms.id}: the book changed after gate closure")
    names = {p.id: p.name for p in s.execute(select(Portfolio)).scalars()}
    parties = {p.id: p.name for p in s.execute(select(Party)).scalars()}
    return [
        BookRow(
            order_id=o.id, step=k, portfolio=names[o.portfolio_id], party=parties[o.party_id],
            resource=o.resource, der_type=o.der_type, product=product,
            direction=o.direction, feeder=o.feeder, node=o.node,
            quantity_mw=st["quantity_mw"], price_eur_per_mwh=st["price_eur_per_mwh"],
        )
        for o in orders
        for k, st in enumerate(o.steps)
    ]


def earlier_sessions(s: Session, ms: MarketSession) -> list[MarketSession]:
    """The sessions of the same market and delivery day at an earlier stage (day-ahead before
    intraday before real time), in stage order."""
    rank = {st: i for i, st in enumerate(STAGES)}
    same_day = s.execute(select(MarketSession).where(
        MarketSession.market_id == ms.market_id, MarketSession.delivery_day == ms.delivery_day,
        MarketSession.id != ms.id)).scalars()
    earlier = [e for e in same_day if rank.get(e.stage, 0) < rank.get(ms.stage, 0)]
    return sorted(earlier, key=lambda e: (rank.get(e.stage, 0), e.id))


def commitments(s: Session, ms: MarketSession, product: str) -> list[Commitment]:
    """What the earlier-stage sessions of the same market and delivery day cleared (cleared,
    published or settled ones; failed ones committed nothing): the prior commitments this
    session clears on top of, as the study pipeline's later stages do."""
    out: list[Commitment] = []
    for e in earlier_sessions(s, ms):
        if e.state not in RESULT_STATES:
            continue
        summary = s.execute(select(Result).where(
            Result.session_id == e.id, Result.kind == "summary").order_by(Result.id.desc())
        ).scalars().first()
        if summary is None:
            continue
        out.append(Commitment(e.id, tuple(_book_rows(s, e, product)),
                              summary.payload["activation_mw"]))
    return out


def _inputs(s: Session, ms: MarketSession) -> tuple[
    list[BookRow], Any, dict[str, Any], str, list[Commitment]
]:
    market = s.get(Market, ms.market_id)
    assert market is not None
    rows = _book_rows(s, ms, market.product)
    needs = list(s.execute(select(Need).where(Need.session_id == ms.id).order_by(Need.id))
                 .scalars())
    tso = [n.mw for n in needs if n.feeder is None]
    dso = {n.feeder: n.mw for n in needs if n.feeder is not None}
    return rows, (tso[-1] if tso else None), dso, market.scheme, commitments(s, ms, market.product)


def _members(s: Session, rows: list[BookRow], orders: dict[int, Any]) -> tuple[
    list[list[str]], list[str], dict[str, tuple[int, int]]
]:
    """Member DER names per book row (the order's portfolio DERs at its location and type) and
    every DER's (id, owner party)."""
    ders = {d.id: d for d in s.execute(select(Der)).scalars()}
    by_portfolio: dict[int, list[Der]] = {}
    for m in s.execute(select(Membership)).scalars():
        by_portfolio.setdefault(m.portfolio_id, []).append(ders[m.der_id])
    members: list[list[str]] = []
    for r in rows:
        o = orders[r.order_id]
        members.append([
            d.name for d in by_portfolio.get(o.portfolio_id, [])
            if d.feeder == r.feeder and d.node == r.node
            and r.der_type in ("mixed", d.der_type) and d.status != "withdrawn"
        ])
    names = sorted({n for m in members for n in m})
    info = {d.name: (d.id, d.owner_party_id) for d in ders.values()}
    return members, names, info


def member_names(s: Session, session_id: int) -> dict[str, list[str]]:
    """Member DER names per order resource of a session's book (for settlement)."""
    orders = book_orders(s, session_id)
    rows = [BookRow(order_id=o.id, step=0, portfolio="", party="", resource=o.resource,
                    der_type=o.der_type, product="", direction=o.direction, feeder=o.feeder,
                    node=o.node, quantity_mw=(), price_eur_per_mwh=()) for o in orders]
    members, _, _ = _members(s, rows, {o.id: o for o in orders})
    out: dict[str, list[str]] = {}
    for r, m in zip(rows, members, strict=True):
        out.setdefault(r.resource, [])
        out[r.resource] += [n for n in m if n not in out[r.resource]]
    return out


def _results(
    s: Session, engine: StudyEngine, ms: MarketSession, cleared: Cleared
) -> list[Result]:
    out = cleared.outcome
    orders = {o.id: o for o in book_orders(s, ms.id)}
    dt = engine.dt_h
    res: list[Result] = []
    for i, r in enumerate(cleared.rows):
        act = out.activation_mw[i]
        if not act.any():
            continue
        price = np.asarray(r.price_eur_per_mwh, dtype=np.float64)
        res.append(Result(session_id=ms.id, kind="trade", party_id=orders[r.order_id].party_id,
                          payload={"order_id": r.order_id, "step": r.step,
                                   "direction": r.direction, "resource": r.resource,
                                   "mw": act.tolist(), "price_eur_per_mwh": r.price_eur_per_mwh,
                                   "amount_eur": float((act * price).sum() * dt)}))
    members, names, info = _members(s, list(cleared.rows), orders)
    if names:
        split = engine.der_split(cleared, members, names)
        for j, n in enumerate(names):
            der_id, owner = info[n]
            res.append(Result(session_id=ms.id, kind="dispatch", party_id=owner,
                              payload={"der_id": der_id, "der": n, "mw": split[j].tolist()}))
    res += _prices(ms, engine, cleared)
    res += _envelopes(s, ms, engine, cleared, members)
    for m in out.messages:
        res.append(Result(session_id=ms.id, kind="message", party_id=None,
                          payload={"sender": m.sender, "receiver": m.receiver, "kind": m.kind,
                                   "n_bytes": m.n_bytes, "interval": m.interval}))
    res.append(Result(session_id=ms.id, kind="summary", party_id=None, payload={
        "status": out.status, "scheme": out.scheme, "cost_by_buyer_eur": out.cost_by_buyer_eur,
        "activation_mw": out.activation_mw.tolist(), "n_steps": len(cleared.rows),
        "activations": json.loads(out.activations.to_json(orient="records")),
    }))
    return res


def _envelopes(s: Session, ms: MarketSession, engine: StudyEngine, cleared: Cleared,
               members: list[list[str]]) -> list[Result]:
    """Per DER: its location's envelope shared pro rata to the DERs' ``p_max_mw`` there."""
    market = s.get(Market, ms.market_id)
    assert market is not None
    entry = get_model(market.scheme)
    by_node = node_envelopes(cleared, entry.scheme, entry.params.as_dict())
    if not by_node:
        return []
    fids = {f: i for i, f in enumerate(engine.feeder_ids())}
    names = {n for m in members for n in m}
    ders = [d for d in s.execute(select(Der).where(Der.name.in_(names))).scalars()
            if d.feeder in fids]
    total: dict[tuple[int, int], float] = {}
    for d in ders:
        key = (fids[d.feeder], d.node)  # type: ignore[index]
        total[key] = total.get(key, 0.0) + d.p_max_mw
    res = []
    for d in ders:
        key = (fids[d.feeder], d.node)  # type: ignore[index]
        if key not in by_node or total[key] <= 0:
            continue
        share = d.p_max_mw / total[key]
        imp, exp = by_node[key]
        res.append(Result(session_id=ms.id, kind="envelope", party_id=d.owner_party_id,
                          payload={"der_id": d.id, "der": d.name,
                                   "import_mw": (imp * share).tolist(),
                                   "export_mw": (exp * share).tolist()}))
    return res


def _prices(ms: MarketSession, engine: StudyEngine, cleared: Cleared) -> list[Result]:
    """One ``price`` result per priced location, with its components
    (:mod:`tdcoord.service.prices`)."""
    grid = cleared.case.grid
    table = session_price_table(cleared.case, cleared.outcome,
                                engine.shared.market.lmp_eur_per_mwh)
    buses = [] if grid.transmission is None else [int(b) for b in grid.transmission.buses.id]
    feeders = [(fd.id, [int(n) for n in fd.nodes.id]) for fd in grid.feeders]
    return [Result(session_id=ms.id, kind="price", party_id=None, payload=p)
            for p in price_records(table, buses, feeders)]


def run_clearing_job(plat: Platform, job_id: int) -> None:
    """Run one clearing job this worker claimed (:func:`tdcoord.service.claim.claim_next`: it
    is ``running``) to done or failed (see the module doc)."""
    try:
        with plat.store.read() as s:
            job = s.get(Job, job_id)
            if job is None or job.state != "running":
                return
            ms = s.get(MarketSession, job.session_id)
            assert ms is not None
            rows, tso, dso, model, prior = _inputs(s, ms)
            stage = ms.stage
        engine = plat.engine()
        cleared = engine.clear(model, stage, rows, tso, dso, prior)
    except Exception as exc:
        _fail(plat, job_id, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}")
        return
    with plat.store.tx() as s:
        job = s.get(Job, job_id, with_for_update=True)
        ms = s.get(MarketSession, job.session_id) if job else None
        if job is None or ms is None or job.state != "running":
            return
        s.add_all(_results(s, engine, ms, cleared))
        ms.state = "cleared"
        job.state, job.finished_at = "done", iso(plat.now())


def _fail(plat: Platform, job_id: int, error: str) -> None:
    with plat.store.tx() as s:
        job = s.get(Job, job_id)
        if job is None:
            return
        job.state, job.error, job.finished_at = "failed", error[:4000], iso(plat.now())
        ms = s.get(MarketSession, job.session_id)
        if ms is not None:
            ms.state = "failed"
