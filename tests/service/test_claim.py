"""Multi-server job claiming: a queued job is claimed by exactly one worker (``SELECT … FOR
UPDATE SKIP LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), a running job whose worker is
alive is never recovered, one whose worker died is; two worker processes on one PostgreSQL store
run every job exactly once."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tdcoord.service.claim import claim_next
from tdcoord.service.db import Store
from tdcoord.service.models import Job, MarketSession, Result
from tdcoord.service.platform import Platform
from tdcoord.service.worker import recover
from tests.service.conftest import SMALL_STUDY, Env, drop_pg_db, fresh_pg_db, make_env
from tests.service.helpers import market, order, qualified_portfolio, session


def _queue(env: Env, n: int) -> list[int]:
    """``n`` closed sessions of one market, each with a queued clearing job; the job ids."""
    pid = qualified_portfolio(env)["portfolio"]["id"]
    mid = market(env)
    jobs = []
    for k in range(n):
        ms = session(env, mid, day=f"2030-01-{2 + k:02d}")
        env.ok("POST", f"/api/v1/sessions/{ms['id']}/orders", "fsp1",
               json=order(pid, q_mw=0.1 + 0.01 * k))
        env.ok("POST", f"/api/v1/sessions/{ms['id']}/close", "mo")
        jobs.append(env.ok("POST", f"/api/v1/sessions/{ms['id']}/clearing", "mo")["job_id"])
    return jobs


def _job(store: Store, job_id: int) -> tuple[str, int]:
    with store.read() as s:
        j = s.get(Job, job_id)
        assert j is not None
        return j.state, j.attempts


def test_claims_are_exclusive_and_live_jobs_not_recovered(any_env: Env) -> None:
    env = any_env
    j1, j2 = _queue(env, 2)
    other = Store(env.plat.store.url)  # a second server on the same store
    try:
        a = claim_next(env.plat.store)
        b = claim_next(other)
        assert a is not None and b is not None
        assert (a.job_id, b.job_id) == (j1, j2)
        assert claim_next(env.plat.store) is None and claim_next(other) is None
        assert _job(other, j1) == ("running", 1)
        # both claims' workers are alive: nothing to recover, from either server
        assert recover(Platform(other)) == 0
        assert recover(env.plat) == 0
        a.release()  # the first worker dies without finishing
        assert recover(Platform(other)) == 1
        assert _job(other, j1) == ("queued", 1)
        assert _job(other, j2) == ("running", 1)
        c = claim_next(other)
        assert c is not None and c.job_id == j1
        assert _job(env.plat.store, j1) == ("running", 2)
        c.release()
        b.release()
    finally:
        other.dispose()


_WORKER = textwrap.dedent("""
    import sys
    from tdcoord.service.db import Store
    from tdcoord.service.platform import Platform
    from tdcoord.service.worker import Worker
    plat = Platform(Store(sys.argv[1]), study_path=sys.argv[2])
    plat.engine().shared  # build the study before the start signal
    print("ready", flush=True)
    sys.stdin.readline()
    print("ran", Worker(plat).run_pending(), flush=True)
""")


@pytest.fixture
def pg_env() -> Iterator[Env]:
    url, name = fresh_pg_db()
    e = make_env(url)
    yield e
    e.plat.store.dispose()
    drop_pg_db(name)


@pytest.mark.slow
def test_two_worker_processes_run_each_job_once(pg_env: Env, tmp_path: Path) -> None:
    env = pg_env
    n = 6
    jobs = _queue(env, n)
    procs = [
        subprocess.Popen([sys.executable, "-c", _WORKER, env.plat.store.url, str(SMALL_STUDY)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    ran = []
    for p in procs:
        out, _ = p.communicate(timeout=600)
        assert p.returncode == 0
        ran.append(int(out.split()[-1]))
    assert sum(ran) == n  # every job run once in all (a double run counts twice)
    with env.plat.store.read() as s:
        for j in jobs:
            job = s.get(Job, j)
            assert job is not None and (job.state, job.attempts) == ("done", 1)
            summaries = s.execute(select(func.count()).select_from(Result).where(
                Result.session_id == job.session_id, Result.kind == "summary")).scalar_one()
            assert summaries == 1
            ms = s.get(MarketSession, job.session_id)
            assert ms is not None and ms.state == "cleared"
