from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from tdcoord.errors import StudyError
from tdcoord.sweep.executors import DaskExecutor, InlineExecutor, make_executor, resolve_shared


def test_inline_futures_hold_results_and_errors() -> None:
    ex = InlineExecutor()
    assert ex.submit(pow, 2, 3).result() == 8
    with pytest.raises(ZeroDivisionError):
        ex.submit(divmod, 1, 0).result()
    assert ex.share("k", [1]) == [1]


def test_a_shared_file_is_read_once_per_worker(tmp_path: Path) -> None:
    path = tmp_path / "x.pkl"
    path.write_bytes(pickle.dumps({"a": 1}))
    first = resolve_shared(str(path))
    path.unlink()
    assert resolve_shared(str(path)) is first


@pytest.mark.parametrize("jobs", [-1, 1.5])
def test_bad_jobs_are_rejected(jobs: float) -> None:
    with pytest.raises(StudyError, match="--jobs"):
        make_executor(jobs, None)  # type: ignore[arg-type]


def test_one_job_runs_inline() -> None:
    assert isinstance(make_executor(1, None), InlineExecutor)


def test_no_scheduler_is_a_clear_error() -> None:
    pytest.importorskip("distributed")
    with pytest.raises(StudyError, match="no Dask scheduler"):
        DaskExecutor("tcp://127.0.0.1:9", connect_timeout_s=1.0)
