"""``tdcoord fleet build|prequalify [STUDY]``: the study's DER fleet, its offers and the DSO's
grid prequalification (JSON keys in docs/der.md, "Fleet CLI")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from tdcoord.cli.common import console, print_json, run_guarded

if TYPE_CHECKING:
    from rich.table import Table

app = typer.Typer(
    help="Build a study's DER fleet and offers; grid prequalification traffic lights.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

_STUDY = typer.Argument(None, help="Study file (default: the bundled default study)")
_JSON = typer.Option(False, "--json", help="Print JSON (documented keys)")


def _load(study: str | None) -> tuple[Any, Any, Any]:
    from tdcoord.der.fleet_spec import build_fleet
    from tdcoord.study import load_study

    spec = load_study(study)
    grid = spec.grid.build()
    return spec, grid, build_fleet(grid, spec.fleet)


def offers_summary(offer_set: Any) -> dict[str, Any]:
    """Rows, rejected entries by check, and MW per direction (peak and mean over intervals of
    the summed quantity) of an :class:`~tdcoord.market.offer_building.OfferSet`."""
    import numpy as np

    from tdcoord.market.offer_building import direction_label

    book = offer_set.book
    labels = np.asarray(
        [
            direction_label(int(d), bool(r))
            for d, r in zip(book.direction, book.reactive, strict=True)
        ],
        dtype=object,
    )
    by_dir: dict[str, dict[str, float | int]] = {}
    for lbl in ("up", "down", "q_up", "q_down"):
        rows = labels == lbl
        if not rows.any():
            continue
        total = book.quantity_mw[rows].sum(axis=0)
        by_dir[lbl] = {
            "rows": int(rows.sum()),
            "peak_mw": float(total.max()),
            "mean_mw": float(total.mean()),
        }
    rej = offer_set.rejected
    return {
        "n_rows": int(book.n_offers),
        "n_bundles": len(set(book.der_id)),
        "by_product": {
            p: int(c) for p, c in zip(*np.unique(book.product_id, return_counts=True), strict=True)
        }
        if book.n_offers
        else {},
        "by_direction": by_dir,
        "rejected_by_check": {str(k): int(v) for k, v in rej.groupby("check").size().items()},
    }


def _offers(spec: Any, fleet: Any) -> Any:
    from tdcoord.market.offer_building import build_offers

    m = spec.market
    return build_offers(
        fleet,
        n_intervals=spec.fleet.n_intervals,
        dt_h=spec.fleet.dt_h,
        preset=m.preset,
        products=m.products,
        strategy=m.strategy,
        strategy_params=dict(m.strategy_params),
        aggregate=m.aggregate,
        seed=spec.fleet.seed,
    )


def _group_table(title: str, groups: dict[str, dict[str, float | int]]) -> Table:
    from rich.table import Table

    table = Table(title=title)
    for col in ("group", "count", "p_max_mw"):
        table.add_column(col)
    for key, val in groups.items():
        table.add_row(key, str(val["count"]), f"{val['p_max_mw']:.4g}")
    return table


@app.command()
def build(study: str | None = _STUDY, json_out: bool = _JSON) -> None:
    """Fleet summary by type, feeder and aggregator, and the offers built from it."""

    def body() -> None:
        from rich.table import Table

        spec, grid, fleet = _load(study)
        data = {
            "study": spec.name,
            "fleet": fleet.summary(tuple(f.id for f in grid.feeders)),
            "market": spec.market.model_dump(),
            "offers": offers_summary(_offers(spec, fleet)),
        }
        if json_out:
            print_json(data)
            return
        fl = data["fleet"]
        console.print(f"[bold]{spec.name}[/]: {fl['n_der']} DERs, {fl['p_max_mw']:.4g} MW rated")
        for key in ("by_type", "by_feeder", "by_aggregator"):
            console.print(_group_table(key.replace("_", " "), fl[key]))
        off = data["offers"]
        table = Table(title=f"offers: {off['n_rows']} rows, {off['n_bundles']} bundles")
        for col in ("direction", "rows", "peak_mw", "mean_mw"):
            table.add_column(col)
        for lbl, v in off["by_direction"].items():
            table.add_row(lbl, str(v["rows"]), f"{v['peak_mw']:.4g}", f"{v['mean_mw']:.4g}")
        console.print(table)
        for check, n in off["rejected_by_check"].items():
            console.print(f"rejected ({check}): {n}")

    run_guarded(body)


def prequalification_summary(
    pq: Any, products: list[Any], limit: int, feeder_ids: tuple[str, ...]
) -> dict[str, Any]:
    """Counts by light per product and the red/amber DERs (at most ``limit`` per product, reds
    first) with their reasons."""
    import numpy as np

    fleet = pq.fleet
    out: dict[str, Any] = {}
    for prod in products:
        codes = pq.light_codes(prod)
        flagged = np.flatnonzero(codes > 0)
        flagged = flagged[np.argsort(-codes[flagged], kind="stable")]
        rows = []
        for j in flagged[:limit].tolist():
            f = int(fleet.feeder[j])
            rows.append(
                {
                    "der_id": str(fleet.der_id[j]),
                    "der_type": str(fleet.der_type[j]),
                    "feeder": feeder_ids[f] if f >= 0 else "transmission",
                    "node": int(fleet.node[j]),
                    "light": "red" if codes[j] == 2 else "amber",
                    "reasons": list(pq.reasons(j, prod)),
                }
            )
        out[prod.id] = {"counts": pq.counts(prod), "n_flagged": int(flagged.size), "flagged": rows}
    return out


@app.command()
def prequalify(
    study: str | None = _STUDY,
    json_out: bool = _JSON,
    limit: int = typer.Option(20, "--limit", min=0, help="Red/amber DERs listed per product"),
) -> None:
    """Grid prequalification (DSO traffic lights) of every DER for the study's products."""

    def body() -> None:
        from rich.table import Table

        from tdcoord.der.grid_prequalification import grid_prequalify
        from tdcoord.market.products import get_product

        spec, grid, fleet = _load(study)
        products = [get_product(p) for p in spec.market.products]
        pq = grid_prequalify(
            grid,
            fleet,
            products,
            n_intervals=spec.fleet.n_intervals,
            dt_h=spec.fleet.dt_h,
            season=spec.fleet.season,
        )
        data = {
            "study": spec.name,
            "n_der": fleet.n_der,
            "products": prequalification_summary(
                pq, products, limit, tuple(f.id for f in grid.feeders)
            ),
        }
        if json_out:
            print_json(data)
            return
        for pid, res in data["products"].items():
            c = res["counts"]
            console.print(
                f"[bold]{pid}[/]: [green]{c['green']} green[/], [yellow]{c['amber']} amber[/], "
                f"[red]{c['red']} red[/]"
            )
            if res["flagged"]:
                table = Table()
                for col in ("der_id", "type", "feeder", "node", "light", "reasons"):
                    table.add_column(col)
                for r in res["flagged"]:
                    table.add_row(
                        r["der_id"],
                        r["der_type"],
                        r["feeder"],
                        str(r["node"]),
                        r["light"],
                        "; ".join(r["reasons"]),
                    )
                console.print(table)

    run_guarded(body)
