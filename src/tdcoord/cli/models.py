"""``tdcoord models [--json] [--catalogue FILE]``: the named coordination models, their schemes."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

from tdcoord.cli.common import console, print_json, run_guarded

if TYPE_CHECKING:
    pass


def _params_text(params: dict[str, object]) -> str:
    return ", ".join(f"{k}={json.dumps(v)}" for k, v in params.items()) or "-"


def models(
    json_out: bool = typer.Option(False, "--json", help="Print JSON: a list of model objects"),
    catalogue_file: str | None = typer.Option(
        None, "--catalogue", help="Also list the models of this YAML file (docs/models.md)"
    ),
) -> None:
    """List every named TSO–DSO coordination model: id, name, region, scheme and parameters."""

    def body() -> None:
        from rich.table import Table

        from tdcoord.coordination.catalogue import list_models, load_catalogue

        entries = list_models(load_catalogue(catalogue_file))
        if json_out:
            print_json([e.to_dict() for e in entries])
            return
        table = Table(title=f"coordination models ({len(entries)})")
        for col in ("id", "name", "region", "scheme", "params", "equivalent to"):
            table.add_column(col, overflow="fold")
        for e in entries:
            same = ", ".join(e.equivalent_to) or "-"
            table.add_row(e.id, e.name, e.region, e.scheme, _params_text(e.params.as_dict()), same)
        console.print(table)
        reasons = {(tuple(sorted((e.id, *e.equivalent_to))), e.equivalence_reason) for e in entries}
        for ids, reason in sorted((k, r) for k, r in reasons if r):
            console.print(f"equivalent: {' = '.join(ids)} — {reason}", highlight=False)

    run_guarded(body)
