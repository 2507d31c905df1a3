"""YAML with line numbers, so that every error in a definition file names its file and line.

Mappings load as `LocatedDict` and sequences as `LocatedList`; both remember the line where they start
and the line of each of their entries (1-based, as editors show them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from parcours.errors import InvalidInput, Issue


class LocatedDict(dict[str, Any]):
    line: int = 0
    key_lines: dict[str, int]


class LocatedList(list[Any]):
    line: int = 0
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LocatedDict:
    out = LocatedDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        out[str(key)] = loader.construct_object(value_node, deep=True)
        out.key_lines[str(key)] = key_node.start_mark.line + 1
    return out


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LocatedList:
    out = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def load_located(path: Path) -> LocatedDict:
    """Parse one YAML file whose top level is a mapping; syntax errors become an `InvalidInput`."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise InvalidInput(
            [Issue(str(path), line, None, f"YAML invalide : {exc.problem}")]
        ) from exc
    if not isinstance(data, LocatedDict):
        raise InvalidInput([Issue(str(path), 1, None, "le fichier doit contenir un dictionnaire")])
    return data


def line_of(mapping: LocatedDict, key: str) -> int:
    return mapping.key_lines.get(key, mapping.line)
