"""Message records of emergency procedures, in the fields of the ``MessageLog`` contract.

Each record is a plain dict ``{sender, receiver, kind, n_bytes, interval}`` with actors
``"tso"``, ``"dso:<feeder id>"``, ``"aggregator:<id>"`` (or ``"der:<id>"`` for a DER the DSO
controls directly); the timeline appends them to the run's ``MessageLog``. Size convention: a
64-byte header plus 16 bytes per value (an identifier and a float64), per interval.

:func:`check_no_bypass` enforces seed 000 §3.2: "Transmission system operators should not bypass
the DSOs regarding information gathering or activation of services in case of emergency issues".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tdcoord.simulation.errors import SimulationError

HEADER_BYTES = 64
VALUE_BYTES = 16

Record = dict[str, Any]


def record(sender: str, receiver: str, kind: str, n_values: int, interval: int) -> Record:
    """One message of ``n_values`` values about ``interval``."""
    return {
        "sender": sender,
        "receiver": receiver,
        "kind": kind,
        "n_bytes": HEADER_BYTES + VALUE_BYTES * max(int(n_values), 0),
        "interval": int(interval),
    }


def dso_actor(feeder_id: str) -> str:
    return f"dso:{feeder_id}"


def check_no_bypass(records: Iterable[Record]) -> None:
    """Raise if the TSO sends anything to a party below a DSO (aggregator or DER)."""
    for r in records:
        if r["sender"] == "tso" and not (
            str(r["receiver"]).startswith("dso:") or r["receiver"] in ("mo", "platform")
        ):
            raise SimulationError(
                f"TSO sends {r['kind']!r} directly to {r['receiver']!r}",
                where=f"interval {r['interval']}",
                fix="route the request through the DSO of the area (seed 000 §3.2)",
            )
