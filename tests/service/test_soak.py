"""Soak: 64 concurrent clients on loopback post orders until gate closure — 0 lost, 0
duplicated, 0 server errors, every order accepted before the gate or refused with
``MarketClosed``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tdcoord.service.soak import run_soak
from tests.service.conftest import make_env
from tests.service.helpers import market, order, qualified_portfolio, session
from tests.service.live import serving

SOAK_S = 4.0


@pytest.mark.slow
def test_soak_64_clients_until_gate_closure(db_url: str, tmp_path: Path) -> None:
    url = db_url
    env = make_env(url)
    pid = qualified_portfolio(env)["portfolio"]["id"]
    mid = market(env)
    tokens = env.tokens
    env.plat.store.dispose()
    with serving(url, tmp_path / "server.log") as srv:
        env.clock.now = datetime.now(UTC)
        ms = session(env, mid, open_in_h=-1.0, close_in_h=SOAK_S / 3600.0)
        rep = run_soak(srv.url, tokens["fsp1"], tokens["mo"], ms["id"], order(pid),
                       clients=64, max_s=60.0)
    s = rep.summary()
    print(s)
    assert rep.accepted > 0 and rep.refused_closed == 64, s
    assert rep.ok, s
