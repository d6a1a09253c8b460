"""YAML reading for every tdcoord input file: ``safe_load`` semantics (no Python objects), plus
a duplicated key in a mapping is an error (plain PyYAML keeps the last one silently).

:func:`load_yaml` returns the data and every duplicate found (as :class:`~tdcoord.errors.Issue`
records with their line numbers), so a caller can list them with its other problems.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tdcoord.errors import Issue, TdcoordError


class _DuplicateKeyLoader(yaml.SafeLoader):
    """SafeLoader that records duplicated mapping keys instead of dropping them."""

    duplicates: list[Issue]

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.get(key)
            except TypeError:  # unhashable key: PyYAML reports it below
                continue
            line = key_node.start_mark.line + 1
            if first is not None:
                self.duplicates.append(
                    Issue(
                        f"line {line}",
                        f"key {key!r} appears twice (first on line {first})",
                        "keep one of them (YAML would silently use the last)",
                    )
                )
            else:
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


def load_yaml_text(text: str, cls: type[TdcoordError], name: str) -> tuple[Any, list[Issue]]:
    """Parse ``text``; returns (data, duplicate-key issues). Syntax errors raise ``cls``."""
    try:
        loader = _DuplicateKeyLoader(text)
    except yaml.YAMLError as exc:  # the reader rejects control characters at once
        raise cls(f"{name} is not valid YAML: {exc}", fix="fix the YAML syntax") from exc
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        raise cls(f"{name} is not valid YAML: {exc}", fix="fix the YAML syntax") from exc
    finally:
        loader.dispose()
    return data, loader.duplicates


def read_text_file(path: Path, cls: type[TdcoordError], what: str) -> str:
    """The UTF-8 text of ``path`` or ``cls`` naming the problem (missing, folder, binary)."""
    if not path.exists():
        raise cls(f"no such {what}: {path}", fix="check the path")
    if not path.is_file():
        raise cls(f"{what} {path} is not a file", fix="give the path of a YAML file")
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise cls(
            f"{what} {path} is not UTF-8 text (byte {exc.start})",
            fix="give a YAML text file saved as UTF-8",
        ) from exc


def load_yaml_file(path: Path, cls: type[TdcoordError], what: str) -> tuple[Any, list[Issue]]:
    """Read and parse a YAML file (see :func:`load_yaml_text`)."""
    return load_yaml_text(read_text_file(path, cls, what), cls, path.name)
