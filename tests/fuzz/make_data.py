"""Write the bad-input corpus files of :mod:`tests.fuzz.corpus` to ``tests/fuzz/data/``.

Run from the repository root: ``.venv/bin/python -m tests.fuzz.make_data`` (the files are
committed; run it again after adding cases).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.fuzz import corpus
from tests.fuzz.grid_text import BRANCH, BUS, GEN, GENCOST, case_text, with_value

DATA = Path(__file__).parent / "data"


def matpower_text(kind: str, args: tuple[Any, ...]) -> str | bytes:
    """The tiny case with one mutation (see ``corpus.MATPOWER_CASES``)."""
    valid = case_text()
    if kind in ("bus", "gen", "branch", "gencost"):
        base = {"bus": BUS, "gen": GEN, "branch": BRANCH, "gencost": GENCOST}[kind]
        return case_text(**{kind: with_value(base, *args)})
    special: dict[str, Any] = {
        "gencost_rows": lambda: case_text(gencost=args[0]),
        "bus_kv": lambda: case_text(bus=[[*r[:11], 240, 210] for r in BUS]),
        "branch_z0": lambda: case_text(branch=with_value(with_value(BRANCH, 0, 2, 0), 0, 3, 0)),
        "island": lambda: case_text(
            bus=[
                *BUS,
                [4, 1, 10, 0, 0, 0, 1, 1, 0, 230, 1, 1.1, 0.9],
                [5, 1, 10, 0, 0, 0, 1, 1, 0, 230, 1, 1.1, 0.9],
            ],
            branch=[*BRANCH, [4, 5, 0.01, 0.1, 0, 100, 100, 100, 0, 0, 1, -360, 360]],
        ),
        "base": lambda: case_text(base_mva=args[0]),
        "truncate": lambda: valid[: len(valid) // 2],
        "empty": lambda: "",
        "binary": lambda: bytes(range(256)) * 8,
    }
    return str(special[kind]()) if kind != "binary" else bytes(special[kind]())


def pandapower_base() -> dict[str, Any]:
    """pandapower's case5 as JSON data."""
    import pandapower as pp
    import pandapower.networks as pn

    return dict(json.loads(pp.to_json(pn.case5())))


def pandapower_text(mutation: str, base: dict[str, Any]) -> str | bytes:
    """A pandapower JSON file with one mutation (see ``corpus.PANDAPOWER_CASES``)."""
    data = json.loads(json.dumps(base))
    text = json.dumps(base)
    if mutation == "module_this":
        data["_module"] = "this"
    elif mutation == "module_os":
        data["_object"]["bus"]["_module"] = "os"
        data["_object"]["bus"]["_class"] = "system"
    elif mutation == "nested_module":
        data["_object"]["bus"]["_object"] = json.dumps({"_module": "subprocess", "_class": "run"})
    elif mutation == "class_other":
        data["_object"]["bus"]["_class"] = "eval"
    elif mutation == "truncate":
        return text[: len(text) // 3]
    elif mutation == "not_json":
        return "this is not json\n"
    elif mutation == "array_top":
        return "[1, 2, 3]"
    elif mutation == "plain_object":
        return '{"buses": []}'
    elif mutation == "binary":
        return bytes(range(256)) * 8
    elif mutation == "deep":
        return '{"_class": "pandapowerNet", "x": ' + "[" * 500 + "]" * 500 + "}"
    elif mutation == "empty":
        return ""
    return json.dumps(data)


def native_base() -> dict[str, Any]:
    """The tiny MATPOWER case as a tdcoord grid file."""
    import tempfile

    from tdcoord.grid.io.matpower import read_matpower
    from tdcoord.grid.serialize import to_dict

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tiny3.m"
        path.write_text(case_text())
        return to_dict(read_matpower(path))


def native_text(mutation: str, base: dict[str, Any]) -> str:
    """A tdcoord grid file with one mutation (see ``corpus.NATIVE_CASES``)."""
    data = json.loads(json.dumps(base))
    t = data["transmission"]
    edits: dict[str, Any] = {
        "drop_transmission": lambda: data.pop("transmission"),
        "drop_buses": lambda: t.pop("buses"),
        "ragged": lambda: t["branches"]["r_pu"].pop(),
        "version": lambda: data.update(tdcoord_grid=9),
        "cost_nan": lambda: t["generators"]["cost_c1_per_mwh"].__setitem__(0, float("nan")),
        "rating_negative": lambda: t["branches"]["rating_mva"].__setitem__(0, -5.0),
        "rating_nan": lambda: t["branches"]["rating_mva"].__setitem__(1, float("nan")),
        "text_number": lambda: t["branches"]["x_pu"].__setitem__(0, "abc"),
        "vlimits_upside": lambda: t["buses"]["v_min_pu"].__setitem__(0, 1.2),
        "feeders_not_list": lambda: data.update(feeders=5),
        "base_negative": lambda: t.update(base_mva=-100.0),
    }
    if mutation == "truncate":
        text = json.dumps(data)
        return text[: len(text) // 2]
    edits[mutation]()
    return json.dumps(data)


def write(path: Path, content: str | bytes) -> None:
    """Write text or bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)


def main() -> None:
    """Write every corpus file."""
    for stem, old, new, _ in corpus.STUDY_CASES:
        assert old in corpus.STUDY_BASE, stem
        write(DATA / "study" / f"{stem}.yaml", corpus.STUDY_BASE.replace(old, new, 1))
    for name, raw, _ in corpus.STUDY_RAW:
        write(DATA / "study" / name, raw)
    for name, kind, args, _ in corpus.MATPOWER_CASES:
        write(DATA / "matpower" / name, matpower_text(kind, args))
    pp_base = pandapower_base()
    for name, mutation, _ in corpus.PANDAPOWER_CASES:
        write(DATA / "pandapower" / name, pandapower_text(mutation, pp_base))
    nat = native_base()
    for name, mutation, _ in corpus.NATIVE_CASES:
        write(DATA / "native" / name, native_text(mutation, nat))
    for name, text, _ in corpus.CATALOGUE_CASES:
        content: str | bytes = b"\xff\xfe\x00- id: x\n" if "binary" in name else text
        write(DATA / "catalogue" / name, content)


if __name__ == "__main__":
    main()
