"""Message log: payload sizes are JSON byte lengths; per-pair aggregation."""

from __future__ import annotations

import json

import numpy as np

from tdcoord.coordination.messages import MessageLog, payload_bytes


def test_payload_bytes_is_json_length() -> None:
    assert payload_bytes([1.5, 2.0]) == len(json.dumps([1.5, 2.0], separators=(",", ":")))
    assert payload_bytes(np.array([1.0, 2.0])) == len("[1.0,2.0]")


def test_by_pair() -> None:
    log = MessageLog()
    log.send("tso", "dso:f", "quantities", [1.0])
    log.send("tso", "dso:f", "quantities", [2.0, 3.0])
    log.send("dso:f", "tso", "prices", {"p": 1})
    pairs = log.by_pair()
    row = pairs[(pairs.sender == "tso") & (pairs.receiver == "dso:f")].iloc[0]
    assert row.messages == 2 and row.bytes == len("[1.0]") + len("[2.0,3.0]")
    assert list(log.to_frame().columns) == ["sender", "receiver", "kind", "n_bytes", "interval"]


def test_on_intervals_places_a_window_log_on_the_day() -> None:
    log = MessageLog()
    log.send("tso", "mo", "needs", [1.0], interval=0)
    log.send("tso", "mo", "needs", [1.0, 2.0], interval=1)
    log.send("mo", "tso", "prices", {"a": 1})  # the whole window: stays -1
    day = log.on_intervals([8, 9])
    assert [m.interval for m in day] == [8, 9, -1]
    assert [m.n_bytes for m in day] == [m.n_bytes for m in log]
    assert [m.interval for m in log] == [0, 1, -1]  # the window's log is unchanged
