"""``tdcoord opf dc SOURCE``: transmission DC-OPF with LMPs (energy / congestion / loss)."""

from __future__ import annotations

from typing import Any

import typer

from tdcoord.cli.common import console, fmt_value, print_json, run_guarded


def dc(
    source: str = typer.Argument(
        ..., help="Grid source: a .m/.json file, pandapower:case5, pglib:case118_ieee, simbench:…"
    ),
    convention: str = typer.Option(
        "powermodels",
        "--convention",
        help="powermodels (PGLib BASELINE: b = x/(r²+x²), angle limits) | "
        "matpower (b = 1/x with taps and shifts, pandapower rundcopp)",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON"),
    periods: int = typer.Option(1, "--periods", min=1, help="Repeat the static case N periods"),
    voll: float = typer.Option(10_000.0, "--voll", help="Value of lost load, per MWh"),
    method: str = typer.Option("auto", "--method", help="auto | simplex | ipm"),
    no_slack: bool = typer.Option(
        False, "--no-slack", help="No shedding/spill/overload slacks (infeasible → no prices)"
    ),
) -> None:
    """Solve a DC-OPF on the transmission grid of SOURCE; print LMPs, binding lines, slacks."""

    def body() -> None:
        from tdcoord.errors import GridError, OptimizationError
        from tdcoord.grid.io.source import load_grid
        from tdcoord.opf.transmission import solve_dcopf

        if method not in ("auto", "simplex", "ipm"):
            raise OptimizationError(
                f"unknown method {method!r}", where="--method", fix="use auto, simplex or ipm"
            )
        grid = load_grid(source)
        if grid.transmission is None:
            raise GridError(
                "the grid has no transmission network",
                where=source,
                fix="use a meshed case (e.g. pandapower:case5 or a PGLib .m file); "
                "for a feeder run `tdcoord opf feeder`",
            )
        result = solve_dcopf(
            grid.transmission,
            convention=convention,
            n_periods=periods,
            voll=voll,
            allow_slack=not no_slack,
            method=method,  # type: ignore[arg-type]
        )
        payload = result.to_json()
        if json_out:
            print_json(payload)
        else:
            _print_table(payload)
        if result.status not in ("optimal", "infeasible"):
            raise typer.Exit(code=1)

    run_guarded(body)


def _print_table(payload: dict[str, Any]) -> None:
    from rich.table import Table

    status = payload["status"]
    colour = "green" if status == "optimal" else "red"
    console.print(
        f"DC-OPF ({payload['convention']}): [bold {colour}]{status}[/], "
        f"objective {fmt_value(payload['objective'])}, {payload['periods']} period(s) "
        f"({payload['solver']} {payload['solver_version']} {payload['method']}, "
        f"{payload['time_s'] * 1e3:.1f} ms)"
    )
    table = Table("bus", "LMP", "energy", "congestion", "loss", "set by slack")
    for bus, p in payload["prices"].items():
        table.add_row(
            bus,
            *(fmt_value(p[k]) for k in ("total", "energy", "congestion", "loss")),
            fmt_value(p["price_set_by_slack"]),
        )
    console.print(table)
    if payload["binding"]:
        lines = Table("branch", "period", "flow MW", "limit MW", "shadow price")
        for b in payload["binding"]:
            lines.add_row(
                str(b["id"]),
                str(b.get("period", 0)),
                fmt_value(b["flow_mw"]),
                fmt_value(b["limit_mw"]),
                fmt_value(b["dual"]),
            )
        console.print(lines)
    for s in payload["slacks"]:
        console.print(
            f"[yellow]slack[/] {s['kind']} at {s['element']} {s['id']} period {s['period']}: "
            f"{s['value_mw']:.4f} MW at {s['penalty_per_mwh']:.0f} per MWh"
        )
