"""``tdcoord models``: table, JSON keys, user catalogue files, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tdcoord.cli.models import models
from tdcoord.coordination.catalogue import list_models

app = typer.Typer()
app.command()(models)
app.command("noop")(lambda: None)  # two commands: typer keeps "models" as a sub-command

runner = CliRunner()

KEYS = {
    "id",
    "name",
    "region",
    "scheme",
    "params",
    "source",
    "description",
    "reading",
    "attributes",
    "equivalent_to",
    "equivalence_reason",
}


def test_json_lists_every_model_with_documented_keys() -> None:
    result = runner.invoke(app, ["models", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [d["id"] for d in data] == [m.id for m in list_models()]
    assert all(set(d) == KEYS for d in data)
    sip = next(d for d in data if d["id"] == "au.sip")
    assert sip["scheme"] == "centralized"
    assert sip["params"] == {"operator": "single_platform", "dso_static_limits": True}
    assert sip["source"]["seed"].startswith("001_")


def test_table(monkeypatch: pytest.MonkeyPatch) -> None:
    from tdcoord.cli import common

    # The console is created at import: widen it so that no column is truncated.
    monkeypatch.setattr(common.console.real(), "width", 250)
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0, result.output
    for text in ("ieso.total_dso", "tso_first_dso_validation", "interface_offer"):
        assert text in result.stdout


def test_user_catalogue_file(tmp_path: Path) -> None:
    extra = tmp_path / "mine.yaml"
    extra.write_text(
        """
- id: my.doe_max
  name: My DOE variant
  region: Nowhere
  source: {seed: own, section: "n/a"}
  description: Envelopes maximising the total.
  scheme: envelope
  params: {envelope_rule: max_total}
  reading: Own model.
  attributes:
    neutrality: {level: high, basis: inferred, why: x}
    transparency: {level: high, basis: inferred, why: x}
    implementation_complexity: {level: medium, basis: inferred, why: x}
""",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["models", "--json", "--catalogue", str(extra)])
    assert result.exit_code == 0, result.output
    ids = [d["id"] for d in json.loads(result.stdout)]
    assert ids[-1] == "my.doe_max" and len(ids) == len(list_models()) + 1


def test_bad_catalogue_is_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- id: x.y\n  name: n\n", encoding="utf-8")
    result = runner.invoke(app, ["models", "--catalogue", str(bad)])
    assert result.exit_code == 2
    assert "error:" in result.output and "Traceback" not in result.output
