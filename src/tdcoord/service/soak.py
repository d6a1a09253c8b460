"""A soak of concurrent clients posting orders until gate closure (load generator for a pilot
and for ``benchmarks/bench_soak.py``).

Each client posts orders (each with its own ``Idempotency-Key``) to one session as fast as it
gets answers, until the server refuses one with ``MarketClosed``. Afterwards the frozen book is
compared with what the clients were told: every accepted order must be in it exactly once (0
lost, 0 duplicated), nothing else may be in it, every refusal must be ``MarketClosed``, and no
answer may be a server error.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from typing import Any

import httpx
import numpy as np


@dataclasses.dataclass
class SoakReport:
    """What a soak saw."""

    clients: int
    accepted: int = 0
    refused_closed: int = 0
    other_refusals: int = 0
    server_errors: int = 0
    transport_errors: int = 0
    lost: int = 0
    duplicated: int = 0
    unexpected_in_book: int = 0
    duration_s: float = 0.0
    latencies_ms: list[float] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No lost, duplicated or unexpected order, no server or transport error, no refusal
        but ``MarketClosed``."""
        return not (self.lost or self.duplicated or self.unexpected_in_book or self.server_errors
                    or self.transport_errors or self.other_refusals)

    def summary(self) -> dict[str, Any]:
        """Counts, throughput (accepted orders per second) and latency percentiles (ms)."""
        lat = np.asarray(self.latencies_ms) if self.latencies_ms else np.zeros(1)
        return {
            "clients": self.clients, "accepted": self.accepted,
            "refused_market_closed": self.refused_closed, "other_refusals": self.other_refusals,
            "server_errors": self.server_errors, "transport_errors": self.transport_errors,
            "lost": self.lost, "duplicated": self.duplicated,
            "unexpected_in_book": self.unexpected_in_book,
            "duration_s": round(self.duration_s, 3),
            "throughput_orders_per_s": round(self.accepted / max(self.duration_s, 1e-9), 1),
            "latency_ms_p50": round(float(np.percentile(lat, 50)), 2),
            "latency_ms_p95": round(float(np.percentile(lat, 95)), 2),
            "latency_ms_p99": round(float(np.percentile(lat, 99)), 2),
        }


def _client(c: httpx.Client, token: str, url: str, body: dict[str, Any], deadline: float,
            out: dict[str, Any], lock: threading.Lock) -> None:
    ids: list[int] = []
    lat: list[float] = []
    counts = {"closed": 0, "other": 0, "5xx": 0, "transport": 0}
    headers = {"Authorization": f"Bearer {token}"}
    while time.monotonic() < deadline:
        t0 = time.perf_counter()
        try:
            r = c.post(url, json=body, headers=headers | {"Idempotency-Key": uuid.uuid4().hex})
        except httpx.HTTPError:
            counts["transport"] += 1
            continue
        lat.append((time.perf_counter() - t0) * 1e3)
        if r.status_code == 201:
            ids.append(int(r.json()["id"]))
        elif r.status_code >= 500:
            counts["5xx"] += 1
        elif r.json().get("code") == "MarketClosed":
            counts["closed"] += 1
            break
        else:
            counts["other"] += 1
    with lock:
        out["ids"] += ids
        out["lat"] += lat
        for k, v in counts.items():
            out[k] += v


def run_soak(base: str, fsp_token: str, mo_token: str, session_id: int, order: dict[str, Any],
             *, clients: int = 64, max_s: float = 60.0) -> SoakReport:
    """Run ``clients`` concurrent clients against ``session_id`` (its gate must close within
    ``max_s``) and check the frozen book."""
    url = f"/api/v1/sessions/{session_id}/orders"
    out: dict[str, Any] = {"ids": [], "lat": [], "closed": 0, "other": 0, "5xx": 0,
                           "transport": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + max_s
    # one connection per client (a shared thread-safe client: building 64 clients would spend
    # the soak's window on TLS contexts)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    with httpx.Client(base_url=base, timeout=60.0, limits=limits) as c:
        threads = [threading.Thread(target=_client, args=(c, fsp_token, url, order, deadline,
                                                           out, lock)) for _ in range(clients)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    rep = SoakReport(clients=clients, duration_s=time.perf_counter() - t0)
    rep.accepted = len(out["ids"])
    rep.refused_closed, rep.other_refusals = out["closed"], out["other"]
    rep.server_errors, rep.transport_errors = out["5xx"], out["transport"]
    rep.latencies_ms = out["lat"]
    headers = {"Authorization": f"Bearer {mo_token}"}
    book = httpx.get(f"{base}{url}", headers=headers, timeout=60).json()
    in_book = [int(o["id"]) for o in book if o["status"] == "accepted"]
    told = set(out["ids"])
    rep.duplicated = (len(out["ids"]) - len(told)) + (len(in_book) - len(set(in_book)))
    rep.lost = len(told - set(in_book))
    rep.unexpected_in_book = len(set(in_book) - told)
    state = httpx.get(f"{base}/api/v1/sessions/{session_id}", headers=headers, timeout=60).json()
    if state["n_frozen_orders"] != len(in_book):
        rep.lost += abs(int(state["n_frozen_orders"] or 0) - len(in_book))
    return rep
