"""SIGTERM and SIGINT during a long command: stop cleanly.

Inside :func:`stop_on_signals`, SIGTERM raises :class:`~tdcoord.errors.InterruptedRunError` in
the main thread (SIGINT raises :class:`KeyboardInterrupt` as always). The exception unwinds the
run: worker processes are terminated (:mod:`tdcoord.comparison.jobs`), the temporary output
folder is removed (:class:`~tdcoord.output_folder.OutputFolder`) and
:func:`~tdcoord.cli.common.run_guarded` prints "run interrupted" and exits with code 2.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from tdcoord.errors import InterruptedRunError


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise InterruptedRunError(
        "run interrupted (SIGTERM): workers stopped, temporary output removed",
        fix="rerun the command",
    )


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGTERM raises :class:`InterruptedRunError` while the block runs (main thread only)."""
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
