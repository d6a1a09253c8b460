"""``tdcoord serve``: the live platform (needs the ``service`` extra)."""

from __future__ import annotations

import ipaddress

import typer

from tdcoord.cli.common import console

DEFAULT_DB = "sqlite:///tdcoord-platform.db"


def is_loopback(host: str) -> bool:
    """True for a loopback address (or ``localhost``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    study: str | None = typer.Option(None, "--study", help="Study file (default: bundled)"),
    db: str = typer.Option(DEFAULT_DB, "--db", help="sqlite:///FILE or postgresql+psycopg://…"),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on"),
    port: int = typer.Option(8000, "--port", help="TCP port"),
    demo: bool = typer.Option(False, "--demo", help="Fill a fresh store with demo parties, "
                              "DERs and one open day-ahead session"),
) -> None:
    """Serve the platform on the study's grid: migrate the store, start the worker, listen."""
    from tdcoord.cli.common import run_guarded

    run_guarded(lambda: _serve(study, db, host, port, demo))


def _serve(study: str | None, db: str, host: str, port: int, demo: bool) -> None:
    import uvicorn

    from tdcoord.service.app import create_app
    from tdcoord.service.db import Store
    from tdcoord.service.migrate import upgrade
    from tdcoord.service.platform import Platform

    upgrade(db)
    loopback = is_loopback(host)
    plat = Platform(Store(db), study_path=study, loopback=loopback)
    if demo:
        from tdcoord.service.demo import seed_demo

        console.print("building the study's day for the demo …")
        info = seed_demo(plat)
        console.print(f"demo store: {info}")
    if loopback:
        console.print("listening on a loopback address: demo users (password 'demo') "
                      "are accepted")
    else:
        console.print("listening on a non-loopback address: demo users are refused")
    console.print(f"tdcoord platform on http://{host}:{port}/  (API docs: /docs)")
    uvicorn.run(create_app(plat), host=host, port=port, log_level="warning")
