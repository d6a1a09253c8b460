"""``tdcoord opf joint SOURCE``: joint transmission + distribution OPF (LMPs and DLMPs)."""

from __future__ import annotations

from typing import Any

import typer

from tdcoord.cli.common import console, fmt_value, print_json, run_guarded


def joint(
    source: str = typer.Argument(
        ..., help="Coupled grid (tdcoord JSON) or a transmission source, e.g. pglib:case14_ieee"
    ),
    feeders: str | None = typer.Option(
        None,
        "--feeders",
        help="Feeder source attached below every load bus, e.g. pandapower:create_cigre_network_mv",
    ),
    per_bus: str = typer.Option(
        "auto", "--per-bus", help="Feeder copies per load bus: 'auto' or a whole number"
    ),
    periods: int = typer.Option(1, "--periods", help="Repeat the static case N periods"),
    convention: str = typer.Option("powermodels", "--convention", help="powermodels|matpower"),
    algorithm: str = typer.Option(
        "auto",
        "--algorithm",
        help="auto | monolithic | benders | screened (screened: row-and-column generation, "
        "needs --lossless)",
    ),
    lossless: bool = typer.Option(False, "--lossless", help="Feeders without losses"),
    facets: int = typer.Option(12, "--facets", help="Facets of the apparent-power polygons"),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON"),
) -> None:
    """Solve the joint T+D OPF; print LMPs, DLMPs, interface flows and congestion, slacks."""

    def body() -> None:
        from tdcoord.cli.flags import CONVENTIONS, FlagCheck
        from tdcoord.errors import GridError
        from tdcoord.grid.coupling import attach_feeders
        from tdcoord.grid.io.source import load_grid
        from tdcoord.opf.feeder.case import FeederOptions
        from tdcoord.opf.joint import joint_case, solve_joint

        flags = FlagCheck()
        flags.choice("--algorithm", algorithm, ("auto", "monolithic", "benders", "screened"))
        flags.choice("--convention", convention, CONVENTIONS)
        flags.count("--periods", periods, 1, "max_periods")
        flags.count("--facets", facets, 3, "max_facets")
        n_per = flags.per_bus("--per-bus", per_bus)
        flags.done()
        grid = load_grid(source)
        if feeders is not None:
            fgrid = load_grid(feeders)
            if not fgrid.feeders:
                raise GridError(
                    f"{feeders} holds no radial feeder", where="--feeders", fix="use a feeder"
                )
            if grid.transmission is None:
                raise GridError(
                    f"{source} has no transmission network", where=source, fix="use a meshed case"
                )
            grid = attach_feeders(grid, list(fgrid.feeders), feeders_per_bus=n_per)
        options = FeederOptions(polygon=facets, losses="none" if lossless else "loss_factors")
        case = joint_case(grid, n_periods=periods, convention=convention, options=options)
        result = solve_joint(case, algorithm=algorithm)  # type: ignore[arg-type]
        payload = result.to_json()
        if json_out:
            print_json(payload)
        else:
            _print_table(payload)
        if not result.ok:
            raise typer.Exit(code=1)

    run_guarded(body)


COMPONENTS = ("total", "energy", "congestion", "loss", "voltage")


def _print_table(payload: dict[str, Any]) -> None:
    from rich.table import Table

    status = payload["status"]
    colour = "green" if status == "optimal" else "red"
    console.print(
        f"joint T+D OPF ({payload['method']}): [bold {colour}]{status}[/], objective "
        f"{fmt_value(payload['objective'])}, {payload['periods']} period(s), "
        f"{payload['iterations']} iterations ({payload['solver']} {payload['solver_version']}, "
        f"{payload['time_s'] * 1e3:.1f} ms)"
    )
    itf = Table("feeder", "bus", "flow MW", "rating MVA", "congestion price")
    for fid, v in payload["interfaces"].items():
        itf.add_row(
            fid,
            str(v["transmission_bus"]),
            fmt_value(v["flow_mw"]),
            fmt_value(v["rating_mva"]),
            fmt_value(v["congestion_price"]),
        )
    console.print(itf)
    prices = Table("bus / node", "price", "energy", "congestion", "loss", "voltage", "by slack")
    for key, p in payload["prices"].items():
        prices.add_row(
            key,
            *(fmt_value(p.get(k, 0.0)) for k in COMPONENTS),
            fmt_value(p["price_set_by_slack"]),
        )
    console.print(prices)
    for s in payload["slacks"]:
        console.print(
            f"[yellow]slack[/] {s['kind']} at {s['where']} period {s['period']}: "
            f"{s['value']:.4g} {s['unit']} at {s['penalty_per_unit_h']:.0f}"
        )
