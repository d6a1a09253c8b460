"""Where the tasks of a sweep run: in the process, in local worker processes, or on Dask.

One interface (:class:`SweepExecutor`), three backends:

* :class:`InlineExecutor` (``--jobs 1``): every task runs in the calling process, in order;
* :class:`LocalExecutor` (``--jobs N``): a :class:`concurrent.futures.ProcessPoolExecutor` of N
  workers (``fork`` where available, else ``spawn``);
* :class:`DaskExecutor` (``--scheduler ADDRESS``): a Dask distributed cluster through
  ``Client.get_executor()`` (optional extra ``distributed``).

``submit`` returns a :class:`concurrent.futures.Future` on every backend. ``share`` makes one
object (the shared day of a sample and day) available to many tasks without sending it with
each: in the process it is the object itself; for local workers it is pickled once to a file
that each worker reads once (and keeps while its tasks come); on Dask it is scattered once
(``Client.scatter``) and the tasks receive it from the worker's memory. The results do not depend
on the backend (every task is a pure function of its inputs).
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import pickle
import shutil
import signal
import tempfile
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from tdcoord.errors import StudyError

#: Shared objects a local worker keeps in memory (most recently used first out last).
WORKER_CACHE_SIZE = 4

_CACHE: OrderedDict[str, Any] = OrderedDict()


def resolve_shared(handle: Any) -> Any:
    """The object behind a :meth:`SweepExecutor.share` handle (inside a task)."""
    if not isinstance(handle, str):
        return handle
    if handle in _CACHE:
        _CACHE.move_to_end(handle)
        return _CACHE[handle]
    with open(handle, "rb") as fh:
        obj = pickle.load(fh)  # written by this sweep's own parent process
    _CACHE[handle] = obj
    while len(_CACHE) > WORKER_CACHE_SIZE:
        _CACHE.popitem(last=False)
    return obj


class SweepExecutor:
    """Backend interface (``submit``, ``share``, ``release``, ``close``); ``workers`` at once."""

    workers: int = 1
    name: str = "inline"

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run ``fn(*args)``; the future holds its result or its exception."""
        fut: Future[Any] = Future()
        try:
            fut.set_result(fn(*args))
        except Exception as exc:  # handed to the caller through the future
            fut.set_exception(exc)
        return fut

    def share(self, key: str, obj: Any) -> Any:
        """A handle by which tasks get ``obj`` (see module doc); ``key`` names it uniquely."""
        return obj

    def release(self, handle: Any) -> None:
        """The tasks of ``handle`` are done: free what holds it."""

    def close(self) -> None:
        """Stop the workers and free every shared object."""

    def abort(self) -> None:
        """Stop at once (an error or an interruption unwinds the run): drop queued tasks."""
        self.close()

    def __enter__(self) -> SweepExecutor:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class InlineExecutor(SweepExecutor):
    """Every task in the calling process, at submission (``--jobs 1``)."""


def _worker_init() -> None:
    """Workers leave SIGINT to the parent and die on SIGTERM: the parent owns the signals."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


class LocalExecutor(SweepExecutor):
    """A local process pool of ``jobs`` workers; shared objects go through a temporary folder.

    When the run is interrupted (Ctrl-C, SIGTERM under :func:`tdcoord.cli.signals.stop_on_signals`)
    or a task fails, :meth:`abort` terminates the workers, so none outlives the run; the rows
    finished so far are already on disk (``--resume``).
    """

    name = "local"

    def __init__(self, jobs: int) -> None:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        self.workers = jobs
        self._pool = ProcessPoolExecutor(
            jobs, mp_context=multiprocessing.get_context(method), initializer=_worker_init
        )
        self._folder = Path(tempfile.mkdtemp(prefix="tdcoord-sweep-"))

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        return self._pool.submit(fn, *args)

    def share(self, key: str, obj: Any) -> Any:
        path = self._folder / f"{key}.pkl"
        with open(path, "wb") as fh:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
        return str(path)

    def release(self, handle: Any) -> None:
        Path(handle).unlink(missing_ok=True)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self._folder, ignore_errors=True)

    def abort(self) -> None:
        for child in multiprocessing.active_children():
            child.terminate()
        for child in multiprocessing.active_children():
            child.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)
        shutil.rmtree(self._folder, ignore_errors=True)


class DaskExecutor(SweepExecutor):
    """Tasks on a Dask distributed cluster at ``address`` (``tcp://host:8786``)."""

    name = "dask"

    def __init__(self, address: str, *, connect_timeout_s: float = 30.0) -> None:
        try:
            # Imported as a module object: distributed has no type hints (its calls are Any).
            distributed: Any = importlib.import_module("distributed")
        except ImportError as exc:
            raise StudyError(
                "--scheduler needs Dask distributed",
                where="sweep --scheduler",
                fix="install the extra: pip install 'tdcoord[distributed]'",
            ) from exc
        try:
            self._client: Any = distributed.Client(
                address, timeout=connect_timeout_s, set_as_default=False
            )
        except OSError as exc:
            raise StudyError(
                f"no Dask scheduler answers at {address}: {exc}",
                where="sweep --scheduler",
                fix="start one (dask scheduler; dask worker ADDRESS) or check the address",
            ) from exc
        self._executor: Any = self._client.get_executor(pure=False)
        self.workers = max(1, sum(self._client.nthreads().values()))

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        fut: Future[Any] = self._executor.submit(fn, *args)
        return fut

    def share(self, key: str, obj: Any) -> Any:
        return self._client.scatter(obj, hash=False)

    def release(self, handle: Any) -> None:
        handle.release()

    def close(self) -> None:
        self._executor.shutdown(wait=False)
        self._client.close()


def check_jobs(jobs: int) -> int:
    """``jobs`` as a count >= 0, or a clear error (checked before any work)."""
    if int(jobs) != jobs or jobs < 0:
        raise StudyError(
            f"jobs = {jobs!r}", where="sweep --jobs", fix="give 0 (one per core) or a count >= 1"
        )
    return int(jobs)


def make_executor(jobs: int, scheduler: str | None) -> SweepExecutor:
    """The backend of ``--jobs`` / ``--scheduler`` (``jobs`` 0: one worker per core)."""
    check_jobs(jobs)
    if scheduler:
        return DaskExecutor(scheduler)
    n = int(jobs) if jobs else (os.cpu_count() or 1)
    return InlineExecutor() if n <= 1 else LocalExecutor(n)
