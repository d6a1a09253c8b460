"""``tdcoord opf feeder SOURCE``: one-period feeder OPF (LinDistFlow or SOCP) with DLMPs."""

from __future__ import annotations

from typing import Any

import typer

from tdcoord.cli.common import console, print_json, run_guarded


def feeder(
    source: str = typer.Argument(..., help="Grid source, e.g. pandapower:case33bw or a file"),
    model: str = typer.Option("lindistflow", "--model", help="lindistflow|socp"),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON"),
    feeder_id: str | None = typer.Option(None, "--feeder", help="Feeder id (if several)"),
    price: float = typer.Option(50.0, "--price", help="Root (interface) price, per MWh"),
    lossless: bool = typer.Option(False, "--lossless", help="LinDistFlow without losses"),
    facets: int = typer.Option(12, "--facets", help="Facets of the apparent-power polygon"),
) -> None:
    """Solve a feeder OPF and print voltages, DLMPs (energy/loss/congestion/voltage), slacks."""

    def body() -> None:
        from tdcoord.cli.flags import MAX_PRICE_PER_MWH, FlagCheck
        from tdcoord.errors import SourceError
        from tdcoord.grid.io.source import load_grid
        from tdcoord.opf.feeder.case import FeederCase, FeederOptions
        from tdcoord.opf.feeder.distflow import solve_distflow
        from tdcoord.opf.feeder.socp import solve_socp

        flags = FlagCheck()
        flags.choice("--model", model, ("lindistflow", "socp"))
        flags.count("--facets", facets, 3, "max_facets")
        flags.number("--price", price, -MAX_PRICE_PER_MWH, MAX_PRICE_PER_MWH)
        flags.done()
        grid = load_grid(source)
        if feeder_id is not None:
            if feeder_id not in grid.feeder_by_id:
                raise SourceError(
                    f"no feeder {feeder_id!r}; feeders: {sorted(grid.feeder_by_id)[:10]}",
                    where=source,
                    fix="pass one of the listed ids to --feeder",
                )
            fdr = grid.feeder_by_id[feeder_id]
        elif len(grid.feeders) == 1:
            fdr = grid.feeders[0]
        elif not grid.feeders:
            from tdcoord.grid.io.classify import why_not_feeder

            raise SourceError(
                f"{source} holds no radial feeder: {why_not_feeder(grid)}",
                where=source,
                fix="open a tie switch in every loop and keep one supply point, or run "
                "`tdcoord opf dc` on it as transmission",
            )
        else:
            raise SourceError(
                f"the grid holds {len(grid.feeders)} feeders",
                where=source,
                fix=f"choose one with --feeder (e.g. {[f.id for f in grid.feeders[:5]]})",
            )
        options = FeederOptions(polygon=facets, losses="none" if lossless else "loss_factors")
        case = FeederCase.build(fdr, price_eur_per_mwh=price)
        result = solve_socp(case, options) if model == "socp" else solve_distflow(case, options)
        payload = result.to_json()
        if json_out:
            print_json(payload)
            return
        _print_table(payload)

    run_guarded(body)


def _print_table(payload: dict[str, Any]) -> None:
    from rich.table import Table

    console.print(
        f"[bold]{payload['model']}[/] feeder {payload['feeder']}: {payload['status']}, "
        f"objective {payload['objective']:.4f}, losses {_fmt(payload['losses_mw'])} MW, "
        f"v {payload['v_min_pu']:.5f}–{payload['v_max_pu']:.5f} pu "
        f"({payload['solver']} {payload['solver_version']}, {payload['time_s'] * 1e3:.1f} ms)"
    )
    table = Table("node", "v_pu", "DLMP", "energy", "loss", "congestion", "voltage")
    for node, p in payload["prices"].items():
        table.add_row(
            node,
            f"{payload['voltages_pu'][node]:.5f}",
            *(f"{p[key]:.4f}" for key in ("total", "energy", "loss", "congestion", "voltage")),
        )
    console.print(table)
    for kind, entries in payload["binding"].items():
        if entries:
            console.print(f"binding {kind}: {entries}")
    for kind, entries in payload["slacks"].items():
        console.print(f"[bold red]slack[/] {kind}: {entries}")


def _fmt(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(f"{v:.5f}" for v in value) + "]"
    return "n/a" if value is None else f"{value:.5f}"
