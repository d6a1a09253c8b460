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
