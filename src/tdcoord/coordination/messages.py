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
from collections.abc import Iterator, Sequence
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


def _float_lengths(a: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """``len(repr(x))`` of floats already rounded to 6 decimals, by arithmetic: positional
    ``[-]int.frac`` (fraction without trailing zeros, at least one digit) for
    ``1e-4 ≤ |x| < 1e9`` and 0; other magnitudes (exponent notation or many digits) by
    ``str`` — numpy's shortest round-trip repr, the same as Python's."""
    out = np.zeros(a.shape, dtype=np.int64)
    mag = np.abs(a)
    pos = (mag == 0) | ((mag >= 1e-4) & (mag < 1e9))
    n = np.rint(mag[pos] * 1e6).astype(np.int64)
    ip, fp = n // 1_000_000, n % 1_000_000
    int_digits = np.maximum(np.floor(np.log10(np.maximum(ip, 1))).astype(np.int64) + 1, 1)
    trail = np.zeros(fp.shape, dtype=np.int64)
    rest = fp.copy()
    for _ in range(6):  # strip up to six trailing zeros of the fraction
        z = (rest % 10 == 0) & (rest > 0)
        trail += z
        rest = np.where(z, rest // 10, rest)
    frac_digits = np.where(fp == 0, 1, 6 - trail)
    out[pos] = np.signbit(a[pos]) + int_digits + 1 + frac_digits
    other = ~pos
    if other.any():
        out[other] = np.char.str_len(a[other].astype(str))
    return out


def _array_bytes(arr: np.ndarray[Any, Any]) -> int | None:
    """Length of the compact JSON of a finite float array without building the JSON."""
    if arr.dtype.kind != "f" or arr.ndim == 0 or not np.isfinite(arr).all():
        return None
    a = np.round(arr.astype(np.float64), 6)
    if a.size == 0:
        return _nest_overhead(a.shape)
    return int(_float_lengths(a.ravel()).sum()) + _nest_overhead(a.shape)


def _nest_overhead(shape: tuple[int, ...]) -> int:
    """Brackets and commas of nested lists of ``shape``."""
    total, outer = 0, 1
    for n in shape:
        total += outer * (2 + max(n - 1, 0))
        outer *= n
    return total


def _size(value: Any) -> int:
    if isinstance(value, np.ndarray):
        fast = _array_bytes(value)
        if fast is not None:
            return fast
    elif isinstance(value, dict):
        parts = [len(json.dumps(str(k))) + 1 + _size(v) for k, v in value.items()]
        return 2 + sum(parts) + max(len(parts) - 1, 0)
    elif isinstance(value, (list, tuple)):
        parts = [_size(v) for v in value]
        return 2 + sum(parts) + max(len(parts) - 1, 0)
    return len(json.dumps(_plain(value), separators=(",", ":")).encode())


def payload_bytes(payload: Any) -> int:
    """Size of the compact JSON of ``payload`` (numpy arrays as lists, floats to 6 decimals);
    float arrays are measured without building their JSON (same number)."""
    return _size(payload)


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

    def on_intervals(self, intervals: Sequence[int]) -> MessageLog:
        """A copy whose messages about interval ``i`` (``>= 0``) are about ``intervals[i]``
        instead: a window's log placed on the day (messages about the whole horizon, ``-1``,
        stay)."""
        out = MessageLog()
        out._messages = [
            dataclasses.replace(m, interval=int(intervals[m.interval])) if m.interval >= 0 else m
            for m in self._messages
        ]
        return out

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
