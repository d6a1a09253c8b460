"""The catalogue: every model named in the seeds, mapped as the design doc says; strict validation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tdcoord.coordination.catalogue import (
    PARAM_SCHEMES,
    SCHEMES,
    CatalogueError,
    get_model,
    list_models,
    load_catalogue,
    models_for_scheme,
)

# The design doc's table (shared/design/coordination-models.md, "Catalogue"): id → scheme.
DESIGN = {
    "au.sip": "centralized",
    "au.tstp": "local",
    "au.idso": "local",
    "au.hybrid": "envelope",
    "eu.local": "local",
    "eu.central": "common",
    "eu.common": "common",
    "eu.integrated": "integrated",
    "eu.multi_level": "multi_level",
    "eu.fragmented": "fragmented",
    "eu.distributed": "distributed",
    "smartnet.cs_a": "centralized",
    "smartnet.cs_b": "local",
    "smartnet.cs_c": "shared_balancing",
    "smartnet.cs_d": "common",
    "smartnet.cs_e": "integrated",
    "gb.world_a": "local",
    "gb.world_b": "common",
    "gb.world_c": "local",
    "gb.world_d": "tso_first_dso_validation",
    "gb.world_e": "integrated",
    "ferc2222.tso": "centralized",
    "ferc2222.dso": "local",
    "ferc2222.hybrid": "shared_balancing",
    "ferc2222.common": "common",
    "ca.total_tso": "centralized",
    "ca.total_dso": "local",
    "ca.idso": "local",
    "ca.hybrid_a": "tso_first_dso_validation",
    "ca.hybrid_b": "fragmented",
    "ca.hybrid_c": "fragmented",
    "ieso.total_tso": "centralized",
    "ieso.total_dso": "local",
    "seed000.initial": "centralized",
    "seed000.subsequent": "local",
}

# Parameters the design doc states explicitly for a model.
DESIGN_PARAMS = {
    "au.sip": {"operator": "single_platform", "dso_static_limits": True},
    "au.tstp": {"interface_offer": "aggregated", "priority": "dso"},
    "au.idso": {"operator": "independent"},
    "au.hybrid": {"operator": "single_platform"},
    "eu.central": {"variant": "centralized"},
    "eu.common": {"variant": "decentralized"},
    "gb.world_a": {"priority": "dso"},
    "gb.world_c": {"residual_to_tso": False},
    "gb.world_e": {"operator": "independent"},
    "ferc2222.tso": {"local_congestion_management": False},
    "ferc2222.dso": {"residual_to_tso": True},
    "ca.total_tso": {"dso_static_limits": True},
    "ca.total_dso": {"interface_offer": "aggregated"},
    "ca.idso": {"operator": "independent"},
    "ca.hybrid_b": {"schedule_exchange": True},
    "ca.hybrid_c": {"schedule_exchange": True, "operator": "independent"},
    "ieso.total_dso": {"interface_offer": "aggregated"},
    "seed000.initial": {"local_congestion_management": False},
}

SEEDS = {"000_359f80fe2203bbba.txt", "001_584bb78bb87c721f.txt"}


def test_every_named_model_has_its_scheme() -> None:
    ids = [m.id for m in list_models()]
    assert sorted(ids) == sorted(DESIGN) and len(ids) == len(set(ids))
    for model_id, scheme in DESIGN.items():
        assert get_model(model_id).scheme == scheme, model_id


def test_design_params_are_kept() -> None:
    for model_id, expected in DESIGN_PARAMS.items():
        params = get_model(model_id).params.as_dict()
        assert expected.items() <= params.items(), model_id


def test_entries_are_complete() -> None:
    for m in list_models():
        assert m.source.seed in SEEDS and m.source.section.startswith("§")
        assert set(m.params.as_dict()) <= set(PARAM_SCHEMES)
        d = m.to_dict()
        assert set(d["attributes"]) == {"neutrality", "transparency", "implementation_complexity"}
        assert all(a["level"] in ("low", "medium", "high") for a in d["attributes"].values())


def test_every_scheme_has_a_model() -> None:
    for scheme in SCHEMES:
        assert models_for_scheme(scheme), scheme
    assert {m.id for m in models_for_scheme("envelope")} == {"au.hybrid"}


def test_unknown_id_lists_close_matches() -> None:
    with pytest.raises(CatalogueError, match="eu.common"):
        get_model("eu.comon")


def test_unknown_scheme_name() -> None:
    with pytest.raises(CatalogueError, match="unknown scheme 'comon'"):
        models_for_scheme("comon")


def entry(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "my.model",
        "name": "Mine",
        "region": "Here",
        "source": {"seed": "own", "section": "§1"},
        "description": "d",
        "scheme": "local",
        "params": {"interface_offer": "aggregated"},
        "reading": "r",
        "attributes": {
            k: {"level": "low", "basis": "inferred", "why": "w"}
            for k in ("neutrality", "transparency", "implementation_complexity")
        },
    }
    base.update(over)
    return base


def write(tmp_path: Path, entries: list[dict[str, object]]) -> Path:
    path = tmp_path / "models.yaml"
    path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    return path


def test_user_file_adds_models(tmp_path: Path) -> None:
    path = write(tmp_path, [entry()])
    cat = load_catalogue(path)
    assert len(cat) == len(list_models()) + 1 and "my.model" in cat
    assert get_model("my.model", cat).params.as_dict() == {"interface_offer": "aggregated"}
    only = load_catalogue(path, include_builtin=False)
    assert only.ids == ("my.model",)
    assert list_models(only)[0].scheme == "local"


@pytest.mark.parametrize(
    ("over", "match"),
    [
        ({"scheme": "centralised"}, "unknown scheme 'centralised'"),
        ({"params": {"interface": "aggregated"}}, "unknown key 'interface'"),
        ({"params": {"variant": "centralized"}}, "does not apply to scheme 'local'"),
        ({"params": {"interface_offer": "summed"}}, "interface_offer"),
        ({"id": "NoDot"}, "id"),
        ({"attributes": {}}, "attributes"),
        ({"colour": "red"}, "unknown key 'colour'"),
    ],
)
def test_bad_entries(tmp_path: Path, over: dict[str, object], match: str) -> None:
    path = write(tmp_path, [entry(**over)])
    with pytest.raises(CatalogueError, match=match) as info:
        load_catalogue(path, include_builtin=False)
    assert "models.yaml" in str(info.value)


def test_duplicate_of_builtin_id(tmp_path: Path) -> None:
    path = write(tmp_path, [entry(id="au.sip")])
    with pytest.raises(CatalogueError, match="appears twice"):
        load_catalogue(path)


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="not found"):
        load_catalogue(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("- id: [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="YAML"):
        load_catalogue(broken)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just text\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="list of models"):
        load_catalogue(scalar)
