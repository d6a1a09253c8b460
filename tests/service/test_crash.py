"""The process killed with SIGKILL during a clearing and restarted: no partial results, and the
job is finished (re-run) or declared failed."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tdcoord.service.db import Store
from tdcoord.service.models import Job, MarketSession, Result
from tdcoord.service.platform import Platform
from tdcoord.service.worker import MAX_ATTEMPTS, recover
from tests.service.conftest import Env, make_env
from tests.service.helpers import market, order, qualified_portfolio, session
from tests.service.live import Server


def _closed_session(env: Env) -> int:
    env.clock.now = datetime.now(UTC)
    pid = qualified_portfolio(env)["portfolio"]["id"]
    ms = session(env, market(env), open_in_h=-1.0, close_in_h=1.0)
    env.ok("POST", f"/api/v1/sessions/{ms['id']}/orders", "fsp1", json=order(pid))
    env.ok("POST", f"/api/v1/sessions/{ms['id']}/close", "mo")
    return int(ms["id"])


def _state(url: str, job_id: int) -> tuple[str, int, int]:
    store = Store(url)
    try:
        with store.read() as s:
            job = s.get(Job, job_id)
            assert job is not None
            n = s.execute(select(func.count()).select_from(Result).where(
                Result.session_id == job.session_id)).scalar_one()
            return job.state, job.attempts, int(n)
    finally:
        store.dispose()


@pytest.mark.slow
def test_sigkill_during_clearing_then_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    env = make_env(url)
    sid = _closed_session(env)
    token = env.tokens["mo"]
    env.plat.store.dispose()
    srv = Server(url, tmp_path / "server.log")
    try:
        srv.wait_ready()
        r = httpx.post(f"{srv.url}/api/v1/sessions/{sid}/clearing",
                       headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 202
        job_id = r.json()["job_id"]
        end = time.monotonic() + 30
        while _state(url, job_id)[0] != "running" and time.monotonic() < end:
            time.sleep(0.05)
        assert _state(url, job_id)[0] == "running"
    finally:
        srv.kill()
    state, attempts, n_results = _state(url, job_id)
    assert (state, attempts, n_results) == ("running", 1, 0)  # no partial clearing
    srv = Server(url, tmp_path / "server.log")
    try:
        srv.wait_ready()
        end = time.monotonic() + 120
        while _state(url, job_id)[0] not in ("done", "failed") and time.monotonic() < end:
            time.sleep(0.2)
    finally:
        srv.stop()
    state, attempts, n_results = _state(url, job_id)
    assert state == "done" and attempts == 2 and n_results > 0
    store = Store(url)
    with store.read() as s:
        ms = s.get(MarketSession, sid)
        assert ms is not None and ms.state == "cleared"
        summaries = s.execute(select(func.count()).select_from(Result).where(
            Result.session_id == sid, Result.kind == "summary")).scalar_one()
    store.dispose()
    assert summaries == 1  # written once, in one transaction


def test_a_job_killed_too_often_is_declared_failed(env: Env) -> None:
    sid = _closed_session(env)
    with env.plat.store.tx() as s:
        job = Job(kind="clearing", session_id=sid, state="running", attempts=MAX_ATTEMPTS,
                  created_at="2030-01-01T00:00:00+00:00")
        s.add(job)
        s.flush()
        job_id = job.id
    recover(Platform(env.plat.store))
    with env.plat.store.read() as s:
        job2 = s.get(Job, job_id)
        ms = s.get(MarketSession, sid)
        assert job2 is not None and job2.state == "failed" and "stopped" in (job2.error or "")
        assert ms is not None and ms.state == "failed"
