"""Claiming queued jobs so that two worker processes (on one or several servers) never run the
same job, and telling a crashed worker's job from a running one.

* **Claim.** One transaction picks the oldest queued job, marks it ``running`` (attempts + 1) and
  takes the job's *run lock* before it commits. On PostgreSQL the pick is
  ``SELECT … FOR UPDATE SKIP LOCKED``: concurrent claimers skip each other's row instead of
  waiting for it, and none of them can pick a row another one has picked. On SQLite the
  transaction starts with ``BEGIN IMMEDIATE`` (:mod:`tdcoord.service.db`): claimers serialise,
  and the second sees the job ``running``.
* **Run lock.** Held for the whole run and released by the operating system when the process
  dies: a session-level advisory lock ``pg_advisory_lock(KEY, job_id)`` on a connection kept
  for the run (PostgreSQL; the server drops it with the connection), an exclusive ``flock`` on
  ``<db file>.jobs/<job_id>.lock`` (SQLite; one host by construction).
* **Recovery** (:func:`orphans`): a ``running`` job whose run lock can be taken has no live
  worker — its process was killed — so it is re-queued or declared failed; a job whose lock is
  held is left alone. Every worker may therefore recover at any time, not only at start.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import os
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.orm import Session

from tdcoord.service.db import Store
from tdcoord.service.models import Job, MarketSession

#: First key of the platform's advisory locks (``"tdco"`` in ASCII); the second is the job id.
ADVISORY_KEY = 0x7464636F


@dataclasses.dataclass
class Claim:
    """A claimed job and the handle holding its run lock (a connection or an open lock file)."""

    job_id: int
    handle: Any = None

    def release(self) -> None:
        """Release the run lock (after the job's final transaction committed)."""
        h, self.handle = self.handle, None
        if isinstance(h, Connection):
            # unlock at once (the server drops a closed connection's locks only once its
            # backend has noticed the close), then close: that drops any lock left
            with contextlib.suppress(Exception):
                h.execute(select(func.pg_advisory_unlock(ADVISORY_KEY, self.job_id)))
            h.invalidate()
            h.close()
        elif h is not None:
            h.close()  # closing the file releases its flock


def _lock_dir(store: Store) -> Path:
    db = store.engine.url.database
    assert db, "a SQLite store is a file (tdcoord.service.db.make_engine)"
    d = Path(f"{db}.jobs")
    d.mkdir(exist_ok=True)
    return d


def _flock(store: Store, job_id: int) -> IO[bytes] | None:
    """The job's lock file, locked (None: another process holds it)."""
    f = open(_lock_dir(store) / f"{job_id}.lock", "ab")  # noqa: SIM115 - held for the run
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        return None
    return f


def _mark_running(conn_or_s: Connection | Session, job_id: int, session_id: int) -> None:
    conn_or_s.execute(update(Job).where(Job.id == job_id).values(
        state="running", attempts=Job.attempts + 1))
    conn_or_s.execute(update(MarketSession).where(MarketSession.id == session_id).values(
        state="clearing"))


def _claim_pg(store: Store) -> Claim | None:
    conn = store.engine.connect()
    try:
        with conn.begin():
            row = conn.execute(
                select(Job.id, Job.session_id).where(Job.state == "queued").order_by(Job.id)
                .limit(1).with_for_update(skip_locked=True)
            ).first()
            if row is None:
                conn.close()
                return None
            conn.execute(select(func.pg_advisory_lock(ADVISORY_KEY, row.id)))
            _mark_running(conn, row.id, row.session_id)
    except BaseException:
        conn.invalidate()
        conn.close()
        raise
    return Claim(int(row.id), conn)


def _claim_sqlite(store: Store) -> Claim | None:
    with store.tx() as s:
        row = s.execute(select(Job.id, Job.session_id).where(Job.state == "queued")
                        .order_by(Job.id).limit(1)).first()
        if row is None:
            return None
        lock = _flock(store, int(row.id))
        if lock is None:  # a crashed claim's file still locked by a live process: not ours
            return None
        try:
            _mark_running(s, row.id, row.session_id)
        except BaseException:
            lock.close()
            raise
    return Claim(int(row.id), lock)


def claim_next(store: Store) -> Claim | None:
    """Claim the oldest queued job (see the module doc); None when none is queued."""
    return _claim_sqlite(store) if store.is_sqlite else _claim_pg(store)


def _free(s: Session, store: Store, job_id: int, held: list[Any]) -> bool:
    """Whether no live worker holds ``job_id``'s run lock (held until the caller's commit)."""
    if store.is_sqlite:
        f = _flock(store, job_id)
        if f is None:
            return False
        held.append(f)
        return True
    got = s.execute(select(func.pg_try_advisory_xact_lock(ADVISORY_KEY, job_id))).scalar_one()
    return bool(got)


@contextlib.contextmanager
def orphans(store: Store) -> Any:
    """In one transaction: the ``running`` jobs no live worker runs (their run locks are taken
    and held until the transaction ends, so no worker can claim them meanwhile)."""
    held: list[Any] = []
    try:
        with store.tx() as s:
            q = select(Job).where(Job.state == "running").order_by(Job.id)
            if not store.is_sqlite:  # a job whose final write is under way is not an orphan
                q = q.with_for_update(skip_locked=True)
            running = list(s.execute(q).scalars())
            yield s, [j for j in running if _free(s, store, j.id, held)]
    finally:
        for f in held:
            f.close()


def remove_lock_file(store: Store, job_id: int) -> None:
    """Remove a finished job's lock file (SQLite; nothing on PostgreSQL)."""
    if store.is_sqlite:
        with contextlib.suppress(OSError):
            os.unlink(_lock_dir(store) / f"{job_id}.lock")
