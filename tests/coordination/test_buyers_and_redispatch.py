"""Who may buy what (the product's ``buyers``) and the transmission generators' redispatch, in
every scheme of the catalogue."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

import tdcoord.coordination.clearing as clearing
import tdcoord.coordination.exchange as exchange
import tdcoord.coordination.schemes._stages as stages
import tdcoord.coordination.schemes.common as common
from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.catalogue import list_models
from tdcoord.coordination.clearing_spec import ClearingSpec
from tdcoord.coordination.outcome import Outcome, redispatch_cost_eur
from tdcoord.coordination.schemes import run_scheme
from tdcoord.market.products import get_product

from .cases import DESIGNED_OFFERS, build_case, grid, offers

#: Feeder offers sell a product only the DSO buys, transmission offers one only the TSO buys.
T_ROWS = [r[1] == -1 for r in DESIGNED_OFFERS]


def _case(premium: float | None = None) -> ClearingCase:
    book = offers(DESIGNED_OFFERS, 2)
    products = ["mfrr" if t else "congestion_dso" for t in T_ROWS]
    book = dataclasses.replace(book, product_id=tuple(products))
    return build_case(
        grid(), book, tso_need_mw=np.array([4.0, -1.0]), redispatch_premium_eur_per_mwh=premium
    )


def _role(buyer: str) -> str:
    return "DSO" if buyer.startswith("dso:") else "TSO"  # "tso" or the platform (TSO, BRPs)


def _wrong_buyer_rows(o: Outcome) -> int:
    a = o.activations
    bad = [
        _role(str(b)) not in get_product(str(p)).buyers
        for b, p in zip(a.buyer, a.product_id, strict=True)
    ]
    return int(np.sum(bad))


def _models() -> list[Any]:
    return [m for m in list_models() if m.params.as_dict().get("variant") != "decentralized"]


def test_no_buyer_buys_a_product_it_may_not_buy() -> None:
    case = _case()
    for m in list_models():
        o = run_scheme(m.scheme, case, m.params.as_dict())
        assert _wrong_buyer_rows(o) == 0, m.id


def test_without_the_rule_the_tso_buys_dso_products(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clearing, "for_buyers", lambda case, inj, buyers: inj)
    monkeypatch.setattr(
        stages, "may_buy", lambda book, buyer: np.ones(book.n_offers, dtype=bool)
    )
    import tdcoord.coordination.schemes.local as local

    monkeypatch.setattr(local, "for_buyers", lambda case, inj, buyers: inj)
    case = _case()
    wrong = {m.id: _wrong_buyer_rows(run_scheme(m.scheme, case, m.params.as_dict())) for m in _models()}
    assert sum(wrong.values()) > 0


def test_redispatch_cost_is_priced_at_cost_plus_markup() -> None:
    """transmission_redispatch_eur against an independent sum over generators and intervals."""
    premium = 7.0
    case = _case(premium)
    c1 = case.grid.transmission.generators.cost_c1_per_mwh  # type: ignore[union-attr]
    moved = 0
    for m in list_models():
        o = run_scheme(m.scheme, case, m.params.as_dict())
        red = o.gen_redispatch_mw
        expect = 0.0
        for g in range(red.shape[0]):
            for t in range(red.shape[1]):
                r = float(red[g, t])
                expect += (r * (c1[g] + premium) if r > 0 else -r * (premium - c1[g])) * case.dt_h
        assert o.transmission_redispatch_eur == pytest.approx(expect, abs=1e-9), m.id
        assert o.transmission_redispatch_eur == pytest.approx(redispatch_cost_eur(case, red))
        moved += int(np.abs(red).max(initial=0.0) > 1e-9)
    assert moved > 0  # generators do meet TSO needs
    # no premium (None): generators offer nothing
    o = run_scheme("centralized", _case(None), {})
    assert not np.abs(o.gen_redispatch_mw).any() and o.transmission_redispatch_eur == 0.0


def test_every_tso_clearing_gets_redispatch_and_no_dso_clearing_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[ClearingSpec] = []
    real = clearing.build

    def build(case: ClearingCase, spec: ClearingSpec) -> Any:
        seen.append(spec)
        return real(case, spec)

    for mod in (clearing, common, exchange):
        monkeypatch.setattr(mod, "build", build)
    case = _case(3.0)
    for m in list_models():
        run_scheme(m.scheme, case, m.params.as_dict())
    buying = [s for s in seen if s.buyers is not None]
    assert any("TSO" in s.buyers for s in buying)  # type: ignore[operator]
    assert any(s.buyers == ("DSO",) for s in buying)
    for s in buying:
        tso_side = "TSO" in s.buyers and s.need_mw is not None  # type: ignore[operator]
        assert s.redispatch == tso_side, s.buyers
