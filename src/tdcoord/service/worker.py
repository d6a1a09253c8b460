"""The job worker: one background thread per server process that runs queued jobs in order.

Jobs are claimed with :func:`tdcoord.service.claim.claim_next` (``SELECT … FOR UPDATE SKIP
LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so several server processes can share one
store and no job runs twice. On start and then every poll, jobs left ``running`` by a crashed
process (their run lock is free, :func:`tdcoord.service.claim.orphans`) are recovered: re-queued
while they have been tried fewer than ``MAX_ATTEMPTS`` times, declared failed otherwise (their
session too), so that every job ends done or failed. Results are written in one transaction
(:mod:`tdcoord.service.clearing`), so a re-run never finds a partial clearing.
"""

from __future__ import annotations

import threading

from sqlalchemy import select

from tdcoord.service.claim import claim_next, orphans, remove_lock_file
from tdcoord.service.clearing import run_clearing_job
from tdcoord.service.models import Job, MarketSession
from tdcoord.service.platform import Platform, iso

MAX_ATTEMPTS = 2


def recover(plat: Platform) -> int:
    """Re-queue or fail the jobs a crashed process left running (those no live worker holds);
    the number recovered."""
    with plat.store.read() as s:
        if s.execute(select(Job.id).where(Job.state == "running").limit(1)).first() is None:
            return 0
    with orphans(plat.store) as (s, jobs):
        for job in jobs:
            if job.attempts < MAX_ATTEMPTS:
                job.state = "queued"
                continue
            job.state, job.finished_at = "failed", iso(plat.now())
            job.error = "the process stopped during the clearing; tried too often"
            ms = s.get(MarketSession, job.session_id)
            if ms is not None:
                ms.state = "failed"
        return len(jobs)


class Worker:
    """Runs queued jobs in a daemon thread; :meth:`kick` wakes it."""

    def __init__(self, plat: Platform, poll_s: float = 1.0) -> None:
        self.plat = plat
        self.poll_s = poll_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tdcoord-worker", daemon=True)

    def start(self) -> None:
        """Recover crashed jobs and start the thread."""
        recover(self.plat)
        self._thread.start()

    def kick(self) -> None:
        """Wake the worker (a job was queued)."""
        self._wake.set()

    def stop(self) -> None:
        """Stop after the current job."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)

    def run_pending(self) -> int:
        """Run every queued job now (in this thread), claiming each first; the number run."""
        n = 0
        while True:
            claim = claim_next(self.plat.store)
            if claim is None:
                return n
            try:
                run_clearing_job(self.plat, claim.job_id)
            finally:
                claim.release()
                remove_lock_file(self.plat.store, claim.job_id)
            n += 1

    def _loop(self) -> None:
        while not self._stop.is_set():
            recover(self.plat)
            self.run_pending()
            self._wake.wait(self.poll_s)
            self._wake.clear()
