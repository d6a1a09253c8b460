"""Output folders written atomically: a run writes into a temporary folder beside ``--out`` and
renames it into place at the end.

* :func:`check_output_target` runs before any work: ``--out`` must be a folder (or not exist)
  whose parent is, or can be made, a writable folder (``--out /dev/null/x`` fails at once).
* :class:`OutputFolder` creates ``.<name>.tmp-<pid>-<random>`` beside the target; the run writes
  there; :meth:`OutputFolder.commit` swaps it with the target (``renameat2(RENAME_EXCHANGE)`` on
  Linux, an atomic swap; elsewhere two renames) and removes the previous results. If the run
  fails or is interrupted, the temporary folder is removed and the target keeps the previous
  complete results. So the target holds either the previous complete results or the new
  complete results, never a mix, and files of an earlier run never sit beside new ones (a run
  with ``--no-report`` leaves no old ``report.html``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from tdcoord.errors import OutputError

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def check_output_target(out: str | Path) -> Path:
    """``out`` as an absolute path, or :class:`OutputError` when it cannot hold results."""
    target = Path(out).expanduser().absolute()
    if target.exists() and not target.is_dir():
        raise OutputError(
            f"--out {out} exists and is not a folder", where="--out", fix="give a folder path"
        )
    parent = target.parent
    probe = parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(
            f"--out {out}: {probe} is not a folder", where="--out", fix="give a folder path"
        )
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(
            f"--out {out}: {probe} is not writable", where="--out", fix="choose a writable folder"
        )
    return target


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False where not available."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(rc == 0)


class OutputFolder:
    """A temporary folder beside ``target`` that becomes ``target`` on :meth:`commit`."""

    def __init__(self, target: str | Path) -> None:
        self.target = check_output_target(target)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.path = Path(
                tempfile.mkdtemp(
                    prefix=f".{self.target.name}.tmp-{os.getpid()}-", dir=self.target.parent
                )
            )
        except OSError as exc:
            raise OutputError(
                f"cannot write beside --out {target}: {exc}",
                where="--out",
                fix="choose a writable folder",
            ) from exc
        umask = os.umask(0)
        os.umask(umask)
        self.path.chmod(0o777 & ~umask)  # as mkdir would (mkdtemp makes it private)
        self.committed = False

    def commit(self) -> Path:
        """Put the new results in place of the previous ones (see module doc)."""
        if self.target.exists():
            if _exchange(self.path, self.target):
                shutil.rmtree(self.path, ignore_errors=True)
            else:
                old = self.target.with_name(f".{self.target.name}.old-{os.getpid()}")
                self.target.rename(old)
                self.path.rename(self.target)
                shutil.rmtree(old, ignore_errors=True)
        else:
            self.path.rename(self.target)
        self.committed = True
        return self.target

    def discard(self) -> None:
        """Remove the temporary folder (the target is left as it was)."""
        if not self.committed:
            shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> OutputFolder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.discard()
