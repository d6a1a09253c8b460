"""The message log: every exchange between actors of a run (design doc, "Actors").

Actors are strings: ``"tso"``, ``"dso:<feeder id>"``, ``"mo"``, ``"aggregator:<id>"``,
``"platform"``. A message records sender, receiver, kind (``offers``, ``activation``,
``needs``, ``aggregated_offer``, ``envelope``, ``prices``, ``quantities``, ``schedule``,
``veto`` …), the payload size in bytes — the length of the compact JSON of what is exchanged —
and the interval (−1 when the payload covers every interval). The log is append-only.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd


@dataclasses.dataclass(frozen=True)
class Message:
    """One exchange."""

    sender: str
    receiver: str
    kind: str
    n_bytes: int
    interval: int = -1


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return np.round(value.astype(np.float64), 6).tolist() if value.dtype.kind == "f" else (
            value.tolist()
        )
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


def payload_bytes(payload: Any) -> int:
    """Size of the compact JSON of ``payload`` (numpy arrays as lists, floats to 6 decimals)."""
    return len(json.dumps(_plain(payload), separators=(",", ":")).encode())


class MessageLog:
    """Append-only list of :class:`Message`."""

    def __init__(self) -> None:
        self._messages: list[Message] = []

    def send(
        self, sender: str, receiver: str, kind: str, payload: Any, interval: int = -1
    ) -> Message:
        """Log one exchange of ``payload``; return the message."""
        m = Message(sender, receiver, kind, payload_bytes(payload), int(interval))
        self._messages.append(m)
        return m

    def extend(self, other: MessageLog) -> None:
        """Append every message of ``other``."""
        self._messages.extend(other)

    def __iter__(self) -> Iterator[Message]:
        return iter(tuple(self._messages))

    def __len__(self) -> int:
        return len(self._messages)

    @property
    def n_bytes(self) -> int:
        """Total payload bytes."""
        return sum(m.n_bytes for m in self._messages)

    def to_frame(self) -> pd.DataFrame:
        """Columns sender, receiver, kind, n_bytes, interval."""
        cols = ["sender", "receiver", "kind", "n_bytes", "interval"]
        return pd.DataFrame([dataclasses.astuple(m) for m in self._messages], columns=cols)

    def by_pair(self) -> pd.DataFrame:
        """Messages and bytes per ordered (sender, receiver), sorted."""
        frame = self.to_frame()
        if frame.empty:
            return pd.DataFrame(columns=["sender", "receiver", "messages", "bytes"])
        out = (
            frame.groupby(["sender", "receiver"], sort=True)
            .agg(messages=("kind", "size"), bytes=("n_bytes", "sum"))
            .reset_index()
        )
        return out
