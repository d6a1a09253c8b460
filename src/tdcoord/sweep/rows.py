"""Finished rows of a sweep, kept as they come so that an interrupted sweep can resume.

The sweep folder holds ``sweep.json`` (the manifest: study name and hash, days) and
``rows.jsonl`` (one JSON object per finished (model, sample, day), appended and flushed as each
task finishes). ``--resume`` reads them back — a line cut by the interruption is dropped — and
runs only the rows that are missing. JSON keeps every float exactly (shortest repr round trip),
so resumed and uninterrupted sweeps write the same tables.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from tdcoord.errors import StudyError
from tdcoord.sweep.runner import RowKey

MANIFEST = "sweep.json"
ROWS = "rows.jsonl"


def row_key(row: dict[str, Any]) -> RowKey:
    """(model id, sample, ISO date) of a row."""
    return (str(row["model_id"]), int(row["sample"]), str(row["day"]))


def read_rows(folder: Path) -> list[dict[str, Any]]:
    """The complete rows in ``folder`` (a cut last line is dropped)."""
    path = folder / ROWS
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


class RowStore:
    """Append-only row file of one sweep folder (see module doc)."""

    def __init__(self, folder: Path, manifest: dict[str, Any], *, resume: bool) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        man = folder / MANIFEST
        if man.exists() or (folder / ROWS).exists():
            if not resume:
                raise StudyError(
                    f"{folder} holds a sweep already",
                    where="sweep --out",
                    fix="pass --resume to continue it, or choose another --out folder",
                )
            old = json.loads(man.read_text()) if man.exists() else {}
            if old != manifest:
                raise StudyError(
                    f"{folder} holds a sweep of another study or other days",
                    where="sweep --resume",
                    fix="resume with the same study file and --days, or choose another --out",
                )
        self.rows = read_rows(folder) if resume else []
        # A cut line is dropped from the file too, so appended rows start on a line of their own.
        self._rewrite()
        tmp = man.with_name(MANIFEST + ".tmp")
        tmp.write_text(json.dumps(manifest, indent=2))
        tmp.replace(man)
        self._fh: IO[str] = (folder / ROWS).open("a")

    def _rewrite(self) -> None:
        text = "".join(json.dumps(r) + "\n" for r in self.rows)
        tmp = self.folder / (ROWS + ".tmp")
        tmp.write_text(text)
        tmp.replace(self.folder / ROWS)

    def done(self) -> set[RowKey]:
        """Keys of the rows already finished."""
        return {row_key(r) for r in self.rows}

    def add(self, row: dict[str, Any]) -> None:
        """Keep one finished row (on disk at once)."""
        self.rows.append(row)
        self._fh.write(json.dumps(row) + "\n")
        self._fh.flush()

    def close(self) -> None:
        """Close the row file."""
        self._fh.close()
