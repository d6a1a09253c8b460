"""Soak of the live platform: concurrent clients post orders to one session until its gate
closes; prints throughput and latency percentiles and the loss / duplicate / error counts.

    python benchmarks/bench_soak.py [--clients 64] [--window-s 10] [--db sqlite|postgresql+psycopg://…]

It starts ``tdcoord serve`` on a free loopback port with the small comparison study, registers
an FSP with a prequalified, grid-approved portfolio, opens a session whose gate closes
``--window-s`` seconds later and runs :func:`tdcoord.service.soak.run_soak`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from tests.service.conftest import make_env
    from tests.service.helpers import market, order, qualified_portfolio, session
    from tests.service.live import serving

    from tdcoord.service.soak import run_soak

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--window-s", type=float, default=10.0)
    ap.add_argument("--db", default="sqlite", help="sqlite (a temporary file) or a PostgreSQL URL")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tdcoord-soak-"))
    url = f"sqlite:///{tmp / 'soak.db'}" if args.db == "sqlite" else args.db
    env = make_env(url)
    pid = qualified_portfolio(env)["portfolio"]["id"]
    mid = market(env)
    with serving(url, tmp / "server.log") as srv:
        env.clock.now = datetime.now(UTC)
        ms = session(env, mid, open_in_h=-1.0, close_in_h=args.window_s / 3600.0)
        rep = run_soak(srv.url, env.tokens["fsp1"], env.tokens["mo"], ms["id"], order(pid),
                       clients=args.clients, max_s=args.window_s + 60.0)
    out = rep.summary() | {"store": url.split(":", 1)[0], "window_s": args.window_s,
                           "ok": rep.ok}
    print(json.dumps(out, indent=2))
    if not rep.ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
