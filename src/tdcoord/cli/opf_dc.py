"""``tdcoord opf dc SOURCE``: transmission DC-OPF with LMPs (energy / congestion / loss)."""

from __future__ import annotations

from collections.abc import Sequence
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
    periods: int = typer.Option(1, "--periods", help="Repeat the static case N periods"),
    voll: float = typer.Option(10_000.0, "--voll", help="Value of lost load, per MWh"),
    method: str = typer.Option("auto", "--method", help="auto | simplex | ipm"),
    no_slack: bool = typer.Option(
        False, "--no-slack", help="No shedding/spill/overload slacks (infeasible → no prices)"
    ),
) -> None:
    """Solve a DC-OPF on the transmission grid of SOURCE; print LMPs, binding lines, slacks."""

    def body() -> None:
        from tdcoord.cli.flags import CONVENTIONS, MAX_VOLL_PER_MWH, FlagCheck
        from tdcoord.errors import GridError
        from tdcoord.grid.io.source import load_grid
        from tdcoord.opf.transmission import solve_dcopf

        flags = FlagCheck()
        flags.choice("--method", method, ("auto", "simplex", "ipm"))
        flags.choice("--convention", convention, CONVENTIONS)
        flags.count("--periods", periods, 1, "max_periods")
        flags.number("--voll", voll, 0.0, MAX_VOLL_PER_MWH, lo_open=True)
        flags.done()
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
            voll_eur_per_mwh=voll,
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


#: Above this many rows a table is written as plain aligned text: rich lays out every cell
#: (~0.4 ms per row), which took 4-5 s of a 10,000-bus run (benchmarks/README.md, front door).
RICH_MAX_ROWS = 200


def _table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    """Print ``rows`` under ``headers``: a rich table when short, plain aligned text when long."""
    if len(rows) <= RICH_MAX_ROWS:
        from rich.table import Table

        table = Table(*headers)
        for r in rows:
            table.add_row(*r)
        console.print(table)
        return
    widths = [max(len(h), *(len(r[k]) for r in rows)) for k, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(
            c.ljust(w) if k == 0 else c.rjust(w)
            for k, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
    console.file.write("\n".join(lines) + "\n")


def _print_table(payload: dict[str, Any]) -> None:
    status = payload["status"]
    colour = "green" if status == "optimal" else "red"
    console.print(
        f"DC-OPF ({payload['convention']}): [bold {colour}]{status}[/], "
        f"objective {fmt_value(payload['objective'])}, {payload['periods']} period(s) "
        f"({payload['solver']} {payload['solver_version']} {payload['method']}, "
        f"{payload['time_s'] * 1e3:.1f} ms)"
    )
    prices = [
        (
            bus,
            *(fmt_value(p[k]) for k in ("total", "energy", "congestion", "loss")),
            fmt_value(p["price_set_by_slack"]),
        )
        for bus, p in payload["prices"].items()
    ]
    _table(("bus", "LMP", "energy", "congestion", "loss", "set by slack"), prices)
    if payload["binding"]:
        binding = [
            (
                str(b["id"]),
                str(b.get("period", 0)),
                fmt_value(b["flow_mw"]),
                fmt_value(b["limit_mw"]),
                fmt_value(b["dual"]),
            )
            for b in payload["binding"]
        ]
        _table(("branch", "period", "flow MW", "limit MW", "shadow price"), binding)
    for s in payload["slacks"]:
        console.print(
            f"[yellow]slack[/] {s['kind']} at {s['element']} {s['id']} period {s['period']}: "
            f"{s['value_mw']:.4f} MW at {s['penalty_per_mwh']:.0f} per MWh"
        )
